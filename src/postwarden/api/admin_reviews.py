"""Admin API routes for production access: the review queue, one case, grant / deny / recheck, and
returning a region to the sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from postwarden.api.admin import AdminError, AdminRequest, AdminRoute
from postwarden.domain.review import InvalidReviewTransitionError, ReviewCase, ReviewStatus
from postwarden.ports import Clock
from postwarden.services.accounts import UnknownAccountError
from postwarden.services.production_access import ProductionAccessService, ReviewNotFoundError
from postwarden.services.review_records import case_record, summary_record
from postwarden.services.sandbox_return import SandboxReturns


class ReviewAdminRoutes:
    def __init__(
        self,
        reviews: ProductionAccessService,
        sandbox: SandboxReturns,
        clock: Clock,
        regions: Collection[str],
    ) -> None:
        self._reviews = reviews
        self._sandbox = sandbox
        self._clock = clock
        self._regions = regions

    def routes(self) -> list[AdminRoute]:
        return [
            ("GET", "/admin/v1/reviews", self.list),
            ("GET", "/admin/v1/reviews/{case}", self.show),
            ("POST", "/admin/v1/reviews/{case}/grant", self.grant),
            ("POST", "/admin/v1/reviews/{case}/deny", self.deny),
            ("POST", "/admin/v1/reviews/{case}/recheck", self.recheck),
            ("POST", "/admin/v1/accounts/{account}/regions/{region}/return-to-sandbox", self.to_sandbox),
        ]

    async def list(self, request: AdminRequest) -> Any:
        """?status=PENDING (the default), GRANTED, DENIED, FAILED or ALL; ?account=ID."""
        wanted = request.query.get("status", "PENDING").upper()
        if wanted != "ALL" and wanted not in ReviewStatus.__members__:
            raise AdminError(400, "BadRequest", f"status must be ALL or one of {', '.join(ReviewStatus)}")
        status = None if wanted == "ALL" else ReviewStatus(wanted)
        account = request.query.get("account") or None
        cases = await asyncio.to_thread(self._reviews.cases, status, account, 1000)
        now = self._clock.now()
        return {"reviews": [summary_record(case, now) for case in cases]}

    async def show(self, request: AdminRequest) -> Any:
        return await self._decide(
            request, lambda: asyncio.to_thread(self._reviews.get, request.params["case"])
        )

    async def grant(self, request: AdminRequest) -> Any:
        quota = _number(request.body, "quota", int)
        rate = _number(request.body, "rate", float)
        note = _text(request.body, "note")
        return await self._decide(
            request,
            lambda: self._reviews.grant(
                request.params["case"], actor=request.actor, quota=quota, rate=rate, note=note
            ),
        )

    async def deny(self, request: AdminRequest) -> Any:
        reason = _text(request.body, "reason")
        if not reason.strip():
            raise AdminError(400, "BadRequest", 'A denial needs a "reason" the sender can read.')
        return await self._decide(
            request, lambda: self._reviews.deny(request.params["case"], actor=request.actor, reason=reason)
        )

    async def recheck(self, request: AdminRequest) -> Any:
        return await self._decide(
            request, lambda: self._reviews.recheck(request.params["case"], request.actor)
        )

    async def to_sandbox(self, request: AdminRequest) -> Any:
        account, region = request.params["account"], request.params["region"]
        reason = _text(request.body, "reason")
        if not reason.strip():
            raise AdminError(400, "BadRequest", 'Returning a region to the sandbox needs a "reason".')
        if region not in self._regions:
            raise AdminError(400, "BadRequest", f"{region} is not one of the configured regions.")
        try:
            state = await self._sandbox.return_to_sandbox(account, region, actor=request.actor, reason=reason)
        except UnknownAccountError as error:
            raise AdminError(404, "NotFound", f"No account {error}.") from error
        return {
            "accountId": account,
            "region": region,
            "productionAccessEnabled": state.production_access,
            "max24HourSend": state.limits.max_24_hour_send,
            "maxSendRate": state.limits.max_send_rate,
        }

    async def _decide(self, request: AdminRequest, action: Callable[[], Awaitable[ReviewCase]]) -> Any:
        try:
            case = await action()
        except ReviewNotFoundError as error:
            raise AdminError(404, "NotFound", f"No review case {error}.") from error
        except InvalidReviewTransitionError as error:
            raise AdminError(409, "Conflict", str(error)) from error
        return case_record(case, self._clock.now())


def _number(body: dict[str, Any], name: str, kind: type[int] | type[float]) -> Any:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
        raise AdminError(
            400, "BadRequest", f'"{name}" must be {"an integer" if kind is int else "a number"}.'
        )
    return kind(value)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise AdminError(400, "BadRequest", f'"{name}" must be a string.')
    return value
