"""SES v1 event destinations and identity notification topics: the same services as v2, v1's names and
error codes (`EventDestinationAlreadyExists`, `InvalidSNSDestination`, …)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError
from postwarden.api.v2_event_destinations import destination_definition
from postwarden.domain.events import EventType
from postwarden.domain.notifications import V1_EVENT_TYPES, EventDestination
from postwarden.services.configuration_sets import ConfigurationSetNotFoundError
from postwarden.services.event_destinations import (
    EventDestinationExistsError,
    EventDestinationLimitError,
    EventDestinationNotFoundError,
    EventDestinationService,
    IdentityNotFoundError,
    InvalidTopicError,
)

_T = TypeVar("_T")
_V1_NAMES = {kind: name for name, kind in V1_EVENT_TYPES.items()}


class V1NotificationHandlers:
    def __init__(self, service: EventDestinationService) -> None:
        self._service = service

    def table(self) -> dict[str, Handler]:
        return {
            "CreateConfigurationSetEventDestination": self.create_destination,
            "UpdateConfigurationSetEventDestination": self.update_destination,
            "DeleteConfigurationSetEventDestination": self.delete_destination,
            "SetIdentityNotificationTopic": self.set_topic,
            "GetIdentityNotificationAttributes": self.get_attributes,
            "SetIdentityFeedbackForwardingEnabled": self.set_forwarding,
            "SetIdentityHeadersInNotificationsEnabled": self.set_headers,
        }

    async def create_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await self._write(self._service.create, ctx, params)
        return {}

    async def update_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await self._write(self._service.update, ctx, params)
        return {}

    async def _write(
        self, method: Callable[..., EventDestination], ctx: RequestContext, params: dict[str, Any]
    ) -> None:
        definition = params["EventDestination"]
        enabled, kinds, topic = destination_definition(definition, V1_EVENT_TYPES, "SNSDestination")
        destination = EventDestination(
            ctx.account_id,
            ctx.region,
            params["ConfigurationSetName"],
            definition["Name"],
            enabled,
            kinds,
            topic,
        )
        await _call(method, destination)

    async def delete_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(
            self._service.delete,
            ctx.account_id,
            ctx.region,
            params["ConfigurationSetName"],
            params["EventDestinationName"],
        )
        return {}

    async def set_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(
            self._service.set_topic,
            ctx.account_id,
            ctx.region,
            params["Identity"],
            params["NotificationType"],
            params.get("SnsTopic") or None,
        )
        return {}

    async def get_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await _call(self._service.identity_settings, ctx.account_id, ctx.region, params["Identities"])
        attributes: dict[str, Any] = {}
        for name, settings in found.items():
            attributes[name] = {
                "BounceTopic": settings.topics.get(EventType.BOUNCE, ""),
                "ComplaintTopic": settings.topics.get(EventType.COMPLAINT, ""),
                "DeliveryTopic": settings.topics.get(EventType.DELIVERY, ""),
                "ForwardingEnabled": settings.forwarding_enabled,
                "HeadersInBounceNotificationsEnabled": EventType.BOUNCE in settings.headers_included,
                "HeadersInComplaintNotificationsEnabled": EventType.COMPLAINT in settings.headers_included,
                "HeadersInDeliveryNotificationsEnabled": EventType.DELIVERY in settings.headers_included,
            }
        return {"NotificationAttributes": attributes}

    async def set_forwarding(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(
            self._service.set_forwarding,
            ctx.account_id,
            ctx.region,
            params["Identity"],
            bool(params["ForwardingEnabled"]),
        )
        return {}

    async def set_headers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(
            self._service.set_headers_included,
            ctx.account_id,
            ctx.region,
            params["Identity"],
            params["NotificationType"],
            bool(params["Enabled"]),
        )
        return {}


def shown_destination(destination: EventDestination) -> dict[str, Any]:
    """A destination as v1's DescribeConfigurationSet lists it."""
    return {
        "Name": destination.name,
        "Enabled": destination.enabled,
        "MatchingEventTypes": sorted(
            _V1_NAMES[k] for k in destination.matching_event_types if k in _V1_NAMES
        ),
        "SNSDestination": {"TopicARN": destination.topic_arn},
    }


async def _call(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    try:
        return await asyncio.to_thread(lambda: function(*args, **kwargs))
    except ConfigurationSetNotFoundError as error:
        raise ApiError(
            "ConfigurationSetDoesNotExist", f"Configuration set <{error}> does not exist."
        ) from error
    except EventDestinationNotFoundError as error:
        raise ApiError(
            "EventDestinationDoesNotExist", f"Event destination <{error}> does not exist."
        ) from error
    except EventDestinationExistsError as error:
        raise ApiError(
            "EventDestinationAlreadyExists", f"Event destination <{error}> already exists."
        ) from error
    except EventDestinationLimitError as error:
        raise ApiError("LimitExceeded", f"Configuration set <{error}> has 10 event destinations.") from error
    except InvalidTopicError as error:
        code = "InvalidSNSDestination" if "not found" in str(error) else "InvalidParameterValue"
        raise ApiError(code, str(error)) from error
    except IdentityNotFoundError as error:
        raise ApiError("InvalidParameterValue", f"Identity <{error}> does not exist.") from error
