"""What an operator's Prometheus scrapes: per (account, region) counters, rates, enforcement status and
sending limits, and process-wide queue depths. Labels are low-cardinality only (account_id, region, a
bounce type, a status, a state): never an address, an identity or a message id.

Counters come from the reputation totals, which the event fan-out keeps as events arrive; limits and the
enforcement status from the sending state (what GetAccount reports).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from postwarden.domain.model import EnforcementStatus
from postwarden.domain.reputation import Metric
from postwarden.ports import Clock, Store
from postwarden.services.reputation import ReputationReport, ReputationService
from postwarden.services.send import expire_usage

Labels = tuple[tuple[str, str], ...]
NOTIFICATION_STATES = ("pending", "delivered", "expired")
FEEDBACK_STATES = ("applied", "duplicate", "unmatched", "unparseable", "ignored")


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"


@dataclass(frozen=True, slots=True)
class Sample:
    labels: Labels
    value: float


@dataclass(slots=True)
class Family:
    name: str
    kind: Kind
    help: str
    samples: list[Sample] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append(Sample(tuple(labels.items()), float(value)))


class MonitoringService:
    def __init__(self, store: Store, clock: Clock, reputation: ReputationService) -> None:
        self._store = store
        self._clock = clock
        self._reputation = reputation

    def collect(self) -> list[Family]:
        now = self._clock.now()
        with self._store.read() as tx:
            states = [expire_usage(tx, state, now) for state in tx.sending.all_states()]
            queued = tx.messages.queue_depth()
            outbox = tx.notifications.counts()
            reports = tx.feedback.counts()
        standings = {(r.account_id, r.region): r for r in self._reputation.standings()}
        keys = sorted({(s.account_id, s.region) for s in states} | set(standings))
        families = [*_reputation_families(keys, standings)]

        status = _family("enforcement_status", Kind.GAUGE, "1 for the account's current enforcement status.")
        quota = _family("max_24_hour_send", Kind.GAUGE, "Max24HourSend: recipients allowed per 24 hours.")
        rate = _family("max_send_rate", Kind.GAUGE, "MaxSendRate: recipients allowed per second.")
        sent = _family("sent_last_24_hours", Kind.GAUGE, "SentLast24Hours: recipients in the rolling window.")
        enabled = _family("sending_enabled", Kind.GAUGE, "1 while sending is enabled for the account.")
        for state in states:
            where = {"account_id": state.account_id, "region": state.region}
            for candidate in EnforcementStatus:
                status.add(candidate is state.enforcement_status, **where, status=candidate.value)
            quota.add(state.limits.max_24_hour_send, **where)
            rate.add(state.limits.max_send_rate, **where)
            sent.add(state.usage.sent_last_24h, **where)
            enabled.add(state.sending_enabled, **where)
        families += [status, quota, rate, sent, enabled]

        depth = _family("delivery_queue_depth", Kind.GAUGE, "Recipients queued for delivery (all accounts).")
        depth.add(queued)
        notifications = _family(
            "notifications", Kind.GAUGE, "Event notifications in the outbox, by state (all accounts)."
        )
        for state_name in sorted({*NOTIFICATION_STATES, *outbox}):
            notifications.add(outbox.get(state_name, 0), state=state_name)
        feedback = _family(
            "feedback_reports", Kind.GAUGE, "Reports received at the feedback MX, by what became of them."
        )
        for state_name in sorted({*FEEDBACK_STATES, *reports}):
            feedback.add(reports.get(state_name, 0), status=state_name)
        return [*families, depth, notifications, feedback]


def _reputation_families(
    keys: Iterable[tuple[str, str]], reports: dict[tuple[str, str], ReputationReport]
) -> list[Family]:
    sends = _family("sends_total", Kind.COUNTER, "Recipients whose delivery finished (delivered or bounced).")
    deliveries = _family("deliveries_total", Kind.COUNTER, "Recipients delivered.")
    bounces = _family("bounces_total", Kind.COUNTER, "Bounces by type (transient includes undetermined).")
    complaints = _family("complaints_total", Kind.COUNTER, "Complaints received.")
    bounce_rate = _family(
        "bounce_rate", Kind.GAUGE, "Bounce rate over the representative volume (0.05 = 5 %), as enforced."
    )
    complaint_rate = _family(
        "complaint_rate", Kind.GAUGE, "Complaint rate over the representative volume, as enforced."
    )
    for account_id, region in keys:
        where = {"account_id": account_id, "region": region}
        report = reports.get((account_id, region))
        totals = report.totals if report is not None else {}
        sends.add(totals.get("sends", 0), **where)
        deliveries.add(totals.get("deliveries", 0), **where)
        bounces.add(totals.get("bounces", 0), **where, type="permanent")
        bounces.add(totals.get("other_bounces", 0), **where, type="transient")
        complaints.add(totals.get("complaints", 0), **where)
        if report is not None:
            bounce_rate.add(report.assessment.reading(Metric.BOUNCE).value, **where)
            complaint_rate.add(report.assessment.reading(Metric.COMPLAINT).value, **where)
        else:
            bounce_rate.add(0.0, **where)
            complaint_rate.add(0.0, **where)
    return [sends, deliveries, bounces, complaints, bounce_rate, complaint_rate]


def _family(name: str, kind: Kind, text: str) -> Family:
    return Family(f"postwarden_{name}", kind, text)
