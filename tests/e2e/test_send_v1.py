"""The SES v1 Query API through an unmodified boto3 `ses` client and the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.mta import RemoteMta
from tests.support.service import Account, Service


def account_with(
    service: Service, *, production: bool = False, rate: float | None = None
) -> tuple[Account, Any]:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    args = ["accounts", "set-sending", account.account_id]
    if production:
        args.append("--production")
    if rate is not None:
        args += ["--max-send-rate", str(rate)]
    if len(args) > 3:
        service.cli(*args)
    return account, service.client(account, "ses")


def send(client: Any, to: list[str], **extra: Any) -> str:
    response = client.send_email(
        Source="Sender <sender@example.com>",
        Destination={"ToAddresses": to},
        Message={"Subject": {"Data": "v1 hello"}, "Body": {"Text": {"Data": "v1 body"}}},
        **extra,
    )
    message_id: str = response["MessageId"]
    return message_id


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_send_email_and_send_raw_email_deliver(service: Service, mta: RemoteMta) -> None:
    account, client = account_with(service, production=True, rate=1000)
    to = f"v1-{account.account_id}@example.net"
    message_id = send(client, [to], Tags=[{"Name": "kind", "Value": "v1"}])
    (received,) = mta.wait_for(to)
    assert b"Subject: v1 hello" in received.data and message_id.encode() in received.data
    raw_to = f"v1raw-{account.account_id}@example.net"
    raw = (
        f"From: sender@example.com\r\nTo: {raw_to}\r\nSubject: raw v1\r\n"
        "X-SES-MESSAGE-TAGS: team=core, kind=raw\r\nX-SES-SOURCE-ARN: arn:aws:ses:us-east-1:1:identity/x\r\n"
        "\r\nraw v1 body\r\n"
    ).encode()
    raw_id = client.send_raw_email(RawMessage={"Data": raw})["MessageId"]
    (raw_received,) = mta.wait_for(raw_to)
    assert b"X-SES-" not in raw_received.data
    assert raw_id.encode() in raw_received.data
    (event,) = service.events(account, type="Send", message_id=raw_id)
    assert event["mail"]["tags"]["team"] == ["core"] and event["mail"]["tags"]["kind"] == ["raw"]
    assert event["mail"]["tags"]["ses:operation"] == ["SendRawEmail"]


def test_raw_destinations_override_the_headers(service: Service, mta: RemoteMta) -> None:
    account, client = account_with(service, production=True, rate=1000)
    header_to = f"header-{account.account_id}@example.net"
    real_to = f"real-{account.account_id}@example.net"
    raw = f"From: sender@example.com\r\nTo: {header_to}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    client.send_raw_email(RawMessage={"Data": raw}, Destinations=[real_to])
    mta.wait_for(real_to)
    assert mta.messages_for(header_to) == []


def test_sandbox_unverified_recipient_is_message_rejected(service: Service) -> None:
    _, client = account_with(service)
    with pytest.raises(ClientError) as refused:
        send(client, ["stranger@elsewhere.org"])
    assert error_of(refused) == (
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "stranger@elsewhere.org",
        400,
    )


def test_rate_and_daily_quota_are_throttling_400(service: Service) -> None:
    _, client = account_with(service)
    send(client, ["a@example.com", "b@example.com", "c@example.com"])
    with pytest.raises(ClientError) as rate:
        send(client, ["a@example.com"])
    assert error_of(rate) == ("Throttling", "Maximum sending rate exceeded.", 400)
    _, client2 = account_with(service, rate=1000)
    for i in range(4):
        send(client2, [f"q{j}@example.com" for j in range(i * 50, i * 50 + 50)])
    with pytest.raises(ClientError) as daily:
        send(client2, ["q200@example.com"])
    assert error_of(daily) == ("Throttling", "Daily message quota exceeded.", 400)
    assert client2.get_send_quota() | {"ResponseMetadata": None} == {
        "Max24HourSend": 200.0,
        "MaxSendRate": 1000.0,
        "SentLast24Hours": 200.0,
        "ResponseMetadata": None,
    }


def test_sending_disabled_gives_account_sending_paused(service: Service) -> None:
    _, client = account_with(service)
    assert client.get_account_sending_enabled()["Enabled"] is True
    client.update_account_sending_enabled(Enabled=False)
    assert client.get_account_sending_enabled()["Enabled"] is False
    with pytest.raises(ClientError) as paused:
        send(client, ["a@example.com"])
    assert error_of(paused)[0] == "AccountSendingPausedException"
    client.update_account_sending_enabled(Enabled=True)
    send(client, ["a@example.com"])


def test_identity_operations(service: Service) -> None:
    _, client = account_with(service)
    client.verify_email_identity(EmailAddress="person@example.org")
    client.verify_email_address(EmailAddress="legacy@example.org")
    token = client.verify_domain_identity(Domain="example.org")["VerificationToken"]
    assert len(token) >= 40
    dkim = client.verify_domain_dkim(Domain="example.org")["DkimTokens"]
    assert len(dkim) == 3 and len(set(dkim)) == 3
    assert set(client.list_identities()["Identities"]) >= {
        "person@example.org",
        "legacy@example.org",
        "example.org",
    }
    assert client.list_identities(IdentityType="Domain")["Identities"] == ["example.com", "example.org"]
    page = client.list_identities(MaxItems=1)
    assert len(page["Identities"]) == 1 and page["NextToken"]
    attributes = client.get_identity_verification_attributes(
        Identities=["example.org", "example.com", "nope.org"]
    )
    found = attributes["VerificationAttributes"]
    assert found["example.org"] == {"VerificationStatus": "Pending", "VerificationToken": token}
    assert found["example.com"]["VerificationStatus"] == "Success"
    assert "nope.org" not in found
    dkim_attributes = client.get_identity_dkim_attributes(Identities=["example.org"])["DkimAttributes"]
    assert dkim_attributes["example.org"]["DkimTokens"] == dkim
    assert client.list_verified_email_addresses()["VerifiedEmailAddresses"] == []
    client.delete_identity(Identity="person@example.org")
    client.delete_identity(Identity="never-existed@example.org")
    assert "person@example.org" not in client.list_identities()["Identities"]


def test_send_statistics_count_attempts_and_bounces(service: Service, mta: RemoteMta) -> None:
    account, client = account_with(service, production=True, rate=1000)
    bounce_to = f"gone-{account.account_id}@example.net"
    mta.always(bounce_to, "550 5.1.1 user unknown")
    send(client, [f"ok-{account.account_id}@example.net", bounce_to])
    service.wait_for_events(account, "Bounce", 1)
    points = client.get_send_statistics()["SendDataPoints"]
    assert sum(p["DeliveryAttempts"] for p in points) == 2
    assert sum(p["Bounces"] for p in points) == 1
    assert all(p["Complaints"] == 0 and p["Rejects"] == 0 for p in points)


def test_bad_requests_get_query_api_errors(service: Service) -> None:
    _, client = account_with(service, production=True, rate=1000)
    with pytest.raises(ClientError) as missing:
        client.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": []},
            Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}},
        )
    assert error_of(missing)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as no_set:
        send(client, ["a@example.net"], ConfigurationSetName="nope")
    assert error_of(no_set)[:2] == (
        "ConfigurationSetDoesNotExist",
        "Configuration set <nope> does not exist.",
    )


def test_aws_cli_sends_a_message(service: Service, mta: RemoteMta) -> None:
    account, _ = account_with(service, production=True, rate=1000)
    to = f"cli-{account.account_id}@example.net"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": account.access_key_id,
        "AWS_SECRET_ACCESS_KEY": account.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    result = subprocess.run(
        [
            sys.executable, "-m", "awscli", "ses", "send-email", "--endpoint-url", service.endpoint,
            "--from", "sender@example.com", "--to", to, "--subject", "from the cli", "--text", "cli body",
            "--output", "json",
        ],
        env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    message_id = json.loads(result.stdout)["MessageId"]
    (received,) = mta.wait_for(to)
    assert message_id.encode() in received.data and b"from the cli" in received.data


def test_an_enforcement_pause_is_message_rejected_in_v1_and_sending_paused_in_v2(service: Service) -> None:
    account, client = account_with(service, rate=1000)
    service.cli("accounts", "pause", account.account_id, "--reason", "test")
    with pytest.raises(ClientError) as v1:
        send(client, ["a@example.com"])
    assert error_of(v1)[0] == "MessageRejected"
    assert error_of(v1)[1].startswith("Sending paused for this account.")
    with pytest.raises(ClientError) as v2:
        service.client(account).send_email(
            FromEmailAddress="sender@example.com",
            Destination={"ToAddresses": ["a@example.com"]},
            Content={"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}},
        )
    assert error_of(v2)[:1] == ("SendingPausedException",) and error_of(v2)[2] == 400
