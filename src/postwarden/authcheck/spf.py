"""Would the operator's sending IPs get SPF `pass` for a MAIL FROM in a domain? (RFC 7208 `check_host()`).

Each IP is evaluated on its own, as a receiver would, with the §4.6.4 limits: at most 10 terms that query
the DNS (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`), at most 10 exchanges per `mx`, at most 2 void
lookups; past a limit the result is permerror. DNS answers are shared between the IPs of one check.

Choices where a receiver has more context than we do:
- the sender is `postmaster@<domain>` and the HELO name is the domain (they only matter to macros);
- `ptr` (which §5.5 says SHOULD NOT be used) is counted but never matches: we do no reverse lookups, and a
  receiver's answer would depend on the PTR records of the operator's IPs;
- `exp` is never fetched: it explains a failure and does not change the result.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from postwarden.authcheck.domains import normalize
from postwarden.authcheck.errors import DnsTemporaryError
from postwarden.authcheck.lookup import DnsLookup
from postwarden.authcheck.spf_record import (
    IpAddress,
    MacroContext,
    Mechanism,
    SpfSyntaxError,
    expand,
    is_spf_record,
    parse_spf,
    truncate_domain,
)

SpfOutcome = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]

MAX_DNS_TERMS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX_EXCHANGES = 10

_QUALIFIED: dict[str, SpfOutcome] = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
# The order in which a combined result reports its IPs' results: the most actionable first.
_SEVERITY: tuple[SpfOutcome, ...] = ("temperror", "permerror", "fail", "softfail", "neutral", "none", "pass")


@dataclass(frozen=True, slots=True)
class SpfIpResult:
    ip: str
    result: SpfOutcome
    reason: str  # which term matched where, or why there is no verdict
    dns_terms: int  # terms that queried the DNS before the result was known


@dataclass(frozen=True, slots=True)
class SpfResult:
    domain: str
    records: tuple[str, ...]  # every `v=spf1` TXT record of the domain: one, none, or (a permerror) several
    ips: tuple[SpfIpResult, ...]

    @property
    def record(self) -> str | None:
        return self.records[0] if len(self.records) == 1 else None

    @property
    def result(self) -> SpfOutcome:
        """`pass` when every IP passes, otherwise the most severe result of an IP."""
        found = {ip.result for ip in self.ips}
        return next(outcome for outcome in _SEVERITY if outcome in found)

    @property
    def passes(self) -> bool:
        return self.result == "pass"

    @property
    def failing_ips(self) -> tuple[str, ...]:
        return tuple(ip.ip for ip in self.ips if ip.result != "pass")

    @property
    def reason(self) -> str:
        """The reason of the IP that decided `result`."""
        return next(ip.reason for ip in self.ips if ip.result == self.result)


async def check_spf(
    domain: str, sending_ips: Sequence[str], lookup: DnsLookup, *, timeout: float = 30.0
) -> SpfResult:
    """The SPF result each sending IP gets for a MAIL FROM in `domain`.

    Temporary DNS failures, and a check that takes longer than `timeout` seconds in all, are reported as
    `temperror` results, never raised. Raises ValueError for an empty or malformed IP list.
    """
    domain = normalize(domain)
    addresses = [ipaddress.ip_address(ip.strip()) for ip in sending_ips]
    if not addresses:
        raise ValueError("check_spf needs at least one sending IP")

    def unknown(reason: str) -> SpfResult:
        return SpfResult(domain, (), tuple(SpfIpResult(str(ip), "temperror", reason, 0) for ip in addresses))

    cached = _CachedLookup(lookup)
    try:
        async with asyncio.timeout(timeout):
            txt = await cached.txt(domain)
            records = tuple(record for record in txt or () if is_spf_record(record))
            results = [await _Evaluation(ip, domain, cached).run() for ip in addresses]
    except DnsTemporaryError as error:
        return unknown(str(error))
    except TimeoutError:
        return unknown(f"the SPF check of {domain} took longer than {timeout:g} seconds")
    return SpfResult(domain, records, tuple(results))


class _PermError(Exception):
    pass


@dataclass
class _CachedLookup:
    """One check's view of the DNS: each name is asked once (failures are not remembered)."""

    lookup: DnsLookup
    _txt: dict[str, list[str] | None] = field(default_factory=dict)
    _addresses: dict[str, list[str] | None] = field(default_factory=dict)
    _mx: dict[str, list[str] | None] = field(default_factory=dict)

    async def txt(self, name: str) -> list[str] | None:
        if name not in self._txt:
            self._txt[name] = await self.lookup.txt(name)
        return self._txt[name]

    async def addresses(self, name: str) -> list[str] | None:
        if name not in self._addresses:
            self._addresses[name] = await self.lookup.addresses(name)
        return self._addresses[name]

    async def mx(self, name: str) -> list[str] | None:
        if name not in self._mx:
            self._mx[name] = await self.lookup.mx(name)
        return self._mx[name]


