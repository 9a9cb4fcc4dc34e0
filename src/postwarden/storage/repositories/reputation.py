"""Reputation records: one row per (account, region), JSON states written whole (a few KB)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select, tuple_

from postwarden.ports.reputation import ReputationRecord
from postwarden.storage.tables import reputation_states as table


class SqlReputationRepository:
    def __init__(self, connection: Connection, *, row_locks: bool) -> None:
        self._c = connection
        self._row_locks = row_locks

    def load(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ReputationRecord]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        query = select(table).where(tuple_(table.c.account_id, table.c.region).in_(wanted))
        if self._row_locks:
            query = query.order_by(table.c.account_id, table.c.region).with_for_update()
        found = {}
        for row in self._c.execute(query).mappings():
            record = _record(row)
            found[(record.account_id, record.region)] = record
        return found

    def save(self, records: Iterable[ReputationRecord], now: float) -> None:
        rows = list(records)
        if not rows:
            return
        self._c.execute(
            delete(table).where(
                tuple_(table.c.account_id, table.c.region).in_([(r.account_id, r.region) for r in rows])
            )
        )
        self._c.execute(
            insert(table),
            [
                {
                    "account_id": r.account_id,
                    "region": r.region,
                    "status": r.status,
                    "review_ends_at": r.review_ends_at,
                    "history": json.dumps(r.history, separators=(",", ":")),
                    "enforcement": json.dumps(r.enforcement, separators=(",", ":")),
                    "usage": json.dumps(r.usage, separators=(",", ":")),
                    "totals": json.dumps(dict(r.totals), separators=(",", ":")),
                    "updated_at": now,
                }
                for r in rows
            ],
        )

    def reviews_due(self, now: float) -> list[tuple[str, str]]:
        query = select(table.c.account_id, table.c.region).where(
            table.c.status == "PROBATION", table.c.review_ends_at <= now
        )
        return [(row[0], row[1]) for row in self._c.execute(query)]

    def all(self, status: str | None = None) -> list[ReputationRecord]:
        query = select(table).order_by(table.c.account_id, table.c.region)
        if status is not None:
            query = query.where(table.c.status == status)
        return [_record(row) for row in self._c.execute(query).mappings()]


def _record(row: Any) -> ReputationRecord:
    return ReputationRecord(
        account_id=row["account_id"],
        region=row["region"],
        status=row["status"],
        review_ends_at=row["review_ends_at"],
        history=json.loads(row["history"]),
        enforcement=json.loads(row["enforcement"]),
        usage=json.loads(row["usage"]),
        totals=json.loads(row["totals"]),
    )
