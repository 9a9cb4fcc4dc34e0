"""Parsing of email addresses and address-list header values (RFC 5322 §3.4).

``parse_address`` is for one address as given to the APIs (``FromEmailAddress``, each entry of
``ToAddresses`` ...); ``parse_address_list`` is for header values (``To:``, ``Cc:`` ...) and accepts
quoted display names, comments, groups and RFC 2047 encoded-words in display names. Errors carry the
JavaMail texts SES returns (see :mod:`postwarden.mail.addrspec`). CR or LF anywhere is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postwarden.mail.addrspec import MSG, check_addr_spec
from postwarden.mail.errors import InvalidAddressError
from postwarden.mail.rfc2047 import decode_words

__all__ = ["Address", "parse_address", "parse_address_list"]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox. ``domain`` is lower-case ASCII (IDNA ``xn--`` form for IDNs)."""

    display_name: str
    addr_spec: str
    local: str
    domain: str
    original: str

    def __str__(self) -> str:
        return f"{self.display_name} <{self.addr_spec}>" if self.display_name else self.addr_spec


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_FAST_SINGLE = re.compile(rf"[ \t]*({_DOT_ATOM}@[A-Za-z0-9.-]+)[ \t]*")
_FAST_NAMED = re.compile(
    r'[ \t]*(?:"((?:[^"\\\r\n]|\\[^\r\n])*)"|([^"(),:;<>@\[\]\\\r\n]*?))[ \t]*'
    r"<[ \t]*([^<>()\[\]\"\\\s]+@[^<>()\[\]\"\\\s]+)[ \t]*>[ \t]*"
)
_QUOTED_PAIR = re.compile(r"\\(.)")
_WS_RUN = re.compile(r"[ \t]+")
_LIST_FAST_OK = re.compile(r"[^()\[\]:;\\\r\n]*")
_LIST_PIECE = re.compile(r'(?:"[^"]*"|[^,"])+')


def _make(display: str, addr: str, original: str, *, route_allowed: bool = False) -> Address:
    local, domain = check_addr_spec(addr, route_allowed=route_allowed)
    if "=?" in display:
        display = decode_words(display)
    if "\r" in display or "\n" in display:  # also when hidden in an encoded-word
        raise InvalidAddressError(MSG.ILLEGAL_ADDRESS)
    return Address(display, f"{local}@{domain}", local, domain, original)


def _refuse_crlf(text: str) -> None:
    if "\r" in text or "\n" in text:
        raise InvalidAddressError(MSG.ILLEGAL_ADDRESS)


def _parse_fast(text: str) -> Address | None:
    """The common shapes ``a@b`` and ``Name <a@b>`` / ``"Name" <a@b>``, by regular expression."""
    fast = _FAST_SINGLE.fullmatch(text)
    if fast is not None:
        return _make("", fast.group(1), text)
    named = _FAST_NAMED.fullmatch(text)
    if named is not None:
        quoted, plain, addr = named.groups()
        display = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else _WS_RUN.sub(" ", plain)
        return _make(display.strip(" \t"), addr, text, route_allowed=True)
    return None


def parse_address(text: str) -> Address:
    """Parse exactly one mailbox (``a@b``, ``Name <a@b>``, ``"Q, Name" <a@b>``, ``a@b (Name)``).

    As in JavaMail's ``new InternetAddress(text, true)``, text holding no address or more than one
    (or a group) is ``Illegal address``; then the one address is validated.
    """
    _refuse_crlf(text)
    fast = _parse_fast(text)
    if fast is not None:
        return fast
    elements, saw_group = _split_list(text)
    if len(elements) != 1 or saw_group:
        raise InvalidAddressError(MSG.ILLEGAL_ADDRESS)
    addr = _parse_mailbox(elements[0])
    return Address(addr.display_name, addr.addr_spec, addr.local, addr.domain, text)


def parse_address_list(text: str) -> list[Address]:
    """Parse an (unfolded) address-list header value; group members are flattened into the list."""
    _refuse_crlf(text)
    if _LIST_FAST_OK.fullmatch(text):  # no comments, groups or escapes: top-level commas separate
        pieces = _LIST_PIECE.findall(text) if '"' in text and text.count('"') % 2 == 0 else None
        if pieces is not None or '"' not in text:
            result: list[Address] = []
            for piece in text.split(",") if pieces is None else pieces:
                stripped = piece.strip(" \t")
                if stripped:
                    result.append(_parse_fast(stripped) or _parse_mailbox(stripped))
            return result
    return [_parse_fast(element) or _parse_mailbox(element) for element in _split_list(text)[0]]