class _Evaluation:
    def __init__(self, ip: IpAddress, sender_domain: str, lookup: _CachedLookup) -> None:
        self.ip = ip
        self.sender_domain = sender_domain
        self.lookup = lookup
        self.dns_terms = 0
        self.void_lookups = 0

    async def run(self) -> SpfIpResult:
        try:
            result, reason = await self.check_host(self.sender_domain)
        except _PermError as error:
            result, reason = "permerror", str(error)
        except SpfSyntaxError as error:
            result, reason = "permerror", str(error)
        except DnsTemporaryError as error:
            result, reason = "temperror", str(error)
        return SpfIpResult(str(self.ip), result, reason, self.dns_terms)

    async def check_host(self, domain: str) -> tuple[SpfOutcome, str]:
        """§4: `none` when the domain has no record; permerror and temperror are raised."""
        records = [record for record in await self.lookup.txt(domain) or () if is_spf_record(record)]
        if not records:
            return "none", f"{domain} publishes no SPF record"
        if len(records) > 1:
            raise _PermError(f"{domain} publishes {len(records)} SPF records; there must be exactly one")
        record = parse_spf(records[0])
        for mechanism in record.mechanisms:
            if mechanism.queries_dns:
                self.count_dns_term(mechanism.text)
            matched = await self.matches(mechanism, domain)
            if matched is not None:
                return _QUALIFIED[mechanism.qualifier], matched
        if record.redirect is not None:
            self.count_dns_term(f"redirect={record.redirect}")
            target = self.target(record.redirect, domain)
            result, reason = await self.check_host(target)
            if result == "none":
                raise _PermError(f"redirect={target} in {domain}: {reason}")
            return result, reason
        return "neutral", f"no term of the SPF record of {domain} matched"

    async def matches(self, mechanism: Mechanism, domain: str) -> str | None:
        """None when the mechanism does not match; else which term matched, through the includes."""
        if mechanism.name == "include":
            target = self.target(mechanism.domain_spec, domain)
            result, reason = await self.check_host(target)
            if result == "none":
                raise _PermError(f"{mechanism.text} in {domain}: {reason}")
            return f"{mechanism.text} in {domain} > {reason}" if result == "pass" else None
        return f"{mechanism.text} in {domain} matched" if await self.matches_here(mechanism, domain) else None

    async def matches_here(self, mechanism: Mechanism, domain: str) -> bool:
        match mechanism.name:
            case "all":
                return True
            case "ip4" | "ip6":
                return mechanism.network is not None and self.ip in mechanism.network
            case "a":
                found = await self.lookup.addresses(self.target(mechanism.domain_spec, domain))
                self.count_void(found, mechanism.text)
                return self.any_match(found or (), mechanism)
            case "mx":
                return await self.match_mx(mechanism, domain)
            case "exists":
                found = await self.lookup.addresses(self.target(mechanism.domain_spec, domain))
                self.count_void(found, mechanism.text)
                return any(ipaddress.ip_address(address).version == 4 for address in found or ())
            case _:  # ptr: see the module docstring
                return False

    async def match_mx(self, mechanism: Mechanism, domain: str) -> bool:
        exchanges = await self.lookup.mx(self.target(mechanism.domain_spec, domain))
        self.count_void(exchanges, mechanism.text)
        if exchanges and len(exchanges) > MAX_MX_EXCHANGES:
            raise _PermError(f"{mechanism.text} in {domain}: more than {MAX_MX_EXCHANGES} MX hosts")
        for exchange in exchanges or ():
            if self.any_match(await self.lookup.addresses(exchange) or (), mechanism):
                return True
        return False

    def any_match(self, addresses: Sequence[str], mechanism: Mechanism) -> bool:
        prefix = mechanism.cidr4 if self.ip.version == 4 else mechanism.cidr6
        for text in addresses:
            address = ipaddress.ip_address(text)
            if address.version == self.ip.version and self.ip in ipaddress.ip_network(
                f"{address}/{prefix}", strict=False
            ):
                return True
        return False

    def target(self, spec: str | None, domain: str) -> str:
        if spec is None:
            return domain
        context = MacroContext(f"postmaster@{self.sender_domain}", domain, self.ip, self.sender_domain)
        return normalize(truncate_domain(expand(spec, context)))

    def count_dns_term(self, term: str) -> None:
        self.dns_terms += 1
        if self.dns_terms > MAX_DNS_TERMS:
            raise _PermError(f"more than {MAX_DNS_TERMS} DNS-querying terms are needed, the last {term}")

    def count_void(self, answer: list[str] | None, term: str) -> None:
        if answer is None:
            self.void_lookups += 1
            if self.void_lookups > MAX_VOID_LOOKUPS:
                raise _PermError(f"more than {MAX_VOID_LOOKUPS} lookups found nothing (at {term})")
