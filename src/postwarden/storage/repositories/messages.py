"""Accepted messages, their recipients, and the delivery queue those recipients form.

A recipient is due when `status = 'queued'` and `next_attempt_at <= now`. Claiming it moves
`next_attempt_at` to the end of the lease and stamps a lease token: if the worker dies, the recipient
simply becomes due again when the lease runs out, and a late answer from the old worker is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, select, text, update

from postwarden.domain.delivery import Delivered, PermanentFailure, RecipientStatus, TransientFailure
from postwarden.domain.events import MailSummary
from postwarden.domain.simulator import SimulatorScenario
from postwarden.ports import AttemptResult, DueRecipient, MessageContent, NewMessage, NewRecipient
from postwarden.storage.driver import insert_rows
from postwarden.storage.tables import messages, recipients

_CLAIM = (
    "UPDATE recipients SET next_attempt_at = :lease_until, lease_token = :token "
    "WHERE recipient_id IN (SELECT recipient_id FROM recipients WHERE status = 'queued' "
    "AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit{lock}) "
    "RETURNING recipient_id, message_id, account_id, region, address, domain, attempts, accepted_at, "
    "simulator"
)


_MESSAGE_COLUMNS = (
    "message_id",
    "account_id",
    "region",
    "created_at",
    "source",
    "envelope_from",
    "destination",
    "content",
    "caller_identity",
    "source_ip",
    "operation",
    "configuration_set",
    "tags",
    "common_headers",
)
_RECIPIENT_COLUMNS = (
    "message_id",
    "account_id",
    "region",
    "address",
    "domain",
    "status",
    "attempts",
    "accepted_at",
    "next_attempt_at",
    "simulator",
    "updated_at",
)


_RECORD = (
    "UPDATE recipients SET status = ?, attempts = ?, next_attempt_at = ?, last_reply = ?, updated_at = ?, "
    "lease_token = NULL WHERE recipient_id = ?"
)


class SqlMessageRepository:
    def __init__(self, connection: Connection, *, skip_locked: bool) -> None:
        self._c = connection
        self._row_locks = skip_locked
        self._claim = text(_CLAIM.format(lock=" FOR UPDATE SKIP LOCKED" if skip_locked else ""))

    def add_messages(self, batch: Sequence[NewMessage]) -> None:
        rows = [
            (
                m.message_id,
                m.account_id,
                m.region,
                m.created_at,
                m.source,
                m.envelope_from,
                json.dumps(list(m.destination)),
                m.content,
                m.caller_identity,
                m.source_ip,
                m.operation,
                m.configuration_set,
                json.dumps({k: list(v) for k, v in m.tags.items()}),
                json.dumps(dict(m.common_headers)),
            )
            for m in batch
        ]
        insert_rows(self._c, messages, _MESSAGE_COLUMNS, rows)

    def add_recipients(self, batch: Sequence[NewRecipient]) -> None:
        queued = RecipientStatus.QUEUED.value
        rows = [
            (
                r.message_id,
                r.account_id,
                r.region,
                r.address,
                r.domain,
                queued,
                0,
                r.accepted_at,
                r.accepted_at,
                r.simulator.value if r.simulator else None,
                r.accepted_at,
            )
            for r in batch
        ]
        insert_rows(self._c, recipients, _RECIPIENT_COLUMNS, rows)

    def claim_due(self, now: float, limit: int, lease_until: float, token: str) -> list[DueRecipient]:
        params = {"now": now, "limit": limit, "lease_until": lease_until, "token": token}
        rows = self._c.execute(self._claim, params).mappings().all()
        claimed = [
            DueRecipient(
                recipient_id=row["recipient_id"],
                lease_token=token,
                message_id=row["message_id"],
                account_id=row["account_id"],
                region=row["region"],
                address=row["address"],
                domain=row["domain"],
                attempts=row["attempts"],
                accepted_at=row["accepted_at"],
                simulator=SimulatorScenario(row["simulator"]) if row["simulator"] else None,
            )
            for row in rows
        ]
        claimed.sort(key=lambda r: r.recipient_id)
        return claimed

    def contents(self, message_ids: Iterable[str]) -> dict[str, MessageContent]:
        wanted = list(set(message_ids))
        query = select(
            messages.c.message_id,
            messages.c.envelope_from,
            messages.c.content,
            messages.c.source,
            messages.c.configuration_set,
        ).where(messages.c.message_id.in_(wanted))
        return {
            row[0]: MessageContent(row[1], bytes(row[2]), row[3], row[4]) for row in self._c.execute(query)
        }

    def record_attempts(self, results: Sequence[AttemptResult]) -> list[AttemptResult]:
        """Apply each result whose lease still holds; returns those (a late answer from a worker whose
        lease ran out is dropped, so its events are not recorded twice)."""
        if not results:
            return []
        ids = [r.recipient.recipient_id for r in results]
        query = select(recipients.c.recipient_id, recipients.c.lease_token).where(
            recipients.c.recipient_id.in_(ids)
        )
        if self._row_locks:
            query = query.with_for_update()
        holders = {row[0]: row[1] for row in self._c.execute(query)}
        current = [r for r in results if holders.get(r.recipient.recipient_id) == r.recipient.lease_token]
        rows = [_attempt_row(r) for r in current]
        if rows:
            marker = "?" if self._c.dialect.paramstyle == "qmark" else "%s"
            self._c.exec_driver_sql(_RECORD.replace("?", marker), rows)
        return current

    def mail_summaries(self, message_ids: Iterable[str]) -> dict[str, MailSummary]:
        wanted = list(set(message_ids))
        query = select(
            messages.c.message_id,
            messages.c.created_at,
            messages.c.source,
            messages.c.account_id,
            messages.c.region,
            messages.c.destination,
            messages.c.caller_identity,
            messages.c.source_ip,
            messages.c.tags,
            messages.c.common_headers,
            messages.c.operation,
            messages.c.configuration_set,
        ).where(messages.c.message_id.in_(wanted))
        found: dict[str, MailSummary] = {}
        for row in self._c.execute(query).mappings():
            tags = json.loads(row["tags"])
            tags.setdefault("ses:operation", [row["operation"]])
            if row["configuration_set"]:
                tags.setdefault("ses:configuration-set", [row["configuration_set"]])
            found[row["message_id"]] = MailSummary(
                message_id=row["message_id"],
                timestamp=row["created_at"],
                source=row["source"],
                sending_account_id=row["account_id"],
                region=row["region"],
                destination=json.loads(row["destination"]),
                caller_identity=row["caller_identity"],
                source_ip=row["source_ip"],
                tags=tags,
                common_headers=json.loads(row["common_headers"]),
            )
        return found

    def release_leases(self, now: float) -> int:
        """Make every claimed recipient due now (only safe when no other worker can hold a lease)."""
        statement = (
            update(recipients)
            .where(recipients.c.status == "queued", recipients.c.lease_token.is_not(None))
            .values(next_attempt_at=now, lease_token=None)
        )
        return int(self._c.execute(statement).rowcount)

    def queue_depth(self) -> int:
        query = select(func.count()).select_from(recipients).where(recipients.c.status == "queued")
        return int(self._c.execute(query).scalar_one())


def _attempt_row(result: AttemptResult) -> tuple[object, ...]:
    outcome = result.outcome
    due = result.recipient
    if isinstance(outcome, Delivered):
        return (RecipientStatus.DELIVERED.value, due.attempts + 1, due.accepted_at, str(outcome.reply),
                result.finished_at, due.recipient_id)  # fmt: skip
    if isinstance(outcome, TransientFailure) and result.next_attempt_at is not None:
        return (RecipientStatus.QUEUED.value, due.attempts + 1, result.next_attempt_at, outcome.description,
                result.finished_at, due.recipient_id)  # fmt: skip
    assert isinstance(outcome, (PermanentFailure, TransientFailure))
    return (RecipientStatus.BOUNCED.value, due.attempts + 1, due.accepted_at, outcome.description,
            result.finished_at, due.recipient_id)  # fmt: skip
