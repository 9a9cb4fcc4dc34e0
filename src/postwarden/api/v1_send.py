"""SES v1 sending and account operations, translated onto the same services as v2."""

from __future__ import annotations

import asyncio
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import ApiError
from postwarden.api.simple_content import simple_content
from postwarden.mail import MAX_MESSAGE_BYTES_V1
from postwarden.services.accounts import AccountService
from postwarden.services.compose import (
    CompositionError,
    MessageComposer,
    Origin,
    RawContent,
    SendOptions,
)
from postwarden.services.send import OutgoingMessage, SendService
from postwarden.ses_errors import errors_for


class V1SendHandlers:
    def __init__(self, sender: SendService, composer: MessageComposer, accounts: AccountService) -> None:
        self._sender = sender
        self._composer = composer
        self._accounts = accounts

    def table(self) -> dict[str, Handler]:
        return {
            "SendEmail": self.send_email,
            "SendRawEmail": self.send_raw_email,
            "GetSendQuota": self.get_send_quota,
            "GetSendStatistics": self.get_send_statistics,
            "GetAccountSendingEnabled": self.get_sending_enabled,
            "UpdateAccountSendingEnabled": self.update_sending_enabled,
        }

    async def send_email(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        content = simple_content(
            params["Source"], params, params["Message"], return_path=params.get("ReturnPath")
        )
        try:
            outgoing = self._composer.simple(self._origin(ctx, "SendEmail"), content, _options(params))
        except CompositionError as error:
            raise v1_composition_error(error) from error
        return await self._submit(outgoing)

    async def send_raw_email(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        raw = RawContent(
            params["RawMessage"]["Data"],  # the validator has decoded the base64 blob
            source=params.get("Source"),
            destinations=params.get("Destinations") or None,
            max_bytes=MAX_MESSAGE_BYTES_V1,
        )
        try:
            outgoing, _ = self._composer.raw(self._origin(ctx, "SendRawEmail"), raw, _options(params))
        except CompositionError as error:
            raise v1_composition_error(error) from error
        return await self._submit(outgoing)

    async def _submit(self, outgoing: OutgoingMessage) -> dict[str, Any]:
        decision = await self._sender.submit(outgoing)
        if not decision.allowed:
            raise ApiError(errors_for(decision).v1_code, decision.message)
        return {"MessageId": outgoing.message_id}

    async def get_send_quota(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        state = await asyncio.to_thread(self._accounts.sending_state, ctx.account_id, ctx.region)
        return {
            "Max24HourSend": float(state.limits.max_24_hour_send),
            "MaxSendRate": float(state.limits.max_send_rate),
            "SentLast24Hours": float(state.usage.sent_last_24h),
        }

    async def get_send_statistics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets = await asyncio.to_thread(self._accounts.send_statistics, ctx.account_id, ctx.region)
        return {
            "SendDataPoints": [
                {
                    "Timestamp": bucket.start,
                    "DeliveryAttempts": bucket.delivery_attempts,
                    "Bounces": bucket.bounces,
                    "Complaints": bucket.complaints,
                    "Rejects": bucket.rejects,
                }
                for bucket in buckets
            ]
        }

    async def get_sending_enabled(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        state = await asyncio.to_thread(self._accounts.sending_state, ctx.account_id, ctx.region)
        return {"Enabled": state.sending_enabled}

    async def update_sending_enabled(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        enabled = bool(params.get("Enabled", False))
        actor = f"access-key:{ctx.access_key_id}"
        await asyncio.to_thread(
            self._accounts.set_sending_enabled, ctx.account_id, ctx.region, enabled, actor
        )
        return {}

    @staticmethod
    def _origin(ctx: RequestContext, operation: str) -> Origin:
        return Origin(ctx.account_id, ctx.region, ctx.access_key_id, ctx.source_ip, operation)


def _options(params: dict[str, Any]) -> SendOptions:
    tags: dict[str, list[str]] = {}
    for tag in params.get("Tags", []):
        tags.setdefault(tag["Name"], []).append(tag["Value"])
    return SendOptions(params.get("ConfigurationSetName"), tags)


def v1_composition_error(error: CompositionError) -> ApiError:
    if error.kind in {"rejected", "too-large"}:
        return ApiError("MessageRejected", error.message)
    return ApiError("InvalidParameterValue", error.message)
