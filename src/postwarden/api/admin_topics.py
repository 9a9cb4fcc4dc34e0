"""Admin API routes for notification topics: list an account's topics with their subscriptions, create
a topic, subscribe an http(s) URL (the endpoint then confirms, as with SNS), remove a subscription."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from postwarden.api.admin import AdminError, AdminRequest, AdminRoute
from postwarden.domain.notifications import Subscription
from postwarden.services.topics import (
    InvalidTopicParameterError,
    SubscriptionNotFoundError,
    TopicNotFoundError,
    TopicService,
)

_BASE = "/admin/v1/accounts/{account}/regions/{region}/topics"


class TopicAdminRoutes:
    def __init__(self, topics: TopicService, regions: Collection[str]) -> None:
        self._topics = topics
        self._regions = regions

    def routes(self) -> list[AdminRoute]:
        return [
            ("GET", _BASE, self.list),
            ("POST", _BASE, self.create),
            ("POST", f"{_BASE}/subscriptions", self.subscribe),
            ("POST", "/admin/v1/accounts/{account}/unsubscribe", self.unsubscribe),
        ]

    async def list(self, request: AdminRequest) -> Any:
        account, region = self._key(request)
        topics = await asyncio.to_thread(self._topics.topics, account, region)
        listed = []
        for topic in topics:
            subscriptions = await asyncio.to_thread(self._topics.subscriptions, account, topic.arn)
            listed.append(
                {
                    "topic_arn": topic.arn,
                    "signature_version": topic.signature_version,
                    "subscriptions": [_subscription(s) for s in subscriptions],
                }
            )
        return {"topics": listed}

    async def create(self, request: AdminRequest) -> Any:
        """{"name": "...", "signature_version": "1"|"2"}"""
        account, region = self._key(request)
        name = _text(request, "name")
        version = str(request.body.get("signature_version", "2"))
        try:
            topic = await asyncio.to_thread(
                self._topics.create_topic, account, region, name, {"SignatureVersion": version}
            )
        except InvalidTopicParameterError as error:
            raise AdminError(400, "BadRequest", str(error)) from error
        return {"topic_arn": topic.arn, "signature_version": topic.signature_version}

    async def subscribe(self, request: AdminRequest) -> Any:
        """{"topic_arn": "...", "url": "https://...", "raw": false}"""
        account, _ = self._key(request)
        url = _text(request, "url")
        raw = request.body.get("raw", False)
        if not isinstance(raw, bool):
            raise AdminError(400, "BadRequest", "raw must be true or false")
        protocol = url.split(":", 1)[0].lower()
        try:
            subscription = await self._topics.subscribe(
                account, _text(request, "topic_arn"), protocol, url, raw=raw
            )
        except TopicNotFoundError as error:
            raise AdminError(404, "NotFound", str(error)) from error
        except InvalidTopicParameterError as error:
            raise AdminError(400, "BadRequest", str(error)) from error
        return _subscription(subscription)

    async def unsubscribe(self, request: AdminRequest) -> Any:
        """{"subscription_arn": "..."}"""
        arn = _text(request, "subscription_arn")
        try:
            await asyncio.to_thread(self._topics.unsubscribe, arn, request.params["account"])
        except SubscriptionNotFoundError as error:
            raise AdminError(404, "NotFound", str(error)) from error
        return {"unsubscribed": arn}

    def _key(self, request: AdminRequest) -> tuple[str, str]:
        region = request.params.get("region", "")
        if region and region not in self._regions:
            raise AdminError(400, "BadRequest", f"unknown region {region}")
        return request.params["account"], region


def _text(request: AdminRequest, name: str) -> str:
    value = request.body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise AdminError(400, "BadRequest", f"{name} is required")
    return value.strip()


def _subscription(subscription: Subscription) -> dict[str, Any]:
    return {
        "subscription_arn": subscription.arn,
        "topic_arn": subscription.topic_arn,
        "endpoint": subscription.endpoint,
        "status": subscription.status.value,
        "raw_message_delivery": subscription.raw_message_delivery,
    }
