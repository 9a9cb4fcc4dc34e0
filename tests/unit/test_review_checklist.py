from __future__ import annotations

from dataclasses import replace

import pytest

from postwarden.domain.identities import VerificationStatus as V
from postwarden.domain.model import SendingLimits
from postwarden.domain.review import (
    AccountDetails,
    CheckKey,
    CheckStatus,
    DomainFacts,
    FeedbackDestination,
    MailType,
    ReviewCriteria,
    ReviewFacts,
    SandboxHistory,
    evaluate,
)
from postwarden.domain.review_use_case import largest_daily_volume, largest_rate, stated_amounts
from postwarden.domain.suppression import SuppressionReason

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL
NOW = 1_700_000_000.0

GOOD_USE_CASE = (
    "Acme Shop sends order confirmations and a weekly newsletter. Customers join the newsletter through "
    "a sign-up form with double opt-in; we never buy or rent lists. Bounce and complaint notifications go "
    "to our webhook, which removes the address at once. Every newsletter has an unsubscribe link and a "
    "one-click List-Unsubscribe header. We have 15,000 customers and send about 20,000 emails per day."
)
GOOD_DOMAIN = DomainFacts(
    domain="acme-shop.com",
    verification_status=V.SUCCESS,
    dkim_status=V.SUCCESS,
    dkim_signing_enabled=True,
    spf_published=True,
    spf_aligned=True,
    dmarc_published=True,
    dmarc_aligned=True,
    dmarc_policy="quarantine",
)
WEBHOOK = FeedbackDestination(
    name="configuration set news → https://hooks.acme-shop.com/ses",
    covers_bounce=True,
    covers_complaint=True,
    subscription_confirmed=True,
    reachable=True,
)
GOOD_FACTS = ReviewFacts(
    domains=(GOOD_DOMAIN,),
    feedback_destinations=(WEBHOOK,),
    suppressed_reasons=frozenset({SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT}),
    recent_messages=120,
    recent_messages_with_list_unsubscribe=120,
    sandbox=SandboxHistory(eligible_messages=180, bounce_rate=0.011, complaint_rate=0.0),
    content_flags=0,
    website_reachable=True,
    website_check_detail="HTTP 200",
)
GOOD_DETAILS = AccountDetails(MailType.MARKETING, "https://www.acme-shop.com", None, GOOD_USE_CASE)


def item(
    key: CheckKey, details: AccountDetails = GOOD_DETAILS, **facts: object
) -> tuple[CheckStatus, str, str]:
    checked = evaluate(details, replace(GOOD_FACTS, **facts), NOW).item(key)  # type: ignore[arg-type]
    return checked.status, checked.evidence, checked.fix


def domain(**changes: object) -> DomainFacts:
    return replace(GOOD_DOMAIN, **changes)  # type: ignore[arg-type]


def test_a_good_request_passes_every_item() -> None:
    checklist = evaluate(GOOD_DETAILS, GOOD_FACTS, NOW)
    assert checklist.passed
    assert checklist.summary == "8 pass, 0 warn, 0 fail"
    assert [i.key for i in checklist.items] == list(CheckKey)
    assert all(i.fix == "" for i in checklist.items)
    assert checklist.evaluated_at == NOW


# (1) verified domain with working DKIM


def test_dkim_passes_for_a_verified_domain_that_signs() -> None:
    status, evidence, _ = item(CheckKey.DOMAIN_DKIM)
    assert status is PASS and evidence == "acme-shop.com: DKIM SUCCESS, signing enabled"


def test_dkim_pending_is_a_warning_with_what_to_check() -> None:
    status, evidence, fix = item(CheckKey.DOMAIN_DKIM, domains=(domain(dkim_status=V.PENDING),))
    assert status is WARN and "DKIM PENDING" in evidence
    assert "CNAME records" in fix and "acme-shop.com" in fix


def test_one_good_domain_and_one_failed_one_is_a_warning_naming_the_failed_one() -> None:
    broken = domain(domain="acme-mail.net", dkim_status=V.FAILED)
    status, evidence, fix = item(CheckKey.DOMAIN_DKIM, domains=(GOOD_DOMAIN, broken))
    assert status is WARN
    assert "acme-mail.net: DKIM FAILED" in evidence
    assert "DKIM for acme-mail.net failed" in fix and "acme-shop.com" not in fix


def test_no_verified_domain_fails_and_lists_the_unverified_ones() -> None:
    pending = domain(verification_status=V.PENDING, dkim_status=V.PENDING)
    status, evidence, fix = item(CheckKey.DOMAIN_DKIM, domains=(pending,))
    assert status is FAIL
    assert evidence == "No verified domain identity (not verified: acme-shop.com: PENDING)"
    assert "CreateEmailIdentity" in fix


