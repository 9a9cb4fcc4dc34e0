"""One entry point for whatever arrives at the feedback MX: `parse_feedback(raw) -> FeedbackReport`.

Structured reports are trusted first (RFC 5965 feedback reports, RFC 3464 delivery status), then the old
Microsoft complaint format, then explicit auto-reply markers, then the heuristics for plain-text bounces,
and last the weak auto-reply marker (`Auto-Submitted`, which bounces carry too). Anything else, and any
input the parser cannot read, is `UNKNOWN` with the reasons in `problems`: this never raises.
"""

from __future__ import annotations

import email
import logging
from email.message import Message
from email.policy import compat32

from postwarden.feedback.arf import (
    feedback_report_part,
    is_legacy_jmrp,
    read_feedback_report,
    read_legacy_jmrp,
)
from postwarden.feedback.autoreply import auto_reply_signals, read_auto_reply
from postwarden.feedback.dsn import delivery_status_part, read_delivery_status
from postwarden.feedback.mime import original_headers
from postwarden.feedback.plaintext import looks_like_bounce, read_plain_bounce
from postwarden.feedback.report import FeedbackKind, FeedbackReport

log = logging.getLogger(__name__)


def parse_feedback(raw: bytes) -> FeedbackReport:
    """Read one inbound message (as received, headers and body) into a `FeedbackReport`."""
    if not raw.strip():
        return FeedbackReport(FeedbackKind.UNKNOWN, problems=("empty message",))
    try:
        message = email.message_from_bytes(raw, policy=compat32)
        return _read(message)
    except Exception as error:  # a parser bug must not lose the message: report it as unreadable
        log.warning("unreadable feedback message", exc_info=True)
        return FeedbackReport(
            FeedbackKind.UNKNOWN, problems=(f"unreadable message: {type(error).__name__}: {error}",)
        )


def _read(message: Message) -> FeedbackReport:
    if not message.keys():
        return FeedbackReport(FeedbackKind.UNKNOWN, problems=("no headers: not an email message",))
    if (report_part := feedback_report_part(message)) is not None:
        return read_feedback_report(message, report_part)
    status_part = delivery_status_part(message)
    if status_part is not None:
        report = read_delivery_status(message, status_part)
        if report.kind is not FeedbackKind.UNKNOWN:
            return report
    if is_legacy_jmrp(message):
        return read_legacy_jmrp(message)
    strong, weak = auto_reply_signals(message)
    if strong:
        return read_auto_reply(message)
    if looks_like_bounce(message) and (plain := read_plain_bounce(message)) is not None:
        return plain
    if weak:
        return read_auto_reply(message)
    return _unknown(message, status_part is not None)


def _unknown(message: Message, had_status_part: bool) -> FeedbackReport:
    problems = [f"MIME defect: {type(defect).__name__}" for defect in message.defects]
    if had_status_part:
        problems.append("a delivery status part without any recipient")
    elif message.get_content_type() == "multipart/report":
        report_type = message.get_param("report-type")
        problems.append(f"multipart/report ({report_type}) without a readable report part")
    elif looks_like_bounce(message):
        problems.append("looks like a bounce, but no failed address or server reply was found")
    else:
        problems.append("neither a bounce, a complaint nor an auto-reply")
    original = original_headers(message)
    return FeedbackReport(
        FeedbackKind.UNKNOWN,
        original_message_id=original.message_id,
        original_return_path=original.return_path,
        original_to=original.to,
        problems=tuple(problems),
    )
