"""Reputation through the real event pipeline and database (SQLite and PostgreSQL), with a fake clock:
events in, metrics updated once each, enforcement transitions applied to the sending state the send
policy reads, audited and noticed; review periods ended by the sweep; quotas grown for healthy senders."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from postwarden.domain.enforcement import EnforcementSettings
from postwarden.domain.events import EventType
from postwarden.domain.identities import IdentityType, VerificationStatus
from postwarden.domain.model import EnforcementStatus, SendingLimits
from postwarden.domain.quota_growth import QuotaGrowthSettings
from postwarden.domain.reputation import ReputationSettings
from postwarden.ports import Identity, NewEvent, NewMessage, Transaction
from postwarden.services.notification_fanout import EventFanout
from postwarden.services.reputation import ReputationService
from postwarden.services.reputation_ledger import Notice, ReputationPolicy
from postwarden.services.reputation_recorder import ReputationRecorder
from postwarden.storage.store import SqlStore
from tests.support.fakes import FakeClock

SANDBOX = SendingLimits(200, 1.0)
PRODUCTION = SendingLimits(50_000, 14.0)
DAY = 86_400.0

POLICY = ReputationPolicy(
    reputation=ReputationSettings(),
    enforcement=EnforcementSettings(),
    growth=QuotaGrowthSettings(),
    feedback_domains=frozenset({"feedback.example"}),
    production_default=PRODUCTION,
    sandbox=SANDBOX,
)


class Harness:
    def __init__(self, store: SqlStore, clock: FakeClock) -> None:
        self.store = store
        self.clock = clock
        self.notices: list[Notice] = []
        self.account = f"{uuid.uuid4().int % 10**12:012d}"
        self.fanout = EventFanout(
            store, clock, "http://pw", recorder=ReputationRecorder(POLICY), notices=self._notice
        )
        self.service = ReputationService(store, clock, POLICY, self._notice)
        with store.transaction() as tx:
            tx.accounts.add_account(self.account, clock.now(), "")

    def _notice(self, tx: Transaction, notice: Notice, now: float) -> None:
        self.notices.append(notice)

    def outcomes(self, domain: str, delivered: int, bounced: int, *, late: bool = False) -> None:
        """`delivered` + `bounced` one-recipient messages sent now; the bounces are hard (550 5.1.1)."""
        now = self.clock.now()
        with self.store.transaction() as tx:
            for index in range(delivered + bounced):
                message_id = f"{uuid.uuid4()}"
                recipient = f"r{index}@{domain}"
                tx.messages.add_messages([_message(message_id, self.account, now, recipient)])
                kind = EventType.DELIVERY if index < delivered else EventType.BOUNCE
                detail: dict[str, Any] = {}
                if kind is EventType.BOUNCE:
                    detail = {"bounceType": "Permanent", "bounceSubType": "General"}
                tx.events.add([_event(self.account, message_id, recipient, kind, now, detail)])
                if late and kind is EventType.BOUNCE:  # the same message bounces again later by DSN
                    tx.events.add([_event(self.account, message_id, recipient, kind, now, detail, late=True)])
        while self.fanout.run_once():
            pass

    def status(self) -> EnforcementStatus:
        with self.store.transaction() as tx:
            state = tx.sending.lock_states([(self.account, "us-east-1")], SANDBOX, self.clock.now())
        return state[(self.account, "us-east-1")].enforcement_status


def _message(message_id: str, account: str, now: float, recipient: str) -> NewMessage:
    return NewMessage(
        message_id, account, "us-east-1", now, "s@sender.example", "bounces.pw", [recipient], b"x",
        "root", "", "SendEmail", None, {}, {},
    )  # fmt: skip


def _event(
    account: str,
    message_id: str,
    recipient: str,
    kind: EventType,
    now: float,
    detail: Any,
    *,
    late: bool = False,
) -> NewEvent:
    return NewEvent(str(uuid.uuid4()), account, "us-east-1", message_id, recipient, kind, now, detail, late)


def test_six_percent_hard_bounces_put_the_account_under_review_then_pause_it_when_the_review_ends(
    store: SqlStore,
) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    h.outcomes("customers.example", 282, 18)  # 6 % of 300
    assert h.status() is EnforcementStatus.PROBATION
    assert "under review" in h.notices[-1].subject and "6.00%" in h.notices[-1].text
    report = h.service.report(h.account, "us-east-1")
    assert report.history[0].action == "reputation.transition"
    assert report.history[0].detail["new"] == "PROBATION" and report.history[0].detail["threshold"] == 0.05

    clock.advance(3 * DAY)
    assert h.service.sweep() == 0  # the review period is not over yet
    clock.advance(4 * DAY + 1)
    h.service.sweep()
    assert h.status() is EnforcementStatus.SHUTDOWN
    assert "paused" in h.notices[-1].subject


def test_a_recovered_rate_ends_the_review_healthy(store: SqlStore) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    h.outcomes("customers.example", 282, 18)
    assert h.status() is EnforcementStatus.PROBATION
    clock.advance(DAY)
    h.outcomes("customers.example", 600, 0)  # 18 of 900 = 2 %
    clock.advance(7 * DAY)
    h.service.sweep()
    assert h.status() is EnforcementStatus.HEALTHY


def test_eleven_percent_pauses_at_once_and_reinstatement_measures_only_new_mail(store: SqlStore) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    h.outcomes("customers.example", 267, 33)  # 11 %
    assert h.status() is EnforcementStatus.SHUTDOWN
    h.service.reinstate(h.account, "us-east-1", actor="operator:test", reason="list cleaned")
    assert h.status() is EnforcementStatus.HEALTHY
    assert h.service.report(h.account, "us-east-1").assessment.readings[0].value == 0.0
    assert h.service.report(h.account, "us-east-1").history[0].actor == "operator:test"


def test_verified_domains_and_the_volume_floor_change_nothing(store: SqlStore) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    with store.transaction() as tx:
        tx.identities.add(
            Identity(
                h.account, "us-east-1", "own.example", IdentityType.DOMAIN, VerificationStatus.SUCCESS, 0.0
            )
        )
    h.outcomes("own.example", 100, 200)  # bounces to a domain the account verified
    h.outcomes("customers.example", 15, 5)  # 25 %, but only 20 eligible messages
    assert h.status() is EnforcementStatus.HEALTHY
    assert h.notices == []


def test_a_late_dsn_counts_as_a_bounce_not_as_another_message(store: SqlStore) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    h.outcomes("customers.example", 290, 10, late=True)
    report = h.service.report(h.account, "us-east-1")
    assert report.totals["sends"] == 300
    assert report.assessment.readings[0].value == 20 / 300  # both bounces counted, the send once


def test_a_healthy_production_sender_near_its_quota_gets_an_increase(store: SqlStore) -> None:
    clock = FakeClock()
    h = Harness(store, clock)
    with store.transaction() as tx:
        key = (h.account, "us-east-1")
        state = tx.sending.lock_states([key], SANDBOX, clock.now())[key]
        tx.sending.save_state(replace(state, production_access=True, limits=SendingLimits(1000, 10.0)))
    h.outcomes("customers.example", 300, 0)
    for _ in range(3):  # three days at 90 % of the quota
        with store.transaction() as tx:
            tx.sending.add_usage(h.account, "us-east-1", int(clock.now()), 900)
            state = tx.sending.lock_states([key], SANDBOX, clock.now())[key]
            usage = replace(state.usage, sent_last_24h=state.usage.sent_last_24h + 900)
            tx.sending.save_state(replace(state, usage=usage))
        h.service.sweep()
        clock.advance(DAY)
    with store.transaction() as tx:
        limits = tx.sending.lock_states([key], SANDBOX, clock.now())[key].limits
    assert limits == SendingLimits(2000, 15.0)
    assert "raised" in h.notices[-1].subject
