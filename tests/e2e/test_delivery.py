"""Delivery behaviour against real peers: MX look-ups in a real DNS server, STARTTLS, connection reuse and
limits, and the maximum delivery time."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from postwarden.smtp.tls import self_signed_certificate
from tests.conftest import BACKENDS, require_postgres
from tests.support.dns_server import TestDnsServer
from tests.support.mta import RemoteMta
from tests.support.service import Account, Service, create_postgres_database, drop_postgres_database


def tls_context(tmp_path: Path) -> ssl.SSLContext:
    cert, key = self_signed_certificate("mx.tls.test")
    (tmp_path / "cert.pem").write_bytes(cert)
    (tmp_path / "key.pem").write_bytes(key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    url = ""
    if request.param == "postgres":
        require_postgres()
        url = create_postgres_database()
    yield url
    if url:
        drop_postgres_database(url)


def production(service: Service) -> tuple[Account, object]:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    service.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", "10000")
    return account, service.client(account)


def send(client: object, to: str, subject: str = "hello") -> str:
    response = client.send_email(  # type: ignore[attr-defined]
        FromEmailAddress="sender@example.com",
        Destination={"ToAddresses": [to]},
        Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "body"}}}},
    )
    return str(response["MessageId"])


def test_mx_lookup_starttls_reuse_and_per_destination_cap(backend: str, tmp_path: Path) -> None:
    with (
        RemoteMta(tls=tls_context(tmp_path), data_delay=0.05) as mta,
        TestDnsServer() as dns,
    ):
        dns.add("mx-routed.test", "MX", "10 mail.mx-routed.test.")
        dns.add("mail.mx-routed.test", "A", "127.0.0.1")
        service = Service(
            tmp_path / "data",
            relay="",
            database_url=backend,
            dns_resolver=dns.address,
            outbound_smtp_port=mta.port,
            max_connections_per_destination=2,
        )
        (tmp_path / "data").mkdir()
        service.start()
        try:
            _, client = production(service)
            recipients = [f"user{i}@mx-routed.test" for i in range(30)]
            for to in recipients:
                send(client, to)
            for to in recipients:
                mta.wait_for(to)
            received = [m for m in mta.received if m.rcpt_to in recipients]
            assert len(received) == 30
            assert all(m.tls for m in received), "opportunistic STARTTLS was not used"
            assert mta.max_open_connections <= 2
            assert mta.connections <= 4, f"{mta.connections} connections for 30 messages: no reuse"
        finally:
            service.stop()


def test_temporary_failures_until_the_maximum_delivery_time_then_a_transient_bounce(
    backend: str, tmp_path: Path
) -> None:
    with RemoteMta() as mta:
        service = Service(tmp_path, relay=mta.relay, database_url=backend, max_delivery_seconds=4)
        service.start()
        try:
            account, client = production(service)
            to = "busy@example.net"
            mta.always(to, "451 4.2.1 mailbox busy, try later")
            message_id = send(client, to)
            (bounce,) = service.wait_for_events(account, "Bounce", 1, timeout=30, message_id=message_id)
            assert bounce["bounce"]["bounceType"] == "Transient"
            assert bounce["bounce"]["bounceSubType"] == "General"
            delays = service.events(account, type="DeliveryDelay", message_id=message_id)
            assert len(delays) >= 2
            assert all(d["deliveryDelay"]["delayedRecipients"][0]["emailAddress"] == to for d in delays)
            assert mta.attempts[to] == len(delays) + 1
            assert mta.messages_for(to) == []
        finally:
            service.stop()
