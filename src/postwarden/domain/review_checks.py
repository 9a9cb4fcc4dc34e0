"""The automated pre-review of a production access request: the checks a reviewer would make, each
turned into a checklist item with the evidence and the fix (pure: the facts are gathered beforehand)."""

from __future__ import annotations

from collections.abc import Sequence

from postwarden.domain.identities import VerificationStatus
from postwarden.domain.review_checklist import CheckKey, Checklist, ChecklistItem, CheckStatus
from postwarden.domain.review_details import AccountDetails, MailType
from postwarden.domain.review_facts import (
    DEFAULT_CRITERIA,
    DomainFacts,
    FeedbackDestination,
    ReviewCriteria,
    ReviewFacts,
)
from postwarden.domain.review_request_checks import check_use_case, check_website, recommend_limits
from postwarden.domain.suppression import SuppressionReason

PASS, WARN, FAIL = CheckStatus.PASS, CheckStatus.WARN, CheckStatus.FAIL


def evaluate(
    details: AccountDetails, facts: ReviewFacts, now: float, criteria: ReviewCriteria = DEFAULT_CRITERIA
) -> Checklist:
    limits, limits_item = recommend_limits(details.use_case_description or "", criteria)
    items = (
        check_domain_dkim(facts.domains),
        check_spf_dmarc(facts.domains),
        check_feedback_handling(facts),
        check_unsubscribe(details.mail_type, facts, criteria),
        check_use_case(details.use_case_description, criteria),
        check_website(details.website_url, facts.website_reachable, facts.website_check_detail),
        check_sandbox_history(facts, criteria),
        limits_item,
    )
    return Checklist(items, limits.max_24_hour_send, limits.max_send_rate, now)


def _combine(statuses: Sequence[CheckStatus]) -> CheckStatus:
    """All domains pass → PASS; none usable → FAIL; anything in between → WARN."""
    if not statuses or all(s is FAIL for s in statuses):
        return FAIL
    return PASS if all(s is PASS for s in statuses) else WARN


def check_domain_dkim(domains: Sequence[DomainFacts]) -> ChecklistItem:
    title = "Verified domain with working DKIM"
    verified = [d for d in domains if d.verified]
    unverified = "; ".join(f"{d.domain}: {d.verification_status.value}" for d in domains if not d.verified)
    if not verified:
        evidence = "No verified domain identity" + (f" (not verified: {unverified})" if unverified else "")
        fix = (
            "Verify the domain you send from (CreateEmailIdentity) and publish the three DKIM CNAME "
            "records it returns; an email-address identity alone does not give your mail a DKIM signature "
            "of your own domain"
        )
        return ChecklistItem(CheckKey.DOMAIN_DKIM, title, FAIL, evidence, fix)
    statuses, seen, fixes = [], [], []
    for domain in verified:
        status, fix = _dkim_state(domain)
        statuses.append(status)
        signing = "signing enabled" if domain.dkim_signing_enabled else "signing disabled"
        seen.append(f"{domain.domain}: DKIM {domain.dkim_status.value}, {signing}")
        if fix:
            fixes.append(fix)
    evidence = "; ".join(seen) + (f" (not verified: {unverified})" if unverified else "")
    status = _combine(statuses)
    return ChecklistItem(CheckKey.DOMAIN_DKIM, title, status, evidence, "; ".join(fixes))


def _dkim_state(domain: DomainFacts) -> tuple[CheckStatus, str]:
    status, fix = _dkim_record_state(domain)
    if domain.dkim_signing_enabled:
        return status, fix
    signing = (
        f"enable DKIM signing for {domain.domain} (PutEmailIdentityDkimAttributes SigningEnabled=true); "
        "until then its mail goes out unsigned"
    )
    return FAIL, f"{fix}; {signing}" if fix else signing


def _dkim_record_state(domain: DomainFacts) -> tuple[CheckStatus, str]:
    name, dkim = domain.domain, domain.dkim_status
    if dkim is VerificationStatus.SUCCESS:
        return PASS, ""
    if dkim is VerificationStatus.PENDING:
        return WARN, (
            f"the DKIM records of {name} are not seen yet: check that the CNAME records from "
            "GetEmailIdentity are published exactly, then wait for the next check"
        )
    if dkim is VerificationStatus.TEMPORARY_FAILURE:
        return WARN, (
            f"the DKIM records of {name} could not be confirmed at the last check (removed, or DNS did "
            "not answer): make sure they are still published"
        )
    if dkim is VerificationStatus.FAILED:
        return FAIL, (
            f"DKIM for {name} failed (records not found within 72 hours): publish the CNAME records and "
            "start DKIM verification again"
        )
    return FAIL, f"set up DKIM for {name} (Easy DKIM, or bring your own key) and publish its records"


