"""Per-(account, region) sending state and the per-second usage buckets behind the rolling 24-hour quota."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, delete, select, text

from postwarden.domain.model import (
    DailyUsage,
    EnforcementStatus,
    RateBucket,
    SendingLimits,
    SendingState,
)
from postwarden.storage.driver import execute, fetch
from postwarden.storage.tables import quota_usage, sending_states

_INSERT_STATE = text(
    "INSERT INTO sending_states (account_id, region, production_access, max_24_hour_send, max_send_rate, "
    "sending_enabled, enforcement_status, sent_last_24h, counted_through, rate_tokens, rate_updated_at) "
    "VALUES (:account_id, :region, :production_access, :max_24_hour_send, :max_send_rate, "
    ":sending_enabled, :enforcement_status, :sent_last_24h, :counted_through, :rate_tokens, "
    ":rate_updated_at) ON CONFLICT (account_id, region) DO NOTHING"
)
_ADD_USAGE = (
    "INSERT INTO quota_usage (account_id, region, second, count) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (account_id, region, second) DO UPDATE SET count = quota_usage.count + excluded.count"
)
_STATE_COLUMNS = (
    "account_id",
    "region",
    "production_access",
    "max_24_hour_send",
    "max_send_rate",
    "sending_enabled",
    "enforcement_status",
    "sent_last_24h",
    "counted_through",
    "rate_tokens",
    "rate_updated_at",
)
_SELECT_STATE = f"SELECT {', '.join(_STATE_COLUMNS)} FROM sending_states WHERE account_id = ? AND region = ?"
_SAVE_STATE = (
    f"UPDATE sending_states SET {', '.join(f'{c} = ?' for c in _STATE_COLUMNS[2:])} "
    "WHERE account_id = ? AND region = ?"
)
_EXPIRED_USAGE = (
    "SELECT SUM(count) FROM quota_usage WHERE account_id = ? AND region = ? AND second > ? AND second <= ?"
)


class SqlSendingRepository:
    def __init__(self, connection: Connection, *, row_locks: bool) -> None:
        self._c = connection
        self._row_locks = row_locks
        self._select = _SELECT_STATE + (" FOR UPDATE" if row_locks else "")

    def lock_states(
        self, keys: Iterable[tuple[str, str]], sandbox: SendingLimits, now: float
    ) -> dict[tuple[str, str], SendingState]:
        wanted = sorted(set(keys))  # a fixed lock order, so concurrent batches cannot deadlock
        found: dict[tuple[str, str], SendingState] = {}
        for account_id, region in wanted:
            state = self._load(account_id, region)
            if state is None:
                state = SendingState.new_sandbox(account_id, region, sandbox, now)
                self._insert(state)
                state = self._load(account_id, region) or state
            found[(account_id, region)] = state
        return found

    def _load(self, account_id: str, region: str) -> SendingState | None:
        rows = fetch(self._c, self._select, (account_id, region))
        return _state(rows[0]) if rows else None

    def all_states(self) -> list[SendingState]:
        columns = [sending_states.c[name] for name in _STATE_COLUMNS]
        query = select(*columns).order_by(sending_states.c.account_id, sending_states.c.region)
        return [_state(tuple(row)) for row in self._c.execute(query)]

    def _insert(self, state: SendingState) -> None:
        # Another node may create the same pair at the same moment; the row it wrote wins.
        self._c.execute(_INSERT_STATE, _row(state))

    def expired_usage(self, account_id: str, region: str, after: int, through: int) -> int:
        rows = fetch(self._c, _EXPIRED_USAGE, (account_id, region, after, through))
        return int(rows[0][0] or 0)

    def save_state(self, state: SendingState) -> None:
        row = _row(state)
        values = [row[column] for column in _STATE_COLUMNS[2:]]
        execute(self._c, _SAVE_STATE, (*values, state.account_id, state.region))

    def add_usage(self, account_id: str, region: str, second: int, count: int) -> None:
        execute(self._c, _ADD_USAGE, (account_id, region, second, count))

    def prune_usage(self, before: int) -> int:
        result = self._c.execute(delete(quota_usage).where(quota_usage.c.second < before))
        return int(result.rowcount)

    def list_states(self, account_id: str) -> list[SendingState]:
        query = select(sending_states.c.region).where(sending_states.c.account_id == account_id)
        regions = [row[0] for row in self._c.execute(query)]
        return [s for r in regions if (s := self._load(account_id, r)) is not None]


def _state(row: Sequence[Any]) -> SendingState:
    (account_id, region, production, max_24h, max_rate, enabled, status, sent, through, tokens, tokens_at) = (
        row
    )
    return SendingState(
        account_id=str(account_id),
        region=str(region),
        production_access=bool(production),
        limits=SendingLimits(int(max_24h), float(max_rate)),
        sending_enabled=bool(enabled),
        enforcement_status=EnforcementStatus(status),
        usage=DailyUsage(int(sent), int(through)),
        bucket=RateBucket(float(tokens), float(tokens_at)),
    )


def _row(state: SendingState) -> dict[str, object]:
    return {
        "account_id": state.account_id,
        "region": state.region,
        "production_access": state.production_access,
        "max_24_hour_send": state.limits.max_24_hour_send,
        "max_send_rate": state.limits.max_send_rate,
        "sending_enabled": state.sending_enabled,
        "enforcement_status": state.enforcement_status.value,
        "sent_last_24h": state.usage.sent_last_24h,
        "counted_through": state.usage.counted_through,
        "rate_tokens": state.bucket.tokens,
        "rate_updated_at": state.bucket.updated_at,
    }
