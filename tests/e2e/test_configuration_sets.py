"""Configuration sets through v2 and v1: CRUD, a paused set refuses, TlsPolicy REQUIRE is enforced."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.mta import RemoteMta
from tests.support.service import Account, Service


def production(service: Service) -> tuple[Account, Any]:
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    service.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", "1000")
    return account, service.client(account)


def send(client: Any, to: str, config: str | None = None) -> str:
    named = {"ConfigurationSetName": config} if config else {}
    return str(
        client.send_email(
            FromEmailAddress="sender@example.com",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": "cs"}, "Body": {"Text": {"Data": "x"}}}},
            **named,
        )["MessageId"]
    )


def code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_v2_crud_send_and_pause(service: Service, mta: RemoteMta) -> None:
    account, client = production(service)
    client.create_configuration_set(
        ConfigurationSetName="marketing",
        DeliveryOptions={"TlsPolicy": "OPTIONAL", "MaxDeliverySeconds": 600},
        Tags=[{"Key": "team", "Value": "growth"}],
    )
    with pytest.raises(ClientError) as exists:
        client.create_configuration_set(ConfigurationSetName="marketing")
    assert code(exists) == "AlreadyExistsException"
    with pytest.raises(ClientError) as unsupported:
        client.create_configuration_set(
            ConfigurationSetName="archived",
            ArchivingOptions={"ArchiveArn": "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-1"},
        )
    assert code(unsupported) == "BadRequestException"
    client.create_configuration_set(
        ConfigurationSetName="tracked",
        TrackingOptions={"CustomRedirectDomain": "t.example.com", "HttpsPolicy": "REQUIRE"},
        ReputationOptions={"ReputationMetricsEnabled": True},
        SuppressionOptions={"SuppressedReasons": ["COMPLAINT"]},
    )
    tracked = client.get_configuration_set(ConfigurationSetName="tracked")
    assert tracked["TrackingOptions"] == {"CustomRedirectDomain": "t.example.com", "HttpsPolicy": "REQUIRE"}
    assert tracked["ReputationOptions"]["ReputationMetricsEnabled"] is True
    assert "LastFreshStart" in tracked["ReputationOptions"]
    assert tracked["SuppressionOptions"] == {"SuppressedReasons": ["COMPLAINT"]}
    client.put_configuration_set_suppression_options(ConfigurationSetName="tracked", SuppressedReasons=[])
    client.put_configuration_set_reputation_options(
        ConfigurationSetName="tracked", ReputationMetricsEnabled=False
    )
    client.put_configuration_set_tracking_options(ConfigurationSetName="tracked")
    tracked = client.get_configuration_set(ConfigurationSetName="tracked")
    assert tracked["SuppressionOptions"] == {"SuppressedReasons": []}
    assert tracked["ReputationOptions"]["ReputationMetricsEnabled"] is False
    assert "TrackingOptions" not in tracked
    client.delete_configuration_set(ConfigurationSetName="tracked")
    got = client.get_configuration_set(ConfigurationSetName="marketing")
    assert got["DeliveryOptions"] == {"TlsPolicy": "OPTIONAL", "MaxDeliverySeconds": 600}
    assert got["SendingOptions"] == {"SendingEnabled": True}
    assert client.list_configuration_sets()["ConfigurationSets"] == ["marketing"]

    to = f"cs-{account.account_id}@example.net"
    message_id = send(client, to, "marketing")
    mta.wait_for(to)
    (event,) = service.events(account, type="Send", message_id=message_id)
    assert event["mail"]["tags"]["ses:configuration-set"] == ["marketing"]

    client.put_configuration_set_sending_options(ConfigurationSetName="marketing", SendingEnabled=False)
    with pytest.raises(ClientError) as paused:
        send(client, to, "marketing")
    assert code(paused) == "SendingPausedException"
    client.put_configuration_set_sending_options(ConfigurationSetName="marketing", SendingEnabled=True)
    send(client, to, "marketing")

    client.delete_configuration_set(ConfigurationSetName="marketing")
    with pytest.raises(ClientError) as gone:
        send(client, to, "marketing")
    assert code(gone) == "NotFoundException"
    assert gone.value.response["Error"]["Message"] == "Configuration set <marketing> does not exist."


def test_v1_configuration_sets(service: Service) -> None:
    account, _ = production(service)
    ses = service.client(account, "ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "v1set"})
    assert ses.describe_configuration_set(ConfigurationSetName="v1set")["ConfigurationSet"] == {
        "Name": "v1set"
    }
    assert [c["Name"] for c in ses.list_configuration_sets()["ConfigurationSets"]] == ["v1set"]
    ses.update_configuration_set_sending_enabled(ConfigurationSetName="v1set", Enabled=False)
    with pytest.raises(ClientError) as paused:
        ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["a@example.net"]},
            Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}},
            ConfigurationSetName="v1set",
        )
    assert code(paused) == "ConfigurationSetSendingPausedException"
    ses.delete_configuration_set(ConfigurationSetName="v1set")
    with pytest.raises(ClientError) as missing:
        ses.describe_configuration_set(ConfigurationSetName="v1set")
    assert code(missing) == "ConfigurationSetDoesNotExist"


def test_tls_policy_require_is_enforced(service: Service, mta: RemoteMta) -> None:
    account, client = production(service)
    client.create_configuration_set(ConfigurationSetName="secure", DeliveryOptions={"TlsPolicy": "REQUIRE"})
    to = f"tls-{account.account_id}@example.net"
    message_id = send(client, to, "secure")  # the test MTA offers no STARTTLS
    (delay,) = service.wait_for_events(account, "DeliveryDelay", 1, message_id=message_id)
    assert "TLS is required" in delay["deliveryDelay"]["delayedRecipients"][0]["diagnosticCode"]
    assert mta.messages_for(to) == []


def test_a_set_without_suppression_reasons_does_not_suppress_its_bounces(
    service: Service, mta: RemoteMta
) -> None:
    account, client = production(service)
    client.create_configuration_set(
        ConfigurationSetName="nosuppress", SuppressionOptions={"SuppressedReasons": []}
    )
    gone = f"kept-{account.account_id}@example.net"
    mta.always(gone, "550 5.1.1 User unknown")
    message_id = send(client, gone, "nosuppress")
    (bounce,) = service.wait_for_events(account, "Bounce", 1, message_id=message_id)
    assert bounce["bounce"]["bounceType"] == "Permanent"
    with pytest.raises(ClientError) as missing:
        client.get_suppressed_destination(EmailAddress=gone)
    assert code(missing) == "NotFoundException"
    other = send(client, gone)  # without the set, the account's reasons apply
    service.wait_for_events(account, "Bounce", 1, message_id=other)
    assert client.get_suppressed_destination(EmailAddress=gone)["SuppressedDestination"]["Reason"] == "BOUNCE"
