"""SES v2 ListRecommendations (VDM): DKIM, SPF and DMARC findings per domain identity."""

from __future__ import annotations

import base64
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import bad_request
from postwarden.services.recommendations import IdentityRecommendation, RecommendationService


class RecommendationHandlers:
    def __init__(self, service: RecommendationService) -> None:
        self._service = service

    def table(self) -> dict[str, Handler]:
        return {"ListRecommendations": self.list_recommendations}

    async def list_recommendations(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = [_record(ctx, item) for item in await self._service.for_account(ctx.account_id, ctx.region)]
        filters = params.get("Filter") or {}
        keys = {"TYPE": "Type", "IMPACT": "Impact", "STATUS": "Status", "RESOURCE_ARN": "ResourceArn"}
        for key, value in filters.items():
            found = [r for r in found if r[keys[key]] == value]
        size = int(params.get("PageSize") or 100)
        start = _offset(params.get("NextToken"))
        result: dict[str, Any] = {"Recommendations": found[start : start + size]}
        if start + size < len(found):
            result["NextToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return result


def _record(ctx: RequestContext, item: IdentityRecommendation) -> dict[str, Any]:
    recommendation = item.recommendation
    return {
        "ResourceArn": f"arn:aws:ses:{ctx.region}:{ctx.account_id}:identity/{item.identity.name}",
        "Type": recommendation.type,
        "Description": recommendation.description,
        "Status": recommendation.status,
        "CreatedTimestamp": item.identity.created_at,
        "LastUpdatedTimestamp": item.evaluated_at,
        "Impact": recommendation.impact,
    }


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except ValueError as error:
        raise bad_request("The NextToken is not valid.") from error
