"""RFC 3834 automatic replies (vacation, out of office) sent back to the return path. They say the
message arrived, so they are never bounces; SES does not count them in the bounce rate either."""

from __future__ import annotations

import re
from email.message import Message

from postwarden.feedback.mime import address_in, header, message_id_value, parse_date
from postwarden.feedback.report import FeedbackKind, FeedbackReport, RecipientReport

_VACATION_SUBJECT = re.compile(
    r"^\s*(\[?auto(matic)?[ -]?(reply|response|antwort|responder)\b|auto:|out of (the )?office|\booo\b|"
    r"vacation|on holiday|away from (the )?office|abwesen|r[ée]ponse automatique|absence|"
    r"respuesta autom[aá]tica|fuera de la oficina|risposta automatica|fuori sede|automatisch antwoord|"
    r"afwezig)",
    re.IGNORECASE,
)
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|fw|fwd)\s*:\s*)+", re.IGNORECASE)
_AUTORESPONDER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Vacation")


def auto_reply_signals(message: Message) -> tuple[list[str], list[str]]:
    """(strong, weak) evidence that the message is an automatic reply. `Auto-Submitted: auto-replied` is
    weak: mailer-daemons set it on their bounces too."""
    strong: list[str] = []
    weak: list[str] = []
    for name in _AUTORESPONDER_HEADERS:
        value = (header(message, name) or "").lower()
        if value and value not in ("no", "false", "0"):
            strong.append(f"{name}: {value}")
    precedence = (header(message, "Precedence") or header(message, "X-Precedence") or "").lower()
    if precedence == "auto_reply":
        strong.append(f"Precedence: {precedence}")
    subject = header(message, "Subject") or ""
    if _VACATION_SUBJECT.match(_REPLY_PREFIX.sub("", subject)):
        strong.append(f"subject {subject!r}")
    submitted_token = re.match(r"\s*([\w-]+)", header(message, "Auto-Submitted") or "")
    submitted = submitted_token.group(1).lower() if submitted_token else ""
    replying = header(message, "In-Reply-To") or header(message, "References")
    if submitted == "auto-replied" or (submitted == "auto-generated" and replying):
        weak.append(f"Auto-Submitted: {submitted}")
    return strong, weak


def read_auto_reply(message: Message) -> FeedbackReport:
    problems: list[str] = []
    replied_to = message_id_value(header(message, "In-Reply-To"))
    if replied_to is None:
        references = re.findall(r"<[^<>\s]+>", header(message, "References") or "")
        replied_to = message_id_value(references[-1]) if references else None
    if replied_to is None:
        problems.append("the auto-reply names no original message (no In-Reply-To or References)")
    author = address_in(header(message, "From"))
    return FeedbackReport(
        kind=FeedbackKind.AUTO_REPLY,
        recipients=(RecipientReport(final_recipient=author),) if author else (),
        original_message_id=replied_to,
        arrival_date=parse_date(header(message, "Date"), problems, "Date"),
        problems=tuple(problems),
    )
