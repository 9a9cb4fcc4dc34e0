"""The Easy DKIM DNS authority on real sockets, and DKIM verified through DNS as a receiver would do it."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator, Iterator

import dkim  # type: ignore[import-untyped]
import dns.asyncquery
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import pytest

from postwarden.dkim import DkimKeyPair, DkimSigner, dns_txt_value, generate_key, prepend
from postwarden.dns import DnsAuthority
from tests.support.dns_server import TestDnsServer

ZONE = "dkim.postwarden.test"
TOKEN = "4z7nqdjl6wkyhtt6ex3yhzfcaykajbpj"
HOST = "127.0.0.1"
TIMEOUT = 2.0


class Records:
    """The lookup the authority is given: token → TXT values, backed by a dict the tests edit."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = {}
        self.calls: list[str] = []
        self.fail = False

    async def __call__(self, label: str) -> list[str] | None:
        self.calls.append(label)
        if self.fail:
            raise RuntimeError("database is down")
        return self.values.get(label)


@pytest.fixture(scope="module")
def key() -> DkimKeyPair:
    return generate_key(2048)


@pytest.fixture
def records(key: DkimKeyPair) -> Records:
    records = Records()
    records.values[TOKEN] = [dns_txt_value(key.public_b64)]
    return records


@pytest.fixture
async def authority(records: Records) -> AsyncIterator[DnsAuthority]:
    server = DnsAuthority(
        ZONE, records, ns_name="ns1.postwarden.test", hostmaster="hostmaster@postwarden.test"
    )
    await server.start()
    yield server
    await server.stop()


async def udp(
    authority: DnsAuthority, name: str, rdtype: str, *, edns_payload: int | None = None
) -> dns.message.Message:
    if edns_payload is None:
        query = dns.message.make_query(name, rdtype)
    else:
        query = dns.message.make_query(name, rdtype, use_edns=0, payload=edns_payload)
    return await dns.asyncquery.udp(query, HOST, TIMEOUT, authority.port)


async def tcp(authority: DnsAuthority, name: str, rdtype: str) -> dns.message.Message:
    return await dns.asyncquery.tcp(dns.message.make_query(name, rdtype), HOST, TIMEOUT, authority.port)


def txt_of(response: dns.message.Message) -> list[list[bytes]]:
    """The character-strings of each TXT record in the answer."""
    return [
        list(rdata.strings)
        for rrset in response.answer
        for rdata in rrset
        if rrset.rdtype == dns.rdatatype.TXT
    ]


def is_authoritative(response: dns.message.Message) -> bool:
    return bool(response.flags & dns.flags.AA)


# --- the authority -------------------------------------------------------------------------------


async def test_it_listens_on_a_free_port_for_udp_and_tcp(authority: DnsAuthority) -> None:
    assert authority.port > 0
    assert (await udp(authority, ZONE, "SOA")).rcode() == dns.rcode.NOERROR
    assert (await tcp(authority, ZONE, "SOA")).rcode() == dns.rcode.NOERROR


async def test_the_apex_has_an_soa_and_an_ns_record(authority: DnsAuthority) -> None:
    soa = await udp(authority, ZONE, "SOA")
    assert is_authoritative(soa)
    assert not soa.flags & dns.flags.RA
    [record] = soa.find_rrset(soa.answer, dns.name.from_text(ZONE), dns.rdataclass.IN, dns.rdatatype.SOA)
    assert record.mname == dns.name.from_text("ns1.postwarden.test")
    assert record.rname == dns.name.from_text("hostmaster.postwarden.test")
    ns = await udp(authority, ZONE, "NS")
    assert is_authoritative(ns)
    assert [rdata.target.to_text() for rdata in ns.answer[0]] == ["ns1.postwarden.test."]


async def test_other_types_at_the_apex_are_nodata(authority: DnsAuthority) -> None:
    response = await udp(authority, ZONE, "A")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []
    assert response.authority[0].rdtype == dns.rdatatype.SOA


