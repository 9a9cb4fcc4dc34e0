"""SES v2 configuration sets: create, get, list (both routes), delete, sending and delivery options.

Reputation metrics, per-set suppression reasons and open/click tracking options are kept and used;
options whose effect this version does not have (VDM, archiving, dedicated pools, tenant suppression)
are refused with a clear error rather than stored and ignored.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError, bad_request, not_found
from postwarden.api.paging import page
from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.suppression import SuppressionReason
from postwarden.services.configuration_sets import (
    ConfigurationSetExistsError,
    ConfigurationSetLimitError,
    ConfigurationSetNotFoundError,
    ConfigurationSetService,
)

UNSUPPORTED = ("VdmOptions", "ArchivingOptions")


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
            "PutConfigurationSetReputationOptions": self.put_reputation,
            "PutConfigurationSetSuppressionOptions": self.put_suppression,
            "PutConfigurationSetTrackingOptions": self.put_tracking,
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
            options=_options(params),
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
        shown: dict[str, Any] = {
            "ReputationOptions": {"ReputationMetricsEnabled": config.reputation_metrics_enabled},
        }
        if config.last_fresh_start is not None:
            shown["ReputationOptions"]["LastFreshStart"] = config.last_fresh_start
        if config.suppressed_reasons is not None:
            shown["SuppressionOptions"] = {
                "SuppressedReasons": sorted(r.value for r in config.suppressed_reasons)
            }
        if config.tracking_domain:
            shown["TrackingOptions"] = {
                "CustomRedirectDomain": config.tracking_domain,
                "HttpsPolicy": config.https_policy,
            }
        return {
            **shown,
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

    async def put_reputation(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        enabled = bool(params.get("ReputationMetricsEnabled", False))
        await self._call(self._service.set_reputation_metrics, ctx, params["ConfigurationSetName"], enabled)
        return {}

    async def put_suppression(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _check_suppression(params)
        reasons = params.get("SuppressedReasons")
        chosen = None if reasons is None else [SuppressionReason(r) for r in reasons]
        await self._call(self._service.set_suppression, ctx, params["ConfigurationSetName"], chosen)
        return {}

    async def put_tracking(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        domain = params.get("CustomRedirectDomain") or None
        await self._call(
            self._service.set_tracking, ctx, params["ConfigurationSetName"], domain, params.get("HttpsPolicy")
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


def _check_suppression(options: dict[str, Any]) -> None:
    if options.get("SuppressionScope") == "TENANT":
        raise bad_request("Tenant suppression lists are not supported by this Postwarden version yet.")
    if options.get("ValidationOptions"):
        raise bad_request("Suppression ValidationOptions are not supported by this Postwarden version yet.")


def _options(params: dict[str, Any]) -> dict[str, Any]:
    """CreateConfigurationSet's reputation, suppression and tracking options, as the service takes them."""
    options: dict[str, Any] = {}
    reputation = params.get("ReputationOptions") or {}
    options["reputation_metrics_enabled"] = bool(reputation.get("ReputationMetricsEnabled", False))
    suppression = params.get("SuppressionOptions")
    if suppression is not None:
        _check_suppression(suppression)
        reasons = suppression.get("SuppressedReasons")
        if reasons is not None:
            options["suppressed_reasons"] = frozenset(SuppressionReason(r) for r in reasons)
    tracking = params.get("TrackingOptions") or {}
    if tracking.get("CustomRedirectDomain"):
        options["tracking_domain"] = tracking["CustomRedirectDomain"]
        options["https_policy"] = tracking.get("HttpsPolicy") or "OPTIONAL"
    return options
