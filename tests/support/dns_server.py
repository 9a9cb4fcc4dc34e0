"""A real authoritative DNS server (UDP and TCP on loopback) whose records the tests edit while it runs."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import defaultdict
from typing import Any

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class TestDnsServer:
    __test__ = False  # not a pytest test class
    """`add("example.com", "MX", "10 mx.example.com.")`; names not present answer NXDOMAIN."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self._lock = threading.Lock()
        self._records: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self._servers: list[Any] = _bind_pair(host)
        self.port = self._servers[0].server_address[1]
        for server in self._servers:
            server.daemon_threads = True
            server.dns = self  # type: ignore[attr-defined]

    def add(self, name: str, rdtype: str, *values: str) -> None:
        with self._lock:
            self._records[_key(name)][rdtype.upper()].extend(values)

    def remove(self, name: str, rdtype: str | None = None) -> None:
        with self._lock:
            if rdtype is None:
                self._records.pop(_key(name), None)
            else:
                self._records[_key(name)].pop(rdtype.upper(), None)

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name
        rdtype = dns.rdatatype.to_text(question.rdtype)
        with self._lock:
            known = self._records.get(_key(name.to_text()))
            records = dict(known) if known else None
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response.to_wire()
        if "CNAME" in records and rdtype != "CNAME":
            rdtype = "CNAME"  # the resolver follows it
        for value in records.get(rdtype, []):
            rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rdtype), value)
            rrset = response.find_rrset(response.answer, name, dns.rdataclass.IN, rdata.rdtype, create=True)
            rrset.add(rdata, ttl=60)
        return response.to_wire()

    def start(self) -> TestDnsServer:
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def __enter__(self) -> TestDnsServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _bind_pair(host: str) -> list[Any]:
    """A UDP and a TCP server on the same free port (the UDP port's TCP twin may be taken: try again)."""
    for _ in range(50):
        udp = socketserver.ThreadingUDPServer((host, 0), _UdpHandler)
        try:
            tcp = socketserver.ThreadingTCPServer((host, udp.server_address[1]), _TcpHandler)
        except OSError:
            udp.server_close()
            continue
        return [udp, tcp]
    raise OSError("no port free for both UDP and TCP")


def _key(name: str) -> str:
    return name.lower().rstrip(".") + "."


class _UdpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        data, sock = self.request
        sock.sendto(self.server.dns.answer(data), self.client_address)  # type: ignore[attr-defined]


class _TcpHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        length = int.from_bytes(_read(conn, 2), "big")
        reply = self.server.dns.answer(_read(conn, length))  # type: ignore[attr-defined]
        conn.sendall(len(reply).to_bytes(2, "big") + reply)


def _read(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data
