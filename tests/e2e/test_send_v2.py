"""SES v2 through an unmodified boto3 client against the running service, delivering to a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.mta import RemoteMta
from tests.support.service import Account, Service

FROM = "sender@example.com"


def sandbox_account(service: Service, *verified: str) -> tuple[Account, Any]:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    for identity in verified:
        service.cli("identities", "verify", account.account_id, identity)
    return account, service.client(account)


def production_account(service: Service, rate: float = 1000.0) -> tuple[Account, Any]:
    account, client = sandbox_account(service)
    service.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", str(rate))
    return account, client


def simple(to: list[str], subject: str = "Hello", text: str = "Hi there", **extra: Any) -> dict[str, Any]:
    return {
        "FromEmailAddress": f"Sender <{FROM}>",
        "Destination": {"ToAddresses": to},
        "Content": {"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
        **extra,
    }


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_delivered_mail_arrives_with_the_right_headers_and_body(service: Service, mta: RemoteMta) -> None:
    account, client = production_account(service)
    to = f"alice-{account.account_id}@example.net"
    response = client.send_email(
        **simple(
            [f"Alice <{to}>"],
            subject="Grüße aus Köln",
            text="Line one\nLine two — with a dash",
            ReplyToAddresses=["replies@example.com"],
            EmailTags=[{"Name": "campaign", "Value": "welcome"}],
        )
    )
    message_id = response["MessageId"]
    (received,) = mta.wait_for(to)
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert parsed["Subject"] == "Grüße aus Köln"
    assert parsed["From"] == f"Sender <{FROM}>"
    assert parsed["To"] == f"Alice <{to}>"
    assert parsed["Reply-To"] == "replies@example.com"
    assert message_id in parsed["Message-ID"]
    body = parsed.get_body(("plain",))
    assert (
        body is not None
        and body.get_content().replace("\r\n", "\n").strip() == "Line one\nLine two — with a dash"
    )
    assert received.mail_from.startswith(message_id) and received.mail_from.endswith(
        "@bounces.postwarden.localhost"
    )
    (delivery,) = service.wait_for_events(account, "Delivery", 1, message_id=message_id)
    assert delivery["eventType"] == "Delivery"
    assert delivery["mail"]["messageId"] == message_id
    assert delivery["mail"]["tags"]["campaign"] == ["welcome"]
    assert delivery["delivery"]["recipients"] == [to]
    assert delivery["delivery"]["smtpResponse"].startswith("250")
    (send,) = service.events(account, type="Send", message_id=message_id)
    assert send["mail"]["destination"] == [to]


def test_raw_message_is_delivered_with_message_id_and_date_overwritten(
    service: Service, mta: RemoteMta
) -> None:
    account, client = production_account(service)
    to = f"raw-{account.account_id}@example.net"
    raw = (
        f"From: {FROM}\r\nTo: {to}\r\nSubject: raw test\r\nMessage-ID: <mine@example.com>\r\n"
        "X-SES-CONFIGURATION-SET: should-not-leak\r\nBcc: hidden@example.net\r\n"
        "Date: Mon, 1 Jan 2001 00:00:00 +0000\r\n\r\nraw body\r\n"
    ).encode()
    # X-SES-CONFIGURATION-SET would name a configuration set; none exist yet, so send without it.
    raw = raw.replace(b"X-SES-CONFIGURATION-SET: should-not-leak\r\n", b"X-Custom: kept\r\n")
    message_id = client.send_email(Content={"Raw": {"Data": raw}})["MessageId"]
    (received,) = mta.wait_for(to)
    parsed = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message_id in parsed["Message-ID"]
    assert "2001" not in parsed["Date"]
    assert parsed["Bcc"] is None
    assert parsed["X-Custom"] == "kept"
    assert parsed.get_content().strip() == "raw body"


def test_a_4xx_is_retried_and_delivered_later(service: Service, mta: RemoteMta) -> None:
    account, client = production_account(service)
    to = f"later-{account.account_id}@example.net"
    mta.answer(to, "451 4.3.0 try again later")
    message_id = client.send_email(**simple([to]))["MessageId"]
    (delay,) = service.wait_for_events(account, "DeliveryDelay", 1, message_id=message_id)
    assert delay["deliveryDelay"]["delayedRecipients"][0]["emailAddress"] == to
    assert "451" in delay["deliveryDelay"]["delayedRecipients"][0]["diagnosticCode"]
    mta.wait_for(to)
    service.wait_for_events(account, "Delivery", 1, message_id=message_id)
    assert mta.attempts[to] == 2


def test_a_5xx_becomes_a_permanent_bounce_event(service: Service, mta: RemoteMta) -> None:
    account, client = production_account(service)
    to = f"nobody-{account.account_id}@example.net"
    mta.always(to, "550 5.1.1 <nobody>: Recipient address rejected: User unknown")
    message_id = client.send_email(**simple([to]))["MessageId"]
    (bounce,) = service.wait_for_events(account, "Bounce", 1, message_id=message_id)
    detail = bounce["bounce"]
    assert detail["bounceType"] == "Permanent" and detail["bounceSubType"] == "General"
    assert detail["bouncedRecipients"][0]["emailAddress"] == to
    assert detail["bouncedRecipients"][0]["status"] == "5.1.1"
    assert detail["bouncedRecipients"][0]["diagnosticCode"].startswith("smtp; 550 5.1.1")
    assert mta.messages_for(to) == []


def test_the_201st_sandbox_recipient_in_24_hours_is_refused(service: Service) -> None:
    account, client = sandbox_account(service)
    # The sandbox rate is 1 per second: fill the quota with whole seconds of debt avoided by pacing at the
    # bucket's refill; 200 sends would take 200 s, so raise only the rate (not the quota) for this test.
    service.cli("accounts", "set-sending", account.account_id, "--max-send-rate", "1000")
    for i in range(4):
        client.send_email(**simple([f"r{j}@example.com" for j in range(i * 50, i * 50 + 50)]))
    with pytest.raises(ClientError) as refused:
        client.send_email(**simple(["r200@example.com"]))
    assert error_of(refused) == ("TooManyRequestsException", "Daily message quota exceeded.", 429)
    quota = client.get_account()["SendQuota"]
    assert quota == {"Max24HourSend": 200.0, "MaxSendRate": 1000.0, "SentLast24Hours": 200.0}


def test_two_quick_sends_at_one_per_second_are_refused_with_429(service: Service) -> None:
    _, client = sandbox_account(service)
    # Three recipients at 1/s put the bucket 2 tokens in debt: the next 3 seconds are refused, however
    # slowly this (shared, loaded) machine gets the second request out.
    client.send_email(**simple(["a@example.com", "b@example.com", "c@example.com"]))
    with pytest.raises(ClientError) as refused:
        client.send_email(**simple(["me@example.com"]))
    assert error_of(refused) == ("TooManyRequestsException", "Maximum sending rate exceeded.", 429)


def test_an_unverified_recipient_in_the_sandbox_is_refused(service: Service) -> None:
    _, client = sandbox_account(service)
    with pytest.raises(ClientError) as refused:
        client.send_email(**simple(["Stranger <stranger@elsewhere.org>"]))
    assert error_of(refused) == (
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "Stranger <stranger@elsewhere.org>",
        400,
    )


def test_a_wrong_secret_is_refused_with_signature_does_not_match(service: Service) -> None:
    account = service.create_account()
    client = service.client(account, secret_access_key="x" * 40)
    with pytest.raises(ClientError) as refused:
        client.get_account()
    code, message, status = error_of(refused)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match")


def test_an_unknown_key_and_a_wrong_region_never_reach_a_handler(service: Service) -> None:
    account = service.create_account()
    with pytest.raises(ClientError) as unknown:
        service.client(account, access_key_id="AKIAUNKNOWNKEY000000").get_account()
    assert error_of(unknown)[0] == "InvalidClientTokenId"
    with pytest.raises(ClientError) as region:
        service.client(account, region="mars-north-1").get_account()
    assert error_of(region)[0] == "SignatureDoesNotMatch"
    assert "valid region" in error_of(region)[1]


def test_get_account_shows_the_sandbox_quota_and_live_sent_last_24_hours(service: Service) -> None:
    _, client = sandbox_account(service)
    before = client.get_account()
    assert before["ProductionAccessEnabled"] is False
    assert before["SendQuota"] == {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0}
    assert before["EnforcementStatus"] == "HEALTHY" and before["SendingEnabled"] is True
    client.send_email(**simple(["me@example.com"]))
    time.sleep(1.05)
    client.send_email(**simple(["success@simulator.amazonses.com"]))
    assert client.get_account()["SendQuota"]["SentLast24Hours"] == 1.0  # the simulator does not count


def test_sending_disabled_by_the_account_is_refused_and_can_be_enabled_again(service: Service) -> None:
    _, client = sandbox_account(service)
    client.put_account_sending_attributes(SendingEnabled=False)
    assert client.get_account()["SendingEnabled"] is False
    with pytest.raises(ClientError) as refused:
        client.send_email(**simple(["me@example.com"]))
    assert error_of(refused)[0] == "SendingPausedException"
    client.put_account_sending_attributes(SendingEnabled=True)
    client.send_email(**simple(["me@example.com"]))


def test_identities_create_get_list_delete(service: Service) -> None:
    _, client = sandbox_account(service)
    created = client.create_email_identity(EmailIdentity="someone@example.org")
    assert created["IdentityType"] == "EMAIL_ADDRESS" and created["VerifiedForSendingStatus"] is False
    assert client.create_email_identity(EmailIdentity="example.org")["IdentityType"] == "DOMAIN"
    with pytest.raises(ClientError) as exists:
        client.create_email_identity(EmailIdentity="example.org")
    assert error_of(exists)[0] == "AlreadyExistsException"
    got = client.get_email_identity(EmailIdentity="someone@example.org")
    assert got["VerificationStatus"] == "PENDING"
    names = {i["IdentityName"]: i for i in client.list_email_identities()["EmailIdentities"]}
    assert names["example.com"]["VerificationStatus"] == "SUCCESS"
    assert {"someone@example.org", "example.org"} <= names.keys()
    page = client.list_email_identities(PageSize=1)
    assert len(page["EmailIdentities"]) == 1 and "NextToken" in page
    client.delete_email_identity(EmailIdentity="someone@example.org")
    with pytest.raises(ClientError) as gone:
        client.get_email_identity(EmailIdentity="someone@example.org")
    assert error_of(gone)[:1] == ("NotFoundException",) and error_of(gone)[2] == 404


def test_mailbox_simulator_produces_ses_events_without_network(service: Service, mta: RemoteMta) -> None:
    account, client = production_account(service)
    sim = "simulator.amazonses.com"
    ids = {
        kind: client.send_email(**simple([f"{kind}+{account.account_id}@{sim}"]))["MessageId"]
        for kind in ("success", "bounce", "complaint", "suppressionlist", "ooto")
    }
    service.wait_for_events(account, "Delivery", 3)
    bounces = service.wait_for_events(account, "Bounce", 2)
    kinds = {
        b["mail"]["messageId"]: (b["bounce"]["bounceType"], b["bounce"]["bounceSubType"]) for b in bounces
    }
    assert kinds[ids["bounce"]] == ("Permanent", "General")
    assert kinds[ids["suppressionlist"]] == ("Permanent", "Suppressed")
    (complaint,) = service.wait_for_events(account, "Complaint", 1)
    assert complaint["mail"]["messageId"] == ids["complaint"]
    assert all(sim not in m.rcpt_to for m in mta.received)
    assert client.get_account()["SendQuota"]["SentLast24Hours"] == 0.0


def test_bad_input_gets_ses_errors(service: Service) -> None:
    _, client = production_account(service)
    with pytest.raises(ClientError) as too_many:
        client.send_email(**simple([f"r{i}@example.net" for i in range(51)]))
    assert error_of(too_many)[:2] == ("BadRequestException", "Recipient count exceeds 50.")
    with pytest.raises(ClientError) as bad_address:
        client.send_email(**simple(["not-an-address"]))
    assert error_of(bad_address)[0] == "BadRequestException"
    with pytest.raises(ClientError) as injection:
        client.send_email(**simple(["a@example.net"], subject="Hi\r\nBcc: victim@example.net"))
    assert error_of(injection)[0] == "BadRequestException"
    with pytest.raises(ClientError) as header:
        client.send_email(
            **simple(["a@example.net"])
            | {
                "Content": {
                    "Simple": {
                        "Subject": {"Data": "x"},
                        "Body": {"Text": {"Data": "x"}},
                        "Headers": [{"Name": "X-Bad", "Value": "line\r\nInjected: yes"}],
                    }
                }
            }
        )
    assert error_of(header)[0] == "BadRequestException"
    assert client.get_account()["SendingEnabled"] is True  # and the service keeps running


def test_a_secret_in_a_refused_parameter_is_never_echoed(service: Service) -> None:
    _, client = sandbox_account(service)
    client.create_email_identity(EmailIdentity="secret-echo.example")
    with pytest.raises(ClientError) as refused:
        client.put_email_identity_dkim_signing_attributes(
            EmailIdentity="secret-echo.example",
            SigningAttributesOrigin="EXTERNAL",
            SigningAttributes={
                "DomainSigningSelector": "s",
                "DomainSigningPrivateKey": "not base64 TOPSECRET!",
            },
        )
    assert error_of(refused)[0] == "BadRequestException"
    assert "TOPSECRET" not in error_of(refused)[1] and "***" in error_of(refused)[1]