def test_dkim_temporarily_unconfirmed_is_a_warning() -> None:
    status, _, fix = item(CheckKey.DOMAIN_DKIM, domains=(domain(dkim_status=V.TEMPORARY_FAILURE),))
    assert status is WARN and "still published" in fix


def test_dkim_not_started_fails() -> None:
    status, evidence, fix = item(CheckKey.DOMAIN_DKIM, domains=(domain(dkim_status=V.NOT_STARTED),))
    assert status is FAIL and "DKIM NOT_STARTED" in evidence and "set up DKIM for acme-shop.com" in fix


def test_pending_dkim_with_signing_disabled_fails_with_both_fixes() -> None:
    status, _, fix = item(
        CheckKey.DOMAIN_DKIM, domains=(domain(dkim_status=V.PENDING, dkim_signing_enabled=False),)
    )
    assert status is FAIL and "CNAME records" in fix and "SigningEnabled=true" in fix


def test_verified_dkim_with_signing_disabled_fails() -> None:
    status, evidence, fix = item(CheckKey.DOMAIN_DKIM, domains=(domain(dkim_signing_enabled=False),))
    assert status is FAIL and "signing disabled" in evidence
    assert "SigningEnabled=true" in fix


# (2) SPF and DMARC


def test_spf_and_dmarc_pass_when_published_and_aligned() -> None:
    status, evidence, _ = item(CheckKey.SPF_DMARC)
    assert status is PASS
    assert evidence == "acme-shop.com: SPF published, aligned; DMARC p=quarantine, aligned"


def test_spf_not_aligned_is_a_warning_pointing_at_a_custom_mail_from() -> None:
    status, evidence, fix = item(CheckKey.SPF_DMARC, domains=(domain(spf_aligned=False),))
    assert status is WARN and "SPF published, not aligned" in evidence
    assert "custom MAIL FROM" in fix and "mail.acme-shop.com" in fix


def test_a_monitoring_only_dmarc_policy_is_a_warning() -> None:
    status, evidence, fix = item(CheckKey.SPF_DMARC, domains=(domain(dmarc_policy="none"),))
    assert status is WARN and "p=none" in evidence and "quarantine or reject" in fix


def test_missing_dmarc_fails() -> None:
    status, evidence, fix = item(
        CheckKey.SPF_DMARC, domains=(domain(dmarc_published=False, dmarc_aligned=False, dmarc_policy=None),)
    )
    assert status is FAIL and "DMARC missing" in evidence and "_dmarc.acme-shop.com" in fix


def test_mail_failing_dmarc_fails() -> None:
    status, evidence, fix = item(
        CheckKey.SPF_DMARC, domains=(domain(dmarc_aligned=False, spf_aligned=False),)
    )
    assert status is FAIL and "mail fails it" in evidence and "fails DMARC" in fix


def test_missing_spf_fails() -> None:
    status, _, fix = item(CheckKey.SPF_DMARC, domains=(domain(spf_published=False, spf_aligned=False),))
    assert status is FAIL and "SPF record" in fix


# (3) bounce and complaint handling


def test_a_confirmed_reachable_destination_alone_is_enough() -> None:
    status, evidence, fix = item(CheckKey.BOUNCE_COMPLAINT_HANDLING, suppressed_reasons=frozenset())
    assert status is PASS and fix == ""
    assert "Bounce, Complaint; subscription confirmed, reachable" in evidence
    assert "account suppression list: off" in evidence


def test_the_suppression_list_for_both_reasons_alone_is_enough() -> None:
    status, evidence, _ = item(CheckKey.BOUNCE_COMPLAINT_HANDLING, feedback_destinations=())
    assert status is PASS and "account suppression list: BOUNCE, COMPLAINT" in evidence


def test_bounces_handled_but_not_complaints_is_a_warning() -> None:
    status, _, fix = item(
        CheckKey.BOUNCE_COMPLAINT_HANDLING,
        feedback_destinations=(),
        suppressed_reasons=frozenset({SuppressionReason.BOUNCE}),
    )
    assert status is WARN
    assert "nothing handles complaints" in fix and "nothing handles bounces" not in fix


def test_an_unconfirmed_destination_does_not_count_and_the_fix_says_so() -> None:
    unconfirmed = replace(WEBHOOK, subscription_confirmed=False)
    status, evidence, fix = item(
        CheckKey.BOUNCE_COMPLAINT_HANDLING,
        feedback_destinations=(unconfirmed,),
        suppressed_reasons=frozenset({SuppressionReason.COMPLAINT}),
    )
    assert status is WARN and "subscription not confirmed" in evidence
    assert f"confirm the subscription of {WEBHOOK.name}" in fix