async def test_a_known_token_answers_its_txt_record(
    authority: DnsAuthority, records: Records, key: DkimKeyPair
) -> None:
    response = await udp(authority, f"{TOKEN}.{ZONE}", "TXT")
    assert response.rcode() == dns.rcode.NOERROR
    assert is_authoritative(response)
    [strings] = txt_of(response)
    assert b"".join(strings).decode() == dns_txt_value(key.public_b64)
    assert records.calls == [TOKEN]


async def test_names_are_case_insensitive(authority: DnsAuthority, records: Records) -> None:
    response = await udp(authority, f"{TOKEN.upper()}.DKIM.Postwarden.Test", "TXT")
    assert len(txt_of(response)) == 1
    assert records.calls == [TOKEN]


async def test_a_2048_bit_key_arrives_as_several_strings_that_reassemble_exactly(
    authority: DnsAuthority, key: DkimKeyPair
) -> None:
    value = dns_txt_value(key.public_b64)
    assert len(value) > 255
    for response in (
        await udp(authority, f"{TOKEN}.{ZONE}", "TXT"),
        await tcp(authority, f"{TOKEN}.{ZONE}", "TXT"),
    ):
        [strings] = txt_of(response)
        assert len(strings) >= 2
        assert all(len(string) <= 255 for string in strings)
        assert b"".join(strings) == value.encode()


async def test_several_values_are_several_records(authority: DnsAuthority, records: Records) -> None:
    records.values["multi"] = ["first", "second"]
    assert sorted(txt_of(await udp(authority, f"multi.{ZONE}", "TXT"))) == [[b"first"], [b"second"]]


async def test_an_unknown_token_is_nxdomain_with_the_soa(authority: DnsAuthority) -> None:
    response = await udp(authority, f"unknowntoken.{ZONE}", "TXT")
    assert response.rcode() == dns.rcode.NXDOMAIN
    assert is_authoritative(response)
    assert response.answer == []
    assert response.authority[0].rdtype == dns.rdatatype.SOA


async def test_deeper_names_and_odd_labels_are_nxdomain_without_a_lookup(
    authority: DnsAuthority, records: Records
) -> None:
    for name in (
        f"a.{TOKEN}.{ZONE}",
        f"_domainkey.{TOKEN}.{ZONE}",
        f"sp\\032ace.{ZONE}",
        f"bad!label.{ZONE}",
    ):
        response = await udp(authority, name, "TXT")
        assert response.rcode() == dns.rcode.NXDOMAIN, name
    assert records.calls == []


async def test_other_types_on_a_token_name_are_nodata(authority: DnsAuthority) -> None:
    for rdtype in ("A", "AAAA", "CNAME", "MX"):
        response = await udp(authority, f"{TOKEN}.{ZONE}", rdtype)
        assert response.rcode() == dns.rcode.NOERROR, rdtype
        assert is_authoritative(response)
        assert response.answer == []
        assert [rrset.rdtype for rrset in response.authority] == [dns.rdatatype.SOA]


async def test_a_name_without_txt_values_is_nodata(authority: DnsAuthority, records: Records) -> None:
    records.values["empty"] = []
    response = await udp(authority, f"empty.{ZONE}", "TXT")
    assert response.rcode() == dns.rcode.NOERROR
    assert response.answer == []


async def test_names_outside_the_zone_are_refused(authority: DnsAuthority, records: Records) -> None:
    for name in ("example.com", "postwarden.test", f"evil{ZONE}", "."):
        response = await udp(authority, name, "TXT")
        assert response.rcode() == dns.rcode.REFUSED, name
        assert not is_authoritative(response)
        assert response.answer == []
    assert records.calls == []


async def test_a_failing_lookup_is_servfail_and_the_server_carries_on(
    authority: DnsAuthority, records: Records
) -> None:
    records.fail = True
    assert (await udp(authority, f"{TOKEN}.{ZONE}", "TXT")).rcode() == dns.rcode.SERVFAIL
    records.fail = False
    assert len(txt_of(await udp(authority, f"{TOKEN}.{ZONE}", "TXT"))) == 1


