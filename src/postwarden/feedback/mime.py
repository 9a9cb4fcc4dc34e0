"""Tolerant helpers over the stdlib `email` package (compat32 policy: it never raises while parsing, and
splits `message/delivery-status` into its field blocks). Nothing here raises on malformed input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

_FOLD = re.compile(r"\r?\n[ \t]+")
_ADDRESS = re.compile(r"[^\s<>()\[\]\"';,:]+@[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]")
_MESSAGE_ID_LINE = re.compile(r"^message-id:\s*(\S.*)$", re.IGNORECASE | re.MULTILINE)


def header(message: Message, name: str) -> str | None:
    """A header's value, RFC 2047-decoded and unfolded; None when absent or blank."""
    return _clean(message.get(name))


def headers(message: Message, name: str) -> list[str]:
    return [v for v in (_clean(raw) for raw in message.get_all(name, [])) if v]


def _clean(raw: object) -> str | None:
    if raw is None:
        return None
    text = str(raw)
    with suppress(LookupError, UnicodeError, ValueError):  # undecodable encoded-words: keep the raw text
        text = str(make_header(decode_header(text)))
    return _FOLD.sub(" ", _valid_unicode(text)).strip() or None


def _valid_unicode(text: str) -> str:
    """Raw 8-bit bytes (kept by the parser as surrogate escapes) read as UTF-8; lone surrogates replaced."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def report_parts(message: Message) -> Iterator[Message]:
    """The message and its MIME parts, without descending into attached messages (`message/*`)."""
    yield message
    if message.get_content_maintype() == "multipart" and isinstance(payload := message.get_payload(), list):
        for part in payload:
            if isinstance(part, Message):
                yield from report_parts(part)


def field_blocks(part: Message) -> list[Message]:
    """The blocks of fields of a `message/delivery-status` or `message/feedback-report` part.

    compat32 splits `message/delivery-status` into one pseudo-message per block; other subtypes (global
    delivery status, feedback reports) arrive as one pseudo-message whose body holds any further blocks.
    """
    payload = part.get_payload()
    if isinstance(payload, str):
        return _parse_blocks(decoded_text(part))
    blocks: list[Message] = []
    for block in payload:
        if not isinstance(block, Message):
            continue
        if block.keys():
            blocks.append(block)
        rest = block.get_payload()
        if isinstance(rest, str) and rest.strip():
            blocks.extend(_parse_blocks(rest))
    return blocks


def _parse_blocks(text: str) -> list[Message]:
    parser = HeaderParser(policy=compat32)
    chunks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [block for block in (parser.parsestr(c.strip("\r\n") + "\n") for c in chunks) if block.keys()]


def decoded_text(part: Message) -> str:
    """A leaf part's body as text (transfer encoding undone, charset applied, bad bytes replaced)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, non-text or broken codecs
        text = payload.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")


def body_text(message: Message) -> str:
    """All `text/plain` parts of the report (attached messages excluded), or the HTML ones stripped of
    tags when there is no plain text."""
    leaves = [p for p in report_parts(message) if not p.is_multipart()]
    plain = [decoded_text(p) for p in leaves if p.get_content_type() == "text/plain"]
    if any(t.strip() for t in plain):
        return "\n".join(plain)
    html = [decoded_text(p) for p in leaves if p.get_content_type() == "text/html"]
    return re.sub(r"<[^>]*>", " ", "\n".join(html))


def address_in(value: str | None) -> str | None:
    """The address in `rfc822; <a@b>`, `<a@b>` or `Name <a@b>` form."""
    if not value:
        return None
    kind, semicolon, rest = value.partition(";")
    if semicolon and "@" not in kind:
        value = rest
    found = _ADDRESS.search(value)
    return found.group(0).strip(".") if found else None


def addresses_in(values: list[str]) -> tuple[str, ...]:
    found = (address_in(f"<{addr}>") for _name, addr in getaddresses(values))
    return tuple(a for a in found if a)


def parse_date(value: str | None, problems: list[str], what: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        problems.append(f"unreadable {what}: {value!r}")
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def message_id_value(value: str | None) -> str | None:
    """A Message-ID without its angle brackets and whitespace."""
    if not value:
        return None
    found = re.search(r"<([^<>\s]+)>", value)
    bare = found.group(1) if found else value.strip().split()[0]
    return bare or None


@dataclass(frozen=True, slots=True)
class OriginalHeaders:
    """What the returned copy (or header excerpt) of our message tells about it."""

    message_id: str | None = None
    return_path: str | None = None
    to: tuple[str, ...] = ()
    headers: Message | None = None


def original_headers(message: Message) -> OriginalHeaders:
    """From a `message/rfc822` (or `message/global`) part, or a `text/rfc822-headers` one."""
    for part in report_parts(message):
        kind = part.get_content_type()
        found: Message | None = None
        if kind in ("message/rfc822", "message/global") and isinstance(payload := part.get_payload(), list):
            found = next((p for p in payload if isinstance(p, Message)), None)
        elif kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            found = HeaderParser(policy=compat32).parsestr(decoded_text(part).lstrip())
        if found is not None and found.keys():
            return headers_of(found)
    return OriginalHeaders()


def headers_of(found: Message) -> OriginalHeaders:
    return OriginalHeaders(
        message_id_value(header(found, "Message-ID")),
        address_in(header(found, "Return-Path")),
        addresses_in(headers(found, "To")),
        found,
    )


def inline_original_headers(text: str) -> OriginalHeaders:
    """The header block, quoted in a plain-text bounce, that holds a `Message-ID:` line."""
    match = _MESSAGE_ID_LINE.search(text)
    if match is None:
        return OriginalHeaders()
    start = text.rfind("\n\n", 0, match.start())
    end = text.find("\n\n", match.end())
    block = text[start + 2 if start >= 0 else 0 : end if end >= 0 else len(text)]
    lines = [line.strip() if not line[:1].isspace() else line for line in block.splitlines()]
    parsed = HeaderParser(policy=compat32).parsestr("\n".join(lines) + "\n")
    if header(parsed, "Message-ID") is None:  # the block did not parse as headers: keep the one line
        return OriginalHeaders(message_id_value(match.group(1)))
    return headers_of(parsed)