def test_nothing_in_place_fails() -> None:
    unreachable = replace(WEBHOOK, reachable=False)
    status, _, fix = item(
        CheckKey.BOUNCE_COMPLAINT_HANDLING,
        feedback_destinations=(unreachable,),
        suppressed_reasons=frozenset(),
    )
    assert status is FAIL
    assert "does not answer" in fix
    assert "nothing handles bounces" in fix and "nothing handles complaints" in fix


# (4) unsubscribe


def test_transactional_mail_needs_no_unsubscribe_header() -> None:
    transactional = replace(GOOD_DETAILS, mail_type=MailType.TRANSACTIONAL)
    status, evidence, _ = item(CheckKey.UNSUBSCRIBE, transactional, recent_messages_with_list_unsubscribe=0)
    assert status is PASS and evidence == "Not required for transactional mail"


def test_marketing_mail_with_the_header_passes() -> None:
    status, evidence, _ = item(
        CheckKey.UNSUBSCRIBE, recent_messages=50, recent_messages_with_list_unsubscribe=46
    )
    assert status is PASS and evidence.startswith("46 of 50 recent messages (92%) carried List-Unsubscribe")


def test_marketing_mail_partly_without_the_header_is_a_warning() -> None:
    status, evidence, fix = item(
        CheckKey.UNSUBSCRIBE, recent_messages=50, recent_messages_with_list_unsubscribe=30
    )
    assert status is WARN and "30 of 50 recent messages (60%)" in evidence and "RFC 8058" in fix


def test_marketing_mail_without_the_header_fails() -> None:
    status, _, _ = item(CheckKey.UNSUBSCRIBE, recent_messages=50, recent_messages_with_list_unsubscribe=0)
    assert status is FAIL


def test_marketing_without_recent_mail_is_a_warning() -> None:
    status, evidence, _ = item(
        CheckKey.UNSUBSCRIBE, recent_messages=0, recent_messages_with_list_unsubscribe=0
    )
    assert status is WARN and "no recent mail" in evidence


# (5) use case answers the four questions


def use_case(text: str | None) -> AccountDetails:
    return replace(GOOD_DETAILS, use_case_description=text)


def test_the_use_case_evidence_shows_the_phrases_found() -> None:
    status, evidence, _ = item(CheckKey.USE_CASE)
    assert status is PASS
    assert 'list building and opt-in: "sign-up", "double opt-in"' in evidence
    assert '"Bounce", "complaint"' in evidence
    assert 'opting out: "unsubscribe", "one-click"' in evidence
    assert 'sending volume: "20,000 emails per day"' in evidence and "weekly" not in evidence


def test_one_unanswered_question_is_a_warning_naming_it() -> None:
    text = GOOD_USE_CASE.replace(
        "Every newsletter has an unsubscribe link and a one-click List-Unsubscribe header.",
        "Every newsletter has our logo and address at the bottom of the message.",
    )
    status, evidence, fix = item(CheckKey.USE_CASE, use_case(text))
    assert status is WARN and "opting out: nothing found" in evidence
    assert fix.startswith('answer "How can recipients opt out of receiving email from you?"')


def test_bounces_without_complaints_leave_the_question_unanswered() -> None:
    text = GOOD_USE_CASE.replace("Bounce and complaint notifications go", "Bounce notifications go")
    status, evidence, fix = item(CheckKey.USE_CASE, use_case(text))
    assert status is WARN
    assert "(nothing about complaints)" in evidence and "nothing about complaints yet" in fix


def test_two_unanswered_questions_fail() -> None:
    text = (
        "We are a small online shop selling handmade furniture and we want to email our customers "
        "about their orders, deliveries and new products. Our customers create an account at checkout. "
        "Bounces and complaints are removed from our database automatically by a nightly job."
    )
    status, _, fix = item(CheckKey.USE_CASE, use_case(text))
    assert status is FAIL
    assert "How can recipients opt out" in fix and "How did you choose the sending rate" in fix


def test_a_short_description_that_answers_everything_is_a_warning() -> None:
    text = "Double opt-in. Bounces and complaints suppressed. Unsubscribe link. 500 per day."
    status, evidence, fix = item(CheckKey.USE_CASE, use_case(text))
    assert status is WARN and f"{len(text)} characters (at least 200 expected)" in evidence
    assert "write at least 200 characters" in fix