async def test_several_queries_on_one_tcp_connection(authority: DnsAuthority) -> None:
    reader, writer = await asyncio.open_connection(HOST, authority.port)
    try:
        queries = [dns.message.make_query(f"{TOKEN}.{ZONE}", "TXT"), dns.message.make_query(ZONE, "SOA")]
        writer.write(b"".join(query.to_wire(prepend_length=True) for query in queries))
        await writer.drain()
        for query in queries:
            size = int.from_bytes(await asyncio.wait_for(reader.readexactly(2), TIMEOUT), "big")
            response = dns.message.from_wire(await reader.readexactly(size))
            assert response.id == query.id
            assert response.rcode() == dns.rcode.NOERROR
            assert response.answer
    finally:
        writer.close()


async def test_udp_answers_over_512_bytes_are_truncated_without_edns(
    authority: DnsAuthority, records: Records
) -> None:
    records.values["big"] = ["v=DKIM1; k=rsa; p=" + "A" * 740]  # the size of a 4096-bit key record
    name = f"big.{ZONE}"
    plain = await udp(authority, name, "TXT")
    assert plain.flags & dns.flags.TC
    assert len(plain.to_wire()) <= 512
    with_edns = await udp(authority, name, "TXT", edns_payload=4096)
    assert not with_edns.flags & dns.flags.TC
    assert b"".join(txt_of(with_edns)[0]) == records.values["big"][0].encode()
    small_edns = await udp(authority, name, "TXT", edns_payload=600)
    assert small_edns.flags & dns.flags.TC
    over_tcp = await tcp(authority, name, "TXT")
    assert not over_tcp.flags & dns.flags.TC
    assert b"".join(txt_of(over_tcp)[0]) == records.values["big"][0].encode()


async def test_malformed_udp_packets_are_dropped_and_the_server_lives_on(authority: DnsAuthority) -> None:
    query = dns.message.make_query(f"{TOKEN}.{ZONE}", "TXT").to_wire()
    garbage = [b"", b"\x00", b"\xff" * 12, query[:20], query + b"junk", secrets.token_bytes(300)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for packet in garbage:
            sock.sendto(packet, (HOST, authority.port))
    assert len(txt_of(await udp(authority, f"{TOKEN}.{ZONE}", "TXT"))) == 1


async def test_a_malformed_tcp_query_closes_that_connection_only(authority: DnsAuthority) -> None:
    for payload in (b"\x00\x05hello", b"\x00\x02\xff\xff", b"\x00"):
        reader, writer = await asyncio.open_connection(HOST, authority.port)
        writer.write(payload)
        await writer.drain()
        if payload == b"\x00":
            writer.write_eof()
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # closed by the server
        writer.close()
    assert len(txt_of(await tcp(authority, f"{TOKEN}.{ZONE}", "TXT"))) == 1


async def test_responses_and_other_opcodes_get_no_answer_or_notimp(authority: DnsAuthority) -> None:
    query = dns.message.make_query(f"{TOKEN}.{ZONE}", "TXT")
    response = dns.message.make_response(query)
    assert await authority.respond(response.to_wire(), udp=True) is None
    notify = dns.message.make_query(ZONE, "SOA")
    notify.set_opcode(dns.opcode.NOTIFY)
    reply = dns.message.from_wire(await authority.respond(notify.to_wire(), udp=True) or b"")
    assert reply.rcode() == dns.rcode.NOTIMP


async def test_stop_closes_idle_connections_and_releases_the_port(records: Records) -> None:
    server = DnsAuthority(ZONE, records)
    await server.start()
    port = server.port
    reader, writer = await asyncio.open_connection(HOST, port)  # an idle client
    await asyncio.wait_for(server.stop(), TIMEOUT)
    assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""
    writer.close()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, port))


# --- DKIM verified through DNS, as a receiver would ----------------------------------------------


@pytest.fixture(scope="module")
def customer_dns() -> Iterator[TestDnsServer]:
    with TestDnsServer() as server:
        server.add(f"{TOKEN}._domainkey.example.com", "CNAME", f"{TOKEN}.{ZONE}.")
        yield server


