"""Bounces that are not RFC 3464 reports: Exim's "Mail delivery failed", qmail's QSBMF, Yahoo's and old
Exchange's plain-text notices. They share a layout: an explanation, then each failed address on a line
of its own followed by the remote server's words, then a copy of the message after a marker line."""

from __future__ import annotations

import itertools
import re
from email.message import Message

from postwarden.domain.bounce_classification import classify_failure
from postwarden.feedback.mime import (
    address_in,
    addresses_in,
    body_text,
    header,
    headers,
    inline_original_headers,
    original_headers,
    parse_date,
)
from postwarden.feedback.report import FeedbackKind, FeedbackReport, RecipientReport

_ADDR = r"[^\s<>()\[\]\"';,:]+@[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]"
_ADDRESS_LINE = re.compile(
    rf"^\s*<?(?P<address>{_ADDR})>?(?::?\s*$|:\s+(?P<rest>\S.*)$|\s+on\s+\d.*$)", re.MULTILINE
)
_COPY_MARKER = re.compile(
    r"^[ \t]*(-{2,}+[^\n]{0,100}?(copy of (the|your) message|original message|message follows"
    r"|undelivered message|returned message|message headers)|original message headers:"
    r"|-+ ?transcript of session follows)",
    re.IGNORECASE | re.MULTILINE,
)
_SERVER_WORDS = re.compile(r"^.*(?<![\w.#\[])([245]\d\d[ :-]|#?[245]\.\d{1,3}\.\d{1,3}\b).*$", re.MULTILINE)
_BOUNCE_SENDER = re.compile(r"^(mailer[-_]?daemon|postmaster|mail[-_]?daemon|mdaemon)$", re.IGNORECASE)
_BOUNCE_SENDER_NAME = re.compile(r"mail delivery (system|subsystem)|mailer[- ]daemon", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status notification|failure|failed|has failed|problem|notification)"
    r"|mail delivery failed|returned mail|failure notice|could not be delivered|non[- ]?delivery"
    r"|delivery report|delayed mail|warning: message .* delayed",
    re.IGNORECASE,
)
_DELAY_SUBJECT = re.compile(r"\bdelay(ed)?\b", re.IGNORECASE)
_DELAY_BODY = re.compile(
    r"has not yet been delivered|not been delivered yet|still being retried|will (continue|keep) (trying|"
    r"to try)|no action is required on your part",
    re.IGNORECASE,
)
_READ_AT_MOST = 256 * 1024
"""The explanation comes first; a returned copy of a large message need not be scanned to its end."""
_PERMANENT_BODY = re.compile(r"permanent (error|failure)|given up|could not be delivered", re.IGNORECASE)


def looks_like_bounce(message: Message) -> bool:
    """Sent by a mail system about a delivery: the mailer-daemon or postmaster, Exim's
    `X-Failed-Recipients`, or a delivery-failure subject."""
    sender = header(message, "From") or ""
    local = (address_in(sender) or "").rpartition("@")[0]
    return bool(
        _BOUNCE_SENDER.match(local)
        or _BOUNCE_SENDER_NAME.search(sender)
        or message.get("X-Failed-Recipients") is not None
        or _BOUNCE_SUBJECT.search(header(message, "Subject") or "")
    )


def read_plain_bounce(message: Message) -> FeedbackReport | None:
    """The report for a non-standard bounce, or None when no failure detail can be found in it."""
    problems: list[str] = []
    text = body_text(message)[:_READ_AT_MOST]
    marker = _COPY_MARKER.search(text)
    explanation = text[: marker.start()] if marker else text
    delayed = _is_delay(message, explanation)
    action = "delayed" if delayed else "failed"
    entries = _address_blocks(explanation)
    if not entries:
        words = " ".join(m.group(0).strip() for m in _SERVER_WORDS.finditer(explanation)) or None
        failed = addresses_in(headers(message, "X-Failed-Recipients"))
        entries = [(address, words) for address in failed]
        if not entries and words:
            problems.append("no failed address found in the bounce text")
            entries = [(None, words)]
    if not entries:
        return None
    original = original_headers(message)
    if original.headers is None:
        original = inline_original_headers(text[marker.start() :] if marker else text)
    if original.message_id is None:
        problems.append("no copy of the original message headers")
    return FeedbackReport(
        kind=FeedbackKind.DELAY if delayed else FeedbackKind.BOUNCE,
        recipients=tuple(_recipient(address, words, action) for address, words in entries),
        original_message_id=original.message_id,
        original_return_path=original.return_path,
        original_to=original.to,
        arrival_date=parse_date(header(message, "Date"), problems, "Date"),
        problems=tuple(problems),
    )


def _recipient(address: str | None, words: str | None, action: str) -> RecipientReport:
    classification = classify_failure(None, words)
    return RecipientReport(
        final_recipient=address,
        action=action,
        status=classification.status,
        diagnostic_code=words,
        classification=classification,
    )


def _is_delay(message: Message, explanation: str) -> bool:
    if _PERMANENT_BODY.search(explanation):
        return False
    return bool(_DELAY_SUBJECT.search(header(message, "Subject") or "") or _DELAY_BODY.search(explanation))


def _address_blocks(explanation: str) -> list[tuple[str | None, str | None]]:
    """Each address standing on a line of its own, with the lines that follow it up to a blank line or
    the next address: what the remote server said about it."""
    lines = explanation.splitlines()
    found: list[tuple[str | None, str | None]] = []
    seen: set[str] = set()
    for index, line in enumerate(lines):
        match = _ADDRESS_LINE.match(line)
        if match is None:
            continue
        words = [match.group("rest")] if match.group("rest") else []
        for following in itertools.islice(lines, index + 1, None):
            if not following.strip() or _ADDRESS_LINE.match(following):
                break
            words.append(following.strip())
        address = match.group("address")
        if address.lower() not in seen:
            seen.add(address.lower())
            found.append((address, " ".join(words) or None))
    return found
