"""Where events go: configuration-set event destinations, identity notification topics, SNS topics and
their HTTP(S) subscriptions, and the SNS envelope each notification travels in.

Pure: building an envelope and the exact text SNS signs; the signature itself is made by an adapter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from postwarden.domain.events import EventType


class SubscriptionStatus(StrEnum):
    PENDING = "PendingConfirmation"
    CONFIRMED = "Confirmed"


class EnvelopeType(StrEnum):
    NOTIFICATION = "Notification"
    SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
    UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"


# The v2 enum (`MatchingEventTypes`) and the v1 names (`send`, `renderingFailure`…) of each event type.
V2_EVENT_TYPES: Mapping[str, EventType] = {
    "SEND": EventType.SEND,
    "REJECT": EventType.REJECT,
    "BOUNCE": EventType.BOUNCE,
    "COMPLAINT": EventType.COMPLAINT,
    "DELIVERY": EventType.DELIVERY,
    "OPEN": EventType.OPEN,
    "CLICK": EventType.CLICK,
    "RENDERING_FAILURE": EventType.RENDERING_FAILURE,
    "DELIVERY_DELAY": EventType.DELIVERY_DELAY,
    "SUBSCRIPTION": EventType.SUBSCRIPTION,
}
V1_EVENT_TYPES: Mapping[str, EventType] = {
    "send": EventType.SEND,
    "reject": EventType.REJECT,
    "bounce": EventType.BOUNCE,
    "complaint": EventType.COMPLAINT,
    "delivery": EventType.DELIVERY,
    "open": EventType.OPEN,
    "click": EventType.CLICK,
    "renderingFailure": EventType.RENDERING_FAILURE,
    "deliveryDelay": EventType.DELIVERY_DELAY,
    "subscription": EventType.SUBSCRIPTION,
}

# The identity notification types of SetIdentityNotificationTopic, and the events each one carries.
IDENTITY_NOTIFICATION_TYPES: Mapping[str, EventType] = {
    "Bounce": EventType.BOUNCE,
    "Complaint": EventType.COMPLAINT,
    "Delivery": EventType.DELIVERY,
}

EVENT_SUBJECT = "Amazon SES Email Event Notification"
DESTINATION_VALIDATED = "Successfully validated SNS topic for Amazon SES event publishing."
MAX_DESTINATIONS_PER_SET = 10

_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOPIC_ARN = re.compile(r"^arn:aws:sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$")


@dataclass(frozen=True, slots=True)
class Topic:
    arn: str
    account_id: str
    region: str
    name: str
    created_at: float
    signature_version: str = "2"
    display_name: str = ""


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    topic_arn: str
    account_id: str
    protocol: str
    endpoint: str
    status: SubscriptionStatus
    token: str
    created_at: float
    raw_message_delivery: bool = False


@dataclass(frozen=True, slots=True)
class EventDestination:
    account_id: str
    region: str
    configuration_set: str
    name: str
    enabled: bool
    matching_event_types: frozenset[EventType]
    topic_arn: str


@dataclass(frozen=True, slots=True)
class IdentityTopics:
    """SetIdentityNotificationTopic and friends, for one identity."""

    account_id: str
    region: str
    identity: str
    topics: Mapping[EventType, str] = field(default_factory=dict)
    forwarding_enabled: bool = True
    headers_included: frozenset[EventType] = frozenset()


def is_valid_topic_name(name: str) -> bool:
    return bool(_TOPIC_NAME.match(name))


def topic_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def parse_topic_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account id, name) of a topic ARN, or None when it is not one."""
    match = _TOPIC_ARN.match(arn)
    return None if match is None else (match.group(1), match.group(2), match.group(3))


def envelope(
    kind: EnvelopeType,
    *,
    message_id: str,
    topic: str,
    message: str,
    timestamp: str,
    subject: str | None = None,
    token: str | None = None,
    subscribe_url: str | None = None,
    unsubscribe_url: str | None = None,
) -> dict[str, str]:
    """The SNS JSON document an HTTP(S) subscriber receives, without its signature fields."""
    document = {"Type": kind.value, "MessageId": message_id, "TopicArn": topic}
    if subject is not None and kind is EnvelopeType.NOTIFICATION:
        document["Subject"] = subject
    document["Message"] = message
    document["Timestamp"] = timestamp
    if kind is not EnvelopeType.NOTIFICATION:
        document["Token"] = token or ""
        document["SubscribeURL"] = subscribe_url or ""
    elif unsubscribe_url is not None:
        document["UnsubscribeURL"] = unsubscribe_url
    return document


_SIGNED_NOTIFICATION = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_SIGNED_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def string_to_sign(document: Mapping[str, str]) -> str:
    """What SNS signs: the fixed fields present in the document, each as `name\\nvalue\\n`."""
    names = _SIGNED_NOTIFICATION if document["Type"] == EnvelopeType.NOTIFICATION else _SIGNED_CONFIRMATION
    return "".join(f"{name}\n{document[name]}\n" for name in names if name in document)


def confirmation_message(topic: str) -> str:
    return (
        f"You have chosen to subscribe to the topic {topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )


def identity_subscribed_message(topic: str, notification_type: str, identity: str) -> str:
    return json.dumps(
        {
            "notificationType": "AmazonSnsSubscriptionSucceeded",
            "message": f"You have successfully subscribed your Amazon SNS topic '{topic}' to receive "
            f"'{notification_type}' notifications from Amazon SES for identity '{identity}'.",
        },
        separators=(",", ":"),
    )


def destinations_for(
    event_type: EventType, destinations: Collection[EventDestination]
) -> list[EventDestination]:
    return [d for d in destinations if d.enabled and event_type in d.matching_event_types]


def identity_topic_for(
    event_type: EventType, address_settings: IdentityTopics | None, domain_settings: IdentityTopics | None
) -> tuple[str, bool] | None:
    """The topic an identity notification goes to and whether it includes headers. The address identity's
    settings take precedence over its domain's, as in SES."""
    for settings in (address_settings, domain_settings):
        if settings is not None and event_type in settings.topics:
            return settings.topics[event_type], event_type in settings.headers_included
    return None


def identity_notification(
    event_type: EventType, mail: Mapping[str, Any], detail: Mapping[str, Any], *, with_headers: bool
) -> dict[str, Any]:
    """The identity-notification form: `notificationType` instead of `eventType`, no tags."""
    mail_part = {k: v for k, v in mail.items() if k != "tags"}
    if not with_headers:
        for key in ("headers", "commonHeaders", "headersTruncated"):
            mail_part.pop(key, None)
    key = event_type.value[0].lower() + event_type.value[1:]
    return {"notificationType": event_type.value, "mail": mail_part, key: dict(detail)}
