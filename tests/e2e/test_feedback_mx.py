"""The inbound feedback MX end to end: a DSN for a message delivered a minute earlier, an ARF complaint,
an infrastructure refusal, a duplicate, an unreadable report and a relay attempt, each sent with smtplib
to the running service's MX; outcomes read back through boto3 and the service's events."""

from __future__ import annotations

import smtplib
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import BACKENDS, backend_service
from tests.support.mta import RemoteMta
from tests.support.sending import production_account as production
from tests.support.sending import send_simple as send
from tests.support.service import Service


@pytest.fixture(scope="module", params=BACKENDS)
def mx_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta
) -> Iterator[Service]:
    yield from backend_service(request, tmp_path_factory, mta, "mx")


def delivered(client: Any, mta: RemoteMta, to: str) -> tuple[str, str]:
    """Send to `to`, wait until the remote MTA has it; returns (message id, the VERP return path)."""
    message_id = send(client, to)
    (received,) = mta.wait_for(to)
    return message_id, received.mail_from


def dsn(verp: str, recipient: str, status: str, diagnostic: str) -> bytes:
    """A Postfix-style RFC 3464 report."""
    return f"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {verp}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

<{recipient}>: host mx.example.net said: {diagnostic}

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Action: failed
Status: {status}
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; {diagnostic}

--B1--
""".replace("\n", "\r\n").encode()


def arf(verp: str, recipient: str) -> bytes:
    """A Yahoo-style RFC 5965 feedback report."""
    return f"""From: feedback@arf.mail.yahoo.com
To: {verp}
Subject: FW: s
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B2"

--B2
Content-Type: text/plain

This is an email abuse report for an email message received from IP 192.0.2.1

--B2
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 1
Original-Mail-From: <{verp}>
Original-Rcpt-To: <{recipient}>
Arrival-Date: Thu, 26 Nov 2026 10:00:00 +0000
Source-IP: 192.0.2.1

--B2
Content-Type: text/rfc822-headers

Return-Path: <{verp}>
From: sender@example.com
To: {recipient}
Subject: s

--B2--
""".replace("\n", "\r\n").encode()


def deliver_report(service: Service, verp: str, content: bytes) -> str:
    """Hand a report to the feedback MX; returns its reply to DATA."""
    with smtplib.SMTP("127.0.0.1", service.feedback_port, timeout=10) as smtp:
        smtp.ehlo("mx.example.net")
        smtp.mail("")
        code, _ = smtp.rcpt(verp)
        assert code == 250
        code, reply = smtp.data(content)
        assert code == 250, reply
        return reply.decode()


def suppressed(client: Any, address: str, timeout: float = 20) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found: dict[str, Any] = client.get_suppressed_destination(EmailAddress=address)[
                "SuppressedDestination"
            ]
            return found
        except ClientError:
            time.sleep(0.2)
    return None


def test_a_later_dsn_bounces_and_suppresses_the_recipient(mx_service: Service, mta: RemoteMta) -> None:
    account, client = production(mx_service)
    gone = f"later-{account.account_id}@example.net"
    message_id, verp = delivered(client, mta, gone)
    mx_service.wait_for_events(account, "Delivery", 1, message_id=message_id)
    deliver_report(mx_service, verp, dsn(verp, gone, "5.1.1", "550 5.1.1 <gone>: User unknown"))
    (bounce,) = mx_service.wait_for_events(account, "Bounce", 1, message_id=message_id)
    assert (bounce["bounce"]["bounceType"], bounce["bounce"]["bounceSubType"]) == ("Permanent", "NoEmail")
    assert bounce["bounce"]["bouncedRecipients"][0]["status"] == "5.1.1"
    entry = suppressed(client, gone)
    assert entry is not None and entry["Reason"] == "BOUNCE"

    again = send(client, gone)
    (on_list,) = mx_service.wait_for_events(account, "Bounce", 1, message_id=again)
    assert on_list["bounce"]["bounceSubType"] == "OnAccountSuppressionList"

    # The same DSN again changes nothing.
    deliver_report(mx_service, verp, dsn(verp, gone, "5.1.1", "550 5.1.1 <gone>: User unknown"))
    time.sleep(0.5)
    assert len(mx_service.events(account, type="Bounce", message_id=message_id)) == 1


def test_an_arf_report_is_a_complaint_and_suppresses(mx_service: Service, mta: RemoteMta) -> None:
    account, client = production(mx_service)
    unhappy = f"unhappy-{account.account_id}@example.net"
    message_id, verp = delivered(client, mta, unhappy)
    deliver_report(mx_service, verp, arf(verp, unhappy))
    (complaint,) = mx_service.wait_for_events(account, "Complaint", 1, message_id=message_id)
    assert complaint["complaint"]["complaintFeedbackType"] == "abuse"
    assert complaint["complaint"]["userAgent"] == "Yahoo!-Mail-Feedback/2.0"
    assert complaint["complaint"]["complainedRecipients"] == [{"emailAddress": unhappy}]
    entry = suppressed(client, unhappy)
    assert entry is not None and entry["Reason"] == "COMPLAINT"


def test_a_blocklist_refusal_is_recorded_but_never_suppresses(mx_service: Service, mta: RemoteMta) -> None:
    account, client = production(mx_service)
    fine = f"fine-{account.account_id}@example.net"
    message_id, verp = delivered(client, mta, fine)
    refusal = "550 5.7.1 Service unavailable; client host [192.0.2.1] blocked using Spamhaus"
    deliver_report(mx_service, verp, dsn(verp, fine, "5.7.1", refusal))
    (bounce,) = mx_service.wait_for_events(account, "Bounce", 1, message_id=message_id)
    assert bounce["bounce"]["bounceType"] == "Transient"
    assert suppressed(client, fine, timeout=1) is None


def test_unreadable_reports_are_kept_and_relaying_is_refused(mx_service: Service) -> None:
    garbage = EmailMessage()
    garbage["From"] = "someone@example.net"
    garbage["Subject"] = "hello"
    garbage.set_content("not a bounce at all")
    domain = "bounces.postwarden.localhost"
    reply = deliver_report(mx_service, f"postmaster@{domain}", garbage.as_bytes())
    assert "unparseable" in reply
    report_id = reply.split("report ", 1)[1].split()[0]
    listed = mx_service.cli("feedback", "list", "--status", "unparseable")
    assert listed["counts"]["unparseable"] >= 1
    assert report_id in [r["report_id"] for r in listed["reports"]]
    shown = mx_service.cli("feedback", "show", report_id)
    assert "not a bounce at all" in shown["raw"] and shown["status"] == "unparseable"

    with smtplib.SMTP("127.0.0.1", mx_service.feedback_port, timeout=10) as smtp:
        smtp.ehlo("relay.example.net")
        smtp.mail("spammer@example.net")
        code, text = smtp.rcpt("victim@example.org")
    assert code == 550 and b"Relaying denied" in text
