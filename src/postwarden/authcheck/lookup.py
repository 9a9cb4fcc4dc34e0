"""The DNS seam of the checks, and its implementation on dnspython's asyncio resolver.

`None` from a lookup means the name has no such records (NXDOMAIN, or NOERROR with an empty answer); a
timeout, SERVFAIL or an unreachable server raises `DnsTemporaryError`. A name that cannot exist (an empty
or over-long label, as a macro expansion may produce) answers `None` without a query.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from postwarden.authcheck.errors import DnsTemporaryError


class TxtLookup(Protocol):
    async def txt(self, name: str) -> list[str] | None:
        """The TXT records at `name`, each record's character-strings joined (RFC 7208 §3.3)."""
        ...


class DnsLookup(TxtLookup, Protocol):
    async def addresses(self, name: str) -> list[str] | None:
        """The A and AAAA addresses of `name`, as text."""
        ...

    async def mx(self, name: str) -> list[str] | None:
        """The MX exchange host names of `name` by preference, a null MX (RFC 7505) left out."""
        ...


def parse_nameserver(value: str) -> tuple[str, int] | None:
    """`host:port`, `host`, `[v6]:port` or a bare IPv6 address (port 53); empty: the system's resolver."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, int(port)
    return value, 53


class ResolverLookup:
    """`DnsLookup` over `dns.asyncresolver.Resolver`, on one configured server or the system's.

    Every query is bounded by `timeout` seconds in all (retries included).
    """

    def __init__(self, nameserver: str | tuple[str, int] | None = None, *, timeout: float = 5.0) -> None:
        server = parse_nameserver(nameserver) if isinstance(nameserver, str) else nameserver
        self._resolver = dns.asyncresolver.Resolver(configure=server is None)
        if server is not None:
            self._resolver.nameservers = [server[0]]
            self._resolver.port = server[1]
        self._resolver.lifetime = timeout
        self._resolver.timeout = min(self._resolver.timeout, timeout)

    async def txt(self, name: str) -> list[str] | None:
        answer = await self._query(name, "TXT")
        if answer is None:
            return None
        return [b"".join(rdata.strings).decode("utf-8", "replace") for rdata in answer]

    async def addresses(self, name: str) -> list[str] | None:
        v4, v6 = await asyncio.gather(self._query(name, "A"), self._query(name, "AAAA"))
        found = [str(rdata.address) for answer in (v4, v6) if answer is not None for rdata in answer]
        return found or None

    async def mx(self, name: str) -> list[str] | None:
        answer = await self._query(name, "MX")
        if answer is None:
            return None
        records = sorted(answer, key=lambda rdata: rdata.preference)
        return [host for host in (rdata.exchange.to_text().rstrip(".") for rdata in records) if host]

    async def _query(self, name: str, rdtype: str) -> dns.resolver.Answer | None:
        try:
            qname = dns.name.from_text(name.rstrip(".") + ".")
        except dns.exception.DNSException:
            return None  # not a possible domain name
        try:
            return await self._resolver.resolve(qname, dns.rdatatype.from_text(rdtype))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.DNSException as error:
            raise DnsTemporaryError(f"DNS {rdtype} lookup for {name} failed: {error}") from error
