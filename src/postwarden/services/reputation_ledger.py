"""The reputation state of (account, region) pairs inside one transaction: load the stored JSON into the
domain objects, change them, apply enforcement transitions to the sending state, save everything back.

Every enforcement change goes through here, whoever causes it (feedback, the review-period sweep, an
operator), so the stored enforcement state, the sending state the send policy reads, the audit log and
the notice to the account's contacts always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from postwarden.domain.enforcement import EnforcementSettings, EnforcementState, Transition
from postwarden.domain.model import EnforcementStatus, SendingLimits, SendingState
from postwarden.domain.quota_growth import DailyPeakUsage, QuotaGrowthSettings
from postwarden.domain.reputation import ReputationHistory, ReputationSettings
from postwarden.ports import Transaction
from postwarden.ports.reputation import ReputationRecord

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ReputationPolicy:
    reputation: ReputationSettings
    enforcement: EnforcementSettings
    growth: QuotaGrowthSettings
    feedback_domains: frozenset[str]
    production_default: SendingLimits
    sandbox: SendingLimits


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to an account's contacts about a decision on it."""

    account_id: str
    region: str
    subject: str
    text: str
    transition: Transition | None = None
    """The enforcement change the notice is about, for policies that follow one (sandbox return)."""


NoticeWriter = Callable[[Transaction, Notice, float], None]
"""Queues a notice as mail inside the caller's transaction; the composition root also hangs the policies
that follow a decision here (a region's repeated SHUTDOWNs returning it to the sandbox)."""


@dataclass(slots=True)
class Entry:
    history: ReputationHistory
    state: EnforcementState
    usage: DailyPeakUsage
    totals: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, amount: int = 1) -> None:
        self.totals[name] = self.totals.get(name, 0) + amount


class Ledger:
    def __init__(self, tx: Transaction, policy: ReputationPolicy, keys: Iterable[Key]) -> None:
        self._tx = tx
        self._policy = policy
        self._entries: dict[Key, Entry] = {}
        stored = tx.reputation.load(keys)
        for key in set(keys) | set(stored):
            record = stored.get(key)
            self._entries[key] = entry_from_record(record, policy) if record else _new_entry(policy)

    def __getitem__(self, key: Key) -> Entry:
        if key not in self._entries:
            self._entries[key] = _entry_or_new(self._tx, key, self._policy)
        return self._entries[key]

    def keys(self) -> list[Key]:
        return list(self._entries)

    def apply(self, key: Key, transition: Transition, new_state: EnforcementState, actor: str) -> Notice:
        """Record a transition: the enforcement state, the sending state, the audit log and a notice."""
        entry = self[key]
        entry.state = new_state
        self.set_status(key, transition.new, transition.at)
        record = transition.as_record()
        self._tx.audit.record(transition.at, actor, "reputation.transition", key[0], key[1], record)
        return Notice(key[0], key[1], _subject(transition), _text(key, transition), transition)

    def set_status(self, key: Key, status: EnforcementStatus, now: float) -> SendingState:
        state = self._tx.sending.lock_states([key], self._policy.sandbox, now)[key]
        changed = replace(state, enforcement_status=status)
        self._tx.sending.save_state(changed)
        return changed

    def save(self, now: float) -> None:
        self._tx.reputation.save(
            (
                ReputationRecord(
                    account_id=key[0],
                    region=key[1],
                    status=entry.state.status.value,
                    review_ends_at=entry.state.review_ends_at,
                    history=entry.history.to_json(),
                    enforcement=entry.state.to_json(),
                    usage=entry.usage.to_json(),
                    totals=entry.totals,
                )
                for key, entry in self._entries.items()
            ),
            now,
        )


def _new_entry(policy: ReputationPolicy) -> Entry:
    return Entry(
        ReputationHistory(policy.reputation), EnforcementState(), DailyPeakUsage(policy.growth.lookback_days)
    )


def entry_from_record(record: ReputationRecord, policy: ReputationPolicy) -> Entry:
    """A stored record as a ledger entry (reading it so changes nothing until a Ledger saves it)."""
    return Entry(
        ReputationHistory.from_json(record.history, policy.reputation),
        EnforcementState.from_json(record.enforcement),
        DailyPeakUsage.from_json(record.usage, policy.growth.lookback_days),
        dict(record.totals),
    )


def _entry_or_new(tx: Transaction, key: Key, policy: ReputationPolicy) -> Entry:
    record = tx.reputation.load([key]).get(key)
    return entry_from_record(record, policy) if record else _new_entry(policy)


def _subject(transition: Transition) -> str:
    if transition.new is EnforcementStatus.SHUTDOWN:
        return "Postwarden: sending paused for your account"
    if transition.new is EnforcementStatus.PROBATION:
        return "Postwarden: your account is under review"
    return "Postwarden: your account's sending status is healthy again"


def _text(key: Key, transition: Transition) -> str:
    lines = [
        f"Account {key[0]}, region {key[1]}: {transition.previous.value} -> {transition.new.value}.",
        "",
        f"Why: {transition.reason}",
    ]
    if transition.metric is not None and transition.value is not None:
        lines.append(
            f"Measured: {transition.metric.value} rate {transition.value:.2%} over {transition.window}."
        )
    if transition.threshold is not None:
        lines.append(f"Threshold: {transition.threshold:.2%}.")
    lines += ["", f"What brings the account back: {transition.remedy}"]
    return "\n".join(lines) + "\n"
