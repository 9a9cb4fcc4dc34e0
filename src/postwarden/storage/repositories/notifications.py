"""The notification outbox: events waiting to be fanned out, and notifications waiting to be POSTed.

Both are claimed like the delivery queue: a claimed notification's `next_attempt_at` moves to the end of
its lease and carries a lease token, so a dead dispatcher's work becomes due again by itself, and a late
result from it is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, func, select, text

from postwarden.domain.events import EventType
from postwarden.ports.notifications import (
    DueNotification,
    MessageRouting,
    NewNotification,
    NotificationResult,
    PendingEvent,
)
from postwarden.storage.driver import execute, fetch, insert_rows
from postwarden.storage.tables import messages, notifications, subscriptions, topics

_PENDING_EVENTS = (
    "SELECT event_id, account_id, region, message_id, recipient, event_type, created_at, detail, late "
    "FROM events WHERE fanout_pending ORDER BY created_at LIMIT ?{lock}"
)
_CLAIM = (
    "UPDATE notifications SET next_attempt_at = :lease_until, lease_token = :token "
    "WHERE notification_id IN (SELECT notification_id FROM notifications WHERE state = 'pending' "
    "AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit{lock}) "
    "RETURNING notification_id, subscription_arn, document, attempts, created_at"
)
_RECORD = (
    "UPDATE notifications SET state = ?, attempts = attempts + 1, next_attempt_at = ?, finished_at = ?, "
    "last_error = ?, lease_token = NULL WHERE notification_id = ? AND lease_token = ?"
)
_COLUMNS = (
    "notification_id",
    "subscription_arn",
    "account_id",
    "created_at",
    "document",
    "state",
    "attempts",
    "next_attempt_at",
)


class SqlNotificationRepository:
    def __init__(self, connection: Connection, *, skip_locked: bool) -> None:
        self._c = connection
        lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
        self._pending = _PENDING_EVENTS.format(lock=lock)
        self._claim = text(_CLAIM.format(lock=lock))

    def claim_events(self, limit: int) -> list[PendingEvent]:
        return [
            PendingEvent(
                event_id=row[0],
                account_id=row[1],
                region=row[2],
                message_id=row[3],
                recipient=row[4],
                event_type=EventType(row[5]),
                created_at=row[6],
                detail=json.loads(row[7]),
                late=bool(row[8]),
            )
            for row in fetch(self._c, self._pending, (limit,))
        ]

    def mark_fanned_out(self, event_ids: Sequence[str]) -> None:
        for start in range(0, len(event_ids), 500):
            chunk = event_ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            execute(self._c, f"UPDATE events SET fanout_pending = false WHERE event_id IN ({marks})", chunk)

    def routing(self, message_ids: Iterable[str]) -> dict[str, MessageRouting]:
        wanted = list(set(message_ids))
        if not wanted:
            return {}
        query = select(messages.c.message_id, messages.c.configuration_set, messages.c.source).where(
            messages.c.message_id.in_(wanted)
        )
        return {row[0]: MessageRouting(row[1], row[2]) for row in self._c.execute(query)}

    def add(self, batch: Sequence[NewNotification]) -> None:
        rows = [
            (
                n.notification_id,
                n.subscription_arn,
                n.account_id,
                n.created_at,
                json.dumps(dict(n.document), separators=(",", ":")),
                "pending",
                0,
                n.created_at,
            )
            for n in batch
        ]
        insert_rows(self._c, notifications, _COLUMNS, rows)

    def claim_due(self, now: float, limit: int, lease_until: float, token: str) -> list[DueNotification]:
        params = {"now": now, "limit": limit, "lease_until": lease_until, "token": token}
        rows = self._c.execute(self._claim, params).mappings().all()
        arns = {row["subscription_arn"] for row in rows}
        if not arns:
            return []
        query = (
            select(subscriptions, topics.c.signature_version)
            .join(topics, topics.c.arn == subscriptions.c.topic_arn)
            .where(subscriptions.c.arn.in_(list(arns)))
        )
        found = {row["arn"]: row for row in self._c.execute(query).mappings()}
        claimed: list[DueNotification] = []
        for row in rows:
            subscription = found.get(row["subscription_arn"])
            if subscription is None:  # unsubscribed (or its topic deleted) since it was queued
                execute(
                    self._c,
                    "UPDATE notifications SET state = 'cancelled', lease_token = NULL, finished_at = ? "
                    "WHERE notification_id = ?",
                    (now, row["notification_id"]),
                )
                continue
            claimed.append(
                DueNotification(
                    notification_id=row["notification_id"],
                    lease_token=token,
                    subscription_arn=row["subscription_arn"],
                    topic_arn=subscription["topic_arn"],
                    endpoint=subscription["endpoint"],
                    raw_message_delivery=bool(subscription["raw_message_delivery"]),
                    signature_version=subscription["signature_version"],
                    document=json.loads(row["document"]),
                    attempts=row["attempts"],
                    created_at=row["created_at"],
                )
            )
        return claimed

    def record(self, results: Sequence[NotificationResult]) -> None:
        rows: list[tuple[Any, ...]] = []
        for r in results:
            if r.delivered:
                state, next_at = "delivered", r.finished_at
            elif r.next_attempt_at is None:
                state, next_at = "expired", r.finished_at
            else:
                state, next_at = "pending", r.next_attempt_at
            finished = None if state == "pending" else r.finished_at
            rows.append((state, next_at, finished, r.error or None, r.notification_id, r.lease_token))
        if rows:
            statement = _RECORD if self._c.dialect.paramstyle == "qmark" else _RECORD.replace("?", "%s")
            self._c.exec_driver_sql(statement, rows)

    def release_leases(self, now: float) -> int:
        return execute(
            self._c,
            "UPDATE notifications SET lease_token = NULL, next_attempt_at = ? "
            "WHERE state = 'pending' AND lease_token IS NOT NULL",
            (now,),
        )

    def counts(self, account_id: str | None = None) -> dict[str, int]:
        query = select(notifications.c.state, func.count()).group_by(notifications.c.state)
        if account_id is not None:
            query = query.where(notifications.c.account_id == account_id)
        return {str(state): int(count) for state, count in self._c.execute(query)}
