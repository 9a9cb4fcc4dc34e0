"""The accept path against real databases, with time as a parameter."""

from __future__ import annotations

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.decision import Rule
from postwarden.domain.model import SendingLimits
from postwarden.domain.policy.send import PolicySettings
from postwarden.services.accounts import AccountService, TierDefaults
from postwarden.services.dkim import DkimKeys
from postwarden.services.identities import IdentityService
from postwarden.services.send import OutgoingMessage, SendService, SendSettings
from postwarden.storage.secrets import FernetCipher
from postwarden.storage.store import SqlStore
from tests.support.fakes import FakeClock

SANDBOX = SendingLimits(200, 1.0)
TIERS = TierDefaults(SANDBOX, SendingLimits(50_000, 14.0))


def setup(store: SqlStore, clock: FakeClock) -> tuple[SendService, AccountService, str]:
    accounts = AccountService(store, FernetCipher(_key()), clock, TIERS)
    created = accounts.create_account("t", "us-east-1")
    cipher = FernetCipher(_key())
    IdentityService(store, clock, DkimKeys(store, cipher, clock)).mark_verified(
        created.account_id, "us-east-1", "example.com", "test"
    )
    sender = SendService(store, clock, SendSettings(SANDBOX, PolicySettings(), "bounces.test"))
    return sender, accounts, created.account_id


def _key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


def message(sender: SendService, account_id: str, *recipients: str) -> OutgoingMessage:
    return OutgoingMessage(
        account_id=account_id,
        region="us-east-1",
        message_id=sender.new_message_id("us-east-1"),
        source=EmailAddress.of("me@example.com"),
        senders=(EmailAddress.of("me@example.com"),),
        recipients=tuple(EmailAddress.of(r) for r in recipients),
        content=b"Subject: x\r\n\r\nbody\r\n",
        caller_identity="AKIATEST",
        source_ip="127.0.0.1",
        operation="SendEmail",
    )


def test_rolling_window_frees_quota_exactly_24_hours_after_each_send(store: SqlStore) -> None:
    clock = FakeClock()
    sender, accounts, account_id = setup(store, clock)
    accounts.set_sending_limits(
        account_id, "us-east-1", production=None, max_24_hour_send=2, max_send_rate=100.0, actor="t"
    )
    t0 = clock.t
    assert sender.decide_and_store([message(sender, account_id, "a@example.com")])[0].allowed
    clock.t = t0 + 23 * 3600 + 59 * 60
    assert sender.decide_and_store([message(sender, account_id, "b@example.com")])[0].allowed
    refused = sender.decide_and_store([message(sender, account_id, "c@example.com")])[0]
    assert refused.rule is Rule.DAILY_QUOTA
    assert accounts.sending_state(account_id, "us-east-1").usage.sent_last_24h == 2
    clock.t = t0 + 24 * 3600  # the first send leaves the window
    assert accounts.sending_state(account_id, "us-east-1").usage.sent_last_24h == 1
    assert sender.decide_and_store([message(sender, account_id, "c@example.com")])[0].allowed
    refused = sender.decide_and_store([message(sender, account_id, "d@example.com")])[0]
    assert refused.rule is Rule.DAILY_QUOTA
    clock.t = t0 + 47 * 3600 + 59 * 60 + 1  # the second send leaves too
    assert accounts.sending_state(account_id, "us-east-1").usage.sent_last_24h == 1


def test_sandbox_quota_of_200_recipients_then_the_exact_error(store: SqlStore) -> None:
    clock = FakeClock()
    sender, _, account_id = setup(store, clock)
    for i in range(200):
        clock.advance(1.0)
        assert sender.decide_and_store([message(sender, account_id, f"r{i}@example.com")])[0].allowed, i
    clock.advance(1.0)
    refused = sender.decide_and_store([message(sender, account_id, "r200@example.com")])[0]
    assert refused.rule is Rule.DAILY_QUOTA and refused.message == "Daily message quota exceeded."


def test_a_batch_is_decided_in_order_against_the_same_bucket(store: SqlStore) -> None:
    clock = FakeClock()
    sender, _, account_id = setup(store, clock)
    decisions = sender.decide_and_store([message(sender, account_id, f"r{i}@example.com") for i in range(3)])
    assert [d.allowed for d in decisions] == [True, False, False]
    assert decisions[1].rule is Rule.SEND_RATE


def test_accept_writes_message_recipients_and_send_event_and_reject_keeps_the_reason(store: SqlStore) -> None:
    clock = FakeClock()
    sender, _, account_id = setup(store, clock)
    ok = message(sender, account_id, "a@example.com", "success@simulator.amazonses.com")
    bad = message(sender, account_id, "stranger@elsewhere.org")
    clock.advance(5)
    decisions = sender.decide_and_store([ok])
    clock.advance(5)
    decisions += sender.decide_and_store([bad])
    assert [d.allowed for d in decisions] == [True, False]
    with store.read() as tx:
        events = tx.events.find(account_id)
        assert tx.messages.queue_depth() == 2
    kinds = [e.event_type.value for e in events]
    assert kinds == ["Send", "Reject"]
    assert events[0].mail is not None and list(events[0].mail.destination) == [
        "a@example.com",
        "success@simulator.amazonses.com",
    ]
    reject = events[1].detail
    assert reject["rule"] == "identity-not-verified"
    assert "stranger@elsewhere.org" in reject["message"]
    assert "sandbox" in reject["explanation"]
