"""The sending state of one (account, region): what SES keeps per account per region."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

UNLIMITED = -1


class EnforcementStatus(StrEnum):
    HEALTHY = "HEALTHY"
    PROBATION = "PROBATION"
    SHUTDOWN = "SHUTDOWN"


@dataclass(frozen=True, slots=True)
class SendingLimits:
    """Quota and rate for a tier (the sandbox, or the production default)."""

    max_24_hour_send: int
    max_send_rate: float


@dataclass(frozen=True, slots=True)
class RateBucket:
    """Token-bucket state for the per-second send rate; `tokens` may be negative (debt)."""

    tokens: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """Recipients counted in the rolling 24-hour window.

    `counted_through` is the epoch second up to which expired usage has already been subtracted; the
    storage layer keeps per-second buckets and subtracts those that fall out of the window.
    """

    sent_last_24h: int
    counted_through: int


@dataclass(frozen=True, slots=True)
class SendingState:
    account_id: str
    region: str
    production_access: bool
    limits: SendingLimits
    sending_enabled: bool
    enforcement_status: EnforcementStatus
    usage: DailyUsage
    bucket: RateBucket

    @classmethod
    def new_sandbox(cls, account_id: str, region: str, sandbox: SendingLimits, now: float) -> SendingState:
        return cls(
            account_id=account_id,
            region=region,
            production_access=False,
            limits=sandbox,
            sending_enabled=True,
            enforcement_status=EnforcementStatus.HEALTHY,
            usage=DailyUsage(0, int(now) - 86_400),
            bucket=RateBucket(tokens=max(1.0, sandbox.max_send_rate), updated_at=now),
        )

    def with_usage(self, usage: DailyUsage) -> SendingState:
        return replace(self, usage=usage)

    def with_bucket(self, bucket: RateBucket) -> SendingState:
        return replace(self, bucket=bucket)
