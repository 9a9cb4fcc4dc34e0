"""Feeding events into the reputation metrics, O(1) each, behind the send and delivery paths.

The event pipeline hands over each batch of new events inside its transaction. A recipient's outcome
(Delivery, or a Bounce decided by the delivery attempt) counts as one sent message; a bounce that arrives
later by DSN, and every complaint, count against the message they refer to, at its send time. After the
batch, each touched (account, region) is assessed and any enforcement transition is applied at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from postwarden.domain.delivery import BounceSubType, BounceType
from postwarden.domain.enforcement import assess
from postwarden.domain.events import EventType, MailSummary
from postwarden.domain.reputation import classify
from postwarden.domain.simulator import SIMULATOR_DOMAIN
from postwarden.ports import Transaction
from postwarden.ports.notifications import PendingEvent
from postwarden.services.reputation_ledger import Key, Ledger, Notice, ReputationPolicy

_COUNTED = {EventType.DELIVERY, EventType.BOUNCE, EventType.COMPLAINT}
POSTWARDEN_OPERATIONS = frozenset({"Notice", "VerifyEmailIdentity", "SendCustomVerificationEmail"})
"""Mail Postwarden sends on an account's behalf: it never counts toward the account's reputation."""
SYSTEM_ACTOR = "postwarden-reputation"


class ReputationRecorder:
    def __init__(self, policy: ReputationPolicy) -> None:
        self._policy = policy

    def consume(
        self, tx: Transaction, pending: Sequence[PendingEvent], mails: Mapping[str, MailSummary], now: float
    ) -> list[Notice]:
        relevant = [e for e in pending if e.event_type in _COUNTED and e.recipient and e.message_id in mails]
        if not relevant:
            return []
        keys = {(e.account_id, e.region) for e in relevant}
        verified = _verified(tx, relevant)
        ledger = Ledger(tx, self._policy, keys)
        for event in relevant:
            key = (event.account_id, event.region)
            self._record(
                ledger, event, mails[event.message_id or ""].timestamp, verified.get(key, frozenset())
            )
        notices: list[Notice] = []
        for key in sorted(keys):
            entry = ledger[key]
            assessment = assess(entry.state, entry.history.measure(now), now, self._policy.enforcement)
            if assessment.transition is not None:
                notices.append(ledger.apply(key, assessment.transition, assessment.state, SYSTEM_ACTOR))
        ledger.save(now)
        return notices

    def _record(self, ledger: Ledger, event: PendingEvent, sent_at: float, verified: frozenset[str]) -> None:
        entry = ledger[(event.account_id, event.region)]
        address = (event.recipient or "").lower()
        domain = address.rpartition("@")[2]
        sub_type = str(event.detail.get("bounceSubType", ""))
        eligibility = classify(
            simulator=domain == SIMULATOR_DOMAIN,
            verified_domain=domain in verified or address in verified,
            account_suppressed=sub_type == BounceSubType.ON_ACCOUNT_SUPPRESSION_LIST,
            feedback_loop=_feedback_domain(domain, self._policy.feedback_domains),
        )
        if event.event_type is EventType.DELIVERY:
            entry.history.record_send(sent_at, eligibility)
            entry.count("sends")
            entry.count("deliveries")
        elif event.event_type is EventType.BOUNCE:
            if not event.late:
                entry.history.record_send(sent_at, eligibility)
                entry.count("sends")
            bounce_type = _bounce_type(event.detail.get("bounceType"))
            sub = _sub_type(sub_type)
            if entry.history.record_bounce(sent_at, eligibility, bounce_type, sub):
                entry.count("counted_bounces")
            entry.count("bounces" if bounce_type is BounceType.PERMANENT else "other_bounces")
        else:
            if entry.history.record_complaint(sent_at, eligibility):
                entry.count("counted_complaints")
            entry.count("complaints")


def _verified(tx: Transaction, events: Sequence[PendingEvent]) -> dict[Key, frozenset[str]]:
    """Per (account, region): which recipient domains and addresses the account has verified."""
    names: dict[Key, set[str]] = {}
    for event in events:
        address = (event.recipient or "").lower()
        names.setdefault((event.account_id, event.region), set()).update(
            {address, address.rpartition("@")[2]}
        )
    return {key: tx.identities.verified_names(key[0], key[1], sorted(found)) for key, found in names.items()}


def _feedback_domain(domain: str, feedback_domains: frozenset[str]) -> bool:
    return "*" in feedback_domains or domain in feedback_domains


def _bounce_type(value: object) -> BounceType:
    try:
        return BounceType(str(value))
    except ValueError:
        return BounceType.UNDETERMINED


def _sub_type(value: str) -> BounceSubType:
    try:
        return BounceSubType(value)
    except ValueError:
        return BounceSubType.UNDETERMINED