def check_spf_dmarc(domains: Sequence[DomainFacts]) -> ChecklistItem:
    title = "SPF and DMARC published and aligned"
    verified = [d for d in domains if d.verified]
    if not verified:
        fix = "Verify a domain first (see the DKIM item), then publish SPF and DMARC for it"
        return ChecklistItem(CheckKey.SPF_DMARC, title, FAIL, "No verified domain to check", fix)
    statuses, seen, fixes = [], [], []
    for domain in verified:
        problems, concerns = _authentication_findings(domain)
        statuses.append(FAIL if problems else WARN if concerns else PASS)
        fixes.extend(problems + concerns)
        spf = "SPF " + ("published" if domain.spf_published else "missing")
        if domain.spf_published:
            spf += ", aligned" if domain.spf_aligned else ", not aligned"
        dmarc = "DMARC " + (f"p={domain.dmarc_policy or 'none'}" if domain.dmarc_published else "missing")
        if domain.dmarc_published:
            dmarc += ", aligned" if domain.dmarc_aligned else ", mail fails it"
        seen.append(f"{domain.domain}: {spf}; {dmarc}")
    return ChecklistItem(CheckKey.SPF_DMARC, title, _combine(statuses), " | ".join(seen), "; ".join(fixes))


def _authentication_findings(domain: DomainFacts) -> tuple[list[str], list[str]]:
    """What must change (problems) and what should (concerns) for one domain."""
    name = domain.domain
    problems, concerns = [], []
    if not domain.spf_published:
        problems.append(f"publish an SPF record for {name}'s MAIL FROM domain that authorizes this server")
    if not domain.dmarc_published:
        problems.append(f'publish a DMARC record at _dmarc.{name}, e.g. "v=DMARC1; p=none; rua=mailto:…"')
    elif not domain.dmarc_aligned:
        problems.append(
            f"mail from {name} fails DMARC: neither DKIM nor SPF is aligned with it; get DKIM working for "
            f"{name} or set a custom MAIL FROM domain under it"
        )
    if domain.spf_published and not domain.spf_aligned:
        concerns.append(
            f"SPF is not aligned for {name} (the MAIL FROM domain is not under it): set a custom MAIL FROM "
            f"domain such as mail.{name} (PutEmailIdentityMailFromAttributes) with its MX and SPF records"
        )
    if domain.dmarc_published and (domain.dmarc_policy or "none") == "none":
        concerns.append(
            f"the DMARC policy of {name} is p=none (monitoring only): move to quarantine or reject once "
            "the aggregate reports show only your own mail"
        )
    return problems, concerns


def check_feedback_handling(facts: ReviewFacts) -> ChecklistItem:
    title = "Bounce and complaint handling"
    destinations = facts.feedback_destinations
    suppressed = facts.suppressed_reasons
    handled = {
        "bounces": SuppressionReason.BOUNCE in suppressed
        or any(d.working and d.covers_bounce for d in destinations),
        "complaints": SuppressionReason.COMPLAINT in suppressed
        or any(d.working and d.covers_complaint for d in destinations),
    }
    seen = [_destination_state(d) for d in destinations] or ["no event destination or notification topic"]
    reasons = ", ".join(sorted(r.value for r in suppressed))
    seen.append(f"account suppression list: {reasons}" if suppressed else "account suppression list: off")
    count = sum(handled.values())
    status = PASS if count == 2 else WARN if count == 1 else FAIL
    fixes = []
    if status is not PASS:
        for broken in (d for d in destinations if not d.working):
            if not broken.subscription_confirmed:
                fixes.append(f"confirm the subscription of {broken.name}")
            else:
                fixes.append(f"{broken.name} does not answer: make the endpoint reachable")
        for kind, reason, event in (
            ("bounces", SuppressionReason.BOUNCE, "Bounce"),
            ("complaints", SuppressionReason.COMPLAINT, "Complaint"),
        ):
            if not handled[kind]:
                fixes.append(
                    f"nothing handles {kind}: send {event} events to an event destination with a confirmed "
                    f"subscription, or add {reason.value} to the account suppression list "
                    "(PutAccountSuppressionAttributes)"
                )
    return ChecklistItem(CheckKey.BOUNCE_COMPLAINT_HANDLING, title, status, "; ".join(seen), "; ".join(fixes))


