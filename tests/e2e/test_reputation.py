"""Reputation enforcement end to end: real traffic through the test MTA (some recipients answered 550)
and ARF reports at the feedback MX until the account is paused; GetAccount, the API's refusal, the audit
entry (operator CLI) and the notice mail all tell the same story; an operator reinstates."""

from __future__ import annotations

import json
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import BACKENDS, backend_service
from tests.e2e.test_feedback_mx import arf
from tests.support.mta import RemoteMta
from tests.support.sending import production_account as production
from tests.support.sending import send_simple as send
from tests.support.service import Service

OPS = "ops@example.org"
TOKEN = "reputation-admin-token"


@pytest.fixture(scope="module", params=BACKENDS)
def governed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta
) -> Iterator[Service]:
    yield from backend_service(
        request,
        tmp_path_factory,
        mta,
        "rep",
        feedback_loop_domains="example.net",
        operator_notice_address=OPS,
        admin_token=TOKEN,
    )


def wait_status(client: Any, status: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    account: dict[str, Any] = {}
    while time.monotonic() < deadline:
        account = client.get_account()
        if account["EnforcementStatus"] == status:
            return account
        time.sleep(0.2)
    raise AssertionError(f"EnforcementStatus stayed {account.get('EnforcementStatus')}, expected {status}")


def assert_paused(client: Any) -> None:
    with pytest.raises(ClientError) as refused:
        send(client, "anyone@example.org")
    assert refused.value.response["Error"]["Code"] == "SendingPausedException"
    client.put_account_sending_attributes(SendingEnabled=True)  # the account cannot lift an enforcement pause
    with pytest.raises(ClientError):
        send(client, "anyone@example.org")


def notice_for(mta: RemoteMta, account_id: str, words: str, timeout: float = 20.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mta.messages_for(OPS):
            if account_id.encode() in message.data and words.encode() in message.data:
                return message.data
        time.sleep(0.2)
    raise AssertionError(f"no notice about {account_id} containing {words!r}")


def test_hard_bounces_over_ten_percent_pause_the_account(governed: Service, mta: RemoteMta) -> None:
    account, client = production(governed)
    owner = f"owner-{account.account_id}@example.org"
    client.put_account_details(
        MailType="TRANSACTIONAL",
        WebsiteURL="https://shop.example.org",
        UseCaseDescription="Order confirmations for our customers.",
        AdditionalContactEmailAddresses=[owner],
    )
    for index in range(0, 230, 7):  # 33 of 230: 14 %
        mta.always(f"b{index}-{account.account_id}@example.net", "550 5.1.1 User unknown")
    for index in range(230):
        try:
            send(client, f"b{index}-{account.account_id}@example.net")
        except ClientError as error:  # the pause may come before the last messages are sent
            assert error.response["Error"]["Code"] == "SendingPausedException" and index >= 200
            break
    state = wait_status(client, "SHUTDOWN")
    assert state["SendingEnabled"] is True  # the pause is enforcement, not the account's own switch
    assert_paused(client)

    report = governed.cli("reputation", "show", account.account_id)
    transition = report["history"][0]
    assert transition["action"] == "reputation.transition"
    assert transition["detail"]["new"] == "SHUTDOWN" and transition["detail"]["metric"] == "bounce"
    assert transition["detail"]["threshold"] == 0.1 and transition["detail"]["value"] > 0.1
    assert "eligible messages over" in transition["detail"]["window"]
    notice = notice_for(mta, account.account_id, "SHUTDOWN")
    assert b"What brings the account back" in notice
    deadline = time.monotonic() + 20
    while not any(b"SHUTDOWN" in m.data for m in mta.messages_for(owner)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert any(b"SHUTDOWN" in m.data for m in mta.messages_for(owner)), "the account's contact got no notice"

    listed = governed.cli("reputation", "list", "--status", "SHUTDOWN")
    assert account.account_id in [row["account_id"] for row in listed]
    status, shutdown = admin(governed, "GET", "/admin/v1/accounts?status=SHUTDOWN")
    assert status == 200 and account.account_id in [row["account_id"] for row in shutdown["accounts"]]
    base = f"/admin/v1/accounts/{account.account_id}/regions/us-east-1"
    status, shown = admin(governed, "GET", base)
    assert status == 200 and shown["sending"]["enforcement_status"] == "SHUTDOWN"
    assert shown["bounce_severity"] == "pause" and shown["totals"]["sends"] >= 200
    assert admin(governed, "POST", f"{base}/reinstate", {})[0] == 400  # a reason is required
    status, reinstated = admin(governed, "POST", f"{base}/reinstate", {"reason": "list cleaned (test)"})
    assert status == 200 and reinstated["new"] == "HEALTHY"
    wait_status(client, "HEALTHY")
    send(client, "welcome-back@example.org")
    status, limits = admin(governed, "POST", f"{base}/sending", {"max_send_rate": 5, "reason": "warm-up"})
    assert status == 200 and limits["max_send_rate"] == 5.0
    history = governed.cli("reputation", "show", account.account_id)["history"]
    assert history[0]["actor"] == "admin-api:carol" and history[0]["detail"]["new"] == "HEALTHY"


def test_complaints_reported_by_arf_pause_the_account(governed: Service, mta: RemoteMta) -> None:
    account, client = production(governed)
    recipients = [f"c{index}-{account.account_id}@example.net" for index in range(210)]
    for recipient in recipients:
        send(client, recipient)
    for recipient in recipients[:3]:  # 3 of 210 complaints: 1.4 %, over the 0.5 % pause threshold
        (received,) = mta.wait_for(recipient)
        with smtplib.SMTP("127.0.0.1", governed.feedback_port, timeout=10) as smtp:
            smtp.sendmail("", [received.mail_from], arf(received.mail_from, recipient))
    for recipient in recipients[3:]:
        mta.wait_for(recipient)
    wait_status(client, "SHUTDOWN")
    assert_paused(client)
    report = governed.cli("reputation", "show", account.account_id)
    assert report["history"][0]["detail"]["metric"] == "complaint"
    notice_for(mta, account.account_id, "complaint")


def admin(service: Service, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        service.endpoint + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Postwarden-Actor": "carol",
            "Authorization": f"Bearer {TOKEN}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
