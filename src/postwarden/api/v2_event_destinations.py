"""SES v2 configuration-set event destinations (SNS destinations; Postwarden's topics are the targets)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found
from postwarden.domain.events import EventType
from postwarden.domain.notifications import V2_EVENT_TYPES, EventDestination
from postwarden.services.configuration_sets import ConfigurationSetNotFoundError
from postwarden.services.event_destinations import (
    EventDestinationExistsError,
    EventDestinationLimitError,
    EventDestinationNotFoundError,
    EventDestinationService,
    InvalidTopicError,
)

_T = TypeVar("_T")
_V2_NAMES = {kind: name for name, kind in V2_EVENT_TYPES.items()}
_UNSUPPORTED = (
    "KinesisFirehoseDestination",
    "CloudWatchDestination",
    "EventBridgeDestination",
    "PinpointDestination",
)


class EventDestinationHandlers:
    def __init__(self, service: EventDestinationService) -> None:
        self._service = service

    def table(self) -> dict[str, Handler]:
        return {
            "CreateConfigurationSetEventDestination": self.create,
            "GetConfigurationSetEventDestinations": self.get,
            "UpdateConfigurationSetEventDestination": self.update,
            "DeleteConfigurationSetEventDestination": self.delete,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(self._service.create, _destination(ctx, params))
        return {}

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await _call(self._service.for_set, ctx.account_id, ctx.region, params["ConfigurationSetName"])
        return {"EventDestinations": [_shown(d) for d in found]}

    async def update(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(self._service.update, _destination(ctx, params))
        return {}

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await _call(
            self._service.delete,
            ctx.account_id,
            ctx.region,
            params["ConfigurationSetName"],
            params["EventDestinationName"],
        )
        return {}


def _destination(ctx: RequestContext, params: dict[str, Any]) -> EventDestination:
    enabled, kinds, topic = destination_definition(params["EventDestination"], V2_EVENT_TYPES)
    return EventDestination(
        ctx.account_id,
        ctx.region,
        params["ConfigurationSetName"],
        params["EventDestinationName"],
        enabled,
        kinds,
        topic,
    )


def destination_definition(
    definition: Mapping[str, Any], names: Mapping[str, EventType], sns_key: str = "SnsDestination"
) -> tuple[bool, frozenset[EventType], str]:
    """(Enabled, the event types, the SNS topic ARN) of a destination definition; only SNS is served."""
    for other in _UNSUPPORTED:
        if definition.get(other):
            raise bad_request(
                f"{other} is not supported by Postwarden; use an SnsDestination with a Postwarden topic."
            )
    sns = definition.get(sns_key) or {}
    topic = sns.get("TopicArn") or sns.get("TopicARN")
    if not topic:
        raise bad_request("An event destination needs an SnsDestination with a TopicArn.")
    kinds = definition.get("MatchingEventTypes") or []
    if not kinds:
        raise bad_request("MatchingEventTypes must name at least one event type.")
    return bool(definition.get("Enabled", False)), frozenset(names[k] for k in kinds), str(topic)


def _shown(destination: EventDestination) -> dict[str, Any]:
    return {
        "Name": destination.name,
        "Enabled": destination.enabled,
        "MatchingEventTypes": sorted(_V2_NAMES[k] for k in destination.matching_event_types),
        "SnsDestination": {"TopicArn": destination.topic_arn},
    }


async def _call(function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    try:
        return await asyncio.to_thread(lambda: function(*args, **kwargs))
    except ConfigurationSetNotFoundError as error:
        raise not_found(f"Configuration set <{error}> does not exist.") from error
    except EventDestinationNotFoundError as error:
        raise not_found(f"Event destination <{error}> does not exist.") from error
    except EventDestinationExistsError as error:
        raise ApiError("AlreadyExistsException", f"Event destination <{error}> already exists.") from error
    except EventDestinationLimitError as error:
        raise ApiError(
            "LimitExceededException", f"Configuration set <{error}> already has 10 event destinations."
        ) from error
    except InvalidTopicError as error:
        raise bad_request(str(error)) from error
