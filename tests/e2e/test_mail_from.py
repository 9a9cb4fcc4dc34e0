"""Custom MAIL FROM domains: MX and SPF checked by DNS, VERP envelope senders under the domain in use,
and both behaviours while the records are missing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import BACKENDS, dns_checked_service
from tests.support.dns_server import TestDnsServer
from tests.support.mta import RemoteMta
from tests.support.service import Service

MX_HOST = "feedback-smtp.postwarden.test"
SPF_INCLUDE = "spf.postwarden.test"


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mta: RemoteMta,
    dns_server: TestDnsServer,
) -> Iterator[Service]:
    yield from dns_checked_service(
        request, tmp_path_factory, mta, dns_server, mail_from_mx_host=MX_HOST, spf_include=SPF_INCLUDE
    )


def wait_until(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met")


def setup(service: Service) -> tuple[str, Any]:
    account = service.create_account()
    domain = f"mf{account.account_id}.example"
    service.cli("identities", "verify", account.account_id, domain)
    service.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", "1000")
    return domain, service.client(account)


def send(client: Any, source: str, to: str) -> str:
    return str(
        client.send_email(
            FromEmailAddress=source,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": "mail from"}, "Body": {"Text": {"Data": "x"}}}},
        )["MessageId"]
    )


def test_a_verified_mail_from_domain_carries_the_verp_envelope(
    service: Service, dns_server: TestDnsServer, mta: RemoteMta
) -> None:
    domain, client = setup(service)
    mail_from = f"bounce.{domain}"
    with pytest.raises(ClientError) as outside:
        client.put_email_identity_mail_from_attributes(
            EmailIdentity=domain, MailFromDomain="bounce.other.example"
        )
    assert outside.value.response["Error"]["Code"] == "BadRequestException"
    client.put_email_identity_mail_from_attributes(
        EmailIdentity=domain, MailFromDomain=mail_from, BehaviorOnMxFailure="USE_DEFAULT_VALUE"
    )
    attributes = client.get_email_identity(EmailIdentity=domain)["MailFromAttributes"]
    assert attributes == {
        "MailFromDomain": mail_from,
        "MailFromDomainStatus": "PENDING",
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }
    # records missing, USE_DEFAULT_VALUE: sent with the default bounce domain
    to = f"a-{domain}@example.net"
    message_id = send(client, f"me@{domain}", to)
    (first,) = mta.wait_for(to)
    assert first.mail_from.startswith(message_id) and first.mail_from.endswith(
        "@bounces.postwarden.localhost"
    )

    dns_server.add(mail_from, "MX", f"10 {MX_HOST}.")
    dns_server.add(mail_from, "TXT", f'"v=spf1 include:{SPF_INCLUDE} ~all"')
    wait_until(
        lambda: (
            client.get_email_identity(EmailIdentity=domain)["MailFromAttributes"]["MailFromDomainStatus"]
            == "SUCCESS"
        )
    )
    to2 = f"b-{domain}@example.net"
    message_id = send(client, f"me@{domain}", to2)
    (second,) = mta.wait_for(to2)
    local, _, envelope_domain = second.mail_from.partition("@")
    assert envelope_domain == mail_from and local.startswith(message_id)


def test_reject_message_refuses_until_the_records_exist(service: Service, dns_server: TestDnsServer) -> None:
    domain, client = setup(service)
    mail_from = f"mail.{domain}"
    client.put_email_identity_mail_from_attributes(
        EmailIdentity=domain, MailFromDomain=mail_from, BehaviorOnMxFailure="REJECT_MESSAGE"
    )
    with pytest.raises(ClientError) as refused:
        send(client, f"me@{domain}", "x@example.net")
    assert refused.value.response["Error"]["Code"] == "MailFromDomainNotVerifiedException"
    dns_server.add(mail_from, "MX", f"10 {MX_HOST}.")
    dns_server.add(mail_from, "TXT", f'"v=spf1 include:{SPF_INCLUDE} -all"')
    wait_until(
        lambda: (
            client.get_email_identity(EmailIdentity=domain)["MailFromAttributes"]["MailFromDomainStatus"]
            == "SUCCESS"
        )
    )
    send(client, f"me@{domain}", "x@example.net")


def test_v1_set_and_get_identity_mail_from_domain(service: Service) -> None:
    account = service.create_account()
    domain = f"v1mf{account.account_id}.example"
    service.cli("identities", "verify", account.account_id, domain)
    ses = service.client(account, "ses")
    ses.set_identity_mail_from_domain(
        Identity=domain, MailFromDomain=f"bounce.{domain}", BehaviorOnMXFailure="RejectMessage"
    )
    found = ses.get_identity_mail_from_domain_attributes(Identities=[domain])["MailFromDomainAttributes"][
        domain
    ]
    assert found == {
        "MailFromDomain": f"bounce.{domain}",
        "MailFromDomainStatus": "Pending",
        "BehaviorOnMXFailure": "RejectMessage",
    }
    with pytest.raises(ClientError) as refused:
        ses.send_email(
            Source=f"me@{domain}",
            Destination={"ToAddresses": [f"me@{domain}"]},
            Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}},
        )
    assert refused.value.response["Error"]["Code"] == "MailFromDomainNotVerifiedException"
