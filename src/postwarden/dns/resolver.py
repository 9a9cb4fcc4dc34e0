"""DNS look-ups for verification checks, through the configured resolver (POSTWARDEN_DNS_RESOLVER)."""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.resolver

from postwarden.ports import DnsAnswer


class Resolver:
    def __init__(self, nameserver: tuple[str, int] | None = None, timeout: float = 5.0) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=nameserver is None)
        if nameserver is not None:
            self._resolver.nameservers = [nameserver[0]]
            self._resolver.port = nameserver[1]
        self._resolver.lifetime = timeout

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        try:
            answer = await self._resolver.resolve(name, rdtype, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer("nxdomain")
        except dns.exception.DNSException:
            return DnsAnswer("error")
        values: list[str] = []
        for record in answer.rrset or []:
            if rdtype == "TXT":
                values.append(b"".join(record.strings).decode("utf-8", "replace"))
            elif rdtype == "CNAME":
                values.append(str(record.target).rstrip(".").lower())
            else:
                values.append(record.to_text())
        return DnsAnswer("ok" if values else "nodata", tuple(values))
