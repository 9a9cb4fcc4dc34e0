"""SNS topics and HTTP(S) subscriptions as an account manages them (the SNS API and the CLI), and the
notifications that are not events: subscription confirmations, unsubscribe confirmations, Publish."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from postwarden.domain.events import iso_timestamp
from postwarden.domain.notifications import (
    EnvelopeType,
    Subscription,
    SubscriptionStatus,
    Topic,
    confirmation_message,
    envelope,
    is_valid_topic_name,
    topic_arn,
)
from postwarden.ports import Clock, Store, Transaction
from postwarden.ports.notifications import EndpointPolicy, NewNotification

CONFIRM_PATH = "/sns/confirm"
UNSUBSCRIBE_PATH = "/sns/unsubscribe"
PENDING_CONFIRMATION = "pending confirmation"
MAX_TOPICS_PER_ACCOUNT = 100_000


class TopicNotFoundError(LookupError):
    pass


class SubscriptionNotFoundError(LookupError):
    pass


class InvalidTopicParameterError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class TopicSettings:
    public_url: str


class TopicService:
    def __init__(
        self, store: Store, clock: Clock, endpoints: EndpointPolicy, settings: TopicSettings
    ) -> None:
        self._store = store
        self._clock = clock
        self._endpoints = endpoints
        self._public_url = settings.public_url.rstrip("/")

    def create_topic(
        self, account_id: str, region: str, name: str, attributes: Mapping[str, str] | None = None
    ) -> Topic:
        """CreateTopic is idempotent: the same name returns the existing topic."""
        if not is_valid_topic_name(name):
            raise InvalidTopicParameterError(
                "Invalid parameter: Topic Name: must be 1 to 256 letters, digits, hyphens and underscores"
            )
        attributes = dict(attributes or {})
        version = attributes.get("SignatureVersion", "2")
        if version not in {"1", "2"}:
            raise InvalidTopicParameterError("Invalid parameter: Attributes Reason: SignatureVersion: 1 or 2")
        topic = Topic(
            topic_arn(region, account_id, name),
            account_id,
            region,
            name,
            self._clock.now(),
            version,
            attributes.get("DisplayName", ""),
        )
        with self._store.transaction() as tx:
            if not tx.topics.add_topic(topic):
                existing = tx.topics.get_topic(topic.arn)
                assert existing is not None
                return existing
        return topic

    def topics(self, account_id: str, region: str) -> list[Topic]:
        with self._store.read() as tx:
            return tx.topics.topics(account_id, region)

    def topic(self, account_id: str, arn: str) -> Topic:
        with self._store.read() as tx:
            return _owned_topic(tx, account_id, arn)

    def delete_topic(self, account_id: str, arn: str) -> None:
        with self._store.transaction() as tx:
            if tx.topics.get_topic(arn) is not None:
                _owned_topic(tx, account_id, arn)
                tx.topics.delete_topic(arn)

    async def subscribe(
        self, account_id: str, arn: str, protocol: str, endpoint: str, *, raw: bool = False
    ) -> Subscription:
        if protocol not in {"http", "https"}:
            raise InvalidTopicParameterError(
                f"Invalid parameter: Protocol: {protocol} (Postwarden delivers to http and https endpoints)"
            )
        if not endpoint.lower().startswith(f"{protocol}://"):
            raise InvalidTopicParameterError(
                f"Invalid parameter: Endpoint must match the {protocol} protocol"
            )
        # An unknown topic is reported before anything about the endpoint.
        await asyncio.to_thread(self.topic, account_id, arn)
        refusal = await self._endpoints.refusal(endpoint)
        if refusal is not None:
            raise InvalidTopicParameterError(f"Invalid parameter: Endpoint: {refusal}")
        return await asyncio.to_thread(self._subscribe, account_id, arn, protocol, endpoint, raw)

    def _subscribe(self, account_id: str, arn: str, protocol: str, endpoint: str, raw: bool) -> Subscription:
        now = self._clock.now()
        with self._store.transaction() as tx:
            topic = _owned_topic(tx, account_id, arn)
            for existing in tx.topics.subscriptions(account_id, arn):
                if existing.endpoint == endpoint and existing.protocol == protocol:
                    return existing
            subscription = Subscription(
                f"{arn}:{uuid.uuid4()}",
                arn,
                account_id,
                protocol,
                endpoint,
                SubscriptionStatus.PENDING,
                secrets.token_hex(64),
                now,
                raw,
            )
            tx.topics.add_subscription(subscription)
            tx.notifications.add([self._confirmation(topic, subscription)])
        return subscription

    def confirm(self, arn: str, token: str) -> Subscription:
        with self._store.transaction() as tx:
            subscription = tx.topics.confirm(arn, token)
        if subscription is None:
            raise SubscriptionNotFoundError("Invalid token")
        return subscription

    def unsubscribe(self, arn: str, account_id: str | None = None) -> None:
        """Removes the subscription; notifications still queued for it are cancelled when claimed."""
        with self._store.transaction() as tx:
            subscription = tx.topics.get_subscription(arn)
            if subscription is None or (account_id is not None and subscription.account_id != account_id):
                raise SubscriptionNotFoundError("Subscription does not exist")
            tx.topics.delete_subscription(arn)

    def subscriptions(self, account_id: str, topic: str | None = None) -> list[Subscription]:
        with self._store.read() as tx:
            if topic is not None:
                _owned_topic(tx, account_id, topic)
            return tx.topics.subscriptions(account_id, topic)

    def subscription(self, account_id: str, arn: str) -> Subscription:
        with self._store.read() as tx:
            found = tx.topics.get_subscription(arn)
        if found is None or found.account_id != account_id:
            raise SubscriptionNotFoundError("Subscription does not exist")
        return found

    def set_raw_message_delivery(self, account_id: str, arn: str, raw: bool) -> None:
        self.subscription(account_id, arn)
        with self._store.transaction() as tx:
            tx.topics.set_raw_message_delivery(arn, raw)

    def publish(self, account_id: str, arn: str, message: str, subject: str | None = None) -> str:
        """Publish: one notification per confirmed subscription, all with the same MessageId."""
        message_id = str(uuid.uuid4())
        with self._store.transaction() as tx:
            _owned_topic(tx, account_id, arn)
            publish_to_topic(tx, arn, message, subject, self._clock.now(), self._public_url, message_id)
        return message_id

    def _confirmation(self, topic: Topic, subscription: Subscription) -> NewNotification:
        now = self._clock.now()
        query = urlencode(
            {"Action": "ConfirmSubscription", "TopicArn": topic.arn, "Token": subscription.token}
        )
        document = envelope(
            EnvelopeType.SUBSCRIPTION_CONFIRMATION,
            message_id=str(uuid.uuid4()),
            topic=topic.arn,
            message=confirmation_message(topic.arn),
            timestamp=iso_timestamp(now),
            token=subscription.token,
            subscribe_url=f"{self._public_url}{CONFIRM_PATH}?{query}",
        )
        return NewNotification(document["MessageId"], subscription.arn, topic.account_id, now, document)


def publish_to_topic(
    tx: Transaction,
    arn: str,
    message: str,
    subject: str | None,
    now: float,
    public_url: str,
    message_id: str | None = None,
) -> list[NewNotification]:
    """Queue `message` for every confirmed subscription of the topic; returns what was queued."""
    queued: list[NewNotification] = []
    for subscription in tx.topics.confirmed([arn]).get(arn, []):
        document = envelope(
            EnvelopeType.NOTIFICATION,
            message_id=message_id or str(uuid.uuid4()),
            topic=arn,
            message=message,
            timestamp=iso_timestamp(now),
            subject=subject,
            unsubscribe_url=f"{public_url}{UNSUBSCRIBE_PATH}?"
            + urlencode({"Action": "Unsubscribe", "SubscriptionArn": subscription.arn}),
        )
        # Each subscription's copy gets its own outbox row; the SNS MessageId is shared as in SNS.
        queued.append(
            NewNotification(str(uuid.uuid4()), subscription.arn, subscription.account_id, now, document)
        )
    tx.notifications.add(queued)
    return queued


def _owned_topic(tx: Transaction, account_id: str, arn: str) -> Topic:
    topic = tx.topics.get_topic(arn)
    if topic is None or topic.account_id != account_id:
        raise TopicNotFoundError("Topic does not exist")
    return topic
