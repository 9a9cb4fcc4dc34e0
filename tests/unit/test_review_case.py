from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from postwarden.domain.model import UNLIMITED, SendingLimits
from postwarden.domain.review import (
    AccountDetails,
    CheckKey,
    Checklist,
    ChecklistItem,
    CheckStatus,
    ContactLanguage,
    InvalidAccountDetailsError,
    InvalidReviewTransitionError,
    MailType,
    ReviewCase,
    ReviewConflict,
    ReviewStatus,
    account_details_errors,
    decide_automatically,
    denial_reason,
    evaluate,
    open_review,
)
from tests.unit.test_review_checklist import GOOD_DETAILS, GOOD_FACTS

HOUR = 3600.0
T0 = 1_700_000_000.0
ACCOUNT, REGION = "111122223333", "eu-west-1"
DETAILS = AccountDetails(MailType.TRANSACTIONAL, "https://www.acme-shop.com")


def opened(case_id: str = "case-1", latest: ReviewCase | None = None, now: float = T0) -> ReviewCase:
    case = open_review(latest, case_id=case_id, account_id=ACCOUNT, region=REGION, details=DETAILS, now=now)
    assert isinstance(case, ReviewCase)
    return case


# validation of PutAccountDetails values


def test_valid_values_parse_into_details() -> None:
    details = AccountDetails.parse(
        mail_type="MARKETING",
        website_url="https://www.acme-shop.com",
        contact_language="JA",
        use_case_description="Newsletters to subscribers.",
        additional_contact_email_addresses=["ops@acme-shop.com", "cto@acme-shop.com"],
    )
    assert details == AccountDetails(
        MailType.MARKETING,
        "https://www.acme-shop.com",
        ContactLanguage.JA,
        "Newsletters to subscribers.",
        ("ops@acme-shop.com", "cto@acme-shop.com"),
    )


def test_only_mail_type_and_website_are_required() -> None:
    details = AccountDetails.parse(mail_type="TRANSACTIONAL", website_url="https://acme-shop.com")
    assert details == AccountDetails(MailType.TRANSACTIONAL, "https://acme-shop.com")


def test_missing_required_values_are_null_constraint_errors() -> None:
    assert account_details_errors(mail_type=None, website_url=None) == [
        "Value null at 'mailType' failed to satisfy constraint: Member must not be null",
        "Value null at 'websiteURL' failed to satisfy constraint: Member must not be null",
    ]


def test_the_developer_guides_enum_spellings_are_refused() -> None:
    errors = account_details_errors(
        mail_type="PROMOTIONAL", website_url="https://a.com", contact_language="JP"
    )
    assert errors == [
        "Value 'PROMOTIONAL' at 'mailType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [MARKETING, TRANSACTIONAL]",
        "Value 'JP' at 'contactLanguage' failed to satisfy constraint: "
        "Member must satisfy enum value set: [EN, JA]",
    ]


def test_length_limits_come_from_the_model_and_sensitive_values_are_not_echoed() -> None:
    long_url = "https://acme-shop.com/" + "a" * 979  # 1001 characters
    errors = account_details_errors(
        mail_type="MARKETING", website_url=long_url, use_case_description="x" * 5001
    )
    assert errors == [
        "Value '***' at 'websiteURL' failed to satisfy constraint: "
        "Member must have length less than or equal to 1000",
        "Value '***' at 'useCaseDescription' failed to satisfy constraint: "
        "Member must have length less than or equal to 5000",
    ]
    assert (
        account_details_errors(
            mail_type="MARKETING", website_url=long_url[:1000], use_case_description="x" * 5000
        )
        == []
    )


