"""Identity verification by DNS and Easy DKIM, against real DNS servers: the test's server for the
sender's zone and Postwarden's own authoritative server for the DKIM zone."""

from __future__ import annotations

import email
import time
from collections.abc import Iterator
from typing import Any

import dkim
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import pytest

from postwarden.dkim.keys import generate_key
from tests.conftest import BACKENDS, dns_checked_service
from tests.support.dns_server import TestDnsServer
from tests.support.mta import RemoteMta
from tests.support.service import Account, Service

ZONE = "dkim.postwarden.test"


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mta: RemoteMta,
    dns_server: TestDnsServer,
) -> Iterator[Service]:
    yield from dns_checked_service(
        request, tmp_path_factory, mta, dns_server, dkim_zone=ZONE, dkim_key_cache_seconds=1
    )


def wait_until(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"condition not met; last value {last!r}")


def publish_cnames(dns_server: TestDnsServer, domain: str, tokens: list[str]) -> None:
    for token in tokens:
        dns_server.add(f"{token}._domainkey.{domain}", "CNAME", f"{token}.{ZONE}.")


def resolving_dnsfunc(dns_server: TestDnsServer, service: Service) -> Any:
    """What a receiving MTA does: ask for the selector's TXT, follow the CNAME into Postwarden's zone."""

    def query(name: str, port: int, rdtype: str) -> dns.message.Message:
        return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=port, timeout=5)

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        text = name.decode().rstrip(".")
        answer = query(text, dns_server.port, "TXT")
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.CNAME:
                target = str(rrset[0].target).rstrip(".")
                answer = query(target, service.dns_port, "TXT")
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(rrset[0].strings)
        return b""

    return dnsfunc


def bare_base64(pem: bytes) -> str:
    """SES takes the private key as base64 without the PEM armour."""
    return "".join(line for line in pem.decode().splitlines() if not line.startswith("-----"))


def production(service: Service) -> tuple[Account, Any]:
    account = service.create_account()
    service.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", "1000")
    return account, service.client(account)


def test_easy_dkim_verifies_by_dns_signs_mail_and_reports_lost_records(
    service: Service, dns_server: TestDnsServer, mta: RemoteMta
) -> None:
    account, client = production(service)
    domain = f"d{account.account_id}.example"
    created = client.create_email_identity(EmailIdentity=domain)
    tokens = created["DkimAttributes"]["Tokens"]
    assert len(tokens) == 3 and created["DkimAttributes"]["Status"] == "PENDING"
    assert created["DkimAttributes"]["SigningHostedZone"] == ZONE
    pending = wait_until(lambda: client.get_email_identity(EmailIdentity=domain).get("VerificationInfo"))
    assert pending["ErrorType"] in {"HOST_NOT_FOUND", "TYPE_NOT_FOUND"}
    assert client.get_email_identity(EmailIdentity=domain)["VerificationStatus"] == "PENDING"

    publish_cnames(dns_server, domain, tokens)
    identity = wait_until(
        lambda: (
            (i := client.get_email_identity(EmailIdentity=domain))["VerificationStatus"] == "SUCCESS" and i
        )
    )
    assert identity["DkimAttributes"]["Status"] == "SUCCESS"
    assert identity["DkimAttributes"]["CurrentSigningKeyLength"] == "RSA_2048_BIT"
    assert identity["VerifiedForSendingStatus"] is True

    to = f"dkim-{account.account_id}@example.net"
    client.send_email(
        FromEmailAddress=f"news@mail.{domain}",  # a subdomain signs with its parent's key
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "signed"}, "Body": {"Text": {"Data": "body"}}}},
    )
    (received,) = mta.wait_for(to)
    assert received.data.startswith(b"DKIM-Signature:")
    signature = email.message_from_bytes(received.data)["DKIM-Signature"]
    assert f"d={domain}" in signature.replace("\r\n", "").replace(" ", "")
    assert dkim.verify(received.data, dnsfunc=resolving_dnsfunc(dns_server, service))
    assert not dkim.verify(
        received.data.replace(b"body", b"BODY"), dnsfunc=resolving_dnsfunc(dns_server, service)
    )

    for token in tokens:
        dns_server.remove(f"{token}._domainkey.{domain}")
    lost = wait_until(
        lambda: (
            (i := client.get_email_identity(EmailIdentity=domain))["VerificationStatus"]
            == "TEMPORARY_FAILURE"
            and i
        )
    )
    assert lost["DkimAttributes"]["Status"] == "TEMPORARY_FAILURE"
    assert lost["VerificationInfo"]["LastSuccessTimestamp"]


def test_the_legacy_txt_token_verifies_a_domain(service: Service, dns_server: TestDnsServer) -> None:
    account, _ = production(service)
    ses = service.client(account, "ses")
    domain = f"txt{account.account_id}.example"
    token = ses.verify_domain_identity(Domain=domain)["VerificationToken"]
    dns_server.add(f"_amazonses.{domain}", "TXT", f'"{token}"')
    wait_until(
        lambda: (
            ses.get_identity_verification_attributes(Identities=[domain])["VerificationAttributes"][domain][
                "VerificationStatus"
            ]
            == "Success"
        )
    )
    dkim_status = ses.get_identity_dkim_attributes(Identities=[domain])["DkimAttributes"][domain]
    assert dkim_status["DkimVerificationStatus"] == "Pending" and dkim_status["DkimEnabled"] is True


