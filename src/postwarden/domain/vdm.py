"""Virtual Deliverability Manager metrics (BatchGetMetricData): metrics, dimensions and the query rules.

A query asks for one metric over whole UTC days, filtered by up to three dimensions; each dimension is
`*` (every value) or a comma-separated list of up to ten values. The answer is one series: a value per
day, every day of the interval included (zero when nothing happened).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from postwarden.domain.addresses import EmailAddress
from postwarden.domain.identities import candidate_identities, normalize_identity

DAY_SECONDS = 86_400
MAX_DAYS = 366
"""The longest interval one query may span (a year of daily points)."""
MAX_VALUES = 10
WILDCARD = "*"


class VdmMetric(StrEnum):
    SEND = "SEND"
    COMPLAINT = "COMPLAINT"
    PERMANENT_BOUNCE = "PERMANENT_BOUNCE"
    TRANSIENT_BOUNCE = "TRANSIENT_BOUNCE"
    OPEN = "OPEN"
    CLICK = "CLICK"
    DELIVERY = "DELIVERY"
    DELIVERY_OPEN = "DELIVERY_OPEN"
    DELIVERY_CLICK = "DELIVERY_CLICK"
    DELIVERY_COMPLAINT = "DELIVERY_COMPLAINT"


class Dimension(StrEnum):
    EMAIL_IDENTITY = "EMAIL_IDENTITY"
    CONFIGURATION_SET = "CONFIGURATION_SET"
    ISP = "ISP"
    TENANT_NAME = "TENANT_NAME"


class QueryErrorCode(StrEnum):
    INTERNAL_FAILURE = "INTERNAL_FAILURE"
    ACCESS_DENIED = "ACCESS_DENIED"


UNAVAILABLE: Mapping[VdmMetric, str] = {
    VdmMetric.DELIVERY_OPEN: (
        "DELIVERY_OPEN is not available: Postwarden does not record which deliveries carried an open "
        "tracker. Compare OPEN with DELIVERY for messages sent with a configuration set that tracks opens."
    ),
    VdmMetric.DELIVERY_CLICK: (
        "DELIVERY_CLICK is not available: Postwarden does not record which deliveries carried tracked "
        "links. Compare CLICK with DELIVERY for messages sent with a configuration set that tracks clicks."
    ),
}
"""Metrics Postwarden cannot compute, and why (answered as a per-query error)."""

NO_TENANTS = "Postwarden has no tenants: the TENANT_NAME dimension names nothing this account can read."


class InvalidQueryError(ValueError):
    """A query that breaks the rules; the message says which."""


@dataclass(frozen=True, slots=True)
class MetricQuery:
    query_id: str
    metric: VdmMetric
    filters: Mapping[Dimension, frozenset[str] | None]
    """The dimensions named, each with its values (lowercase but for configuration sets), None for `*`."""
    first_day: int
    """Days since the epoch, UTC; the interval runs from `first_day` through `last_day`, both included."""
    last_day: int

    @property
    def since(self) -> float:
        return float(self.first_day * DAY_SECONDS)

    @property
    def until(self) -> float:
        return float((self.last_day + 1) * DAY_SECONDS)

    @property
    def days(self) -> range:
        return range(self.first_day, self.last_day + 1)


def metric_query(
    query_id: str, metric: VdmMetric, dimensions: Mapping[str, str], start: float, end: float
) -> MetricQuery:
    """A query from the wire's members: StartDate's and EndDate's UTC days and every day between."""
    if end < start:
        raise InvalidQueryError(f"Query {query_id}: EndDate must not be before StartDate.")
    first_day, last_day = int(start // DAY_SECONDS), int(end // DAY_SECONDS)
    if last_day - first_day + 1 > MAX_DAYS:
        raise InvalidQueryError(f"Query {query_id}: the interval may span at most {MAX_DAYS} days.")
    return MetricQuery(query_id, metric, parse_dimensions(query_id, dimensions), first_day, last_day)


def parse_dimensions(query_id: str, dimensions: Mapping[str, str]) -> dict[Dimension, frozenset[str] | None]:
    filters: dict[Dimension, frozenset[str] | None] = {}
    for name, raw in dimensions.items():
        try:
            dimension = Dimension(name)
        except ValueError:
            allowed = ", ".join(d.value for d in Dimension)
            raise InvalidQueryError(
                f"Query {query_id}: unknown dimension {name!r} (expected one of {allowed})."
            ) from None
        if not isinstance(raw, str):
            raise InvalidQueryError(f"Query {query_id}: the value of {name} must be a string.")
        if raw.strip() == WILDCARD:
            filters[dimension] = None
            continue
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values:
            raise InvalidQueryError(f"Query {query_id}: {name} needs a value, or {WILDCARD} for every value.")
        if len(values) > MAX_VALUES:
            raise InvalidQueryError(f"Query {query_id}: {name} may list at most {MAX_VALUES} values.")
        if dimension is not Dimension.CONFIGURATION_SET:
            values = [v.lower() for v in values]
        filters[dimension] = frozenset(values)
    if None in filters.values() and any(values and len(values) > 1 for values in filters.values()):
        raise InvalidQueryError(
            f"Query {query_id}: when one dimension is {WILDCARD}, the others may have only one value."
        )
    return filters


def source_address(source: str) -> str:
    """The addr-spec of a message's Source as the sender gave it (`"Name" <a@example.com>` → a@…)."""
    opened = source.rfind("<")
    if opened >= 0:
        closed = source.find(">", opened)
        return source[opened + 1 : closed if closed > opened else None].strip()
    return source.strip()


def sending_identity(source: str, identities: Collection[str]) -> str:
    """The identity a message was sent with: the most specific of the account's identities that covers
    its Source (the address, its domain, a parent domain), else the Source's domain. Lowercase."""
    address = EmailAddress.of(source_address(source))
    for candidate in candidate_identities(address):
        if candidate in identities:
            return candidate
    return normalize_identity(address.domain)
