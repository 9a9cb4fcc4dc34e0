"""The storage port of statistics: counts of one kind of event per UTC day, optionally split by the
message's source and the recipient's domain, for the VDM metrics (BatchGetMetricData)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from postwarden.domain.vdm import DAY_SECONDS

__all__ = ["DAY_SECONDS", "CountKind", "DailyCount", "DailyCountQuery"]


class CountKind(StrEnum):
    """What is counted. Recipients at the mailbox simulator are never counted."""

    SENDS = "sends"
    """Recipients accepted for delivery (one per recipient of each accepted message)."""
    DELIVERIES = "deliveries"
    PERMANENT_BOUNCES = "permanent-bounces"
    """Bounce events of type Permanent, except those for addresses on the account's suppression list."""
    TRANSIENT_BOUNCES = "transient-bounces"
    """Bounce events of type Transient or Undetermined."""
    COMPLAINTS = "complaints"
    UNIQUE_OPENS = "unique-opens"
    """(message, recipient) pairs opened, each counted once, on the day of its first open."""
    UNIQUE_CLICKS = "unique-clicks"
    """(message, recipient) pairs with a followed link, counted once, on the day of the first click."""


@dataclass(frozen=True, slots=True)
class DailyCountQuery:
    account_id: str
    region: str
    kind: CountKind
    since: float
    """Inclusive, epoch seconds."""
    until: float
    """Exclusive, epoch seconds."""
    configuration_sets: frozenset[str] | None = None
    """Only messages sent with one of these configuration sets (None: every message)."""
    by_source: bool = False
    """Split the counts by the message's Source (as the sender gave it, display name included)."""
    by_domain: bool = False
    """Split the counts by the recipient's domain (lowercase; None when the event names no recipient)."""


@dataclass(frozen=True, slots=True)
class DailyCount:
    day: int
    """Days since the epoch (UTC): the day starts at `day * DAY_SECONDS`."""
    count: int
    source: str | None = None
    domain: str | None = None
