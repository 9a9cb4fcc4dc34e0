"""Rendering of header fields: folding (RFC 5322 §2.2.3), encoded text, address lists, parameters
(RFC 2045 / RFC 2231) and dates.

Every function returns complete header lines as ``str`` ending in CRLF, folded at existing white space
to at most 78 characters where the content allows it and never beyond 998. Non-ASCII text is written
as RFC 2047 encoded-words, so the result is always pure ASCII.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote

from postwarden.mail.addresses import Address
from postwarden.mail.errors import InvalidHeaderError
from postwarden.mail.rfc2047 import MAX_WORD, encode_words, looks_encoded

__all__ = [
    "SINGLE_INSTANCE_HEADERS",
    "address_tokens",
    "check_no_crlf",
    "fold",
    "format_date",
    "param_header",
    "text_header",
    "unstructured_header",
]

# Fields that "can't appear more than once in the header section of a message" (SES DG, header-fields).
SINGLE_INSTANCE_HEADERS = frozenset(
    name.lower()
    for name in (
        "Accept-Language",
        "acceptLanguage",
        "Archived-At",
        "Auto-Submitted",
        "Bounces-to",
        "Comments",
        "Content-Alternative",
        "Content-Base",
        "Content-Class",
        "Content-Description",
        "Content-Disposition",
        "Content-Duration",
        "Content-ID",
        "Content-Language",
        "Content-Length",
        "Content-Location",
        "Content-MD5",
        "Content-Transfer-Encoding",
        "Content-Type",
        "Date",
        "Delivered-To",
        "Disposition-Notification-Options",
        "Disposition-Notification-To",
        "DKIM-Signature",
        "DomainKey-Signature",
        "Errors-To",
        "From",
        "Importance",
        "In-Reply-To",
        "Keywords",
        "List-Archive",
        "List-Help",
        "List-Id",
        "List-Owner",
        "List-Post",
        "List-Subscribe",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Message-Context",
        "Message-ID",
        "MIME-Version",
        "Organization",
        "Original-From",
        "Original-Message-ID",
        "Original-Recipient",
        "Original-Subject",
        "Precedence",
        "Priority",
        "References",
        "Reply-To",
        "Return-Path",
        "Return-Receipt-To",
        "Sender",
        "Solicitation",
        "Sensitivity",
        "Subject",
        "Thread-Index",
        "Thread-Topic",
        "User-Agent",
        "VBR-Info",
    )
)
SOFT_LIMIT = 78
HARD_LIMIT = 998

_PLAIN_TEXT = re.compile(r"[!-~]+(?: +[!-~]+)*")
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_QUOTABLE = re.compile(r"[!-~](?:[ -~]*[!-~])?")
_TOKEN = re.compile(r"[A-Za-z0-9._+-]+")  # conservative: '*', "'" and '%' confuse RFC 2231 parsers
_PRINTABLE = re.compile(r"[ -~]*")
_ATTR_SAFE = "!#$&+^`|"  # plus the always-safe ALPHA DIGIT "_.-~" of urllib.parse.quote
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def check_no_crlf(what: str, value: str) -> None:
    """Refuse CR and LF (header injection)."""
    if "\r" in value or "\n" in value:
        raise InvalidHeaderError(f"{what} must not contain CR or LF characters")


def fold(name: str, tokens: Sequence[str]) -> str:
    """Join ``tokens`` with single spaces after ``name:``, folding before a token where a line would
    pass 78 characters. Empty tokens (from runs of spaces) never start a line."""
    parts = [name, ":"]
    line = len(name) + 1
    first = True
    for token in tokens:
        size = len(token) + 1
        if not first and token and line + size > SOFT_LIMIT:
            parts.append("\r\n")
            line = 0
        if line + size > HARD_LIMIT:
            raise InvalidHeaderError(f"Header {name} has a line longer than {HARD_LIMIT} characters")
        parts.append(" ")
        parts.append(token)
        line += size
        first = False
    parts.append("\r\n")
    return "".join(parts)


def unstructured_header(name: str, value: str, label: str = "UTF-8", codec: str = "utf-8") -> str:
    """A ``Subject``-like header: plain when printable ASCII that folds cleanly, else encoded-words."""
    check_no_crlf(name, value)
    if len(name) + 2 + len(value) <= SOFT_LIMIT and _PLAIN_TEXT.fullmatch(value) and not looks_encoded(value):
        return f"{name}: {value}\r\n"
    if _PLAIN_TEXT.fullmatch(value) and not looks_encoded(value):
        tokens = value.split(" ")
        if max(map(len, tokens)) <= SOFT_LIMIT - 2:
            return fold(name, tokens)
    if not value:
        return f"{name}: \r\n"
    first_limit = min(MAX_WORD, SOFT_LIMIT - len(name) - 2)
    return fold(name, encode_words(value, label, codec, first_limit))


def text_header(name: str, value: str) -> str:
    """A header whose value is kept verbatim when it is printable ASCII (folded only at its spaces,
    long tokens such as URLs or message IDs left whole); other text becomes encoded-words."""
    check_no_crlf(name, value)
    if value.isascii() and _PRINTABLE.fullmatch(value):
        if len(name) + 2 + len(value) <= SOFT_LIMIT:
            return f"{name}: {value}\r\n"
        return fold(name, value.split(" "))
    return unstructured_header(name, value)


def display_tokens(display_name: str, first_limit: int = MAX_WORD) -> list[str]:
    if not display_name:
        return []
    if looks_encoded(display_name) or not display_name.isascii():
        return encode_words(display_name, first_limit=first_limit)
    if _ATOM_PHRASE.fullmatch(display_name):
        return display_name.split(" ")
    if _QUOTABLE.fullmatch(display_name):
        quoted = '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return [quoted] if len(quoted) <= 70 else quoted.split(" ")
    return encode_words(display_name, first_limit=first_limit)


def address_tokens(addresses: Sequence[Address], first_limit: int = MAX_WORD) -> list[str]:
    """Fold tokens for an address list; the last token of each address carries the comma."""
    tokens: list[str] = []
    last = len(addresses) - 1
    for index, address in enumerate(addresses):
        check_no_crlf("Address", address.display_name)
        check_no_crlf("Address", address.addr_spec)
        comma = "," if index < last else ""
        if address.display_name:
            tokens.extend(display_tokens(address.display_name, first_limit if index == 0 else MAX_WORD))
            tokens.append(f"<{address.addr_spec}>{comma}")
        else:
            tokens.append(address.addr_spec + comma)
    return tokens


def _param_pieces(key: str, value: str) -> list[str]:
    check_no_crlf(f"Parameter {key}", value)
    # (``email.utils.unquote`` strips a surrounding ``<...>``: such values go percent-encoded)
    if value.isascii() and _PRINTABLE.fullmatch(value) and not (value[:1] == "<" and value[-1:] == ">"):
        if _TOKEN.fullmatch(value) and len(value) <= 60:
            return [f"{key}={value}"]
        if len(value) <= 60:
            return [f'{key}="{_escape(value)}"']
        return [f'{key}*{n}="{_escape(value[i : i + 60])}"' for n, i in enumerate(range(0, len(value), 60))]
    encoded = quote(value.encode("utf-8"), safe=_ATTR_SAFE)
    if len(encoded) <= 60:
        return [f"{key}*=UTF-8''{encoded}"]
    pieces: list[str] = []
    start = 0
    while start < len(encoded):
        end = min(start + 60, len(encoded))
        percent = encoded.rfind("%", max(start, end - 2), end)
        if end < len(encoded) and percent != -1:
            end = percent
        prefix = "UTF-8''" if not pieces else ""
        pieces.append(f"{key}*{len(pieces)}*={prefix}{encoded[start:end]}")
        start = end
    return pieces


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def param_header(name: str, value: str, params: Sequence[tuple[str, str]]) -> str:
    """``Name: value; key=val; ...`` with RFC 2231 encoding for non-ASCII or long parameter values."""
    pieces: list[str] = []
    for key, val in params:
        pieces.extend(_param_pieces(key, val))
    if not pieces:
        return f"{name}: {value}\r\n"
    tokens = [value + ";"]
    tokens.extend(piece + ";" for piece in pieces[:-1])
    tokens.append(pieces[-1])
    return fold(name, tokens)


def format_date(moment: datetime) -> str:
    """RFC 5322 date-time, e.g. ``Thu, 13 Jun 2019 21:21:01 +0000`` (naive datetimes are UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} {moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} {sign}{hours:02d}{mins:02d}"
    )
