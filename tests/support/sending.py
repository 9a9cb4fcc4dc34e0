"""What many end-to-end tests start with: a production account that may send as example.com, and a
one-recipient v2 SendEmail."""

from __future__ import annotations

from typing import Any

from tests.support.service import Account, Service


def production_account(service: Service, rate: int = 1000) -> tuple[Account, Any]:
    """A new account with example.com verified and production access in us-east-1; its sesv2 client."""
    account = service.create_account()
    service.cli("identities", "verify", account.account_id, "example.com")
    service.cli("accounts", "set-sending", account.account_id, "--production", "--max-send-rate", str(rate))
    return account, service.client(account)


def send_simple(client: Any, to: str, configuration_set: str | None = None) -> str:
    """A small text message from sender@example.com to `to`; returns its MessageId."""
    named = {"ConfigurationSetName": configuration_set} if configuration_set else {}
    return str(
        client.send_email(
            FromEmailAddress="sender@example.com",
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "x"}}}},
            **named,
        )["MessageId"]
    )
