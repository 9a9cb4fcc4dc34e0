"""Inbound feedback: looking up the recipients a report names, and keeping every report."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from postwarden.ports.feedback import SentRecipient, StoredReport
from postwarden.storage.tables import events, feedback_reports, recipients


class SqlFeedbackRepository:
    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def recipient(self, recipient_id: int) -> SentRecipient | None:
        row = self._c.execute(_RECIPIENTS.where(recipients.c.recipient_id == recipient_id)).first()
        return None if row is None else _recipient(row)

    def recipients_of(self, message_id: str) -> list[SentRecipient]:
        query = _RECIPIENTS.where(recipients.c.message_id == message_id).order_by(recipients.c.recipient_id)
        return [_recipient(row) for row in self._c.execute(query)]

    def has_late_event(self, message_id: str, address: str, event_type: str) -> bool:
        query = select(func.count()).where(
            events.c.message_id == message_id,
            events.c.recipient == address,
            events.c.event_type == event_type,
            events.c.late,
        )
        return bool(self._c.execute(query).scalar())

    def add_report(self, report: StoredReport) -> None:
        self._c.execute(
            insert(feedback_reports).values(
                report_id=report.report_id,
                received_at=report.received_at,
                kind=report.kind,
                status=report.status,
                account_id=report.account_id,
                message_id=report.message_id,
                mail_from=report.mail_from,
                rcpt_to=report.rcpt_to,
                detail=json.dumps(dict(report.detail), default=str),
                raw=report.raw,
            )
        )

    def reports(self, status: str | None = None, limit: int = 100) -> list[StoredReport]:
        query = select(feedback_reports).order_by(feedback_reports.c.received_at.desc()).limit(limit)
        if status is not None:
            query = query.where(feedback_reports.c.status == status)
        return [_report(row) for row in self._c.execute(query).mappings()]

    def report(self, report_id: str) -> StoredReport | None:
        query = select(feedback_reports).where(feedback_reports.c.report_id == report_id)
        row = self._c.execute(query).mappings().first()
        return None if row is None else _report(row)

    def counts(self) -> dict[str, int]:
        query = select(feedback_reports.c.status, func.count()).group_by(feedback_reports.c.status)
        return {str(status): int(count) for status, count in self._c.execute(query)}


_RECIPIENTS = select(
    recipients.c.recipient_id,
    recipients.c.message_id,
    recipients.c.account_id,
    recipients.c.region,
    recipients.c.address,
    recipients.c.simulator,
)


def _recipient(row: Any) -> SentRecipient:
    return SentRecipient(int(row[0]), row[1], row[2], row[3], row[4], row[5] is not None)


def _report(row: Any) -> StoredReport:
    return StoredReport(
        report_id=row["report_id"],
        received_at=row["received_at"],
        kind=row["kind"],
        status=row["status"],
        account_id=row["account_id"],
        message_id=row["message_id"],
        mail_from=row["mail_from"],
        rcpt_to=row["rcpt_to"],
        detail=json.loads(row["detail"]),
        raw=bytes(row["raw"]),
    )
