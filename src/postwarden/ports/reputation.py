"""The storage port of reputation: one record per (account, region) holding the domain's JSON states."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ReputationRecord:
    account_id: str
    region: str
    status: str
    review_ends_at: float | None
    history: Mapping[str, Any]
    """`ReputationHistory.to_json()`."""
    enforcement: Mapping[str, Any]
    """`EnforcementState.to_json()`."""
    usage: Mapping[str, Any]
    """`DailyPeakUsage.to_json()`."""
    totals: Mapping[str, int] = field(default_factory=dict)
    """Counters since the account began: sends, deliveries, bounces, complaints (for metrics)."""


class ReputationRepository(Protocol):
    def load(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ReputationRecord]:
        """The records that exist among `keys`, locked for this transaction where the database can."""
        ...

    def save(self, records: Iterable[ReputationRecord], now: float) -> None: ...
    def reviews_due(self, now: float) -> list[tuple[str, str]]:
        """(account, region) pairs in PROBATION whose review period has ended."""
        ...

    def all(self, status: str | None = None) -> list[ReputationRecord]: ...