def _skip_quoted(s: str, i: int) -> int:
    """``s[i]`` is ``"``; return the index just after the closing quote."""
    n = len(s)
    i += 1
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        i += 1
    raise InvalidAddressError(MSG.MISSING_QUOTE)


def _skip_comment(s: str, i: int) -> int:
    """``s[i]`` is ``(``; return the index just after the matching ``)``."""
    n = len(s)
    depth = 0
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise InvalidAddressError(MSG.MISSING_PAREN_CLOSE)


def _skip_simple(s: str, i: int, close: str, error: str) -> int:
    """Skip a domain literal ``[...]`` or an angle address ``<...>`` (with quotes inside)."""
    n = len(s)
    i += 1
    while i < n:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == '"' and close == ">":
            i = _skip_quoted(s, i)
            continue
        if c == close:
            return i + 1
        i += 1
    raise InvalidAddressError(error)


def _skip_any(s: str, i: int) -> int | None:
    """Skip a bracketed construct starting at ``s[i]``; None if ``s[i]`` opens none."""
    c = s[i]
    if c == '"':
        return _skip_quoted(s, i)
    if c == "(":
        return _skip_comment(s, i)
    if c == "[":
        return _skip_simple(s, i, "]", MSG.MISSING_BRACKET)
    if c == "<":
        return _skip_simple(s, i, ">", MSG.MISSING_ANGLE_CLOSE)
    if c == ")":
        raise InvalidAddressError(MSG.MISSING_PAREN_OPEN)
    if c == ">":
        raise InvalidAddressError(MSG.MISSING_ANGLE_OPEN)
    return None


def _split_list(text: str) -> tuple[list[str], bool]:
    """Split at top-level commas (and group syntax): the non-empty mailbox texts, and whether a group
    was seen."""
    result: list[str] = []
    in_group = saw_group = False
    i, n = 0, len(text)
    start = 0
    while i < n:
        skipped = _skip_any(text, i)
        if skipped is not None:
            i = skipped
            continue
        c = text[i]
        if c == "," or (c == ";" and in_group):
            _add_mailbox(text[start:i], result)
            start = i + 1
            if c == ";":
                in_group = False
        elif c == ";":
            raise InvalidAddressError(MSG.ILLEGAL_SEMICOLON)
        elif c == ":":
            if in_group:
                raise InvalidAddressError(MSG.NESTED_GROUP)
            in_group = saw_group = True
            start = i + 1
        i += 1
    _add_mailbox(text[start:], result)
    return result, saw_group


def _add_mailbox(piece: str, result: list[str]) -> None:
    stripped = piece.strip(" \t")
    if stripped and _strip_comments(stripped).strip(" \t"):
        result.append(stripped)


def _strip_comments(s: str) -> str:
    if "(" not in s:
        return s
    out: list[str] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "(":
            i = _skip_comment(s, i)
            out.append(" ")
        elif c == '"':
            j = _skip_quoted(s, i)
            out.append(s[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _parse_mailbox(s: str) -> Address:
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == "<":
            end = _skip_simple(s, i, ">", MSG.MISSING_ANGLE_CLOSE)
            rest = _strip_comments(s[end:]).strip(" \t")
            if rest:
                raise InvalidAddressError(MSG.EXTRA_ROUTE if "<" in rest else MSG.ILLEGAL_ADDRESS)
            inner = s[i + 1 : end - 1].strip(" \t")
            return _make(_phrase_text(s[:i]), inner, s, route_allowed=True)
        skipped = _skip_any(s, i)
        i = skipped if skipped is not None else i + 1
    # addr-spec, optionally with a comment holding the display name: ``a@b (Name)``
    display = _first_comment(s) if "(" in s else ""
    return _make(display, _strip_comments(s).strip(" \t"), s)


def _first_comment(s: str) -> str:
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c == '"':
            i = _skip_quoted(s, i)
        elif c == "(":
            end = _skip_comment(s, i)
            return _WS_RUN.sub(" ", _QUOTED_PAIR.sub(r"\1", s[i + 1 : end - 1])).strip()
        else:
            i += 1
    return ""


def _phrase_text(phrase: str) -> str:
    """The display name of a phrase: quoted strings unquoted, comments dropped, white space collapsed."""
    out: list[str] = []
    i, n = 0, len(phrase)
    while i < n:
        c = phrase[i]
        if c == '"':
            j = _skip_quoted(phrase, i)
            out.append(_QUOTED_PAIR.sub(r"\1", phrase[i + 1 : j - 1]))
            i = j
        elif c == "(":
            i = _skip_comment(phrase, i)
            out.append(" ")
        else:
            j = i
            while j < n and phrase[j] not in '"(':
                j += 1
            out.append(_WS_RUN.sub(" ", phrase[i:j]))
            i = j
    return "".join(out).strip(" \t")
