"""Where an account's events go: configuration-set event destinations (v2 and v1) and identity
notification topics (v1 SetIdentityNotificationTopic and friends)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from postwarden.domain.events import EventType
from postwarden.domain.notifications import (
    DESTINATION_VALIDATED,
    IDENTITY_NOTIFICATION_TYPES,
    MAX_DESTINATIONS_PER_SET,
    EventDestination,
    IdentityTopics,
    identity_subscribed_message,
    parse_topic_arn,
)
from postwarden.ports import Clock, Store, Transaction
from postwarden.services.configuration_sets import ConfigurationSetNotFoundError
from postwarden.services.topics import publish_to_topic


class EventDestinationExistsError(Exception):
    pass


class EventDestinationNotFoundError(LookupError):
    pass


class EventDestinationLimitError(Exception):
    pass


class InvalidTopicError(ValueError):
    """The named SNS topic does not exist (or belongs to another account or region)."""


class IdentityNotFoundError(LookupError):
    pass


class EventDestinationService:
    def __init__(self, store: Store, clock: Clock, public_url: str) -> None:
        self._store = store
        self._clock = clock
        self._public_url = public_url.rstrip("/")

    def create(self, destination: EventDestination) -> EventDestination:
        with self._store.transaction() as tx:
            _require_set_and_topic(tx, destination)
            siblings = tx.event_destinations.for_set(
                destination.account_id, destination.region, destination.configuration_set
            )
            if len(siblings) >= MAX_DESTINATIONS_PER_SET:
                raise EventDestinationLimitError(destination.configuration_set)
            if not tx.event_destinations.add(destination):
                raise EventDestinationExistsError(destination.name)
            now = self._clock.now()
            publish_to_topic(tx, destination.topic_arn, DESTINATION_VALIDATED, None, now, self._public_url)
        return destination

    def for_set(self, account_id: str, region: str, configuration_set: str) -> list[EventDestination]:
        with self._store.read() as tx:
            _require_set(tx, account_id, region, configuration_set)
            return tx.event_destinations.for_set(account_id, region, configuration_set)

    def update(self, destination: EventDestination) -> EventDestination:
        with self._store.transaction() as tx:
            _require_set_and_topic(tx, destination)
            if not tx.event_destinations.replace(destination):
                raise EventDestinationNotFoundError(destination.name)
        return destination

    def delete(self, account_id: str, region: str, configuration_set: str, name: str) -> None:
        with self._store.transaction() as tx:
            _require_set(tx, account_id, region, configuration_set)
            if not tx.event_destinations.delete(account_id, region, configuration_set, name):
                raise EventDestinationNotFoundError(name)

    # --- identity notification topics (v1) -------------------------------------------------------------

    def identity_settings(
        self, account_id: str, region: str, identities: Collection[str]
    ) -> dict[str, IdentityTopics]:
        """Every named identity that exists, with its settings (defaults where none were set)."""
        with self._store.read() as tx:
            found = tx.event_destinations.identity_topics(account_id, region, identities)
            existing = {i.name.lower() for i in tx.identities.for_account(account_id, region)}
        return {
            name: found.get(name.lower(), IdentityTopics(account_id, region, name.lower()))
            for name in identities
            if name.lower() in existing
        }

    def set_topic(
        self, account_id: str, region: str, identity: str, notification_type: str, topic: str | None
    ) -> None:
        kind = IDENTITY_NOTIFICATION_TYPES[notification_type]
        now = self._clock.now()
        with self._store.transaction() as tx:
            settings = self._settings(tx, account_id, region, identity)
            topics = dict(settings.topics)
            if topic:
                _require_topic(tx, account_id, region, topic)
                topics[kind] = topic
            else:
                topics.pop(kind, None)
            tx.event_destinations.put_identity_topics(replace(settings, topics=topics))
            if topic:
                message = identity_subscribed_message(topic, notification_type, identity)
                publish_to_topic(tx, topic, message, None, now, self._public_url)

    def set_forwarding(self, account_id: str, region: str, identity: str, enabled: bool) -> None:
        with self._store.transaction() as tx:
            settings = self._settings(tx, account_id, region, identity)
            if not enabled and not {EventType.BOUNCE, EventType.COMPLAINT} <= set(settings.topics):
                raise InvalidTopicError(
                    "Feedback forwarding cannot be disabled until SNS topics are set for bounces and "
                    "complaints."
                )
            tx.event_destinations.put_identity_topics(replace(settings, forwarding_enabled=enabled))

    def set_headers_included(
        self, account_id: str, region: str, identity: str, notification_type: str, enabled: bool
    ) -> None:
        kind = IDENTITY_NOTIFICATION_TYPES[notification_type]
        with self._store.transaction() as tx:
            settings = self._settings(tx, account_id, region, identity)
            included = set(settings.headers_included)
            (included.add if enabled else included.discard)(kind)
            tx.event_destinations.put_identity_topics(replace(settings, headers_included=frozenset(included)))

    def _settings(self, tx: Transaction, account_id: str, region: str, identity: str) -> IdentityTopics:
        if tx.identities.get(account_id, region, identity.lower()) is None:
            raise IdentityNotFoundError(identity)
        found = tx.event_destinations.identity_topics(account_id, region, [identity])
        return found.get(identity.lower(), IdentityTopics(account_id, region, identity.lower()))


def _require_set(tx: Transaction, account_id: str, region: str, name: str) -> None:
    if tx.configuration_sets.get(account_id, region, name) is None:
        raise ConfigurationSetNotFoundError(name)


def _require_set_and_topic(tx: Transaction, destination: EventDestination) -> None:
    _require_set(tx, destination.account_id, destination.region, destination.configuration_set)
    _require_topic(tx, destination.account_id, destination.region, destination.topic_arn)


def _require_topic(tx: Transaction, account_id: str, region: str, arn: str) -> None:
    parsed = parse_topic_arn(arn)
    topic = tx.topics.get_topic(arn) if parsed is not None else None
    if topic is None or topic.account_id != account_id or topic.region != region:
        raise InvalidTopicError(f"SNS topic <{arn}> not found.")
