"""Complaints: RFC 5965 feedback reports (`multipart/report; report-type=feedback-report`, as Yahoo, AOL
and Outlook.com send them), and the older Microsoft JMRP format (the reported message attached from
staff@hotmail.com, the complainant in `X-HmXmrOriginalRecipient`)."""

from __future__ import annotations

import re
from email.message import Message

from postwarden.feedback.mime import (
    OriginalHeaders,
    address_in,
    addresses_in,
    field_blocks,
    header,
    headers,
    original_headers,
    parse_date,
    report_parts,
)
from postwarden.feedback.report import FeedbackKind, FeedbackReport, RecipientReport

FEEDBACK_PART = "message/feedback-report"
_REDACTED_LOCAL_PART = re.compile(r"(redacted|removed|anonymi[sz]ed|x+|\*+)", re.IGNORECASE)
_JMRP_SUBJECT = re.compile(r"^complaint about message from\s+(\S+)", re.IGNORECASE)
_JMRP_RECIPIENT = "X-HmXmrOriginalRecipient"


def feedback_report_part(message: Message) -> Message | None:
    return next((p for p in report_parts(message) if p.get_content_type() == FEEDBACK_PART), None)


def read_feedback_report(message: Message, report_part: Message) -> FeedbackReport:
    problems: list[str] = []
    blocks = field_blocks(report_part)
    fields = blocks[0] if blocks else Message()
    feedback_type = (header(fields, "Feedback-Type") or "").lower() or None
    if feedback_type is None:
        problems.append("the feedback report has no Feedback-Type")
    rcpt_to = addresses_in(headers(fields, "Original-Rcpt-To"))
    original = original_headers(message)
    if original.headers is None:
        problems.append("the feedback report does not include the reported message or its headers")
    received = header(fields, "Arrival-Date") or header(fields, "Received-Date")
    return FeedbackReport(
        kind=FeedbackKind.COMPLAINT,
        recipients=_complainants(rcpt_to, original, problems),
        reporting_mta=header(fields, "Reporting-MTA"),
        original_message_id=original.message_id,
        original_return_path=original.return_path,
        original_to=original.to,
        arrival_date=parse_date(received, problems, "Arrival-Date"),
        feedback_type=feedback_type,
        user_agent=header(fields, "User-Agent"),
        source_ip=header(fields, "Source-IP"),
        original_rcpt_to=rcpt_to,
        original_mail_from=address_in(header(fields, "Original-Mail-From")),
        problems=tuple(problems),
    )


def is_legacy_jmrp(message: Message) -> bool:
    subject = header(message, "Subject") or ""
    sender = (address_in(header(message, "From")) or "").lower()
    attached = original_headers(message).headers
    if attached is None:
        return False
    return header(attached, _JMRP_RECIPIENT) is not None or (
        sender == "staff@hotmail.com" and _JMRP_SUBJECT.match(subject) is not None
    )


def read_legacy_jmrp(message: Message) -> FeedbackReport:
    problems: list[str] = []
    original = original_headers(message)
    reported = address_in(header(original.headers, _JMRP_RECIPIENT)) if original.headers else None
    subject = _JMRP_SUBJECT.match(header(message, "Subject") or "")
    return FeedbackReport(
        kind=FeedbackKind.COMPLAINT,
        recipients=_complainants((reported,) if reported else (), original, problems),
        original_message_id=original.message_id,
        original_return_path=original.return_path,
        original_to=original.to,
        arrival_date=parse_date(header(message, "Date"), problems, "Date"),
        feedback_type="abuse",
        source_ip=subject.group(1) if subject else None,
        problems=tuple(problems),
    )


def _complainants(
    rcpt_to: tuple[str, ...], original: OriginalHeaders, problems: list[str]
) -> tuple[RecipientReport, ...]:
    """Who complained: `Original-Rcpt-To`, else Microsoft's recipient header, else the reported message's
    `To` (providers often redact it; a redacted address names nobody)."""
    jmrp = address_in(header(original.headers, _JMRP_RECIPIENT)) if original.headers else None
    candidates = rcpt_to or ((jmrp,) if jmrp else original.to)
    named = tuple(a for a in candidates if not _REDACTED_LOCAL_PART.fullmatch(a.rpartition("@")[0]))
    if len(named) < len(candidates):
        problems.append("the complainant's address is redacted")
    if not named:
        problems.append("no complainant address in the report")
    return tuple(RecipientReport(final_recipient=address) for address in named)
