"""Applying inbound feedback: a bounce that arrives later by DSN, a complaint report, a delay notice.

The feedback MX parses the mail and hands over an `InboundReport`; here each item is matched to the
message and recipient it is about (the VERP return path names both; failing that, the original
Message-ID), turned into a Bounce, Complaint or DeliveryDelay event marked `late`, and applied to the
suppression list. Refusals that are about the sending server (a blocklisted IP, a policy) are recorded
for the operator and never suppress the address. Every report is kept with what became of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from postwarden.domain import ids
from postwarden.domain.delivery import BounceSubType, BounceType
from postwarden.domain.events import (
    EventType,
    bounce_detail,
    complaint_detail,
    delivery_delay_detail,
    iso_timestamp,
)
from postwarden.domain.suppression import reason_for_bounce, reason_for_complaint
from postwarden.ports import Clock, NewEvent, Store, SuppressedDestination, Transaction
from postwarden.ports.feedback import SentRecipient, StoredReport
from postwarden.services.suppression import reasons_for_messages


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One recipient a report speaks of."""

    kind: EventType
    """BOUNCE, COMPLAINT or DELIVERY_DELAY."""
    message_id: str | None
    recipient_id: int | None
    address: str | None
    bounce_type: BounceType = BounceType.UNDETERMINED
    bounce_sub_type: BounceSubType = BounceSubType.UNDETERMINED
    infrastructure: bool = False
    status: str | None = None
    diagnostic: str | None = None
    remote_mta: str | None = None


@dataclass(frozen=True, slots=True)
class InboundReport:
    raw: bytes
    mail_from: str
    rcpt_to: Sequence[str]
    kind: str
    """The parser's kind: bounce, delay, complaint, auto_reply, delivered or unknown."""
    items: Sequence[FeedbackItem]
    reporting_mta: str | None = None
    feedback_type: str | None = None
    user_agent: str | None = None
    arrival: float | None = None
    problems: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    report_id: str
    status: str
    events: int


class FeedbackService:
    def __init__(self, store: Store, clock: Clock, reporting_mta: str) -> None:
        self._store = store
        self._clock = clock
        self._reporting_mta = reporting_mta

    def process(self, report: InboundReport) -> ReportOutcome:
        now = self._clock.now()
        report_id = str(uuid.uuid4())
        with self._store.transaction() as tx:
            applied: list[tuple[SentRecipient, FeedbackItem]] = []
            duplicates = unmatched = 0
            for item in report.items:
                target = _target(tx, item)
                if target is None:
                    unmatched += 1
                elif tx.feedback.has_late_event(target.message_id, target.address, item.kind.value):
                    duplicates += 1
                else:
                    applied.append((target, item))
            events = [self._event(report, target, item, now) for target, item in applied]
            tx.events.add(events)
            for (target, item), event in zip(applied, events, strict=True):
                self._suppress(tx, report, target, item, event, now)
            status = _status(report, applied, duplicates, unmatched)
            first = applied[0][0] if applied else None
            detail = {
                "items": len(report.items),
                "applied": len(applied),
                "duplicates": duplicates,
                "unmatched": unmatched,
                "problems": list(report.problems),
                "infrastructure": [i.diagnostic for _, i in applied if i.infrastructure],
            }
            tx.feedback.add_report(
                StoredReport(
                    report_id,
                    now,
                    report.kind,
                    status,
                    first.account_id if first else None,
                    first.message_id if first else None,
                    report.mail_from,
                    ",".join(report.rcpt_to),
                    detail,
                    report.raw,
                )
            )
        return ReportOutcome(report_id, status, len(events))

    def _event(
        self, report: InboundReport, target: SentRecipient, item: FeedbackItem, now: float
    ) -> NewEvent:
        feedback_id = ids.message_id(target.region, int(now * 1000), str(uuid.uuid4()))
        mta = report.reporting_mta or self._reporting_mta
        detail: dict[str, Any]
        if item.kind is EventType.COMPLAINT:
            detail = complaint_detail(
                target.address,
                now,
                feedback_id,
                report.user_agent or "",
                report.feedback_type or "abuse",
                report.arrival,
            )
        elif item.kind is EventType.DELIVERY_DELAY:
            detail = delivery_delay_detail(target.address, now, now, mta, item.diagnostic or "", None, None)
            detail["expirationTime"] = iso_timestamp(now)
        else:
            detail = bounce_detail(
                target.address, now, feedback_id, item.bounce_type, item.bounce_sub_type, mta,
                description=item.diagnostic or "",
            )  # fmt: skip
            bounced = detail["bouncedRecipients"][0]
            bounced["action"] = "failed"
            if item.status:
                bounced["status"] = item.status
        return NewEvent(
            str(uuid.uuid4()), target.account_id, target.region, target.message_id, target.address,
            item.kind, now, detail, late=True,
        )  # fmt: skip

    def _suppress(
        self,
        tx: Transaction,
        report: InboundReport,
        target: SentRecipient,
        item: FeedbackItem,
        event: NewEvent,
        now: float,
    ) -> None:
        enabled = reasons_for_messages(tx, [(target.account_id, target.region, target.message_id)])[
            target.message_id
        ]
        if item.kind is EventType.COMPLAINT:
            reason = reason_for_complaint(simulator=target.simulator, enabled=enabled)
        elif item.kind is EventType.BOUNCE and not item.infrastructure:
            reason = reason_for_bounce(
                item.bounce_type, item.bounce_sub_type, None, simulator=target.simulator, enabled=enabled
            )
        else:
            if item.infrastructure:
                detail = {"diagnostic": item.diagnostic, "status": item.status, "recipient": target.address}
                tx.audit.record(
                    now, "feedback-mx", "feedback.infrastructure", target.account_id, target.region, detail
                )
            return
        if reason is not None:
            feedback_id = str(event.detail.get("feedbackId") or "") or None
            tx.suppression.put(
                SuppressedDestination(
                    target.account_id, target.region, target.address.lower(), reason, now,
                    target.message_id, feedback_id,
                )
            )  # fmt: skip


def _target(tx: Transaction, item: FeedbackItem) -> SentRecipient | None:
    """The recipient an item is about: by VERP recipient id, else by message id and address."""
    if item.recipient_id is not None:
        found = tx.feedback.recipient(item.recipient_id)
        if found is not None and (item.message_id is None or found.message_id == item.message_id):
            return found
    if item.message_id is None:
        return None
    candidates = tx.feedback.recipients_of(item.message_id)
    if item.address:
        wanted = item.address.lower()
        matching = [c for c in candidates if c.address.lower() == wanted]
        if matching:
            return matching[0]
    return candidates[0] if len(candidates) == 1 else None


def _status(report: InboundReport, applied: Sequence[object], duplicates: int, unmatched: int) -> str:
    if applied:
        return "applied"
    if duplicates:
        return "duplicate"
    if report.kind in {"auto_reply", "delivered"}:
        return "ignored"
    if report.kind == "unknown":
        return "unparseable"
    return "unmatched" if unmatched or not report.items else "ignored"
