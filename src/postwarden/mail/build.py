"""Building a complete RFC 5322 / MIME message from SES ``Simple`` content (v2) or v1 ``SendEmail``.

The message is written directly as bytes (about 20x faster than :class:`email.message.EmailMessage`):
CRLF line ends, headers folded to 78 characters where possible and never beyond 998, non-ASCII header
text as RFC 2047 encoded-words, bodies 7bit / quoted-printable / base64 (see
:mod:`postwarden.mail.bodies`). Structure::

    text or html only          text/plain | text/html
    text and html              multipart/alternative
    inline attachments + html  multipart/related (the body first, then the inline parts)
    other attachments          multipart/mixed (the body first, then the attachments)

Boundaries are derived from the Message-ID (deterministic output for a given input), start with
``=_`` (which quoted-printable and base64 can never produce at the start of a line) and are checked
against every 7bit part.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime

from postwarden.mail.addresses import Address, parse_address
from postwarden.mail.attachments import Attachment, Part, render_attachment
from postwarden.mail.bodies import encode_text
from postwarden.mail.errors import InvalidHeaderError
from postwarden.mail.headers import (
    SINGLE_INSTANCE_HEADERS,
    address_tokens,
    fold,
    format_date,
    param_header,
    text_header,
    unstructured_header,
)
from postwarden.mail.rfc2047 import resolve_charset

__all__ = ["STRUCTURAL_HEADERS", "build_simple_message", "format_message_id"]

# Headers the builder owns; extra ``Headers`` may not set them (nor any ``Content-*``).
STRUCTURAL_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "message-id", "date", "mime-version"})

_HEADER_NAME = re.compile(r"[!-9;-~]{1,126}")
_HEADER_VALUE = re.compile(r"[ -~]{1,995}")
_MSG_ID_PART = r"[!-;=?-~]+@[!-;=?-~]+"
_MESSAGE_ID = re.compile(rf"<({_MSG_ID_PART})>|({_MSG_ID_PART})")


def format_message_id(message_id: str) -> str:
    """``id@domain`` or ``<id@domain>`` -> ``<id@domain>``. Raises :class:`InvalidHeaderError`."""
    match = _MESSAGE_ID.fullmatch(message_id)
    if match is None or len(message_id) > 900:
        raise InvalidHeaderError(f"Invalid Message-ID: {message_id!r}")
    return f"<{match.group(1) or match.group(2)}>"


def _addresses(values: Sequence[Address | str]) -> list[Address]:
    return [value if isinstance(value, Address) else parse_address(value) for value in values]


def _address_header(name: str, addresses: list[Address]) -> str:
    return fold(name, address_tokens(addresses, first_limit=min(75, 78 - len(name) - 2)))


def _extra_headers(headers: Sequence[tuple[str, str]], has_reply_to: bool) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for name, value in headers:
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidHeaderError(f"Invalid header name: {name!r}")
        if not _HEADER_VALUE.fullmatch(value):
            raise InvalidHeaderError(f"Invalid value for header {name}: {value[:64]!r}")
        if len(name) + len(value) > 996:
            raise InvalidHeaderError(f"Header {name}: name and value exceed 996 characters")
        lower = name.lower()
        structural = lower in STRUCTURAL_HEADERS or lower.startswith("content-")
        if structural or (lower == "reply-to" and has_reply_to):
            raise InvalidHeaderError(f"Header {name} cannot be set through Headers")
        if lower in seen and lower in SINGLE_INSTANCE_HEADERS:
            raise InvalidHeaderError(f"Header {name} can't appear more than once")
        seen.add(lower)
        lines.append(text_header(name, value))
    return lines


def _text_part(subtype: str, text: str, charset: str | None) -> Part:
    label, codec = resolve_charset(charset)
    body, cte = encode_text(text, codec)
    return f"Content-Type: text/{subtype}; charset={label}\r\nContent-Transfer-Encoding: {cte}\r\n", [body]


def _multipart(
    subtype: str, boundary: str, parts: list[Part], params: Sequence[tuple[str, str]] = ()
) -> Part:
    delimiter = b"--" + boundary.encode("ascii")
    chunks: list[bytes] = []
    for header, body in parts:
        chunks.append(delimiter)
        chunks.append(b"\r\n")
        chunks.append(header.encode("ascii"))
        chunks.append(b"\r\n")
        chunks.extend(body)
        chunks.append(b"\r\n")
    chunks.append(delimiter)
    chunks.append(b"--\r\n")
    header = param_header("Content-Type", f"multipart/{subtype}", [*params, ("boundary", boundary)])
    return header, chunks


def _boundary_token(message_id: str, parts: list[Part]) -> str:
    """24 hex digits from the Message-ID, re-derived in the (crafted) case a 7bit part contains it."""
    seed = message_id.encode("utf-8", "replace")
    for attempt in range(100):
        token = hashlib.blake2b(seed + str(attempt).encode(), digest_size=12).hexdigest()
        needle = token.encode("ascii")
        if not any(needle in chunk for header, body in parts if "7bit" in header for chunk in body):
            return token
    raise RuntimeError("could not find a MIME boundary")  # pragma: no cover - 100 crafted collisions


def _content_type(part: Part) -> str:
    first = part[0].split("\r\n", 1)[0]
    return first.split(":", 1)[1].split(";", 1)[0].strip()


def build_simple_message(
    *,
    from_address: Address | str,
    to: Sequence[Address | str] = (),
    cc: Sequence[Address | str] = (),
    reply_to: Sequence[Address | str] = (),
    subject: str,
    subject_charset: str | None = None,
    text: str | None = None,
    text_charset: str | None = None,
    html: str | None = None,
    html_charset: str | None = None,
    headers: Sequence[tuple[str, str]] = (),
    attachments: Sequence[Attachment] = (),
    message_id: str,
    date: datetime,
) -> bytes:
    """Build the message SES would send for ``Simple`` content. Bcc recipients never appear.

    Addresses may be given as :class:`Address` or as text (parsed with :func:`parse_address`).
    ``headers`` are the extra ``Headers`` (validated against the SES model; structural headers cannot
    be replaced). Raises :class:`InvalidAddressError`, :class:`InvalidHeaderError` or
    :class:`InvalidContentError`.
    """
    lines: list[str] = [_address_header("From", _addresses([from_address]))]
    if reply_to:
        lines.append(_address_header("Reply-To", _addresses(reply_to)))
    if to:
        lines.append(_address_header("To", _addresses(to)))
    if cc:
        lines.append(_address_header("Cc", _addresses(cc)))
    label, codec = resolve_charset(subject_charset)
    lines.append(unstructured_header("Subject", subject, label, codec))
    lines.append(f"Message-ID: {format_message_id(message_id)}\r\n")
    lines.append(f"Date: {format_date(date)}\r\nMIME-Version: 1.0\r\n")
    lines.extend(_extra_headers(headers, bool(reply_to)))

    bodies: list[Part] = []
    if text is not None:
        bodies.append(_text_part("plain", text, text_charset))
    if html is not None:
        bodies.append(_text_part("html", html, html_charset))
    if not bodies and not attachments:
        bodies.append(_text_part("plain", "", text_charset))
    rendered = [(attachment.is_inline, render_attachment(attachment)) for attachment in attachments]
    leaves = bodies + [part for _, part in rendered]
    token = _boundary_token(message_id, leaves) if len(leaves) > 1 or rendered else ""

    body: Part | None = bodies[0] if len(bodies) == 1 else None
    if len(bodies) == 2:
        body = _multipart("alternative", f"=_a{token}", bodies)
    # Inline parts belong with the HTML that references them (cid:); without HTML they go to mixed.
    others = [part for inline, part in rendered if not (inline and html is not None)]
    related = [part for inline, part in rendered if inline and html is not None]
    if related and body is not None:
        body = _multipart("related", f"=_r{token}", [body, *related], [("type", _content_type(body))])
    if others:
        body = _multipart("mixed", f"=_m{token}", [body, *others] if body is not None else others)
    assert body is not None
    head, chunks = body
    lines.append(head)
    lines.append("\r\n")
    return "".join(lines).encode("ascii") + b"".join(chunks)
