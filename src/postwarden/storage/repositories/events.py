"""The event log (Send, Reject, Delivery, DeliveryDelay, Bounce…) and the operator audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Integer, cast, func, insert, select

from postwarden.domain.events import EventType
from postwarden.ports import ActivityBucket, AuditEntry, NewEvent, StoredEvent
from postwarden.ports.metrics import DailyCount, DailyCountQuery
from postwarden.storage.driver import insert_rows
from postwarden.storage.repositories.event_counts import daily_counts
from postwarden.storage.repositories.messages import SqlMessageRepository
from postwarden.storage.tables import audit_log, events, recipients

_EVENT_COLUMNS = (
    "event_id",
    "account_id",
    "region",
    "message_id",
    "recipient",
    "event_type",
    "created_at",
    "detail",
    "late",
    "fanout_pending",
)


class SqlEventRepository:
    def __init__(self, connection: Connection, messages: SqlMessageRepository) -> None:
        self._c = connection
        self._messages = messages

    def add(self, batch: Sequence[NewEvent]) -> None:
        rows = [
            (
                e.event_id,
                e.account_id,
                e.region,
                e.message_id,
                e.recipient,
                e.event_type.value,
                e.created_at,
                json.dumps(e.detail, separators=(",", ":")),
                e.late,
                e.fanout,
            )
            for e in batch
        ]
        insert_rows(self._c, events, _EVENT_COLUMNS, rows)

    def find(
        self,
        account_id: str,
        region: str | None = None,
        message_id: str | None = None,
        event_type: EventType | None = None,
        limit: int = 100,
    ) -> list[StoredEvent]:
        query = select(events).where(events.c.account_id == account_id)
        if region is not None:
            query = query.where(events.c.region == region)
        if message_id is not None:
            query = query.where(events.c.message_id == message_id)
        if event_type is not None:
            query = query.where(events.c.event_type == event_type.value)
        query = query.order_by(events.c.created_at, events.c.event_id).limit(limit)
        rows = self._c.execute(query).mappings().all()
        mails = self._messages.mail_summaries(r["message_id"] for r in rows if r["message_id"])
        return [
            StoredEvent(
                event_id=row["event_id"],
                event_type=EventType(row["event_type"]),
                created_at=row["created_at"],
                recipient=row["recipient"],
                message_id=row["message_id"],
                detail=json.loads(row["detail"]),
                mail=mails.get(row["message_id"]) if row["message_id"] else None,
            )
            for row in rows
        ]

    def activity(
        self, account_id: str, region: str, since: float, bucket_seconds: int
    ) -> list[ActivityBucket]:
        """Recipients accepted, bounces, complaints and rejects per bucket since `since` (active only)."""
        buckets: dict[int, list[int]] = {}
        accepted = self._bucket(recipients.c.accepted_at, bucket_seconds)
        query = (
            select(accepted, func.count())
            .where(recipients.c.account_id == account_id, recipients.c.region == region)
            .where(recipients.c.accepted_at >= since)
            .group_by(accepted)
        )
        for bucket, count in self._c.execute(query):
            buckets.setdefault(int(bucket), [0, 0, 0, 0])[0] = int(count)
        created = self._bucket(events.c.created_at, bucket_seconds)
        kinds = {EventType.BOUNCE.value: 1, EventType.COMPLAINT.value: 2, EventType.REJECT.value: 3}
        query = (
            select(created, events.c.event_type, func.count())
            .where(events.c.account_id == account_id, events.c.region == region, events.c.created_at >= since)
            .where(events.c.event_type.in_(list(kinds)))
            .group_by(created, events.c.event_type)
        )
        for bucket, kind, count in self._c.execute(query):
            buckets.setdefault(int(bucket), [0, 0, 0, 0])[kinds[kind]] = int(count)
        return [
            ActivityBucket(bucket * bucket_seconds, *counts) for bucket, counts in sorted(buckets.items())
        ]

    def daily_counts(self, query: DailyCountQuery) -> list[DailyCount]:
        return daily_counts(self._c, query)

    def _bucket(self, column: Any, bucket_seconds: int) -> Any:
        if self._c.dialect.name == "sqlite":
            return cast(column / bucket_seconds, Integer)  # truncates, as floor does for positive times
        return func.floor(column / bucket_seconds)


class SqlAuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def entries(
        self, account_id: str, region: str | None = None, action_prefix: str = "", limit: int = 100
    ) -> list[AuditEntry]:
        query = select(audit_log).where(audit_log.c.account_id == account_id)
        if region is not None:
            query = query.where(audit_log.c.region == region)
        if action_prefix:
            query = query.where(audit_log.c.action.startswith(action_prefix, autoescape=True))
        query = query.order_by(audit_log.c.entry_id.desc()).limit(limit)
        return [
            AuditEntry(
                row["created_at"],
                row["actor"],
                row["action"],
                row["account_id"],
                row["region"],
                json.loads(row["detail"]),
            )
            for row in self._c.execute(query).mappings()
        ]

    def record(
        self, at: float, actor: str, action: str, account_id: str | None, region: str | None, detail: Any
    ) -> None:
        self._c.execute(
            insert(audit_log).values(
                created_at=at,
                actor=actor,
                action=action,
                account_id=account_id,
                region=region,
                detail=json.dumps(detail, default=str),
            )
        )
