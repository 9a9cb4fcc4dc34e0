"""The account-level suppression list and which reasons feed it, per (account, region)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence

from sqlalchemy import ColumnElement, Connection, delete, func, select

from postwarden.domain.suppression import DEFAULT_REASONS, SuppressionReason
from postwarden.ports import SuppressedDestination
from postwarden.storage.driver import adapt, execute, fetch
from postwarden.storage.tables import suppressed_destinations, suppression_settings

_UPSERT = (
    "INSERT INTO suppressed_destinations (account_id, region, email_address, reason, last_update_time, "
    "message_id, feedback_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, region, email_address) "
    "DO UPDATE SET reason = excluded.reason, last_update_time = excluded.last_update_time, "
    "message_id = excluded.message_id, feedback_id = excluded.feedback_id"
)
_SET_REASONS = (
    "INSERT INTO suppression_settings (account_id, region, suppressed_reasons) VALUES (?, ?, ?) "
    "ON CONFLICT (account_id, region) DO UPDATE SET suppressed_reasons = excluded.suppressed_reasons"
)


class SqlSuppressionRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def put(self, entry: SuppressedDestination) -> None:
        execute(self._c, _UPSERT, _row(entry))

    def put_many(self, entries: Sequence[SuppressedDestination]) -> None:
        """Upserts in one round of the driver (executemany); a later entry for an address wins."""
        if entries:
            self._c.exec_driver_sql(adapt(self._c, _UPSERT), [_row(e) for e in entries])

    def get(self, account_id: str, region: str, address: str) -> SuppressedDestination | None:
        query = select(suppressed_destinations).where(*_key(account_id, region, address))
        row = self._c.execute(query).mappings().first()
        return None if row is None else _entry(row)

    def delete(self, account_id: str, region: str, address: str) -> bool:
        result = self._c.execute(delete(suppressed_destinations).where(*_key(account_id, region, address)))
        return bool(result.rowcount)

    def delete_many(self, account_id: str, region: str, addresses: Sequence[str]) -> int:
        wanted = sorted({a.lower() for a in addresses})
        deleted = 0
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            sql = (
                "DELETE FROM suppressed_destinations WHERE account_id = ? AND region = ? "
                f"AND email_address IN ({', '.join(['?'] * len(chunk))})"
            )
            deleted += execute(self._c, sql, (account_id, region, *chunk))
        return deleted

    def find(
        self,
        account_id: str,
        region: str,
        reasons: Collection[SuppressionReason],
        start: float | None,
        end: float | None,
    ) -> list[SuppressedDestination]:
        table = suppressed_destinations
        query = select(table).where(table.c.account_id == account_id, table.c.region == region)
        if reasons:
            query = query.where(table.c.reason.in_([r.value for r in reasons]))
        if start is not None:
            query = query.where(table.c.last_update_time >= start)
        if end is not None:
            query = query.where(table.c.last_update_time <= end)
        query = query.order_by(table.c.last_update_time.desc(), table.c.email_address)
        return [_entry(row) for row in self._c.execute(query).mappings()]

    def suppressed_among(self, account_id: str, region: str, addresses: Iterable[str]) -> set[str]:
        wanted = list({a.lower() for a in addresses})
        if not wanted:
            return set()
        sql = (
            "SELECT email_address FROM suppressed_destinations WHERE account_id = ? AND region = ? "
            f"AND email_address IN ({', '.join(['?'] * len(wanted))})"
        )
        return {row[0] for row in fetch(self._c, sql, (account_id, region, *wanted))}

    def reasons(self, account_id: str, region: str) -> frozenset[SuppressionReason]:
        query = select(suppression_settings.c.suppressed_reasons).where(
            suppression_settings.c.account_id == account_id, suppression_settings.c.region == region
        )
        row = self._c.execute(query).first()
        if row is None:
            return DEFAULT_REASONS
        return frozenset(SuppressionReason(r) for r in json.loads(row[0]))

    def set_reasons(self, account_id: str, region: str, reasons: Collection[SuppressionReason]) -> None:
        execute(self._c, _SET_REASONS, (account_id, region, json.dumps(sorted(r.value for r in reasons))))

    def count(self, account_id: str, region: str) -> int:
        query = select(func.count()).where(
            suppressed_destinations.c.account_id == account_id, suppressed_destinations.c.region == region
        )
        return int(self._c.execute(query).scalar_one())


def _row(entry: SuppressedDestination) -> tuple[object, ...]:
    return (
        entry.account_id,
        entry.region,
        entry.email_address.lower(),
        entry.reason.value,
        entry.last_update_time,
        entry.message_id,
        entry.feedback_id,
    )


def _key(account_id: str, region: str, address: str) -> tuple[ColumnElement[bool], ...]:
    table = suppressed_destinations
    return (
        table.c.account_id == account_id,
        table.c.region == region,
        table.c.email_address == address.lower(),
    )


def _entry(row: object) -> SuppressedDestination:
    data = dict(row)  # type: ignore[call-overload]
    return SuppressedDestination(
        account_id=data["account_id"],
        region=data["region"],
        email_address=data["email_address"],
        reason=SuppressionReason(data["reason"]),
        last_update_time=data["last_update_time"],
        message_id=data["message_id"],
        feedback_id=data["feedback_id"],
    )
