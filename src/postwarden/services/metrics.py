"""SES v2 BatchGetMetricData (namespace VDM): daily series of sends, deliveries, bounces, complaints,
opens and clicks, filtered by email identity, configuration set and recipient ISP.

The database counts per day (split by the message's Source or the recipient's domain only when a
dimension needs it); identities and ISPs are told here, from those few grouped rows. Each query is read
in its own transaction, so one that fails is reported in `Errors` while the others are answered.

Differences from SES, all documented in docs/statistics.md: every recipient of a message counts (SES
leaves messages with several recipients out); DELIVERY_OPEN and DELIVERY_CLICK are not available;
DELIVERY_COMPLAINT counts deliveries to the `feedback_loop_domains`; Postwarden has no tenants.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from postwarden.domain.identities import normalize_identity
from postwarden.domain.isp import isp_for_domain
from postwarden.domain.vdm import (
    DAY_SECONDS,
    NO_TENANTS,
    UNAVAILABLE,
    Dimension,
    MetricQuery,
    QueryErrorCode,
    VdmMetric,
    sending_identity,
)
from postwarden.ports import Store
from postwarden.ports.metrics import CountKind, DailyCount, DailyCountQuery

log = logging.getLogger("postwarden.metrics")

_KINDS = {
    VdmMetric.SEND: CountKind.SENDS,
    VdmMetric.DELIVERY: CountKind.DELIVERIES,
    VdmMetric.DELIVERY_COMPLAINT: CountKind.DELIVERIES,
    VdmMetric.PERMANENT_BOUNCE: CountKind.PERMANENT_BOUNCES,
    VdmMetric.TRANSIENT_BOUNCE: CountKind.TRANSIENT_BOUNCES,
    VdmMetric.COMPLAINT: CountKind.COMPLAINTS,
    VdmMetric.OPEN: CountKind.UNIQUE_OPENS,
    VdmMetric.CLICK: CountKind.UNIQUE_CLICKS,
}


@dataclass(frozen=True, slots=True)
class MetricSeries:
    query_id: str
    timestamps: tuple[float, ...]
    """The start of each UTC day, epoch seconds."""
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MetricFailure:
    query_id: str
    code: QueryErrorCode
    message: str


class MetricsService:
    def __init__(self, store: Store, feedback_domains: frozenset[str]) -> None:
        self._store = store
        self._feedback_domains = feedback_domains

    def batch(
        self, account_id: str, region: str, queries: Sequence[MetricQuery]
    ) -> list[MetricSeries | MetricFailure]:
        """One answer per query, in the queries' order."""
        return [self._answer(account_id, region, query) for query in queries]

    def _answer(self, account_id: str, region: str, query: MetricQuery) -> MetricSeries | MetricFailure:
        if query.metric in UNAVAILABLE:
            return MetricFailure(query.query_id, QueryErrorCode.INTERNAL_FAILURE, UNAVAILABLE[query.metric])
        if Dimension.TENANT_NAME in query.filters:
            return MetricFailure(query.query_id, QueryErrorCode.ACCESS_DENIED, NO_TENANTS)
        identities = query.filters.get(Dimension.EMAIL_IDENTITY)
        isps = query.filters.get(Dimension.ISP)
        split_by_domain = isps is not None or query.metric is VdmMetric.DELIVERY_COMPLAINT
        count_query = DailyCountQuery(
            account_id,
            region,
            _KINDS[query.metric],
            query.since,
            query.until,
            configuration_sets=query.filters.get(Dimension.CONFIGURATION_SET),
            by_source=identities is not None,
            by_domain=split_by_domain,
        )
        try:
            with self._store.read() as tx:
                counts = tx.events.daily_counts(count_query)
                owned = (
                    frozenset(
                        normalize_identity(i.name) for i in tx.identities.for_account(account_id, region)
                    )
                    if identities is not None
                    else frozenset()
                )
        except Exception:
            log.exception("BatchGetMetricData query %s of %s failed", query.query_id, account_id)
            return MetricFailure(
                query.query_id,
                QueryErrorCode.INTERNAL_FAILURE,
                "Postwarden failed to process this query; try again later.",
            )
        per_day = dict.fromkeys(query.days, 0)
        for count in counts:
            if count.day in per_day and self._wanted(query, count, identities, isps, owned):
                per_day[count.day] += count.count
        return MetricSeries(
            query.query_id,
            tuple(float(day * DAY_SECONDS) for day in per_day),
            tuple(per_day.values()),
        )

    def _wanted(
        self,
        query: MetricQuery,
        count: DailyCount,
        identities: frozenset[str] | None,
        isps: frozenset[str] | None,
        owned: frozenset[str],
    ) -> bool:
        if identities is not None and sending_identity(count.source or "", owned) not in identities:
            return False
        if isps is not None and isp_for_domain(count.domain).lower() not in isps:
            return False
        if query.metric is VdmMetric.DELIVERY_COMPLAINT:
            return "*" in self._feedback_domains or (count.domain or "") in self._feedback_domains
        return True