def test_bring_your_own_dkim_key(service: Service, dns_server: TestDnsServer, mta: RemoteMta) -> None:
    account, client = production(service)
    domain = f"byo{account.account_id}.example"
    pair = generate_key(1024)
    client.create_email_identity(EmailIdentity=domain)
    result = client.put_email_identity_dkim_signing_attributes(
        EmailIdentity=domain,
        SigningAttributesOrigin="EXTERNAL",
        SigningAttributes={
            "DomainSigningSelector": "sel1",
            "DomainSigningPrivateKey": bare_base64(pair.private_pem),
        },
    )
    assert result["DkimStatus"] == "PENDING"
    dns_server.add(f"sel1._domainkey.{domain}", "TXT", f'"v=DKIM1; k=rsa; p={pair.public_b64}"')
    wait_until(
        lambda: client.get_email_identity(EmailIdentity=domain)["DkimAttributes"]["Status"] == "SUCCESS"
    )
    to = f"byo-{account.account_id}@example.net"
    client.send_email(
        FromEmailAddress=f"me@{domain}",
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": "byo"}, "Body": {"Text": {"Data": "body"}}}},
    )
    (received,) = mta.wait_for(to)
    assert dkim.verify(received.data, dnsfunc=resolving_dnsfunc(dns_server, service))
    client.put_email_identity_dkim_attributes(EmailIdentity=domain, SigningEnabled=False)
    to2 = f"byo2-{account.account_id}@example.net"
    client.send_email(
        FromEmailAddress=f"me@{domain}",
        Destination={"ToAddresses": [to2]},
        Content={"Simple": {"Subject": {"Data": "unsigned"}, "Body": {"Text": {"Data": "body"}}}},
    )
    (unsigned,) = mta.wait_for(to2)
    assert not unsigned.data.startswith(b"DKIM-Signature:")


def test_postwarden_answers_for_its_dkim_zone(service: Service) -> None:
    apex = dns.query.udp(dns.message.make_query(ZONE, "SOA"), "127.0.0.1", port=service.dns_port, timeout=5)
    assert apex.answer and apex.answer[0].rdtype == dns.rdatatype.SOA
    unknown = dns.query.udp(
        dns.message.make_query(f"nosuchtoken.{ZONE}", "TXT"), "127.0.0.1", port=service.dns_port, timeout=5
    )
    assert unknown.rcode() == dns.rcode.NXDOMAIN


def test_list_recommendations_names_the_records_to_publish(
    service: Service, dns_server: TestDnsServer
) -> None:
    account, client = production(service)
    domain = f"rec{account.account_id}.example"
    tokens = client.create_email_identity(EmailIdentity=domain)["DkimAttributes"]["Tokens"]

    def by_type() -> dict[str, dict[str, Any]]:
        listed = client.list_recommendations()["Recommendations"]
        return {r["Type"]: r for r in listed if r["ResourceArn"].endswith(f"identity/{domain}")}

    before = by_type()
    assert set(before) == {"DKIM", "SPF", "DMARC"}
    assert before["DKIM"]["Status"] == "OPEN" and before["DKIM"]["Impact"] == "HIGH"
    assert f"{tokens[0]}._domainkey.{domain}" in before["DKIM"]["Description"]
    assert before["DMARC"]["Status"] == "OPEN" and f"_dmarc.{domain}" in before["DMARC"]["Description"]

    publish_cnames(dns_server, domain, tokens)
    wait_until(
        lambda: client.get_email_identity(EmailIdentity=domain)["DkimAttributes"]["Status"] == "SUCCESS"
    )
    dns_server.add(f"_dmarc.{domain}", "TXT", '"v=DMARC1; p=reject"')
    after = by_type()
    assert after["DKIM"]["Status"] == "FIXED"
    assert after["DMARC"]["Status"] == "FIXED"  # DKIM aligns with the domain, so p=reject lets the mail in
    only_open = client.list_recommendations(Filter={"STATUS": "OPEN"})["Recommendations"]
    assert all(r["Status"] == "OPEN" for r in only_open)


def test_rotating_easy_dkim_keeps_old_and_new_signatures_verifiable(
    service: Service, dns_server: TestDnsServer, mta: RemoteMta
) -> None:
    account, client = production(service)
    domain = f"rot{account.account_id}.example"
    tokens = client.create_email_identity(EmailIdentity=domain)["DkimAttributes"]["Tokens"]
    publish_cnames(dns_server, domain, tokens)
    wait_until(
        lambda: client.get_email_identity(EmailIdentity=domain)["DkimAttributes"]["Status"] == "SUCCESS"
    )

    def send(label: str) -> bytes:
        to = f"{label}-{account.account_id}@example.net"
        client.send_email(
            FromEmailAddress=f"me@{domain}",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": label}, "Body": {"Text": {"Data": "body"}}}},
        )
        (received,) = mta.wait_for(to)
        return received.data

    before = send("before")
    rotated = service.cli("identities", "rotate-dkim", account.account_id, domain)
    assert rotated["signing_selector"] == tokens[1]
    time.sleep(1.2)  # the server's key cache (1 s here) lets the new key take over
    after = send("after")
    dnsfunc = resolving_dnsfunc(dns_server, service)
    assert f"s={tokens[0]}".encode() in before.replace(b"\r\n ", b"").replace(b" ", b"")
    assert f"s={tokens[1]}".encode() in after.replace(b"\r\n ", b"").replace(b" ", b"")
    assert dkim.verify(before, dnsfunc=dnsfunc) and dkim.verify(after, dnsfunc=dnsfunc)
