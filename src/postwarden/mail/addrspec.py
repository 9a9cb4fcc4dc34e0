"""Validation of a bare ``local@domain`` the way Amazon SES does it.

SES validates addresses with JavaMail's ``InternetAddress`` in strict mode, so the error texts below
are JavaMail's (``checkAddress`` with ``validate=true``), which SES returns verbatim as
``InvalidParameterValue`` / ``BadRequestException`` messages, for example ``Missing final '@domain'``
(anymail/django-anymail#281), ``Domain contains illegal character``
(SebastiaanKlippert/lambda-ses-forwarder#2), ``Local address contains illegal character``
(hcengineering/platform#7864) and ``Missing local name`` (arithmetric/aws-lambda-ses-forwarder#103).

SES does not support SMTPUTF8: a non-ASCII local part is refused with
``Local address contains control or whitespace`` (observed for ``myemail+✖@gmail.com``), while a
non-ASCII domain is accepted here and converted to its IDNA (``xn--``) form.
"""

from __future__ import annotations

import re

from postwarden.mail.errors import InvalidAddressError

__all__ = ["MSG", "check_addr_spec"]


class MSG:
    """The texts SES (JavaMail) uses for address errors."""

    EMPTY = "Empty address"
    ILLEGAL_ADDRESS = "Illegal address"
    ILLEGAL_ROUTE = "Illegal route-addr"
    EXTRA_ROUTE = "Extra route-addr"
    QUOTE_NOT_AT_START = "Quote not at start of local address"
    QUOTE_NOT_AT_END = "Quote not at end of local address"
    UNTERMINATED_QUOTE = "Unterminated quote"
    LOCAL_STARTS_WITH_DOT = "Local address starts with dot"
    LOCAL_DOT_DOT = "Local address contains dot-dot"
    LOCAL_ENDS_WITH_DOT = "Local address ends with dot"
    MISSING_LOCAL = "Missing local name"
    LOCAL_CONTROL = "Local address contains control or whitespace"
    LOCAL_ILLEGAL = "Local address contains illegal character"
    MISSING_AT_DOMAIN = "Missing final '@domain'"
    MISSING_DOMAIN = "Missing domain"
    DOMAIN_STARTS_WITH_DOT = "Domain starts with dot"
    DOMAIN_LITERAL_START = "Domain literal not at start of domain"
    DOMAIN_LITERAL_END = "Domain literal end not at end of domain"
    DOMAIN_CONTROL = "Domain contains control or whitespace"
    DOMAIN_ILLEGAL = "Domain contains illegal character"
    DOMAIN_DOT_DOT = "Domain contains dot-dot"
    DOMAIN_ENDS_WITH_DOT = "Domain ends with dot"
    MISSING_QUOTE = "Missing '\"'"
    MISSING_PAREN_CLOSE = "Missing ')'"
    MISSING_PAREN_OPEN = "Missing '('"
    MISSING_ANGLE_CLOSE = "Missing '>'"
    MISSING_ANGLE_OPEN = "Missing '<'"
    MISSING_BRACKET = "Missing ']'"
    NESTED_GROUP = "Nested group"
    ILLEGAL_SEMICOLON = "Illegal semicolon, not in group"


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_FAST_ADDR_SPEC = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)")
_SPECIALS_NO_DOT = frozenset('()<>,;:\\"[]@')


def check_addr_spec(addr: str, *, route_allowed: bool = False) -> tuple[str, str]:
    """Validate ``addr`` (``local@domain``) and return ``(local, domain)``.

    The domain is lower-cased and IDNA-encoded. ``route_allowed`` accepts (and drops) an obsolete
    source route ``@a,@b:`` as found inside angle brackets. Raises :class:`InvalidAddressError`.
    """
    fast = _FAST_ADDR_SPEC.fullmatch(addr)
    if fast is not None:
        return fast.group(1), fast.group(2).lower()
    if not addr:
        raise InvalidAddressError(MSG.EMPTY)
    start = 0
    if route_allowed and addr[0] == "@" and ":" in addr:
        colon = addr.index(":")
        if any(not part.startswith("@") for part in addr[:colon].split(",")):
            raise InvalidAddressError(MSG.ILLEGAL_ROUTE)
        start = colon + 1
    at = _scan_local(addr, start)
    local = addr[start:at]
    domain = _check_domain(addr, at + 1)
    return local, domain


