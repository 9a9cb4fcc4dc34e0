"""SPF record syntax (RFC 7208 §4.5, §5, §6, §7, §12): recognizing, parsing and macro expansion. No I/O."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from postwarden.authcheck.errors import AuthCheckError

Qualifier = Literal["+", "-", "~", "?"]
MechanismName = Literal["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Terms whose evaluation queries the DNS: together at most 10 per check (§4.6.4); `redirect` counts too.
DNS_MECHANISMS: frozenset[str] = frozenset({"include", "a", "mx", "ptr", "exists"})

_VERSION = re.compile(r"v=spf1(?:\s|$)", re.IGNORECASE)
_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9\-_.]*)=(.*)", re.DOTALL)
_CIDR = r"(?:0|[1-9][0-9]{0,2})"
_A_OR_MX = re.compile(rf"(a|mx)(?::(.+?))?(?:/({_CIDR}))?(?://({_CIDR}))?", re.IGNORECASE | re.DOTALL)
_IP = re.compile(rf"(ip4|ip6):([^/]+)(?:/({_CIDR}))?", re.IGNORECASE)
_WITH_SPEC = re.compile(r"(include|exists|ptr)(?::(.*))?", re.IGNORECASE | re.DOTALL)
_MACRO = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}|%%|%_|%-")
_TOPLABEL = re.compile(r"(?![0-9]+$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_DOMAIN_SPEC_LETTERS = frozenset("slodiphv")
_QUALIFIERS: dict[str, Qualifier] = {"+": "+", "-": "-", "~": "~", "?": "?"}
_MECHANISMS: dict[str, MechanismName] = {
    name: name for name in ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
}


class SpfSyntaxError(AuthCheckError):
    """The record, a term or a macro is malformed: the check's result is permerror (§4.6)."""


@dataclass(frozen=True, slots=True)
class Mechanism:
    qualifier: Qualifier
    name: MechanismName
    text: str
    domain_spec: str | None = None
    network: IpNetwork | None = None  # ip4 and ip6
    cidr4: int = 32  # a and mx: the prefix each address found is widened to
    cidr6: int = 128

    @property
    def queries_dns(self) -> bool:
        return self.name in DNS_MECHANISMS


@dataclass(frozen=True, slots=True)
class Modifier:
    name: str  # lower case
    value: str
    text: str


Term = Mechanism | Modifier


@dataclass(frozen=True, slots=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...]
    redirect: str | None = None
    exp: str | None = None


def is_spf_record(txt: str) -> bool:
    """A TXT record is an SPF record when it begins with `v=spf1` followed by a space or its end (§4.5)."""
    return _VERSION.match(txt) is not None


def record_tokens(text: str) -> list[str]:
    """The terms of an SPF record, without the version."""
    return text.split()[1:]


def parse_spf(text: str) -> SpfRecord:
    """Parse a whole record; any malformed term makes the whole record a permerror (§4.6)."""
    if not is_spf_record(text):
        raise SpfSyntaxError(f"not an SPF record: {text!r}")
    mechanisms: list[Mechanism] = []
    modifiers: dict[str, str] = {}
    for token in record_tokens(text):
        term = parse_term(token)
        if isinstance(term, Mechanism):
            mechanisms.append(term)
        elif term.name in ("redirect", "exp"):
            if term.name in modifiers:
                raise SpfSyntaxError(f"the {term.name} modifier appears more than once")
            modifiers[term.name] = term.value
    return SpfRecord(text, tuple(mechanisms), modifiers.get("redirect"), modifiers.get("exp"))


def parse_term(token: str) -> Term:
    """One directive (`[qualifier] mechanism`) or modifier (`name=value`)."""
    modifier = _MODIFIER.fullmatch(token)
    if modifier:
        modifier_name, value = modifier.group(1).lower(), modifier.group(2)
        if modifier_name in ("redirect", "exp"):
            _check_domain_spec(value, token)
        else:
            _check_macro_string(value, token, exp=True)
        return Modifier(modifier_name, value, token)
    qualifier = _QUALIFIERS.get(token[:1])
    body = token if qualifier is None else token[1:]
    qualifier = qualifier or "+"
    if body.lower() == "all":
        return Mechanism(qualifier, "all", token)
    if match := _IP.fullmatch(body):
        return _ip_mechanism(qualifier, token, match)
    if match := _A_OR_MX.fullmatch(body):
        name = _MECHANISMS[match.group(1).lower()]
        spec = match.group(2)
        if spec is not None:
            _check_domain_spec(spec, token)
        cidr4 = _cidr(match.group(3), 32, token)
        cidr6 = _cidr(match.group(4), 128, token)
        return Mechanism(qualifier, name, token, domain_spec=spec, cidr4=cidr4, cidr6=cidr6)
    if match := _WITH_SPEC.fullmatch(body):
        with_spec = _MECHANISMS[match.group(1).lower()]
        spec = match.group(2)
        if spec is None and with_spec != "ptr":
            raise SpfSyntaxError(f"{with_spec} needs a domain: {token!r}")
        if spec is not None:
            _check_domain_spec(spec, token)
        return Mechanism(qualifier, with_spec, token, domain_spec=spec)
    raise SpfSyntaxError(f"unknown or malformed mechanism {token!r}")


