"""Handling of caller-built messages: SES v2 ``Raw`` content, v1 ``SendRawEmail`` and SMTP DATA.

:func:`inspect_raw_message` validates a message the way SES does and extracts what the sending path
needs; :func:`rewrite_headers` edits the header section at the byte level (the body is never
re-encoded), as SES does when it strips its ``X-SES-*`` control headers and ``Bcc`` and overwrites
``Message-ID`` and ``Date``. Both accept CRLF and bare-LF line ends; the output is always CRLF.

Error texts: ``Empty header names are illegal.``, ``Illegal header '<name>'.`` and
``Missing required header 'From'.`` are what SES returns (aws/aws-sdk-js#4121,
jmhobbs/Swiftmailer-Transport--AWS-SES#13, daniel-zahariev/php-aws-ses#8); the texts for a missing
blank line and an over-long line are our own (SES documents the rules but not its wording).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from postwarden.mail.addresses import Address, parse_address_list
from postwarden.mail.errors import InvalidHeaderError, InvalidRawMessageError
from postwarden.mail.headers import text_header
from postwarden.mail.rfc2047 import decode_words

__all__ = [
    "MAX_MESSAGE_BYTES_V1",
    "MAX_MESSAGE_BYTES_V2",
    "MSG",
    "SES_OVERWRITTEN_HEADERS",
    "SES_REMOVED_HEADERS",
    "RawMessageInfo",
    "inspect_raw_message",
    "message_size",
    "rewrite_headers",
]

MAX_MESSAGE_BYTES_V2 = 40 * 1024 * 1024  # SES API v2 and SMTP, after MIME encoding
MAX_MESSAGE_BYTES_V1 = 10 * 1024 * 1024  # SES API v1
MAX_LINE_OCTETS = 998  # 1000 including CRLF (RFC 5321 §4.5.3.1.6)
SES_REMOVED_HEADERS = (
    "X-SES-SOURCE-ARN",
    "X-SES-FROM-ARN",
    "X-SES-RETURN-PATH-ARN",
    "X-SES-CONFIGURATION-SET",
    "X-SES-MESSAGE-TAGS",
    "X-SES-LIST-MANAGEMENT-OPTIONS",
    "Bcc",
)
SES_OVERWRITTEN_HEADERS = ("Message-ID", "Date")


class MSG:
    NO_SEPARATOR = "The message must contain a header and a body, separated by a blank line."
    LINE_TOO_LONG = "The message contains a line longer than 1000 characters, including CRLF (RFC 5321)."
    EMPTY_HEADER_NAME = "Empty header names are illegal."
    ILLEGAL_HEADER = "Illegal header '{}'."
    BARE_CR = "The header section contains a CR that is not part of a CRLF line end."
    MISSING_FROM = "Missing required header 'From'."


_NAME = re.compile(rb"[!-9;-~]+[ \t]*")  # RFC 5322 ftext; obsolete white space before the colon
_WSP = frozenset(b" \t")
_SET_NAME = re.compile(r"[!-9;-~]+")
_ADDRESS_FIELDS = {"from", "sender", "return-path", "to", "cc", "bcc", "reply-to"}
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RawMessageInfo:
    """What :func:`inspect_raw_message` found. Address tuples hold every occurrence of the field."""

    headers: tuple[tuple[str, str], ...]
    from_addresses: tuple[Address, ...]
    sender: tuple[Address, ...]
    return_path: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str | None
    message_id: str | None
    body_offset: int
    size: int

    def get(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), unfolded."""
        lower = name.lower()
        return next((value for key, value in self.headers if key.lower() == lower), None)

    def get_all(self, name: str) -> list[str]:
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    @property
    def recipients(self) -> tuple[Address, ...]:
        """To + Cc + Bcc, the recipients SES uses when no explicit Destinations are given."""
        return self.to + self.cc + self.bcc


def message_size(data: bytes) -> int:
    """Size in octets, as SES measures it (after MIME encoding)."""
    return len(data)


def _head(data: bytes) -> tuple[list[bytes], int]:
    """Split off the header section: its physical lines (without line ends) and the body offset.

    The blank line may be CRLF or LF (or a mix); within the section, CR may only be part of CRLF.
    """
    if data.startswith((b"\r\n", b"\n")):
        return [], 2 if data[:1] == b"\r" else 1
    crlf = data.find(b"\r\n\r\n")
    if crlf != -1:  # fast path: a CRLF-only header section cannot hide an earlier blank line
        head = data[:crlf]
        crlfs = head.count(b"\r\n")
        if head.count(b"\n") == crlfs and head.count(b"\r") == crlfs:
            return head.split(b"\r\n"), crlf + 4
    candidates: list[tuple[int, int]] = []
    if crlf != -1:
        candidates.append((crlf, crlf + 4))
    lf = data.find(b"\n\n")
    if lf != -1:
        candidates.append((lf - 1 if data[lf - 1 : lf] == b"\r" else lf, lf + 2))
    mixed = data.find(b"\n\r\n")
    if mixed != -1 and data[mixed - 1 : mixed] != b"\r":
        candidates.append((mixed, mixed + 3))
    if not candidates:
        raise InvalidRawMessageError(MSG.NO_SEPARATOR)
    head_end, body_start = min(candidates)
    head = data[:head_end]
    crs = head.count(b"\r")
    if not crs:
        return head.split(b"\n"), body_start
    if crs != head.count(b"\r\n"):
        raise InvalidRawMessageError(MSG.BARE_CR)
    return [line[:-1] if line[-1:] == b"\r" else line for line in head.split(b"\n")], body_start


