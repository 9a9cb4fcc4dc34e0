"""SES v2 suppression-list operations."""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import bad_request, not_found
from postwarden.api.paging import page
from postwarden.domain.suppression import SuppressionReason
from postwarden.mail import InvalidAddressError, parse_address
from postwarden.ports import SuppressedDestination
from postwarden.services.suppression import (
    SandboxRestrictionError,
    SuppressionNotFoundError,
    SuppressionService,
)


class SuppressionHandlers:
    def __init__(self, suppression: SuppressionService) -> None:
        self._suppression = suppression

    def table(self) -> dict[str, Handler]:
        return {
            "PutAccountSuppressionAttributes": self.put_attributes,
            "PutSuppressedDestination": self.put,
            "GetSuppressedDestination": self.get,
            "DeleteSuppressedDestination": self.delete,
            "ListSuppressedDestinations": self.list,
        }

    async def put_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        reasons = [SuppressionReason(r) for r in params.get("SuppressedReasons", [])]
        await asyncio.to_thread(self._suppression.set_reasons, ctx.account_id, ctx.region, reasons)
        return {}

    async def put(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        address = _address(params["EmailAddress"])
        try:
            await asyncio.to_thread(
                self._suppression.put,
                ctx.account_id,
                ctx.region,
                address,
                SuppressionReason(params["Reason"]),
            )
        except SandboxRestrictionError as error:
            raise bad_request(
                "You can't add addresses to the suppression list while the account is in the sandbox in "
                f"{ctx.region}. Request production access first."
            ) from error
        return {}

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        address = params["EmailAddress"]
        try:
            entry = await asyncio.to_thread(self._suppression.get, ctx.account_id, ctx.region, address)
        except SuppressionNotFoundError as error:
            raise not_found(f"Email address {address} does not exist on your suppression list.") from error
        found: dict[str, Any] = {
            "EmailAddress": entry.email_address,
            "Reason": entry.reason.value,
            "LastUpdateTime": entry.last_update_time,
        }
        attributes = {
            k: v for k, v in (("MessageId", entry.message_id), ("FeedbackId", entry.feedback_id)) if v
        }
        if attributes:
            found["Attributes"] = attributes
        return {"SuppressedDestination": found}

    async def delete(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        address = params["EmailAddress"]
        try:
            await asyncio.to_thread(self._suppression.delete, ctx.account_id, ctx.region, address)
        except SuppressionNotFoundError as error:
            raise not_found(f"Email address {address} does not exist on your suppression list.") from error
        return {}

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        reasons = [SuppressionReason(r) for r in params.get("Reasons", [])]
        query = functools.partial(
            self._suppression.find,
            ctx.account_id,
            ctx.region,
            reasons,
            _time(params.get("StartDate")),
            _time(params.get("EndDate")),
        )
        found: list[SuppressedDestination] = await asyncio.to_thread(query)
        shown, next_token = page(
            found,
            params.get("NextToken"),
            int(params.get("PageSize") or 1000),
            error_code="InvalidNextTokenException",
        )
        result: dict[str, Any] = {
            "SuppressedDestinationSummaries": [
                {
                    "EmailAddress": e.email_address,
                    "Reason": e.reason.value,
                    "LastUpdateTime": e.last_update_time,
                }
                for e in shown
            ]
        }
        if next_token:
            result["NextToken"] = next_token
        return result


def _address(value: str) -> str:
    try:
        return parse_address(value).addr_spec
    except InvalidAddressError as error:
        raise bad_request(f"Invalid email address {value}: {error}") from error


def _time(value: Any) -> float | None:
    """Query-string timestamps are ISO 8601 (or epoch seconds)."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
        except ValueError as error:
            raise bad_request(f"Invalid timestamp {value!r}.") from error
