"""The same scenarios through SES v2, SES v1 and SMTP: one policy behind all three, the same decisions."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError

from postwarden.domain.credentials import smtp_password
from tests.support.service import Account, Service

CONTEXT = ssl._create_unverified_context()  # the service's certificate is self-signed
NOT_VERIFIED = (
    "Email address is not verified. The following identities failed the check in region US-EAST-1: "
)


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    text: str  # the SES message text, whatever the protocol wrapped it in


Sender = Callable[[Service, Account, list[str]], Outcome]


def via_v2(service: Service, account: Account, to: list[str]) -> Outcome:
    try:
        service.client(account).send_email(
            FromEmailAddress="sender@example.com",
            Destination={"ToAddresses": to},
            Content={"Simple": {"Subject": {"Data": "parity"}, "Body": {"Text": {"Data": "x"}}}},
        )
    except ClientError as error:
        return Outcome(False, error.response["Error"]["Message"])
    return Outcome(True, "")


def via_v1(service: Service, account: Account, to: list[str]) -> Outcome:
    try:
        service.client(account, "ses").send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": to},
            Message={"Subject": {"Data": "parity"}, "Body": {"Text": {"Data": "x"}}},
        )
    except ClientError as error:
        return Outcome(False, error.response["Error"]["Message"])
    return Outcome(True, "")


def via_smtp(service: Service, account: Account, to: list[str]) -> Outcome:
    with smtplib.SMTP("127.0.0.1", service.smtp_port, timeout=30) as client:
        client.starttls(context=CONTEXT)
        client.login(account.access_key_id, smtp_password(account.secret_access_key, "us-east-1"))
        data = f"From: sender@example.com\r\nTo: {', '.join(to)}\r\nSubject: parity\r\n\r\nx\r\n".encode()
        client.mail("sender@example.com")
        for rcpt in to:
            client.rcpt(rcpt)
        code, reply = client.data(data)
    text = reply.decode()
    for prefix in ("Message rejected: ", "Throttling failure: "):
        text = text.removeprefix(prefix)
    return Outcome(code == 250, "" if code == 250 else text)


SENDERS = {"v2": via_v2, "v1": via_v1, "smtp": via_smtp}


def new_account(service: Service, *, rate: float | None = None, production: bool = False) -> Account:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    args = ["accounts", "set-sending", account.account_id]
    if production:
        args.append("--production")
    if rate is not None:
        args += ["--max-send-rate", str(rate)]
    if len(args) > 3:
        service.cli(*args)
    return account


@pytest.mark.parametrize("protocol", SENDERS)
def test_unverified_recipient_in_the_sandbox(service: Service, protocol: str) -> None:
    outcome = SENDERS[protocol](service, new_account(service), ["stranger@elsewhere.org"])
    assert outcome == Outcome(False, NOT_VERIFIED + "stranger@elsewhere.org")


@pytest.mark.parametrize("protocol", SENDERS)
def test_verified_recipient_in_the_sandbox_then_the_rate(service: Service, protocol: str) -> None:
    account = new_account(service)
    send = SENDERS[protocol]
    assert send(service, account, ["a@example.com", "b@example.com", "c@example.com"]).accepted
    assert send(service, account, ["d@example.com"]) == Outcome(False, "Maximum sending rate exceeded.")


@pytest.mark.parametrize("protocol", SENDERS)
def test_daily_quota(service: Service, protocol: str) -> None:
    account = new_account(service, rate=1000)
    service.cli("accounts", "set-sending", account.account_id, "--max-24h-send", "2")
    send = SENDERS[protocol]
    assert send(service, account, ["a@example.com"]).accepted
    assert send(service, account, ["b@example.com"]).accepted
    assert send(service, account, ["c@example.com"]) == Outcome(False, "Daily message quota exceeded.")


@pytest.mark.parametrize("protocol", SENDERS)
def test_an_enforcement_pause_refuses_every_protocol_and_the_account_cannot_lift_it(
    service: Service, protocol: str
) -> None:
    account = new_account(service, rate=1000)
    service.cli("accounts", "pause", account.account_id, "--reason", "bounce rate 12% (test)")
    outcome = SENDERS[protocol](service, account, ["a@example.com"])
    assert outcome == Outcome(
        False,
        "Sending paused for this account. For more information, please check the inbox of the email "
        "address associated with your AWS account.",
    )
    client = service.client(account)
    client.put_account_sending_attributes(SendingEnabled=True)
    assert client.get_account()["EnforcementStatus"] == "SHUTDOWN"
    assert not SENDERS[protocol](service, account, ["a@example.com"]).accepted
    service.cli("accounts", "reinstate", account.account_id, "--reason", "fixed")
    assert SENDERS[protocol](service, account, ["a@example.com"]).accepted


@pytest.mark.parametrize("protocol", SENDERS)
def test_production_sends_to_anyone_but_checks_the_sender(service: Service, protocol: str) -> None:
    account = new_account(service, rate=1000, production=True)
    assert SENDERS[protocol](service, account, ["anyone@elsewhere.org"]).accepted
    client = service.client(account)
    client.delete_email_identity(EmailIdentity="example.com")
    assert SENDERS[protocol](service, account, ["anyone@elsewhere.org"]) == Outcome(
        False, NOT_VERIFIED + "sender@example.com"
    )