def salvage_tokens(text: str) -> list[str]:
    """The record's terms that parse, a repeated redirect or exp left out: the base of a corrected record."""
    kept: list[str] = []
    seen: set[str] = set()
    for token in record_tokens(text):
        try:
            term = parse_term(token)
        except SpfSyntaxError:
            continue
        if isinstance(term, Modifier) and term.name in ("redirect", "exp"):
            if term.name in seen:
                continue
            seen.add(term.name)
        kept.append(token)
    return kept


def _ip_mechanism(qualifier: Qualifier, token: str, match: re.Match[str]) -> Mechanism:
    kind, address, prefix = match.group(1).lower(), match.group(2), match.group(3)
    try:
        if kind == "ip4":
            network: IpNetwork = ipaddress.IPv4Network(
                f"{ipaddress.IPv4Address(address)}/{prefix or 32}", False
            )
        else:
            network = ipaddress.IPv6Network(f"{ipaddress.IPv6Address(address)}/{prefix or 128}", False)
    except ValueError as error:
        raise SpfSyntaxError(f"malformed {kind} network in {token!r}: {error}") from error
    return Mechanism(qualifier, "ip4" if kind == "ip4" else "ip6", token, network=network)


def _cidr(value: str | None, maximum: int, token: str) -> int:
    if value is None:
        return maximum
    if int(value) > maximum:
        raise SpfSyntaxError(f"prefix length /{value} is longer than {maximum} in {token!r}")
    return int(value)


def _check_macro_string(value: str, token: str, *, exp: bool) -> None:
    position = 0
    while (percent := value.find("%", position)) >= 0:
        match = _MACRO.match(value, percent)
        if match is None:
            raise SpfSyntaxError(f"malformed macro in {token!r}")
        letter = match.group(1)
        if letter and (letter.lower() not in _DOMAIN_SPEC_LETTERS and not (exp and letter.lower() in "crt")):
            raise SpfSyntaxError(f"macro letter {letter!r} is not allowed in {token!r}")
        position = match.end()


def _check_domain_spec(spec: str, token: str) -> None:
    """A macro-string ending in a macro or in `.toplabel` (§7.1)."""
    _check_macro_string(spec, token, exp=False)
    if spec.endswith("}") and _MACRO.search(spec):
        return
    head, _, top = spec.rstrip(".").rpartition(".")
    if not head or _TOPLABEL.fullmatch(top) is None:
        raise SpfSyntaxError(f"malformed domain in {token!r}")


@dataclass(frozen=True, slots=True)
class MacroContext:
    """What the macros of §7.2 expand to: the MAIL FROM sender, the current domain, the client's IP, HELO."""

    sender: str
    domain: str
    ip: IpAddress
    helo: str


def expand(spec: str, context: MacroContext) -> str:
    """Expand the macros of a domain-spec (§7.3)."""

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "%%":
            return "%"
        if text == "%_":
            return " "
        if text == "%-":
            return "%20"
        letter, digits, reverse, delimiters = match.groups()
        value = _macro_value(letter.lower(), context)
        parts = re.split("[" + re.escape(delimiters or ".") + "]", value)
        if reverse:
            parts.reverse()
        if digits:
            if int(digits) == 0:
                raise SpfSyntaxError("a macro's digit transformer must not be zero")
            parts = parts[-int(digits) :]
        expanded = ".".join(parts)
        return quote(expanded, safe="-._~") if letter.isupper() else expanded

    return _MACRO.sub(replace, spec)


def truncate_domain(name: str) -> str:
    """Drop labels from the left until the name fits in 253 characters (§7.3)."""
    name = name.rstrip(".")
    while len(name) > 253 and "." in name:
        name = name.split(".", 1)[1]
    return name


def _macro_value(letter: str, context: MacroContext) -> str:
    local, _, sender_domain = context.sender.rpartition("@")
    match letter:
        case "s":
            return context.sender
        case "l":
            return local or "postmaster"
        case "o":
            return sender_domain
        case "d":
            return context.domain
        case "i":
            if context.ip.version == 4:
                return str(context.ip)
            return ".".join(context.ip.exploded.replace(":", ""))
        case "v":
            return "in-addr" if context.ip.version == 4 else "ip6"
        case "h":
            return context.helo
        case _:  # "p": the validated domain name of the client; never looked up here (§5.5)
            return "unknown"
