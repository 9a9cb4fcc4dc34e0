"""Ports for notifications: topics and subscriptions, event destinations, the notification outbox, and
the HTTP transport and signer the dispatcher uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from postwarden.domain.events import EventType
from postwarden.domain.notifications import EventDestination, IdentityTopics, Subscription, Topic


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event not yet turned into notifications."""

    event_id: str
    account_id: str
    region: str
    message_id: str | None
    recipient: str | None
    event_type: EventType
    created_at: float
    detail: Mapping[str, Any]
    late: bool = False


@dataclass(frozen=True, slots=True)
class MessageRouting:
    configuration_set: str | None
    source: str


@dataclass(frozen=True, slots=True)
class NewNotification:
    notification_id: str
    """SNS's MessageId: the same on every retry, so a receiver can de-duplicate."""
    subscription_arn: str
    account_id: str
    created_at: float
    document: Mapping[str, str]
    """The envelope without its signature (signed when sent), or {"Message": …} for raw delivery."""


@dataclass(frozen=True, slots=True)
class DueNotification:
    notification_id: str
    lease_token: str
    subscription_arn: str
    topic_arn: str
    endpoint: str
    raw_message_delivery: bool
    signature_version: str
    document: Mapping[str, str]
    attempts: int
    created_at: float


@dataclass(frozen=True, slots=True)
class NotificationResult:
    notification_id: str
    lease_token: str
    finished_at: float
    delivered: bool
    error: str = ""
    next_attempt_at: float | None = None
    """When to try again; None with `delivered` False means the notification expired."""


class TopicRepository(Protocol):
    def add_topic(self, topic: Topic) -> bool: ...
    def get_topic(self, arn: str) -> Topic | None: ...
    def topics(self, account_id: str, region: str) -> list[Topic]: ...
    def delete_topic(self, arn: str) -> bool:
        """Deletes the topic and its subscriptions."""
        ...

    def add_subscription(self, subscription: Subscription) -> None: ...
    def get_subscription(self, arn: str) -> Subscription | None: ...
    def subscriptions(self, account_id: str, topic_arn: str | None = None) -> list[Subscription]: ...
    def confirm(self, topic_arn: str, token: str) -> Subscription | None: ...
    def delete_subscription(self, arn: str) -> bool: ...
    def set_raw_message_delivery(self, arn: str, raw: bool) -> bool: ...
    def confirmed(self, topic_arns: Iterable[str]) -> dict[str, list[Subscription]]: ...


class EventDestinationRepository(Protocol):
    def add(self, destination: EventDestination) -> bool: ...
    def for_set(self, account_id: str, region: str, configuration_set: str) -> list[EventDestination]: ...
    def for_sets(
        self, keys: Iterable[tuple[str, str, str]]
    ) -> dict[tuple[str, str, str], list[EventDestination]]: ...
    def replace(self, destination: EventDestination) -> bool: ...
    def delete(self, account_id: str, region: str, configuration_set: str, name: str) -> bool: ...
    def delete_for_set(self, account_id: str, region: str, configuration_set: str) -> None: ...
    def identity_topics(
        self, account_id: str, region: str, identities: Iterable[str]
    ) -> dict[str, IdentityTopics]: ...
    def put_identity_topics(self, settings: IdentityTopics) -> None: ...
    def delete_identity_topics(self, account_id: str, region: str, identity: str) -> None: ...


class NotificationRepository(Protocol):
    def claim_events(self, limit: int) -> list[PendingEvent]:
        """Events waiting to be fanned out, locked for this transaction (skipped by other nodes)."""
        ...

    def mark_fanned_out(self, event_ids: Sequence[str]) -> None: ...
    def routing(self, message_ids: Iterable[str]) -> dict[str, MessageRouting]: ...
    def add(self, notifications: Sequence[NewNotification]) -> None: ...
    def claim_due(self, now: float, limit: int, lease_until: float, token: str) -> list[DueNotification]: ...
    def record(self, results: Sequence[NotificationResult]) -> None: ...
    def release_leases(self, now: float) -> int: ...
    def counts(self, account_id: str | None = None) -> dict[str, int]: ...


class WebhookTransport(Protocol):
    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> int:
        """POST `body`; returns the HTTP status. Raises OSError (or a subclass) on a network failure."""
        ...

    async def close(self) -> None: ...


class EnvelopeSigner(Protocol):
    @property
    def certificate_url(self) -> str: ...
    def sign(self, text: str, version: str) -> str:
        """Base64 signature: SHA1withRSA for version "1", SHA256withRSA for "2"."""
        ...


class EndpointPolicy(Protocol):
    async def refusal(self, url: str) -> str | None:
        """Why an endpoint may not be used (loopback, private range, bad scheme), or None."""
        ...
