"""Where mail for a domain goes: the configured relay, or the domain's MX hosts (RFC 5321 §5.1)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.resolver


@dataclass(frozen=True, slots=True)
class Route:
    hosts: tuple[tuple[str, int], ...]

    @property
    def key(self) -> str:
        return ",".join(f"{h}:{p}" for h, p in self.hosts)


class RouteError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class MxResolver:
    def __init__(
        self,
        nameserver: tuple[str, int] | None = None,
        *,
        port: int = 25,
        cache_seconds: float = 300.0,
        timeout: float = 10.0,
    ) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=nameserver is None)
        if nameserver is not None:
            self._resolver.nameservers = [nameserver[0]]
            self._resolver.port = nameserver[1]
        self._resolver.lifetime = timeout
        self._port = port
        self._cache: dict[str, tuple[float, Route]] = {}
        self._cache_seconds = cache_seconds

    async def route(self, domain: str) -> Route:
        cached = self._cache.get(domain)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        route = await self._lookup(domain)
        self._cache[domain] = (time.monotonic() + self._cache_seconds, route)
        return route

    async def _lookup(self, domain: str) -> Route:
        try:
            answer = await self._resolver.resolve(domain, "MX")
            records = sorted(answer, key=lambda r: r.preference)
            hosts = [str(r.exchange).rstrip(".") for r in records]
            if hosts == [""]:  # RFC 7505 null MX: the domain accepts no mail
                raise RouteError(f"{domain} publishes a null MX and accepts no mail", permanent=True)
        except dns.resolver.NXDOMAIN as error:
            raise RouteError(f"domain {domain} does not exist", permanent=True) from error
        except dns.resolver.NoAnswer:
            hosts = [domain]  # implicit MX: the domain's own address (RFC 5321 §5.1)
        except dns.exception.DNSException as error:
            raise RouteError(f"DNS lookup for {domain} failed: {error}", permanent=False) from error
        addresses: list[tuple[str, int]] = []
        for host in hosts:
            addresses.extend((address, self._port) for address in await self._addresses(host))
        if not addresses:
            raise RouteError(
                f"no address found for the mail hosts of {domain}: {', '.join(hosts)}", permanent=False
            )
        return Route(tuple(addresses))

    async def _addresses(self, host: str) -> list[str]:
        """The host's addresses through the same resolver (so a configured resolver is used throughout)."""
        found: list[str] = []
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self._resolver.resolve(host, rdtype)
            except dns.exception.DNSException:
                continue
            found.extend(str(r.address) for r in answer)
        return found


class StaticRoutes:
    """Every domain goes to one smarthost (POSTWARDEN_RELAY)."""

    def __init__(self, host: str, port: int) -> None:
        self._route = Route(((host, port),))

    async def route(self, domain: str) -> Route:
        return self._route
