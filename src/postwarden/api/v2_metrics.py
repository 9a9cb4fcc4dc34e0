"""SES v2 BatchGetMetricData (`POST /v2/email/metrics/batch`, namespace VDM).

The model's validation has checked the members' types, the enums and the 1 to 10 queries; this adapter
checks what the model cannot say (unique Ids, dimension names and values, the interval) and answers a
broken query with BadRequestException for the whole call, as SES does for invalid input. A query that is
well formed but cannot be answered (a metric Postwarden does not record, a tenant) gets an `Errors` entry
and the other queries their `Results`.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from postwarden.api.app import Handler, RequestContext
from postwarden.api.errors import bad_request
from postwarden.domain.vdm import InvalidQueryError, MetricQuery, VdmMetric, metric_query
from postwarden.services.metrics import MetricFailure, MetricsService

MAX_DIMENSIONS = 3


class MetricsHandlers:
    def __init__(self, service: MetricsService) -> None:
        self._service = service

    def table(self) -> dict[str, Handler]:
        return {"BatchGetMetricData": self.batch_get_metric_data}

    async def batch_get_metric_data(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        queries = _queries(params["Queries"])
        answers = await asyncio.to_thread(self._service.batch, ctx.account_id, ctx.region, queries)
        results: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for answer in answers:
            if isinstance(answer, MetricFailure):
                errors.append({"Id": answer.query_id, "Code": answer.code.value, "Message": answer.message})
            else:
                results.append(
                    {
                        "Id": answer.query_id,
                        "Timestamps": list(answer.timestamps),
                        "Values": list(answer.values),
                    }
                )
        return {"Results": results, "Errors": errors}


def _queries(raw: list[dict[str, Any]]) -> list[MetricQuery]:
    seen: set[str] = set()
    queries: list[MetricQuery] = []
    for item in raw:
        query_id = str(item["Id"])
        if query_id in seen:
            raise bad_request(f"Query Ids must be unique: {query_id} is used twice.")
        seen.add(query_id)
        dimensions = item.get("Dimensions") or {}
        if item.get("Dimensions") is not None and not 1 <= len(dimensions) <= MAX_DIMENSIONS:
            raise bad_request(f"Query {query_id}: Dimensions must name 1 to {MAX_DIMENSIONS} dimensions.")
        try:
            queries.append(
                metric_query(
                    query_id,
                    VdmMetric(item["Metric"]),
                    dimensions,
                    _time(item["StartDate"], "StartDate"),
                    _time(item["EndDate"], "EndDate"),
                )
            )
        except InvalidQueryError as error:
            raise bad_request(str(error)) from error
    return queries


def _time(value: Any, name: str) -> float:
    """Epoch seconds, as the SDKs send timestamps in JSON; ISO 8601 from hand-written clients."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise bad_request(f"Invalid {name}: {value!r}.") from error
    if moment.tzinfo is None:
        raise bad_request(f"Invalid {name}: {value!r} has no time zone.")
    return moment.timestamp()