def test_no_description_fails() -> None:
    status, evidence, fix = item(CheckKey.USE_CASE, use_case(None))
    assert (status, evidence) == (FAIL, "No use case description")
    assert "How do you plan to build or acquire your mailing list?" in fix


def test_a_japanese_description_is_read_with_japanese_phrases_and_a_shorter_minimum() -> None:
    text = (
        "当社のオンラインストアで会員登録したお客様にのみ、注文確認とお知らせを送信します。"
        "バウンスと苦情は通知を受けて直ちに配信リストから削除します。"
        "すべてのメールに配信停止のリンクを記載します。送信量は1日あたり約2万通です。"
    )
    status, evidence, _ = item(CheckKey.USE_CASE, use_case(text))
    assert status is PASS, evidence
    assert "(at least 80 expected)" in evidence and '"配信停止"' in evidence


# (6) website


def test_a_reachable_https_website_passes() -> None:
    status, evidence, _ = item(CheckKey.WEBSITE)
    assert status is PASS
    assert (
        evidence == "https://www.acme-shop.com is a well-formed https address of www.acme-shop.com; "
        "reachable (HTTP 200)"
    )


def test_an_unchecked_website_passes_and_says_it_was_not_checked() -> None:
    status, evidence, _ = item(CheckKey.WEBSITE, website_reachable=None, website_check_detail="")
    assert status is PASS and "reachability not checked" in evidence


def test_a_plain_http_website_is_a_warning() -> None:
    status, _, fix = item(CheckKey.WEBSITE, replace(GOOD_DETAILS, website_url="http://acme-shop.com/"))
    assert status is WARN and "https://acme-shop.com" in fix


def test_an_unreachable_website_fails_with_what_the_check_saw() -> None:
    status, evidence, fix = item(
        CheckKey.WEBSITE, website_reachable=False, website_check_detail="connection refused"
    )
    assert status is FAIL and "not reachable (connection refused)" in evidence
    assert "https://www.acme-shop.com" in fix


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://acme-shop.com", "the scheme is ftp"),
        ("acme-shop.com", "no scheme"),
        ("https://127.0.0.1/", "IP address (127.0.0.1)"),
        ("https://[2001:db8::1]/", "IP address (2001:db8::1)"),
        ("http://localhost:8080", "local or reserved name (.localhost)"),
        ("https://shop.localhost", "local or reserved name (.localhost)"),
        ("https://intranet.local", "local or reserved name (.local)"),
        ("https://example.com", "reserved for documentation"),
        ("https://www.example.org/about", "reserved for documentation"),
        ("https://acmeshop", "no top-level domain"),
        ("https://acme-shop.com:99999", "not a valid URL"),
        ("https://-acme-.com", "not a valid host name"),
        ("https://acme..com", "not a valid host name"),
        ("https://10.0.0", "does not end in a top-level domain"),
        ("https:///path-only", "no host name"),
    ],
)
def test_malformed_or_private_website_addresses_fail(url: str, problem: str) -> None:
    status, evidence, fix = item(CheckKey.WEBSITE, replace(GOOD_DETAILS, website_url=url))
    assert status is FAIL
    assert problem in evidence
    assert fix.startswith("Give the public address")


def test_an_internationalized_domain_name_is_well_formed() -> None:
    status, evidence, _ = item(CheckKey.WEBSITE, replace(GOOD_DETAILS, website_url="https://bücher.de"))
    assert status is PASS and "xn--bcher-kva.de" in evidence


# (7) sandbox history


def history(**changes: object) -> SandboxHistory:
    return replace(GOOD_FACTS.sandbox, **changes)  # type: ignore[arg-type]


def test_low_rates_over_enough_volume_pass() -> None:
    status, evidence, _ = item(CheckKey.SANDBOX_HISTORY)
    assert status is PASS
    assert evidence.startswith("Bounce rate 1.1% and complaint rate 0% over 180 eligible messages")
    assert "(review at 5% / 0.1%, pause at 10% / 0.5%)" in evidence


def test_too_little_volume_is_a_warning_even_with_a_high_rate() -> None:
    status, evidence, fix = item(
        CheckKey.SANDBOX_HISTORY, sandbox=history(eligible_messages=12, bounce_rate=0.25)
    )
    assert status is WARN and evidence.startswith("Too little volume to tell")
    assert "at least 50" in fix


def test_a_bounce_rate_at_the_review_threshold_fails() -> None:
    status, _, fix = item(CheckKey.SANDBOX_HISTORY, sandbox=history(bounce_rate=0.05))
    assert status is FAIL
    assert "the bounce rate 5% is at or over the 5% review threshold:" in fix