class TxtViaDns:
    """dkimpy's ``dnsfunc``: ask the customer's DNS, follow a CNAME into the authority's zone, ask it."""

    def __init__(self, customer_port: int, authority_port: int) -> None:
        self.customer = _resolver(customer_port)
        self.authority = _resolver(authority_port)
        self.zone = dns.name.from_text(ZONE)
        self.asked: list[str] = []

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        qname = dns.name.from_text(name.decode("ascii"))
        for _ in range(8):  # bounded CNAME chain
            resolver = self.authority if qname.is_subdomain(self.zone) else self.customer
            self.asked.append(qname.to_text())
            try:
                answer = resolver.resolve(qname, "TXT", raise_on_no_answer=False, lifetime=timeout)
            except dns.resolver.NXDOMAIN:
                return None
            rrsets = {rrset.rdtype: rrset for rrset in answer.response.answer if rrset.name == qname}
            if dns.rdatatype.TXT in rrsets:
                return b"".join(rrsets[dns.rdatatype.TXT][0].strings)
            if dns.rdatatype.CNAME not in rrsets:
                return None
            qname = rrsets[dns.rdatatype.CNAME][0].target
        return None


def _resolver(port: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [HOST]
    resolver.port = port
    return resolver


MESSAGE = (
    b"From: Example <news@example.com>\r\n"
    b"To: alice@example.org\r\n"
    b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
    b"Date: Mon, 06 May 2024 07:08:09 +0000\r\n"
    b"Message-ID: <1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=UTF-8\r\n"
    b"\r\n"
    b"Hello through DNS.\r\n"
)


async def verify_through_dns(
    message: bytes, customer: TestDnsServer, authority: DnsAuthority
) -> tuple[bool, list[str]]:
    txt = TxtViaDns(customer.port, authority.port)
    # dkimpy is synchronous; the authority answers on this event loop, so verify in a thread
    ok = await asyncio.to_thread(dkim.verify, message, dnsfunc=txt)
    return bool(ok), txt.asked


async def test_a_signature_verifies_through_the_cname_and_the_authority(
    authority: DnsAuthority, customer_dns: TestDnsServer, key: DkimKeyPair
) -> None:
    header = DkimSigner().sign(MESSAGE, domain="example.com", selector=TOKEN, private_pem=key.private_pem)
    ok, asked = await verify_through_dns(prepend(MESSAGE, header), customer_dns, authority)
    assert ok
    assert asked == [f"{TOKEN}._domainkey.example.com.", f"{TOKEN}.{ZONE}."]


async def test_a_tampered_body_fails_through_dns(
    authority: DnsAuthority, customer_dns: TestDnsServer, key: DkimKeyPair
) -> None:
    header = DkimSigner().sign(MESSAGE, domain="example.com", selector=TOKEN, private_pem=key.private_pem)
    tampered = prepend(MESSAGE, header).replace(b"Hello through", b"Hello around")
    ok, _asked = await verify_through_dns(tampered, customer_dns, authority)
    assert not ok


async def test_a_revoked_key_or_a_missing_cname_fails_through_dns(
    authority: DnsAuthority, customer_dns: TestDnsServer, records: Records, key: DkimKeyPair
) -> None:
    header = DkimSigner().sign(MESSAGE, domain="example.com", selector=TOKEN, private_pem=key.private_pem)
    signed = prepend(MESSAGE, header)
    del records.values[TOKEN]
    assert await verify_through_dns(signed, customer_dns, authority) == (
        False,
        [f"{TOKEN}._domainkey.example.com.", f"{TOKEN}.{ZONE}."],
    )
    records.values[TOKEN] = [dns_txt_value(key.public_b64)]
    customer_dns.remove(f"{TOKEN}._domainkey.example.com")
    try:
        missing = await verify_through_dns(signed, customer_dns, authority)
    finally:
        customer_dns.add(f"{TOKEN}._domainkey.example.com", "CNAME", f"{TOKEN}.{ZONE}.")
    assert missing == (False, [f"{TOKEN}._domainkey.example.com."])
