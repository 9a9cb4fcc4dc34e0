"""The SNS Query API for the topics Postwarden's notifications go to: an unmodified boto3 `sns` client
pointed at Postwarden creates topics, subscribes HTTP(S) endpoints and confirms them.

Requests are told apart from SES v1 by the service in their SigV4 credential scope (`sns`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from postwarden.api.app import Document, Handler, RequestContext
from postwarden.api.errors import ApiError
from postwarden.api.paging import page
from postwarden.domain.notifications import Subscription, SubscriptionStatus
from postwarden.services.topics import (
    PENDING_CONFIRMATION,
    InvalidTopicParameterError,
    SubscriptionNotFoundError,
    TopicNotFoundError,
    TopicService,
)

SNS_NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"
_T = TypeVar("_T")


class SnsHandlers:
    def __init__(self, topics: TopicService) -> None:
        self._topics = topics

    def table(self) -> dict[str, Handler]:
        return {
            "CreateTopic": self.create_topic,
            "DeleteTopic": self.delete_topic,
            "ListTopics": self.list_topics,
            "GetTopicAttributes": self.get_topic_attributes,
            "Subscribe": self.subscribe,
            "ConfirmSubscription": self.confirm_subscription,
            "Unsubscribe": self.unsubscribe,
            "ListSubscriptions": self.list_subscriptions,
            "ListSubscriptionsByTopic": self.list_subscriptions,
            "GetSubscriptionAttributes": self.get_subscription_attributes,
            "SetSubscriptionAttributes": self.set_subscription_attributes,
            "Publish": self.publish,
        }

    async def create_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = await _call(
            self._topics.create_topic, ctx.account_id, ctx.region, params["Name"], params.get("Attributes")
        )
        return {"TopicArn": topic.arn}

    async def delete_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(self._topics.delete_topic, ctx.account_id, params["TopicArn"])
        return {}

    async def list_topics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await _call(self._topics.topics, ctx.account_id, ctx.region)
        shown, next_token = page(
            [t.arn for t in found], params.get("NextToken"), 100, error_code="InvalidParameter"
        )
        return {"Topics": [{"TopicArn": arn} for arn in shown], "NextToken": next_token}

    async def get_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = await _call(self._topics.topic, ctx.account_id, params["TopicArn"])
        subscriptions = await _call(self._topics.subscriptions, ctx.account_id, topic.arn)
        confirmed = sum(s.status is SubscriptionStatus.CONFIRMED for s in subscriptions)
        return {
            "Attributes": {
                "TopicArn": topic.arn,
                "Owner": topic.account_id,
                "DisplayName": topic.display_name,
                "SignatureVersion": topic.signature_version,
                "SubscriptionsConfirmed": str(confirmed),
                "SubscriptionsPending": str(len(subscriptions) - confirmed),
                "SubscriptionsDeleted": "0",
            }
        }

    async def subscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        attributes = params.get("Attributes") or {}
        raw = str(attributes.get("RawMessageDelivery", "false")).lower() == "true"
        try:
            subscription = await self._topics.subscribe(
                ctx.account_id, params["TopicArn"], params["Protocol"], params.get("Endpoint", ""), raw=raw
            )
        except (TopicNotFoundError, InvalidTopicParameterError) as error:
            raise _translate(error) from error
        confirmed = subscription.status is SubscriptionStatus.CONFIRMED
        shown = subscription.arn if confirmed or params.get("ReturnSubscriptionArn") else PENDING_CONFIRMATION
        return {"SubscriptionArn": shown}

    async def confirm_subscription(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        subscription = await _call(self._topics.confirm, params["TopicArn"], params["Token"])
        return {"SubscriptionArn": subscription.arn}

    async def unsubscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(self._topics.unsubscribe, params["SubscriptionArn"], ctx.account_id)
        return {}

    async def list_subscriptions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await _call(self._topics.subscriptions, ctx.account_id, params.get("TopicArn"))
        shown, next_token = page(found, params.get("NextToken"), 100, error_code="InvalidParameter")
        return {"Subscriptions": [_listed(s) for s in shown], "NextToken": next_token}

    async def get_subscription_attributes(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        found = await _call(self._topics.subscription, ctx.account_id, params["SubscriptionArn"])
        return {
            "Attributes": {
                "SubscriptionArn": found.arn,
                "TopicArn": found.topic_arn,
                "Owner": found.account_id,
                "Protocol": found.protocol,
                "Endpoint": found.endpoint,
                "PendingConfirmation": str(found.status is SubscriptionStatus.PENDING).lower(),
                "ConfirmationWasAuthenticated": "false",
                "RawMessageDelivery": str(found.raw_message_delivery).lower(),
            }
        }

    async def set_subscription_attributes(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        if params["AttributeName"] != "RawMessageDelivery":
            raise ApiError("InvalidParameter", f"Invalid parameter: AttributeName: {params['AttributeName']}")
        raw = str(params.get("AttributeValue", "")).lower() == "true"
        await _call(self._topics.set_raw_message_delivery, ctx.account_id, params["SubscriptionArn"], raw)
        return {}

    async def publish(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("TopicArn") or params.get("TargetArn")
        if not arn:
            raise ApiError("InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value")
        message_id = await _call(
            self._topics.publish, ctx.account_id, arn, params["Message"], params.get("Subject")
        )
        return {"MessageId": message_id}


class SubscriptionPages:
    """The URLs a subscriber visits without signing: SubscribeURL and UnsubscribeURL."""

    def __init__(self, topics: TopicService) -> None:
        self._topics = topics

    async def confirm(self, query: str) -> Document:
        values = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            subscription = await asyncio.to_thread(
                self._topics.confirm, values.get("TopicArn", ""), values.get("Token", "")
            )
        except SubscriptionNotFoundError:
            return _xml_error("InvalidParameter", "Invalid token", 400)
        result = f"<SubscriptionArn>{escape(subscription.arn)}</SubscriptionArn>"
        return _xml_document("ConfirmSubscription", result)

    async def unsubscribe(self, query: str) -> Document:
        values = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            await asyncio.to_thread(self._topics.unsubscribe, values.get("SubscriptionArn", ""))
        except SubscriptionNotFoundError:
            return _xml_error("NotFound", "Subscription does not exist", 404)
        return _xml_document("Unsubscribe", "")


def _listed(subscription: Subscription) -> dict[str, str]:
    confirmed = subscription.status is SubscriptionStatus.CONFIRMED
    return {
        "SubscriptionArn": subscription.arn if confirmed else "PendingConfirmation",
        "Owner": subscription.account_id,
        "Protocol": subscription.protocol,
        "Endpoint": subscription.endpoint,
        "TopicArn": subscription.topic_arn,
    }


async def _call(function: Callable[..., _T], *args: Any) -> _T:
    try:
        return await asyncio.to_thread(function, *args)
    except (TopicNotFoundError, SubscriptionNotFoundError, InvalidTopicParameterError) as error:
        raise _translate(error) from error


def _translate(error: Exception) -> ApiError:
    if isinstance(error, InvalidTopicParameterError):
        return ApiError("InvalidParameter", str(error))
    if isinstance(error, SubscriptionNotFoundError) and str(error) == "Invalid token":
        return ApiError("InvalidParameter", "Invalid parameter: Token")
    return ApiError("NotFound", str(error), 404)


def _xml_document(action: str, result: str) -> Document:
    body = (
        f'<{action}Response xmlns="{SNS_NAMESPACE}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId>"
        f"</ResponseMetadata></{action}Response>"
    )
    return Document(200, body.encode(), b"text/xml")


def _xml_error(code: str, message: str, status: int) -> Document:
    body = (
        f'<ErrorResponse xmlns="{SNS_NAMESPACE}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error></ErrorResponse>"
    )
    return Document(status, body.encode(), b"text/xml")
