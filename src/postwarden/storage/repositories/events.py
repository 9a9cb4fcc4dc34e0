"""The event log (Send, Reject, Delivery, DeliveryDelay, Bounce…) and the operator audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from postwarden.domain.events import EventType
from postwarden.ports import NewEvent, StoredEvent
from postwarden.storage.repositories.messages import SqlMessageRepository
from postwarden.storage.tables import audit_log, events


class SqlEventRepository:
    def __init__(self, connection: Connection, messages: SqlMessageRepository) -> None:
        self._c = connection
        self._messages = messages

    def add(self, batch: Sequence[NewEvent]) -> None:
        if not batch:
            return
        rows = [
            {
                "event_id": e.event_id,
                "account_id": e.account_id,
                "region": e.region,
                "message_id": e.message_id,
                "recipient": e.recipient,
                "event_type": e.event_type.value,
                "created_at": e.created_at,
                "detail": json.dumps(e.detail, separators=(",", ":")),
            }
            for e in batch
        ]
        self._c.execute(insert(events), rows)

    def list(
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


class SqlAuditRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

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
