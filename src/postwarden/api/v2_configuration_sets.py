"""SES v2 configuration sets: create, get, list (both routes), delete, sending and delivery options.

Options whose effect this version does not have yet (tracking, reputation metrics, per-set suppression,
VDM, archiving, dedicated pools) are refused with a clear error rather than stored and ignored.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found
from postwarden.api.paging import page
from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.services.configuration_sets import (
    ConfigurationSetExistsError,
    ConfigurationSetLimitError,
    ConfigurationSetNotFoundError,
    ConfigurationSetService,
)

UNSUPPORTED = ("TrackingOptions", "ReputationOptions", "SuppressionOptions", "VdmOptions", "ArchivingOptions")


class ConfigurationSetHandlers:
    def __init__(self, service: ConfigurationSetService) -> None:
        self._service = service

    def table(self) -> dict[str, Handler]:
        return {
            "CreateConfigurationSet": self.create,
            "GetConfigurationSet": self.get,
            "ListConfigurationSets": self.list,
            "DeleteConfigurationSet": self.delete,
            "PutConfigurationSetSendingOptions": self.put_sending,
            "PutConfigurationSetDeliveryOptions": self.put_delivery,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        for option in UNSUPPORTED:
            if params.get(option):
                raise bad_request(f"{option} is not supported by this Postwarden version yet.")
        delivery = params.get("DeliveryOptions") or {}
        _check_delivery(delivery)
        name = params["ConfigurationSetName"]
        create = functools.partial(
            self._service.create,
            ctx.account_id,
            ctx.region,
            name,
            sending_enabled=(params.get("SendingOptions") or {}).get("SendingEnabled", True),
            tls_policy=delivery.get("TlsPolicy") or "OPTIONAL",
            max_delivery_seconds=delivery.get("MaxDeliverySeconds"),
            tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
        )
        try:
            await asyncio.to_thread(create)
        except ConfigurationSetExistsError as error:
            raise ApiError("AlreadyExistsException", f"Configuration set <{name}> already exists.") from error
        except ConfigurationSetLimitError as error:
            raise ApiError(
                "LimitExceededException", "Maximum number of configuration sets reached."
            ) from error
        return {}

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = await self._call(self._service.get, ctx, params["ConfigurationSetName"])
        delivery: dict[str, Any] = {"TlsPolicy": config.tls_policy}
        if config.max_delivery_seconds is not None:
            delivery["MaxDeliverySeconds"] = config.max_delivery_seconds
        return {
            "ConfigurationSetName": config.name,
            "DeliveryOptions": delivery,
            "SendingOptions": {"SendingEnabled": config.sending_enabled},
            "Tags": [{"Key": k, "Value": v} for k, v in config.tags.items()],
        }

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = await asyncio.to_thread(self._service.list, ctx.account_id, ctx.region)
        contains = ((params.get("Filter") or {}).get("CONFIGURATION_SET_NAME_CONTAINS") or "").lower()
        names = [c.name for c in found if contains in c.name.lower()]
        shown, next_token = page(
            names,
            params.get("NextToken"),
            int(params.get("PageSize") or 1000),
            error_code="BadRequestException",
        )
        result: dict[str, Any] = {"ConfigurationSets": list(shown)}
        if next_token:
            result["NextToken"] = next_token
        return result

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await self._call(self._service.delete, ctx, params["ConfigurationSetName"])
        return {}

    async def put_sending(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        enabled = bool(params.get("SendingEnabled", False))
        await self._call(self._service.set_sending, ctx, params["ConfigurationSetName"], enabled)
        return {}

    async def put_delivery(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_delivery(params)
        await self._call(
            self._service.set_delivery,
            ctx,
            params["ConfigurationSetName"],
            params.get("TlsPolicy"),
            params.get("MaxDeliverySeconds"),
        )
        return {}

    @staticmethod
    async def _call(method: Any, ctx: RequestContext, name: str, *args: Any) -> ConfigurationSet:
        try:
            result: ConfigurationSet = await asyncio.to_thread(
                method, ctx.account_id, ctx.region, name, *args
            )
        except ConfigurationSetNotFoundError as error:
            raise not_found(f"Configuration set <{name}> does not exist.") from error
        return result


def _check_delivery(options: dict[str, Any]) -> None:
    if options.get("SendingPoolName"):
        raise bad_request("Dedicated sending pools are not supported by this Postwarden version yet.")
