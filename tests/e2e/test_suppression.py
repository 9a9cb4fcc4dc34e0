"""The account-level suppression list: hard bounces and complaints suppress, a suppressed address is
accepted but never delivered (Bounce Permanent/OnAccountSuppressionList), and the account manages it."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.mta import RemoteMta
from tests.support.sending import production_account as production
from tests.support.sending import send_simple as send
from tests.support.service import Service


def wait_suppressed(client: Any, address: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            found: dict[str, Any] = client.get_suppressed_destination(EmailAddress=address)[
                "SuppressedDestination"
            ]
            return found
        except ClientError:
            time.sleep(0.2)
    raise AssertionError(f"{address} was not suppressed")


def test_a_hard_bounce_suppresses_and_the_next_send_is_accepted_but_not_delivered(
    service: Service, mta: RemoteMta
) -> None:
    account, client = production(service)
    gone = f"gone-{account.account_id}@example.net"
    mta.always(gone, "550 5.1.1 <gone>: Recipient address rejected: User unknown")
    first = send(client, gone)
    entry = wait_suppressed(client, gone)
    assert entry["Reason"] == "BOUNCE" and entry["Attributes"]["MessageId"] == first
    attempts = mta.attempts[gone]

    quota_before = client.get_account()["SendQuota"]["SentLast24Hours"]
    second = send(client, gone)  # accepted
    (bounce,) = service.wait_for_events(account, "Bounce", 1, message_id=second)
    assert (bounce["bounce"]["bounceType"], bounce["bounce"]["bounceSubType"]) == (
        "Permanent",
        "OnAccountSuppressionList",
    )
    assert mta.attempts[gone] == attempts  # never sent to the remote server
    assert client.get_account()["SendQuota"]["SentLast24Hours"] == quota_before + 1  # but counted

    listed = client.list_suppressed_destinations(Reasons=["BOUNCE"])["SuppressedDestinationSummaries"]
    assert [s["EmailAddress"] for s in listed] == [gone]
    assert client.list_suppressed_destinations(Reasons=["COMPLAINT"])["SuppressedDestinationSummaries"] == []
    client.delete_suppressed_destination(EmailAddress=gone)
    mta.always(gone, "250 2.1.5 Ok")
    third = send(client, gone)
    service.wait_for_events(account, "Delivery", 1, message_id=third)


def test_policy_refusals_and_the_simulator_never_suppress(service: Service, mta: RemoteMta) -> None:
    account, client = production(service)
    blocked = f"blocked-{account.account_id}@example.net"
    mta.always(blocked, "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
    send(client, blocked)
    send(client, f"bounce+{account.account_id}@simulator.amazonses.com")
    send(client, f"complaint+{account.account_id}@simulator.amazonses.com")
    service.wait_for_events(account, "Bounce", 2)
    service.wait_for_events(account, "Complaint", 1)
    assert client.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


def test_the_account_manages_its_list_and_reasons(service: Service) -> None:
    account = service.create_account()
    client = service.client(account)
    with pytest.raises(ClientError) as sandbox:
        client.put_suppressed_destination(EmailAddress="a@example.net", Reason="COMPLAINT")
    assert sandbox.value.response["Error"]["Code"] == "BadRequestException"
    service.cli("accounts", "set-sending", account.account_id, "--production")
    client.put_suppressed_destination(EmailAddress="A@Example.net", Reason="COMPLAINT")
    got = client.get_suppressed_destination(EmailAddress="a@example.net")["SuppressedDestination"]
    assert got["Reason"] == "COMPLAINT"
    with pytest.raises(ClientError) as missing:
        client.get_suppressed_destination(EmailAddress="nobody@example.net")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
    for i in range(3):
        client.put_suppressed_destination(EmailAddress=f"p{i}@example.net", Reason="BOUNCE")
    page = client.list_suppressed_destinations(PageSize=2)
    assert len(page["SuppressedDestinationSummaries"]) == 2 and page["NextToken"]
    rest = client.list_suppressed_destinations(PageSize=2, NextToken=page["NextToken"])
    assert len(rest["SuppressedDestinationSummaries"]) == 2
    assert client.get_account()["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]
    client.put_account_suppression_attributes(SuppressedReasons=["COMPLAINT"])
    assert client.get_account()["SuppressionAttributes"]["SuppressedReasons"] == ["COMPLAINT"]
