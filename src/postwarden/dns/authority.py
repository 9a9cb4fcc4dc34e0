"""A small authoritative DNS server for one zone (UDP and TCP on one port), built on dnspython's wire format.

It serves the zone that Easy DKIM's CNAMEs point into: ``<token>._domainkey.<customer>`` is a CNAME to
``<token>.<zone>``, and a TXT query for ``<token>.<zone>`` is answered from ``lookup("<token>")``.
The apex has an SOA and an NS record; nothing else exists. Names outside the zone are REFUSED (no
recursion). Malformed packets are dropped (UDP) or end the connection (TCP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import dns.rrset

from postwarden.dkim.keys import txt_strings

__all__ = ["DnsAuthority", "Lookup"]

#: ``lookup(label)`` → the TXT values of ``<label>.<zone>`` (one record per value; an empty list is a
#: name without TXT records), or ``None`` when the name does not exist.
Lookup = Callable[[str], Awaitable[list[str] | None]]

logger = logging.getLogger(__name__)

UDP_PLAIN_LIMIT = 512  # RFC 1035 §4.2.1: UDP answers without EDNS
OUR_UDP_PAYLOAD = 1232  # the EDNS buffer size we advertise and cap to (DNS flag day 2020)
TCP_IDLE_SECONDS = 10.0
_LABEL = re.compile(r"[a-z0-9_-]{1,63}")


class DnsAuthority:
    def __init__(
        self,
        zone: str,
        lookup: Lookup,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ns_name: str | None = None,
        hostmaster: str | None = None,
        ttl: int = 300,
    ) -> None:
        self.zone = dns.name.from_text(zone)
        self._lookup = lookup
        self._host = host
        self._requested_port = port
        self._port = port
        self._ttl = ttl
        # ns_name and hostmaster are absolute names ("hostmaster@example.com" is read as the SOA mailbox)
        ns = dns.name.from_text(ns_name) if ns_name else dns.name.from_text("ns", origin=self.zone)
        mailbox = (
            dns.name.from_text(hostmaster.replace("@", ".", 1))
            if hostmaster
            else dns.name.from_text("hostmaster", origin=self.zone)
        )
        self._soa = dns.rrset.from_text(
            self.zone, ttl, "IN", "SOA", f"{ns} {mailbox} 1 3600 600 604800 {ttl}"
        )
        self._ns = dns.rrset.from_text(self.zone, ttl, "IN", "NS", ns.to_text())
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(50):  # with port 0, the free UDP port's TCP twin may be taken: try another
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self._host, self._requested_port)
            )
            port = int(udp.get_extra_info("sockname")[1])
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self._host, port)
            except OSError:
                udp.close()
                if self._requested_port:
                    raise
                continue
            self._udp, self._port = udp, port
            logger.info("DNS authority for %s listening on %s:%d", self.zone, self._host, port)
            return
        raise OSError("no port free for both UDP and TCP")

    async def stop(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._writers):
                writer.close()
            await self._tcp.wait_closed()
            self._tcp = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def respond(self, wire: bytes, *, udp: bool) -> bytes | None:
        """The reply to one query in wire format, or ``None`` to send nothing (malformed, or a response)."""
        try:
            query = dns.message.from_wire(wire)
        except (dns.exception.DNSException, ValueError):
            return None
        if query.flags & dns.flags.QR:
            return None
        response = dns.message.make_response(query, our_payload=OUR_UDP_PAYLOAD)
        await self._fill(query, response)
        return response.to_wire(max_size=_max_size(query, udp), prefer_truncation=True)

    async def _fill(self, query: dns.message.Message, response: dns.message.Message) -> None:
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return
        if query.edns > 0:
            response.set_rcode(dns.rcode.BADVERS)
            return
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return
        question = query.question[0]
        if question.rdclass != dns.rdataclass.IN or not question.name.is_subdomain(self.zone):
            response.set_rcode(dns.rcode.REFUSED)
            return
        response.flags |= dns.flags.AA
        labels = question.name.labels[: len(question.name) - len(self.zone)]
        rdtype = question.rdtype
        if not labels:
            self._answer_apex(rdtype, response)
        elif len(labels) == 1:
            await self._answer_label(labels[0], question.name, rdtype, response)
        else:
            self._negative(response, dns.rcode.NXDOMAIN)

    def _answer_apex(self, rdtype: int, response: dns.message.Message) -> None:
        if rdtype in (dns.rdatatype.SOA, dns.rdatatype.ANY):
            response.answer.append(self._soa)
        if rdtype in (dns.rdatatype.NS, dns.rdatatype.ANY):
            response.answer.append(self._ns)
        if not response.answer:
            self._negative(response, dns.rcode.NOERROR)

    async def _answer_label(
        self, label: bytes, name: dns.name.Name, rdtype: int, response: dns.message.Message
    ) -> None:
        text = label.decode("ascii", "replace").lower()
        if not _LABEL.fullmatch(text):
            self._negative(response, dns.rcode.NXDOMAIN)
            return
        try:
            values = await self._lookup(text)
        except Exception:
            logger.exception("DNS lookup of %r failed", text)
            response.flags &= ~dns.flags.AA
            response.set_rcode(dns.rcode.SERVFAIL)
            return
        if values is None:
            self._negative(response, dns.rcode.NXDOMAIN)
        elif values and rdtype in (dns.rdatatype.TXT, dns.rdatatype.ANY):
            rdatas = [
                dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, txt_strings(value))
                for value in values
            ]
            response.answer.append(dns.rrset.from_rdata_list(name, self._ttl, rdatas))
        else:
            self._negative(response, dns.rcode.NOERROR)

    def _negative(self, response: dns.message.Message, rcode: dns.rcode.Rcode) -> None:
        """NXDOMAIN, or NODATA (NOERROR, empty answer), with the SOA for negative caching (RFC 2308)."""
        response.set_rcode(rcode)
        response.authority.append(self._soa)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                async with asyncio.timeout(TCP_IDLE_SECONDS):
                    size = int.from_bytes(await reader.readexactly(2), "big")
                    wire = await reader.readexactly(size)
                reply = await self.respond_safely(wire, udp=False)
                if reply is None:
                    return
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def track(self, task: asyncio.Task[None]) -> None:
        """Keep a reference to an in-flight UDP reply, so that :meth:`stop` can cancel it."""
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def respond_safely(self, wire: bytes, *, udp: bool) -> bytes | None:
        """:meth:`respond`, but an unexpected failure is logged and the query dropped: the server lives on."""
        try:
            return await self.respond(wire, udp=udp)
        except Exception:
            logger.exception("DNS query could not be answered; dropped")
            return None


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, authority: DnsAuthority) -> None:
        self._authority = authority
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._authority.track(asyncio.get_running_loop().create_task(self._reply(data, addr)))

    def error_received(self, exc: Exception) -> None:
        logger.debug("DNS authority UDP error: %s", exc)

    async def _reply(self, wire: bytes, addr: tuple[str, int]) -> None:
        reply = await self._authority.respond_safely(wire, udp=True)
        if reply is not None and self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(reply, addr)


def _max_size(query: dns.message.Message, udp: bool) -> int:
    if not udp:
        return 65535
    if query.edns < 0:
        return UDP_PLAIN_LIMIT
    return max(UDP_PLAIN_LIMIT, min(query.payload, OUR_UDP_PAYLOAD))