def _scan_local(addr: str, start: int) -> int:
    """Check the local part; return the index of the separating ``@``."""
    n = len(addr)
    i = start
    last = ""
    in_quote = False
    while i < n:
        c = addr[i]
        if c == "\\":
            if i + 1 < n and not _is_bad_local_char(addr[i + 1], quoted=True):
                i += 2
                last = "x"
                continue
            raise InvalidAddressError(MSG.LOCAL_CONTROL if i + 1 < n else MSG.LOCAL_ILLEGAL)
        if c == '"':
            if in_quote:
                if i + 1 < n and addr[i + 1] != "@":
                    raise InvalidAddressError(MSG.QUOTE_NOT_AT_END)
                in_quote = False
            else:
                if i != start:
                    raise InvalidAddressError(MSG.QUOTE_NOT_AT_START)
                in_quote = True
            last = c
            i += 1
            continue
        if _is_bad_local_char(c, quoted=in_quote):
            raise InvalidAddressError(MSG.LOCAL_CONTROL)
        if not in_quote:
            if c == ".":
                if i == start:
                    raise InvalidAddressError(MSG.LOCAL_STARTS_WITH_DOT)
                if last == ".":
                    raise InvalidAddressError(MSG.LOCAL_DOT_DOT)
            elif c == "@":
                if i == start:
                    raise InvalidAddressError(MSG.MISSING_LOCAL)
                if last == ".":
                    raise InvalidAddressError(MSG.LOCAL_ENDS_WITH_DOT)
                return i
            elif c in _SPECIALS_NO_DOT:
                raise InvalidAddressError(MSG.LOCAL_ILLEGAL)
        last = c
        i += 1
    if in_quote:
        raise InvalidAddressError(MSG.UNTERMINATED_QUOTE)
    raise InvalidAddressError(MSG.MISSING_AT_DOMAIN)


def _is_bad_local_char(c: str, *, quoted: bool) -> bool:
    """Controls, non-ASCII (SES has no SMTPUTF8) and, outside quotes, white space."""
    if c > "~":
        return True
    if c < " ":
        return not (quoted and c == "\t")
    return c == " " and not quoted


def _check_domain(addr: str, start: int) -> str:
    n = len(addr)
    if start >= n:
        raise InvalidAddressError(MSG.MISSING_DOMAIN)
    if addr[start] == ".":
        raise InvalidAddressError(MSG.DOMAIN_STARTS_WITH_DOT)
    in_literal = False
    last = ""
    for i in range(start, n):
        c = addr[i]
        if c == "[":
            if i != start:
                raise InvalidAddressError(MSG.DOMAIN_LITERAL_START)
            in_literal = True
        elif c == "]":
            if i != n - 1:
                raise InvalidAddressError(MSG.DOMAIN_LITERAL_END)
            in_literal = False
        elif c <= " " or c == "\x7f":
            raise InvalidAddressError(MSG.DOMAIN_CONTROL)
        elif not in_literal:
            if not (c.isalnum() or c == "-" or c == "."):
                raise InvalidAddressError(MSG.DOMAIN_ILLEGAL)
            if c == "." and last == ".":
                raise InvalidAddressError(MSG.DOMAIN_DOT_DOT)
        last = c
    if last == ".":
        raise InvalidAddressError(MSG.DOMAIN_ENDS_WITH_DOT)
    domain = addr[start:]
    if in_literal:
        raise InvalidAddressError(MSG.MISSING_BRACKET)
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidAddressError(MSG.DOMAIN_ILLEGAL) from None
    return domain.lower()
