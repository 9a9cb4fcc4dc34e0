"""SES v2 account operations: GetAccount, PutAccountSendingAttributes."""

from __future__ import annotations

import asyncio
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.v2_account_details import account_details
from postwarden.services.accounts import AccountService
from postwarden.services.production_access import ProductionAccessService
from postwarden.services.suppression import SuppressionService


class AccountHandlers:
    def __init__(
        self,
        accounts: AccountService,
        suppression: SuppressionService,
        reviews: ProductionAccessService | None = None,
    ) -> None:
        self._accounts = accounts
        self._suppression = suppression
        self._reviews = reviews

    def table(self) -> dict[str, Handler]:
        return {
            "GetAccount": self.get_account,
            "PutAccountSendingAttributes": self.put_sending_attributes,
        }

    async def get_account(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        state = await asyncio.to_thread(self._accounts.sending_state, ctx.account_id, ctx.region)
        reasons = await asyncio.to_thread(self._suppression.reasons, ctx.account_id, ctx.region)
        response = {
            "DedicatedIpAutoWarmupEnabled": False,
            "EnforcementStatus": state.enforcement_status.value,
            "ProductionAccessEnabled": state.production_access,
            "SendQuota": {
                "Max24HourSend": float(state.limits.max_24_hour_send),
                "MaxSendRate": float(state.limits.max_send_rate),
                "SentLast24Hours": float(state.usage.sent_last_24h),
            },
            "SendingEnabled": state.sending_enabled,
            # On for BOUNCE and COMPLAINT until the account says otherwise, as on new SES accounts.
            "SuppressionAttributes": {"SuppressedReasons": sorted(r.value for r in reasons)},
        }
        if self._reviews is not None:  # Details: absent until the account has asked for production access
            case = await asyncio.to_thread(self._reviews.latest, ctx.account_id, ctx.region)
            if case is not None:
                response["Details"] = account_details(case)
        return response

    async def put_sending_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if "SendingEnabled" in params:
            await asyncio.to_thread(
                self._accounts.set_sending_enabled,
                ctx.account_id,
                ctx.region,
                bool(params["SendingEnabled"]),
                f"access-key:{ctx.access_key_id}",
            )
        return {}
