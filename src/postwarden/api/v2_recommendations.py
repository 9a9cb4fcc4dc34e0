"""SES v2 ListRecommendations (VDM): DKIM, SPF and DMARC findings per domain identity."""

from __future__ import annotations

from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.paging import page
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
        shown, next_token = page(
            found,
            params.get("NextToken"),
            int(params.get("PageSize") or 100),
            error_code="BadRequestException",
        )
        result: dict[str, Any] = {"Recommendations": list(shown)}
        if next_token:
            result["NextToken"] = next_token
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