def test_additional_contacts_are_one_to_four_addresses() -> None:
    five = [f"ops{i}@acme-shop.com" for i in range(5)]
    assert account_details_errors(
        mail_type="MARKETING", website_url="https://a.com", additional_contact_email_addresses=five
    ) == [
        "Value '***' at 'additionalContactEmailAddresses' failed to satisfy constraint: "
        "Member must have length less than or equal to 4"
    ]
    empty = account_details_errors(
        mail_type="MARKETING", website_url="https://a.com", additional_contact_email_addresses=[]
    )
    assert empty == [
        "Value '***' at 'additionalContactEmailAddresses' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ]


def test_each_additional_contact_is_checked_by_position() -> None:
    errors = account_details_errors(
        mail_type="MARKETING",
        website_url="https://a.com",
        additional_contact_email_addresses=["ops@acme-shop.com", "a@b", "no-at-sign.example"],
    )
    assert errors == [
        "Value '***' at 'additionalContactEmailAddresses.2' failed to satisfy constraint: "
        "Member must have length greater than or equal to 6",
        "Value '***' at 'additionalContactEmailAddresses.3' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^(.+)@(.+)$",
    ]


def test_wrong_types_are_reported() -> None:
    errors = account_details_errors(
        mail_type=3, website_url=["https://a.com"], additional_contact_email_addresses="ops@acme-shop.com"
    )
    assert errors == [
        "Value 3 at 'mailType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [MARKETING, TRANSACTIONAL]",
        "Value '***' at 'websiteURL' failed to satisfy constraint: Member must be a string",
        "Value '***' at 'additionalContactEmailAddresses' failed to satisfy constraint: "
        "Member must be a list",
    ]


def test_parse_raises_with_ses_combined_message() -> None:
    with pytest.raises(InvalidAccountDetailsError) as raised:
        AccountDetails.parse(mail_type="PROMOTIONAL", website_url="")
    assert len(raised.value.errors) == 2
    assert str(raised.value) == (
        "2 validation errors detected: Value 'PROMOTIONAL' at 'mailType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [MARKETING, TRANSACTIONAL]; Value '***' at 'websiteURL' failed "
        "to satisfy constraint: Member must have length greater than or equal to 1"
    )


# the case state machine


def test_a_first_request_opens_a_pending_case() -> None:
    case = opened()
    assert (case.status, case.opened_at, case.details) == (ReviewStatus.PENDING, T0, DETAILS)
    assert (case.account_id, case.region, case.decided_at) == (ACCOUNT, REGION, None)


def test_a_second_request_while_pending_is_a_conflict() -> None:
    pending = opened()
    result = open_review(
        pending, case_id="case-2", account_id=ACCOUNT, region=REGION, details=DETAILS, now=T0 + 2 * HOUR
    )
    assert isinstance(result, ReviewConflict)
    assert result.pending_case_id == "case-1"
    assert result.message.startswith("There is already an ongoing account details update under review")
    assert "2023-11-14T22:13:20Z (2.0 hours ago)" in result.explanation


@pytest.mark.parametrize(
    "decide",
    [
        lambda c: c.deny("bounce rate too high", now=T0 + HOUR, decided_by="ops"),
        lambda c: c.fail("pre-review crashed", now=T0 + HOUR),
        lambda c: c.grant(50_000, 14.0, now=T0 + HOUR, decided_by="ops"),
    ],
    ids=["denied", "failed", "granted"],
)
def test_a_decided_case_may_be_followed_by_a_new_request(decide: Callable[[ReviewCase], ReviewCase]) -> None:
    decided = decide(opened())
    again = opened("case-2", latest=decided, now=T0 + 3 * HOUR)
    assert (again.case_id, again.status, again.opened_at) == ("case-2", ReviewStatus.PENDING, T0 + 3 * HOUR)


def test_the_latest_case_must_be_the_same_account_and_region() -> None:
    other = replace(opened(), region="us-east-1")
    with pytest.raises(ValueError, match="belongs to"):
        opened(latest=other)


def test_grant_records_the_limits_and_who_decided() -> None:
    granted = opened().grant(130_000, 37.0, now=T0 + HOUR, decided_by="auto")
    assert granted.status is ReviewStatus.GRANTED
    assert (granted.granted_quota, granted.granted_rate) == (130_000, 37.0)
    assert (granted.decided_at, granted.decided_by) == (T0 + HOUR, "auto")
    assert opened().grant(UNLIMITED, 14.0, now=T0, decided_by="ops").granted_quota == UNLIMITED


@pytest.mark.parametrize(("quota", "rate"), [(0, 14.0), (-5, 14.0), (50_000, 0.0)])
def test_grant_needs_a_usable_quota_and_rate(quota: int, rate: float) -> None:
    with pytest.raises(InvalidReviewTransitionError):
        opened().grant(quota, rate, now=T0, decided_by="ops")


def test_deny_keeps_the_reason_and_needs_one() -> None:
    denied = opened().deny("Your website does not answer.", now=T0 + HOUR, decided_by="ops")
    assert (denied.status, denied.reason) == (ReviewStatus.DENIED, "Your website does not answer.")
    with pytest.raises(InvalidReviewTransitionError, match="must say why"):
        opened().deny("  ", now=T0, decided_by="ops")


def test_fail_is_recorded_as_the_systems_decision() -> None:
    failed = opened().fail("the DNS checks timed out", now=T0 + 60)
    assert (failed.status, failed.decided_by, failed.reason) == (
        ReviewStatus.FAILED,
        "system",
        "the DNS checks timed out",
    )


def test_only_a_pending_case_can_be_decided() -> None:
    granted = opened().grant(50_000, 14.0, now=T0, decided_by="ops")
    with pytest.raises(InvalidReviewTransitionError, match="it is GRANTED, not PENDING"):
        granted.deny("changed my mind", now=T0, decided_by="ops")
    with pytest.raises(InvalidReviewTransitionError):
        granted.grant(60_000, 14.0, now=T0, decided_by="ops")
    with pytest.raises(InvalidReviewTransitionError):
        granted.fail("late error", now=T0)
    with pytest.raises(InvalidReviewTransitionError):
        granted.with_checklist(evaluate(GOOD_DETAILS, GOOD_FACTS, T0))


def test_a_pending_case_is_overdue_after_24_hours() -> None:
    case = opened()
    assert not case.is_overdue(T0 + 24 * HOUR - 1)
    assert case.is_overdue(T0 + 24 * HOUR)
    assert case.is_overdue(T0 + 2 * HOUR, max_age=2 * HOUR)
    assert not case.is_overdue(T0 + 2 * HOUR - 1, max_age=2 * HOUR)


def test_a_decided_case_is_never_overdue() -> None:
    denied = opened().deny("no DKIM", now=T0 + HOUR, decided_by="ops")
    assert not denied.is_overdue(T0 + 100 * HOUR)


# automatic grants


def test_auto_grant_grants_a_fully_passing_checklist_at_its_recommendation() -> None:
    checklist = evaluate(GOOD_DETAILS, GOOD_FACTS, T0)
    decision = decide_automatically(checklist, auto_grant=True)
    assert decision.grant and decision.limits == SendingLimits(50_000, 14.0)
    assert decision.explanation.startswith("every check passed (8 pass, 0 warn, 0 fail)")
    granted = opened().with_checklist(checklist)
    assert granted.checklist == checklist


def test_auto_grant_leaves_anything_less_than_a_full_pass_to_an_operator() -> None:
    checklist = evaluate(GOOD_DETAILS, replace(GOOD_FACTS, website_reachable=False), T0)
    decision = decide_automatically(checklist, auto_grant=True)
    assert not decision.grant and decision.limits is None
    assert (
        decision.explanation
        == "not every check passed (7 pass, 0 warn, 1 fail: website); an operator decides"
    )


def test_with_auto_grant_off_nothing_is_granted_automatically() -> None:
    decision = decide_automatically(evaluate(GOOD_DETAILS, GOOD_FACTS, T0), auto_grant=False)
    assert not decision.grant
    assert decision.explanation == "automatic grants are off; checklist: 8 pass, 0 warn, 0 fail"


# the checklist as stored and shown


def mixed_checklist() -> Checklist:
    facts = replace(
        GOOD_FACTS, website_reachable=False, website_check_detail="timeout after 10 s", recent_messages=0
    )
    return evaluate(GOOD_DETAILS, facts, T0)


def test_the_checklist_survives_a_json_round_trip() -> None:
    checklist = mixed_checklist()
    assert checklist.summary == "6 pass, 1 warn, 1 fail"
    restored = Checklist.from_json(checklist.to_json())
    assert restored == checklist
    assert restored.item(CheckKey.WEBSITE).status is CheckStatus.FAIL


def test_non_ascii_evidence_survives_the_round_trip() -> None:
    item = ChecklistItem(CheckKey.USE_CASE, "Use case", CheckStatus.PASS, 'opting out: "配信停止"')
    checklist = Checklist((item,), 50_000, 14.0, T0)
    assert Checklist.from_json(checklist.to_json()) == checklist
    assert "配信停止" in checklist.to_json()


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"version": 2, "items": []}',
        '{"version": 1, "items": [{"key": "nope"}], "recommendedQuota": 1, "recommendedRate": 1, '
        '"evaluatedAt": 0}',
        '{"version": 1, "items": []}',
    ],
)
def test_anything_else_is_not_a_stored_checklist(text: str) -> None:
    with pytest.raises(ValueError):
        Checklist.from_json(text)


def test_the_denial_reason_lists_failures_with_their_fixes_then_warnings() -> None:
    text = denial_reason(mixed_checklist(), note="Please also describe your list sources.")
    lines = text.splitlines()
    assert lines[0] == "Your request for production access was denied. These checks failed:"
    assert lines[1].startswith("- Website: https://www.acme-shop.com is a well-formed https address")
    assert (
        "not reachable (timeout after 10 s). To fix: Make sure https://www.acme-shop.com answers" in lines[1]
    )
    assert lines[2] == "Also worth fixing:"
    assert lines[3].startswith("- Unsubscribe mechanism: Marketing mail, but no recent mail")
    assert lines[4] == "Reviewer's note: Please also describe your list sources."
    assert "PutAccountDetails" in lines[5]
    assert "Sandbox sending history" not in text


def test_a_denial_without_failing_checks_says_so() -> None:
    text = denial_reason(evaluate(GOOD_DETAILS, GOOD_FACTS, T0), note="Your content is misleading.")
    assert text.splitlines()[:2] == [
        "Your request for production access was denied. No automated check failed.",
        "Reviewer's note: Your content is misleading.",
    ]
