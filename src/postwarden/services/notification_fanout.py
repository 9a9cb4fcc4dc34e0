"""Turning events into notifications: each event goes to its message's configuration-set destinations
(event publishing) and, for bounces, complaints and deliveries, to the source identity's topics.

Runs behind the send and delivery paths: those only write events (flagged `fanout_pending`); this claims
them in batches, in one transaction per batch that queues the notifications and clears the flags, so an
event is fanned out exactly once even with several nodes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from postwarden.domain.events import MailSummary, iso_timestamp, render
from postwarden.domain.notifications import (
    EVENT_SUBJECT,
    IDENTITY_NOTIFICATION_TYPES,
    EnvelopeType,
    IdentityTopics,
    envelope,
    identity_notification,
    identity_topic_for,
)
from postwarden.fast_ids import random_uuid
from postwarden.ports import Clock, Store, Transaction
from postwarden.ports.notifications import MessageRouting, NewNotification, PendingEvent
from postwarden.services.reputation_ledger import NoticeWriter
from postwarden.services.reputation_recorder import ReputationRecorder
from postwarden.services.topics import UNSUBSCRIBE_PATH


@dataclass(frozen=True, slots=True)
class _Publication:
    topic_arn: str
    account_id: str
    message: str
    subject: str | None


class EventFanout:
    """Every new event, once: to its notification destinations and, when a recorder is given, into the
    reputation metrics (whose decisions may queue notices to the account's contacts)."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        public_url: str,
        batch: int = 500,
        *,
        recorder: ReputationRecorder | None = None,
        notices: NoticeWriter | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._public_url = public_url.rstrip("/")
        self._batch = batch
        self._recorder = recorder
        self._notices = notices

    def run_once(self) -> int:
        """Fan out one batch; returns how many events it took (0 when none were waiting)."""
        with self._store.transaction() as tx:
            pending = tx.notifications.claim_events(self._batch)
            if not pending:
                return 0
            now = self._clock.now()
            mails = tx.messages.mail_summaries({e.message_id for e in pending if e.message_id})
            publications = _publications(tx, pending, mails)
            tx.notifications.add(self._notifications(tx, publications))
            if self._recorder is not None:
                for notice in self._recorder.consume(tx, pending, mails, now):
                    if self._notices is not None:
                        self._notices(tx, notice, now)
            tx.notifications.mark_fanned_out([event.event_id for event in pending])
        return len(pending)

    def _notifications(self, tx: Transaction, publications: Sequence[_Publication]) -> list[NewNotification]:
        if not publications:
            return []
        now = self._clock.now()
        subscribers = tx.topics.confirmed(p.topic_arn for p in publications)
        queued: list[NewNotification] = []
        for publication in publications:
            message_id = random_uuid()
            for subscription in subscribers.get(publication.topic_arn, []):
                unsubscribe = urlencode({"Action": "Unsubscribe", "SubscriptionArn": subscription.arn})
                document = envelope(
                    EnvelopeType.NOTIFICATION,
                    message_id=message_id,
                    topic=publication.topic_arn,
                    message=publication.message,
                    timestamp=iso_timestamp(now),
                    subject=publication.subject,
                    unsubscribe_url=f"{self._public_url}{UNSUBSCRIBE_PATH}?{unsubscribe}",
                )
                queued.append(
                    NewNotification(
                        random_uuid(), subscription.arn, publication.account_id, now, document
                    )
                )
        return queued


def _publications(
    tx: Transaction, pending: Sequence[PendingEvent], mails: Mapping[str, MailSummary]
) -> list[_Publication]:
    routing = tx.notifications.routing(mails)
    destinations = tx.event_destinations.for_sets(
        (e.account_id, e.region, route.configuration_set)
        for e in pending
        if e.message_id and (route := routing.get(e.message_id)) and route.configuration_set
    )
    identity_settings = _identity_settings(tx, pending, routing)
    publications: list[_Publication] = []
    for event in pending:
        route = routing.get(event.message_id or "")
        mail = mails.get(event.message_id or "")
        if route is None or mail is None:
            continue
        if route.configuration_set:
            key = (event.account_id, event.region, route.configuration_set)
            matching = [
                d
                for d in destinations.get(key, [])
                if d.enabled and event.event_type in d.matching_event_types
            ]
            if matching:
                tagged = _with_configuration_set(mail, route.configuration_set)
                message = _json(render(event.event_type, tagged, event.detail))
                publications.extend(
                    _Publication(d.topic_arn, event.account_id, message, EVENT_SUBJECT) for d in matching
                )
        if event.event_type in IDENTITY_NOTIFICATION_TYPES.values():
            address = _address(route.source)
            settings = identity_settings.get((event.account_id, event.region), {})
            target = identity_topic_for(
                event.event_type, settings.get(address), settings.get(address.rpartition("@")[2])
            )
            if target is not None:
                topic, with_headers = target
                payload = identity_notification(
                    event.event_type, mail.as_json(), event.detail, with_headers=with_headers
                )
                publications.append(_Publication(topic, event.account_id, _json(payload), None))
    return publications


def _identity_settings(
    tx: Transaction, pending: Sequence[PendingEvent], routing: dict[str, MessageRouting]
) -> dict[tuple[str, str], dict[str, IdentityTopics]]:
    wanted: dict[tuple[str, str], set[str]] = {}
    for event in pending:
        route = routing.get(event.message_id or "")
        if route is None or event.event_type not in IDENTITY_NOTIFICATION_TYPES.values():
            continue
        address = _address(route.source)
        wanted.setdefault((event.account_id, event.region), set()).update(
            {address, address.rpartition("@")[2]}
        )
    return {
        key: tx.event_destinations.identity_topics(key[0], key[1], names) for key, names in wanted.items()
    }


def _with_configuration_set(mail: MailSummary, name: str) -> MailSummary:
    return replace(mail, tags={**mail.tags, "ses:configuration-set": [name]})


def _json(document: object) -> str:
    return json.dumps(document, separators=(",", ":"))


def _address(source: str) -> str:
    """The bare address of a Source such as `"Name" <a@example.com>`, lower-cased."""
    inner = source.rpartition("<")[2].partition(">")[0] if "<" in source else source
    return inner.strip().lower()
