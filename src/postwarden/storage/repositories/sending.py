"""Per-(account, region) sending state and the per-second usage buckets behind the rolling 24-hour quota."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, delete, func, select, text, update

from postwarden.domain.model import (
    DailyUsage,
    EnforcementStatus,
    RateBucket,
    SendingLimits,
    SendingState,
)
from postwarden.storage.tables import quota_usage, sending_states

_INSERT_STATE = text(
    "INSERT INTO sending_states (account_id, region, production_access, max_24_hour_send, max_send_rate, "
    "sending_enabled, enforcement_status, sent_last_24h, counted_through, rate_tokens, rate_updated_at) "
    "VALUES (:account_id, :region, :production_access, :max_24_hour_send, :max_send_rate, "
    ":sending_enabled, :enforcement_status, :sent_last_24h, :counted_through, :rate_tokens, "
    ":rate_updated_at) ON CONFLICT (account_id, region) DO NOTHING"
)
_ADD_USAGE = text(
    "INSERT INTO quota_usage (account_id, region, second, count) VALUES (:a, :r, :s, :c) "
    "ON CONFLICT (account_id, region, second) DO UPDATE SET count = quota_usage.count + excluded.count"
)


class SqlSendingRepository:
    def __init__(self, connection: Connection, *, row_locks: bool) -> None:
        self._c = connection
        self._row_locks = row_locks

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
        query = select(sending_states).where(
            sending_states.c.account_id == account_id, sending_states.c.region == region
        )
        if self._row_locks:
            query = query.with_for_update()
        row = self._c.execute(query).mappings().first()
        if row is None:
            return None
        return SendingState(
            account_id=row["account_id"],
            region=row["region"],
            production_access=row["production_access"],
            limits=SendingLimits(row["max_24_hour_send"], row["max_send_rate"]),
            sending_enabled=row["sending_enabled"],
            enforcement_status=EnforcementStatus(row["enforcement_status"]),
            usage=DailyUsage(row["sent_last_24h"], row["counted_through"]),
            bucket=RateBucket(row["rate_tokens"], row["rate_updated_at"]),
        )

    def _insert(self, state: SendingState) -> None:
        # Another node may create the same pair at the same moment; the row it wrote wins.
        self._c.execute(_INSERT_STATE, _row(state))

    def expired_usage(self, account_id: str, region: str, after: int, through: int) -> int:
        query = select(func.coalesce(func.sum(quota_usage.c.count), 0)).where(
            quota_usage.c.account_id == account_id,
            quota_usage.c.region == region,
            quota_usage.c.second > after,
            quota_usage.c.second <= through,
        )
        return int(self._c.execute(query).scalar_one())

    def save_state(self, state: SendingState) -> None:
        values = _row(state)
        del values["account_id"], values["region"]
        self._c.execute(
            update(sending_states)
            .where(sending_states.c.account_id == state.account_id, sending_states.c.region == state.region)
            .values(**values)
        )

    def add_usage(self, account_id: str, region: str, second: int, count: int) -> None:
        self._c.execute(_ADD_USAGE, {"a": account_id, "r": region, "s": second, "c": count})

    def prune_usage(self, before: int) -> int:
        result = self._c.execute(delete(quota_usage).where(quota_usage.c.second < before))
        return int(result.rowcount)

    def list_states(self, account_id: str) -> list[SendingState]:
        query = select(sending_states.c.region).where(sending_states.c.account_id == account_id)
        regions = [row[0] for row in self._c.execute(query)]
        return [s for r in regions if (s := self._load(account_id, r)) is not None]


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
