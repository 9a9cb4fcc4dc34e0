"""Reputation as operators and senders see it: reports with readings and forecasts, the operator's pause
and reinstatement, and the periodic sweep that ends review periods and grows (or shrinks) quotas.

Feedback itself is recorded by `ReputationRecorder` as events arrive; this module acts on time passing
and on people's decisions. Every change is explained, audited and sent to the account's contacts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from postwarden.domain.enforcement import (
    Assessment,
    EnforcementState,
    Transition,
    assess,
    reinstate,
)
from postwarden.domain.events import iso_timestamp
from postwarden.domain.model import EnforcementStatus
from postwarden.domain.quota_growth import QuotaChange, QuotaDecision, review_quota
from postwarden.ports import AuditEntry, Clock, Store, Transaction
from postwarden.services.accounts import UnknownAccountError
from postwarden.services.reputation_ledger import (
    Key,
    Ledger,
    Notice,
    NoticeWriter,
    ReputationPolicy,
    entry_from_record,
)
from postwarden.services.reputation_recorder import SYSTEM_ACTOR
from postwarden.services.send import expire_usage

log = logging.getLogger("postwarden.reputation")

_Change = Callable[[Ledger, Key], tuple[Transition, EnforcementState]]


@dataclass(frozen=True, slots=True)
class ReputationReport:
    account_id: str
    region: str
    assessment: Assessment
    totals: dict[str, int]
    history: list[AuditEntry]

    def as_record(self) -> dict[str, Any]:
        """Status, each rate with its window and severity, forecasts, totals and the decisions so far."""
        readings = {r.metric.value: r for r in self.assessment.readings}
        record: dict[str, Any] = {
            "account_id": self.account_id,
            "region": self.region,
            "status": self.assessment.status.value,
        }
        for name, reading in readings.items():
            record[f"{name}_rate"] = reading.value
            record[f"{name}_window"] = reading.window
            record[f"{name}_severity"] = reading.severity.value
            record[f"{name}_review_threshold"] = reading.review_rate
            record[f"{name}_pause_threshold"] = reading.pause_rate
        record["forecasts"] = [f.message for f in self.assessment.forecasts]
        record["totals"] = self.totals
        record["history"] = [
            {"at": iso_timestamp(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
            for e in self.history
        ]
        return record


class ReputationService:
    def __init__(self, store: Store, clock: Clock, policy: ReputationPolicy, notices: NoticeWriter) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy
        self._notices = notices

    def report(self, account_id: str, region: str, history_limit: int = 50) -> ReputationReport:
        now = self._clock.now()
        with self._store.read() as tx:
            entry = Ledger(tx, self._policy, [(account_id, region)])[(account_id, region)]
            entries = tx.audit.entries(account_id, region, "reputation.", history_limit)
        assessment = assess(entry.state, entry.history.measure(now), now, self._policy.enforcement)
        return ReputationReport(account_id, region, assessment, dict(entry.totals), entries)

    def reports(self, status: EnforcementStatus | None = None) -> list[ReputationReport]:
        """Every (account, region) that has sent, optionally only those in one status."""
        with self._store.read() as tx:
            records = tx.reputation.all(status.value if status else None)
        return [self.report(r.account_id, r.region, history_limit=0) for r in records]

    def standings(self) -> list[ReputationReport]:
        """Every (account, region) that has sent, read in one transaction that locks nothing (for
        monitoring: a scrape must not queue behind the event fan-out); no history."""
        now = self._clock.now()
        with self._store.read() as tx:
            records = tx.reputation.all()
        reports = []
        for record in records:
            entry = entry_from_record(record, self._policy)
            assessment = assess(entry.state, entry.history.measure(now), now, self._policy.enforcement)
            reports.append(
                ReputationReport(record.account_id, record.region, assessment, dict(entry.totals), [])
            )
        return reports

    def pause(self, account_id: str, region: str, *, actor: str, reason: str) -> Transition:
        now = self._clock.now()

        def change(ledger: Ledger, key: Key) -> tuple[Transition, EnforcementState]:
            state = ledger[key].state
            transition = Transition(
                state.status,
                EnforcementStatus.SHUTDOWN,
                now,
                None,
                None,
                "",
                None,
                f"paused by an operator: {reason}",
                "An operator reinstates the account after reviewing it (postwarden accounts reinstate).",
            )
            return transition, EnforcementState(EnforcementStatus.SHUTDOWN, since=now)

        return self._operator_change(account_id, region, actor, now, change)

    def reinstate(self, account_id: str, region: str, *, actor: str, reason: str) -> Transition:
        """Back to HEALTHY; the metrics restart so that only mail sent from now on is measured."""
        now = self._clock.now()

        def change(ledger: Ledger, key: Key) -> tuple[Transition, EnforcementState]:
            entry = ledger[key]
            state, transition = reinstate(entry.state, entry.history, now, reason=f"reinstated: {reason}")
            return transition, state

        return self._operator_change(account_id, region, actor, now, change)

    def _operator_change(
        self, account_id: str, region: str, actor: str, now: float, change: _Change
    ) -> Transition:
        key = (account_id, region)
        with self._store.transaction() as tx:
            if not tx.accounts.account_exists(account_id):
                raise UnknownAccountError(account_id)
            ledger = Ledger(tx, self._policy, [key])
            transition, state = change(ledger, key)
            self._notices(tx, ledger.apply(key, transition, state, actor), now)
            ledger.save(now)
        return transition

    def sweep(self) -> int:
        """End review periods that are over, sample daily usage, review quotas; returns changes made."""
        now = self._clock.now()
        changes = 0
        with self._store.transaction() as tx:
            due = tx.reputation.reviews_due(now)
            keys = [(r.account_id, r.region) for r in tx.reputation.all()]
            ledger = Ledger(tx, self._policy, keys)
            for key in due:
                entry = ledger[key]
                assessment = assess(entry.state, entry.history.measure(now), now, self._policy.enforcement)
                if assessment.transition is not None:
                    self._notices(
                        tx, ledger.apply(key, assessment.transition, assessment.state, SYSTEM_ACTOR), now
                    )
                    changes += 1
            for key in keys:
                decision = self._review_quota(tx, ledger, key, now)
                if decision is not None:
                    changes += 1
            ledger.save(now)
        return changes

    def _review_quota(self, tx: Transaction, ledger: Ledger, key: Key, now: float) -> QuotaDecision | None:
        entry = ledger[key]
        state = expire_usage(tx, tx.sending.lock_states([key], self._policy.sandbox, now)[key], now)
        if not state.production_access:
            return None
        entry.usage.record(now, state.usage.sent_last_24h)
        decision = review_quota(
            limits=state.limits,
            production_access=state.production_access,
            status=state.enforcement_status,
            metrics=entry.history.measure(now),
            usage=entry.usage,
            production_default=self._policy.production_default,
            now=now,
            settings=self._policy.growth,
        )
        if decision.change is QuotaChange.NONE:
            return None
        tx.sending.save_state(replace(state, limits=decision.new))
        entry.usage.note_change(now)
        tx.audit.record(
            now,
            SYSTEM_ACTOR,
            f"reputation.quota-{decision.change.value}",
            key[0],
            key[1],
            decision.as_record(),
        )
        verb = "raised" if decision.change is QuotaChange.INCREASE else "lowered"
        before, after = decision.previous, decision.new
        text = (
            f"Account {key[0]}, region {key[1]}: sending limits {verb} from {before.max_24_hour_send:,} "
            f"per 24 hours and {before.max_send_rate:g} per second to {after.max_24_hour_send:,} and "
            f"{after.max_send_rate:g}.\n\nWhy: {decision.explanation}\n"
        )
        self._notices(tx, Notice(key[0], key[1], f"Postwarden: sending limits {verb}", text), now)
        return decision


class ReputationSweeper:
    """Runs `ReputationService.sweep` every `interval` seconds in the background."""

    def __init__(self, service: ReputationService, interval: float) -> None:
        self._service = service
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="postwarden-reputation-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self._service.sweep)
            except Exception:
                log.exception("reputation sweep failed; trying again later")
            await asyncio.sleep(self._interval)
