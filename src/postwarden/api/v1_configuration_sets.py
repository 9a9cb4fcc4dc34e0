"""SES v1 configuration sets, on the same service as v2."""

from __future__ import annotations

import asyncio
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError
from postwarden.api.paging import page
from postwarden.api.v1_notifications import shown_destination
from postwarden.services.configuration_sets import (
    ConfigurationSetExistsError,
    ConfigurationSetLimitError,
    ConfigurationSetNotFoundError,
    ConfigurationSetService,
)
from postwarden.services.event_destinations import EventDestinationService


class V1ConfigurationSetHandlers:
    def __init__(self, service: ConfigurationSetService, destinations: EventDestinationService) -> None:
        self._service = service
        self._destinations = destinations

    def table(self) -> dict[str, Handler]:
        return {
            "CreateConfigurationSet": self.create,
            "DescribeConfigurationSet": self.describe,
            "ListConfigurationSets": self.list,
            "DeleteConfigurationSet": self.delete,
            "UpdateConfigurationSetSendingEnabled": self.update_sending,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigurationSet"]["Name"]
        try:
            await asyncio.to_thread(self._service.create, ctx.account_id, ctx.region, name)
        except ConfigurationSetExistsError as error:
            raise ApiError(
                "ConfigurationSetAlreadyExists", f"Configuration set <{name}> already exists."
            ) from error
        except ConfigurationSetLimitError as error:
            raise ApiError("LimitExceeded", "Maximum number of configuration sets reached.") from error
        return {}

    async def describe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigurationSetName"]
        try:
            config = await asyncio.to_thread(self._service.get, ctx.account_id, ctx.region, name)
        except ConfigurationSetNotFoundError as error:
            raise _missing(name) from error
        delivery = {"TlsPolicy": "Require" if config.tls_policy == "REQUIRE" else "Optional"}
        destinations = await asyncio.to_thread(self._destinations.for_set, ctx.account_id, ctx.region, name)
        return {
            "ConfigurationSet": {"Name": config.name},
            "EventDestinations": [shown_destination(d) for d in destinations],
            "DeliveryOptions": delivery,
        }

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await asyncio.to_thread(self._service.list, ctx.account_id, ctx.region)
        shown, next_token = page(
            found,
            params.get("NextToken"),
            int(params.get("MaxItems") or 1000),
            error_code="InvalidParameterValue",
        )
        result: dict[str, Any] = {"ConfigurationSets": [{"Name": c.name} for c in shown]}
        if next_token:
            result["NextToken"] = next_token
        return result

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigurationSetName"]
        try:
            await asyncio.to_thread(self._service.delete, ctx.account_id, ctx.region, name)
        except ConfigurationSetNotFoundError as error:
            raise _missing(name) from error
        return {}

    async def update_sending(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ConfigurationSetName"]
        enabled = bool(params.get("Enabled", False))
        try:
            await asyncio.to_thread(self._service.set_sending, ctx.account_id, ctx.region, name, enabled)
        except ConfigurationSetNotFoundError as error:
            raise _missing(name) from error
        return {}


def _missing(name: str) -> ApiError:
    return ApiError("ConfigurationSetDoesNotExist", f"Configuration set <{name}> does not exist.")
