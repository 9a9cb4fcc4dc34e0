"""An email-address identity is verified by following the link in the message Postwarden sends."""

from __future__ import annotations

import email
import email.policy
import re
import time
import urllib.error
import urllib.request

import pytest

from postwarden.services.links import LinkClaims, LinkSigner
from tests.support.mta import RemoteMta
from tests.support.service import Service

LINK = re.compile(r"(http://\S+/verify-email\?token=\S+)")


def open_link(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_link_in_the_verification_email_verifies_the_address(service: Service, mta: RemoteMta) -> None:
    account = service.create_account()
    client = service.client(account)
    address = f"owner-{account.account_id}@example.net"
    client.create_email_identity(EmailIdentity=address)
    assert client.get_email_identity(EmailIdentity=address)["VerificationStatus"] == "PENDING"
    (received,) = mta.wait_for(address)
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert "Verification Request" in message["Subject"]
    body = message.get_body(("plain",))
    assert body is not None
    link = LINK.search(body.get_content().replace("=\n", ""))
    assert link, body.get_content()

    forged = link.group(1)[:-3] + ("AAA" if not link.group(1).endswith("AAA") else "BBB")
    assert open_link(forged)[0] == 400
    assert client.get_email_identity(EmailIdentity=address)["VerificationStatus"] == "PENDING"

    status, page = open_link(link.group(1))
    assert status == 200 and "verified" in page
    identity = client.get_email_identity(EmailIdentity=address)
    assert identity["VerificationStatus"] == "SUCCESS" and identity["VerifiedForSendingStatus"] is True
    # in the sandbox the verified address can now receive
    service.cli("identities", "verify", account.account_id, "example.com")
    client.send_email(
        FromEmailAddress="sender@example.com",
        Destination={"ToAddresses": [address]},
        Content={"Simple": {"Subject": {"Data": "now allowed"}, "Body": {"Text": {"Data": "x"}}}},
    )


def test_an_expired_link_does_not_verify(service: Service) -> None:
    account = service.create_account()
    client = service.client(account)
    address = f"late-{account.account_id}@example.net"
    client.create_email_identity(EmailIdentity=address)
    key = (service.data_dir / "server.key").read_bytes().strip()
    expired = LinkSigner(key, "verify-email").token(
        LinkClaims(account.account_id, "us-east-1", address, time.time() - 1)
    )
    status, page = open_link(f"{service.endpoint}/verify-email?token={expired}")
    assert status == 400 and "expired" in page
    assert client.get_email_identity(EmailIdentity=address)["VerificationStatus"] == "PENDING"


@pytest.mark.parametrize("call", ["verify_email_identity", "verify_email_address"])
def test_v1_verify_calls_send_the_email_too(service: Service, mta: RemoteMta, call: str) -> None:
    account = service.create_account()
    address = f"v1{call[-8:]}-{account.account_id}@example.net"
    getattr(service.client(account, "ses"), call)(EmailAddress=address)
    (received,) = mta.wait_for(address)
    assert b"verify-email?token=" in received.data