def _show(raw: bytes) -> str:
    return raw[:100].decode("utf-8", "replace")


def _fields(lines: list[bytes]) -> list[tuple[bytes, list[bytes], int]]:
    """Group physical lines into fields: (name, [first line, continuation lines ...], colon index)."""
    fields: list[tuple[bytes, list[bytes], int]] = []
    name_ok = _NAME.fullmatch
    for line in lines:
        if line[0] in _WSP:
            if not fields:
                raise InvalidRawMessageError(MSG.ILLEGAL_HEADER.format(_show(line.split(b":")[0])))
            fields[-1][1].append(line)
            continue
        colon = line.find(b":")
        if colon == -1:
            raise InvalidRawMessageError(MSG.ILLEGAL_HEADER.format(_show(line)))
        name = line[:colon]
        if name_ok(name) is None:
            name = name.rstrip(b" \t")
            if not name:
                raise InvalidRawMessageError(MSG.EMPTY_HEADER_NAME)
            raise InvalidRawMessageError(MSG.ILLEGAL_HEADER.format(_show(name)))
        fields.append((name, [line], colon))
    return fields


def _check_line_lengths(data: bytes) -> None:
    start, size = 0, len(data)
    while start < size:
        end = start + _CHUNK
        if end < size:
            cut = max(data.rfind(b"\n", start, end), data.rfind(b"\r", start, end))
            if cut < start:
                raise InvalidRawMessageError(MSG.LINE_TOO_LONG)
            end = cut + 1
        if max(map(len, data[start:end].splitlines())) > MAX_LINE_OCTETS:
            raise InvalidRawMessageError(MSG.LINE_TOO_LONG)
        start = end


def _text(raw: bytes) -> str:
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def inspect_raw_message(data: bytes) -> RawMessageInfo:
    """Validate a raw message and extract its headers, addresses, Subject and Message-ID.

    Raises :class:`InvalidRawMessageError` (no blank line after the headers, a line over 1000 octets,
    a malformed header line, no From) or :class:`InvalidAddressError` (an unparsable address field).
    """
    lines, body_offset = _head(data)
    if len(data) > MAX_LINE_OCTETS:
        _check_line_lengths(data)
    headers: list[tuple[str, str]] = []
    found: dict[str, list[Address]] = {}
    subject: str | None = None
    message_id: str | None = None
    for raw_name, field_lines, colon in _fields(lines):
        raw_value = field_lines[0][colon + 1 :]
        if len(field_lines) > 1:
            raw_value = b"".join([raw_value, *field_lines[1:]])
        key = _text(raw_name.rstrip(b" \t"))
        value = _text(raw_value).strip(" \t")
        headers.append((key, value))
        lower = key.lower()
        if lower in _ADDRESS_FIELDS:
            addresses = [] if lower == "return-path" and value == "<>" else parse_address_list(value)
            found.setdefault(lower, []).extend(addresses)
        elif lower == "subject" and subject is None:
            subject = decode_words(value)
        elif lower == "message-id" and message_id is None:
            message_id = value
    if not found.get("from"):
        raise InvalidRawMessageError(MSG.MISSING_FROM)
    return RawMessageInfo(
        headers=tuple(headers),
        from_addresses=tuple(found["from"]),
        sender=tuple(found.get("sender", ())),
        return_path=tuple(found.get("return-path", ())),
        to=tuple(found.get("to", ())),
        cc=tuple(found.get("cc", ())),
        bcc=tuple(found.get("bcc", ())),
        reply_to=tuple(found.get("reply-to", ())),
        subject=subject,
        message_id=message_id,
        body_offset=body_offset,
        size=len(data),
    )


def _crlf_body(body: bytes) -> bytes:
    crlf = body.count(b"\r\n")
    if body.count(b"\n") == crlf and body.count(b"\r") == crlf:
        return body
    return body.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


def rewrite_headers(data: bytes, *, remove: Iterable[str], set_headers: Sequence[tuple[str, str]]) -> bytes:
    """Drop the ``remove`` headers (all occurrences, continuation lines included; case-insensitive),
    then set ``set_headers``: each replaces the first existing field of that name in place (later
    ones are dropped) or, if absent, is prepended. The body is copied, only its line ends normalised.

    Raises :class:`InvalidRawMessageError` for an unparsable header section and
    :class:`InvalidHeaderError` for a bad name or value in ``set_headers``.
    """
    rendered: dict[str, list[bytes]] = {}
    for name, value in set_headers:
        if not _SET_NAME.fullmatch(name):
            raise InvalidHeaderError(f"Invalid header name: {name!r}")
        rendered.setdefault(name.lower(), []).append(text_header(name, value).encode("ascii"))
    dropped = {name.lower() for name in remove}
    lines, body_offset = _head(data)
    out: list[bytes] = []
    placed: set[str] = set()
    for raw_name, field_lines, _ in _fields(lines):
        lower = raw_name.rstrip(b" \t").decode("ascii").lower()
        if lower in rendered:
            if lower not in placed:
                out.extend(rendered[lower])
                placed.add(lower)
            continue
        if lower in dropped:
            continue
        out.append(b"\r\n".join(field_lines) if len(field_lines) > 1 else field_lines[0])
        out.append(b"\r\n")
    prepend = [line for lower, values in rendered.items() if lower not in placed for line in values]
    return b"".join([*prepend, *out, b"\r\n", _crlf_body(data[body_offset:])])