def _destination_state(destination: FeedbackDestination) -> str:
    events = [
        event
        for event, covered in (
            ("Bounce", destination.covers_bounce),
            ("Complaint", destination.covers_complaint),
        )
        if covered
    ]
    covers = ", ".join(events) or "neither Bounce nor Complaint"
    confirmed = "confirmed" if destination.subscription_confirmed else "not confirmed"
    reachable = "reachable" if destination.reachable else "not reachable"
    return f"{destination.name} ({covers}; subscription {confirmed}, {reachable})"


def check_unsubscribe(mail_type: MailType, facts: ReviewFacts, criteria: ReviewCriteria) -> ChecklistItem:
    title = "Unsubscribe mechanism"
    if mail_type is MailType.TRANSACTIONAL:
        return ChecklistItem(CheckKey.UNSUBSCRIBE, title, PASS, "Not required for transactional mail")
    total, with_header = facts.recent_messages, facts.recent_messages_with_list_unsubscribe
    how = (
        "add a List-Unsubscribe header (a mailto: and an https: link) and "
        '"List-Unsubscribe-Post: List-Unsubscribe=One-Click" (RFC 8058) to every marketing message'
    )
    if total == 0:
        evidence = "Marketing mail, but no recent mail to look for a List-Unsubscribe header in"
        fix = (
            f"Send a few messages the way you will in production (to verified or simulator addresses); {how}"
        )
        return ChecklistItem(CheckKey.UNSUBSCRIBE, title, WARN, evidence, fix)
    share = with_header / total
    evidence = (
        f"{with_header} of {total} recent messages ({_percent(share)}) carried List-Unsubscribe; "
        f"at least {_percent(criteria.min_unsubscribe_share)} expected for marketing mail"
    )
    if share >= criteria.min_unsubscribe_share:
        return ChecklistItem(CheckKey.UNSUBSCRIBE, title, PASS, evidence)
    status = WARN if with_header else FAIL
    return ChecklistItem(CheckKey.UNSUBSCRIBE, title, status, evidence, how[:1].upper() + how[1:])


def check_sandbox_history(facts: ReviewFacts, criteria: ReviewCriteria) -> ChecklistItem:
    title = "Sandbox sending history"
    history = facts.sandbox
    evidence = (
        f"bounce rate {_percent(history.bounce_rate)} and complaint rate {_percent(history.complaint_rate)} "
        f"over {history.eligible_messages} eligible messages "
        f"(review at {_percent(history.bounce_review_threshold)} / "
        f"{_percent(history.complaint_review_threshold)}, pause at "
        f"{_percent(history.bounce_pause_threshold)} / {_percent(history.complaint_pause_threshold)}); "
        f"{facts.content_flags} messages flagged by content checks"
    )
    problems = []
    if facts.content_flags:
        problems.append(
            f"{facts.content_flags} messages were flagged by the content checks: look at what was flagged "
            "and change that content before sending it again"
        )
    enough = history.eligible_messages >= criteria.min_sandbox_messages
    if enough:
        for rate, review, pause, kind, remedy in (
            (
                history.bounce_rate,
                history.bounce_review_threshold,
                history.bounce_pause_threshold,
                "bounce",
                "remove addresses that bounced and send only to addresses confirmed by their owners",
            ),
            (
                history.complaint_rate,
                history.complaint_review_threshold,
                history.complaint_pause_threshold,
                "complaint",
                "send only to people who asked for the mail and make unsubscribing easy",
            ),
        ):
            if rate >= review:
                line = (
                    f"the {kind} rate {_percent(rate)} is at or over the {_percent(review)} review threshold"
                )
                if rate >= pause:
                    line += f" and the {_percent(pause)} pause threshold"
                problems.append(f"{line}: {remedy}")
    if problems:
        return ChecklistItem(CheckKey.SANDBOX_HISTORY, title, FAIL, evidence, "; ".join(problems))
    if not enough:
        evidence = f"Too little volume to tell: {evidence}; at least {criteria.min_sandbox_messages} needed"
        fix = (
            f"Send at least {criteria.min_sandbox_messages} real messages from the sandbox (to verified "
            "recipients) so the bounce and complaint rates mean something"
        )
        return ChecklistItem(CheckKey.SANDBOX_HISTORY, title, WARN, evidence, fix)
    return ChecklistItem(CheckKey.SANDBOX_HISTORY, title, PASS, evidence[:1].upper() + evidence[1:])


def _percent(fraction: float) -> str:
    """0.05 → "5%", 0.001 → "0.1%", 0.0123 → "1.23%"."""
    return f"{fraction * 100:.2f}".rstrip("0").rstrip(".") + "%"