def test_a_bounce_rate_over_the_pause_threshold_says_so() -> None:
    status, _, fix = item(CheckKey.SANDBOX_HISTORY, sandbox=history(bounce_rate=0.12))
    assert status is FAIL and "12% is at or over the 5% review threshold and the 10% pause threshold" in fix


def test_a_complaint_rate_over_the_review_threshold_fails() -> None:
    status, _, fix = item(CheckKey.SANDBOX_HISTORY, sandbox=history(complaint_rate=0.002))
    assert status is FAIL and "the complaint rate 0.2%" in fix and "bounce rate" not in fix


def test_thresholds_come_from_the_facts() -> None:
    strict = history(bounce_rate=0.03, bounce_review_threshold=0.02)
    assert item(CheckKey.SANDBOX_HISTORY, sandbox=strict)[0] is FAIL


def test_content_flags_fail_whatever_the_volume() -> None:
    status, evidence, fix = item(
        CheckKey.SANDBOX_HISTORY, sandbox=history(eligible_messages=3), content_flags=2
    )
    assert status is FAIL and "2 messages flagged by content checks" in evidence
    assert "2 messages were flagged" in fix


# (8) recommended quota and rate


def limits(text: str | None, criteria: ReviewCriteria | None = None) -> tuple[int, float, str]:
    checklist = evaluate(use_case(text), GOOD_FACTS, NOW, criteria or ReviewCriteria())
    recommended = checklist.item(CheckKey.RECOMMENDED_LIMITS)
    assert recommended.status is PASS and recommended.fix == ""
    return checklist.recommended_quota, checklist.recommended_rate, recommended.evidence


def test_a_volume_under_the_default_gets_the_production_defaults() -> None:
    quota, rate, evidence = limits(GOOD_USE_CASE)
    assert (quota, rate) == (50_000, 14.0)
    assert 'stated "20,000 emails per day", about 20,000 per day' in evidence
    assert "recommended 50,000 per 24 hours and 14 per second (the production defaults)" in evidence


def test_no_stated_volume_gets_the_defaults() -> None:
    quota, rate, evidence = limits("We send password resets.")
    assert (quota, rate) == (50_000, 14.0) and evidence.startswith("no daily volume stated")


def test_a_larger_daily_volume_raises_the_quota_and_the_rate_with_it() -> None:
    quota, rate, evidence = limits("We expect about 123,456 emails per day after launch.")
    assert quota == 130_000 and rate == 37.0  # 14/s * 130,000 / 50,000 = 36.4, rounded up
    assert "(from the use case)" in evidence


def test_a_monthly_volume_is_converted_to_a_day() -> None:
    quota, _, _ = limits("Roughly 6 million messages a month, spread evenly.")
    assert quota == 200_000


def test_the_quota_is_capped() -> None:
    quota, rate, evidence = limits("We will send 50 million emails per day.")
    assert (quota, rate) == (1_000_000, 280.0) and "capped at 1,000,000 per day" in evidence


def test_a_stated_peak_rate_raises_the_rate() -> None:
    quota, rate, evidence = limits("Up to 5,000 per day, with peaks of 40 emails per second.")
    assert (quota, rate) == (50_000, 40.0) and 'stated "40 emails per second"' in evidence


def test_the_defaults_are_the_callers() -> None:
    criteria = ReviewCriteria(production_defaults=SendingLimits(100_000, 20.0))
    assert limits("We send password resets.", criteria)[:2] == (100_000, 20.0)
    assert limits("About 300k emails daily.", criteria)[:2] == (300_000, 60.0)


@pytest.mark.parametrize(
    ("text", "per_day"),
    [
        ("about 20,000 emails per day", 20_000),
        ("20k emails/day", 20_000),
        ("1.5 million messages a month", 50_000),
        ("rund 20.000 Mails per day", 20_000),
        ("300 000 notifications each week", 300_000 / 7),
        ("5000 daily", 5000),
        ("In 2023 500 emails per day", 500),
    ],
)
def test_stated_daily_volumes(text: str, per_day: float) -> None:
    found = largest_daily_volume(text)
    assert found is not None and found.per_day == pytest.approx(per_day)


@pytest.mark.parametrize(
    "text",
    ["24 hours a day", "3 times a day", "under 5% per month", "we send 20 messages", "once a day"],
)
def test_durations_frequencies_and_percentages_are_not_volumes(text: str) -> None:
    assert stated_amounts(text) == ()


def test_per_second_and_per_hour_are_rates_not_daily_volumes() -> None:
    text = "peaks of 14/s and 7,200 per hour"
    assert largest_daily_volume(text) is None
    found = largest_rate(text)
    assert found is not None and found.per_second == 14
