"""Admin API routes for reputation: accounts by status and rate, one region's reputation with its
forecast and history of decisions, pause, reinstate, and quota and rate set by hand (each audited)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from typing import Any

from postwarden.api.admin import AdminError, AdminRequest, AdminRoute
from postwarden.domain.model import EnforcementStatus, SendingState
from postwarden.services.accounts import AccountService, UnknownAccountError
from postwarden.services.reputation import ReputationService

_BASE = "/admin/v1/accounts/{account}/regions/{region}"


class ReputationAdminRoutes:
    def __init__(
        self, reputation: ReputationService, accounts: AccountService, regions: Collection[str]
    ) -> None:
        self._reputation = reputation
        self._accounts = accounts
        self._regions = regions

    def routes(self) -> list[AdminRoute]:
        return [
            ("GET", "/admin/v1/accounts", self.list),
            ("GET", _BASE, self.show),
            ("POST", f"{_BASE}/pause", self.pause),
            ("POST", f"{_BASE}/reinstate", self.reinstate),
            ("POST", f"{_BASE}/sending", self.sending),
        ]

    async def list(self, request: AdminRequest) -> Any:
        """?status=HEALTHY|PROBATION|SHUTDOWN; sorted by bounce rate, highest first (?sort=complaint)."""
        wanted = request.query.get("status", "").upper()
        if wanted and wanted not in EnforcementStatus.__members__:
            raise AdminError(400, "BadRequest", f"status must be one of {', '.join(EnforcementStatus)}")
        reports = await asyncio.to_thread(
            self._reputation.reports, EnforcementStatus(wanted) if wanted else None
        )
        metric = "complaint" if request.query.get("sort") == "complaint" else "bounce"
        rows = [report.as_record() for report in reports]
        for row in rows:
            row.pop("history")
        rows.sort(key=lambda row: -float(row[f"{metric}_rate"]))
        return {"accounts": rows}

    async def show(self, request: AdminRequest) -> Any:
        account, region = self._key(request)
        report = await asyncio.to_thread(self._reputation.report, account, region)
        state = await self._call(self._accounts.sending_state, account, region)
        return {**report.as_record(), "sending": _state_record(state)}

    async def pause(self, request: AdminRequest) -> Any:
        account, region = self._key(request)
        transition = await self._call(
            lambda: self._reputation.pause(account, region, actor=request.actor, reason=_reason(request))
        )
        return transition.as_record()

    async def reinstate(self, request: AdminRequest) -> Any:
        account, region = self._key(request)
        transition = await self._call(
            lambda: self._reputation.reinstate(account, region, actor=request.actor, reason=_reason(request))
        )
        return transition.as_record()

    async def sending(self, request: AdminRequest) -> Any:
        """{"max_24_hour_send": N, "max_send_rate": R, "production": true|false, "reason": "..."}"""
        account, region = self._key(request)
        body = request.body
        quota, rate, production = (
            body.get("max_24_hour_send"),
            body.get("max_send_rate"),
            body.get("production"),
        )
        if quota is not None and (not isinstance(quota, int) or (quota < 1 and quota != -1)):
            raise AdminError(
                400, "BadRequest", "max_24_hour_send must be a positive integer or -1 (unlimited)"
            )
        if rate is not None and (not isinstance(rate, int | float) or rate <= 0):
            raise AdminError(400, "BadRequest", "max_send_rate must be a positive number")
        if production is not None and not isinstance(production, bool):
            raise AdminError(400, "BadRequest", "production must be true or false")
        state = await self._call(
            lambda: self._accounts.set_sending_limits(
                account,
                region,
                production=production,
                max_24_hour_send=quota,
                max_send_rate=None if rate is None else float(rate),
                actor=request.actor,
                reason=_reason(request),
            )
        )
        return _state_record(state)

    def _key(self, request: AdminRequest) -> tuple[str, str]:
        region = request.params["region"]
        if region not in self._regions:
            raise AdminError(400, "BadRequest", f"unknown region {region}")
        return request.params["account"], region

    @staticmethod
    async def _call(function: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(function, *args)
        except UnknownAccountError as error:
            raise AdminError(404, "NotFound", f"no account {error}") from error


def _reason(request: AdminRequest) -> str:
    reason = request.body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise AdminError(400, "BadRequest", "a reason is required (it is audited and sent to the account)")
    return reason.strip()


def _state_record(state: SendingState) -> dict[str, Any]:
    return {
        "production_access": state.production_access,
        "max_24_hour_send": state.limits.max_24_hour_send,
        "max_send_rate": state.limits.max_send_rate,
        "sent_last_24_hours": state.usage.sent_last_24h,
        "sending_enabled": state.sending_enabled,
        "enforcement_status": state.enforcement_status.value,
    }
