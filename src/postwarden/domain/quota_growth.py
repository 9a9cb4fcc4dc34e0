"""Automatic quota increases, and decreases when the reputation deteriorates, each decision explained.

SES raises quotas by itself when an account sends high-quality production mail "near your current quota"
with low bounce and complaint rates. The rule here (every number is in `QuotaGrowthSettings`):

Increase, when all hold:
- production access, a limited quota (not -1), enforcement status HEALTHY;
- on at least `days_near_quota` (3) of the last `lookback_days` (7) UTC days, the day's peak of
  SentLast24Hours reached `near_quota_fraction` (80 %) of the *current* Max24HourSend; days are measured
  against the current quota, so after an increase the account has to fill the new quota first;
- the bounce rate is judged (its window reaches the volume floor) and below `max_bounce_rate` (2 %), and
  the complaint rate is below `max_complaint_rate` (0.05 %);
then Max24HourSend is multiplied by `quota_step` (2) and MaxSendRate by `rate_step` (1.5), each capped at
`max_24_hour_send_cap` / `max_send_rate_cap` (a limit already above its cap is left alone).

Decrease, when the status is PROBATION or SHUTDOWN, a limit is above the production default and the limits
have not changed for `decrease_interval_seconds` (7 days): each such limit is divided by its step, never
below the production default.

The caller keeps a `DailyPeakUsage` per (account, region), feeds it SentLast24Hours after every accepted
send batch, and calls `note_change` when it applies a decision that changed the limits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from postwarden.domain.model import UNLIMITED, EnforcementStatus, SendingLimits
from postwarden.domain.reputation import DAY_SECONDS, Metric, ReputationMetrics


@dataclass(frozen=True, slots=True)
class QuotaGrowthSettings:
    near_quota_fraction: float = 0.80
    days_near_quota: int = 3
    lookback_days: int = 7
    max_bounce_rate: float = 0.02
    max_complaint_rate: float = 0.0005
    quota_step: float = 2.0
    rate_step: float = 1.5
    max_24_hour_send_cap: int = 1_000_000
    max_send_rate_cap: float = 200.0
    decrease_interval_seconds: float = 7 * DAY_SECONDS

    def __post_init__(self) -> None:
        if self.quota_step <= 1 or self.rate_step <= 1:
            raise ValueError("quota_step and rate_step must be greater than 1")
        if not 0 < self.days_near_quota <= self.lookback_days:
            raise ValueError("need 0 < days_near_quota <= lookback_days")


DEFAULT_SETTINGS = QuotaGrowthSettings()


class DailyPeakUsage:
    """The highest SentLast24Hours of each of the last few UTC days, and when the limits last changed."""

    __slots__ = ("_peaks", "last_change_at", "lookback_days")

    def __init__(self, lookback_days: int = 7, *, last_change_at: float | None = None) -> None:
        self.lookback_days = lookback_days
        self.last_change_at = last_change_at
        self._peaks: dict[int, int] = {}

    def record(self, now: float, sent_last_24_hours: int) -> None:
        """After a send batch: O(1) (at most `lookback_days` days are ever kept)."""
        day = int(now // DAY_SECONDS)
        peak = self._peaks.get(day)
        if peak is not None:
            self._peaks[day] = max(peak, sent_last_24_hours)
            return
        newest = max(self._peaks, default=day)
        if day <= newest - self.lookback_days:
            return
        self._peaks[day] = sent_last_24_hours
        oldest_kept = max(day, newest) - self.lookback_days + 1
        self._peaks = {d: p for d, p in self._peaks.items() if d >= oldest_kept}

    def peaks(self, now: float) -> dict[int, int]:
        """Peak per UTC day number (epoch days) over the lookback, today included."""
        today = int(now // DAY_SECONDS)
        return {d: p for d, p in sorted(self._peaks.items()) if today - self.lookback_days < d <= today}

    def note_change(self, now: float) -> None:
        self.last_change_at = now

    def to_json(self) -> dict[str, Any]:
        return {
            "peaks": [[d, p] for d, p in sorted(self._peaks.items())],
            "lastChangeAt": self.last_change_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], lookback_days: int = 7) -> DailyPeakUsage:
        usage = cls(lookback_days, last_change_at=data.get("lastChangeAt"))
        usage._peaks = {int(d): int(p) for d, p in data["peaks"]}
        return usage


@dataclass(frozen=True, slots=True)
class Criterion:
    """One condition of an increase: what was measured, over which window, against which threshold."""

    name: str
    value: float
    threshold: float
    window: str
    met: bool
    text: str


class QuotaChange(StrEnum):
    NONE = "none"
    INCREASE = "increase"
    DECREASE = "decrease"


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    change: QuotaChange
    previous: SendingLimits
    new: SendingLimits
    at: float
    explanation: str
    criteria: tuple[Criterion, ...]

    def as_record(self) -> dict[str, object]:
        return {
            "change": self.change.value,
            "previous": _limits_record(self.previous),
            "new": _limits_record(self.new),
            "at": self.at,
            "explanation": self.explanation,
            "criteria": [
                {"name": c.name, "value": c.value, "threshold": c.threshold, "window": c.window, "met": c.met}
                for c in self.criteria
            ],
        }


def review_quota(
    *,
    limits: SendingLimits,
    production_access: bool,
    status: EnforcementStatus,
    metrics: ReputationMetrics,
    usage: DailyPeakUsage,
    production_default: SendingLimits,
    now: float,
    settings: QuotaGrowthSettings | None = None,
) -> QuotaDecision:
    settings = settings or DEFAULT_SETTINGS
    criteria = increase_criteria(limits, metrics, usage, now, settings)

    def keep(explanation: str) -> QuotaDecision:
        return QuotaDecision(QuotaChange.NONE, limits, limits, now, explanation, criteria)

    if not production_access:
        return keep("no automatic change in the sandbox: the sandbox limits apply until production access")
    if limits.max_24_hour_send == UNLIMITED:
        return keep("no automatic change: the daily quota is unlimited")
    if status is not EnforcementStatus.HEALTHY:
        lowered, why = _lowered(limits, status, usage, production_default, now, settings)
        if lowered is None:
            return keep(why)
        explanation = why + "; " + "; ".join(c.text for c in criteria[1:])
        return QuotaDecision(QuotaChange.DECREASE, limits, lowered, now, explanation, criteria)
    unmet = [c.text for c in criteria if not c.met]
    if unmet:
        return keep("not increased: " + "; ".join(unmet))
    quota = min(settings.max_24_hour_send_cap, round(limits.max_24_hour_send * settings.quota_step))
    rate = min(settings.max_send_rate_cap, round(limits.max_send_rate * settings.rate_step, 2))
    new = SendingLimits(max(limits.max_24_hour_send, quota), max(limits.max_send_rate, rate))
    if new == limits:
        return keep("not increased: the limits are at the cap of automatic increases")
    explanation = f"increased to {_limits(new)}: " + "; ".join(c.text for c in criteria)
    return QuotaDecision(QuotaChange.INCREASE, limits, new, now, explanation, criteria)


def increase_criteria(
    limits: SendingLimits,
    metrics: ReputationMetrics,
    usage: DailyPeakUsage,
    now: float,
    settings: QuotaGrowthSettings,
) -> tuple[Criterion, ...]:
    near = settings.near_quota_fraction * limits.max_24_hour_send
    busy = [(day, peak) for day, peak in usage.peaks(now).items() if peak >= near]
    days_window = f"the last {settings.lookback_days} days"
    busy_days = ", ".join(f"{_day(day)}: {peak:,}" for day, peak in busy) or "none"
    days_text = (
        f"SentLast24Hours peaked at or above {settings.near_quota_fraction:.0%} of "
        f"{limits.max_24_hour_send:,} on {len(busy)} of {days_window} "
        f"(needed: {settings.days_near_quota}; days: {busy_days})"
    )
    bounce = metrics.bounce_rate
    bounce_judged = metrics.judged(Metric.BOUNCE)
    bounce_window = metrics.window.describe(Metric.BOUNCE)
    bounce_text = (
        f"bounce rate {bounce:.2%} over {bounce_window} (needed: below {settings.max_bounce_rate:.2%})"
        if bounce_judged
        else f"too little volume to judge the bounce rate ({bounce_window}, at least "
        f"{metrics.minimum_volume:,} needed)"
    )
    complaint = metrics.complaint_rate
    complaint_window = metrics.window.describe(Metric.COMPLAINT)
    complaint_text = (
        f"complaint rate {complaint:.3%} over {complaint_window} "
        f"(needed: below {settings.max_complaint_rate:.3%})"
    )
    return (
        Criterion(
            "days near quota", len(busy), settings.days_near_quota, days_window,
            len(busy) >= settings.days_near_quota, days_text,
        ),
        Criterion(
            "bounce rate", bounce, settings.max_bounce_rate, bounce_window,
            bounce_judged and bounce < settings.max_bounce_rate, bounce_text,
        ),
        Criterion(
            "complaint rate", complaint, settings.max_complaint_rate, complaint_window,
            complaint < settings.max_complaint_rate, complaint_text,
        ),
    )  # fmt: skip


def _lowered(
    limits: SendingLimits,
    status: EnforcementStatus,
    usage: DailyPeakUsage,
    default: SendingLimits,
    now: float,
    settings: QuotaGrowthSettings,
) -> tuple[SendingLimits | None, str]:
    """The lowered limits and why, or None and why not."""
    quota, rate = limits.max_24_hour_send, limits.max_send_rate
    if quota <= default.max_24_hour_send and rate <= default.max_send_rate:
        return None, f"status {status}: the limits are not above the production default, nothing to lower"
    if usage.last_change_at is not None and now - usage.last_change_at < settings.decrease_interval_seconds:
        next_at = _moment(usage.last_change_at + settings.decrease_interval_seconds)
        return None, f"status {status}: the limits changed recently; the next decrease is possible {next_at}"
    if quota > default.max_24_hour_send:
        quota = max(default.max_24_hour_send, round(quota / settings.quota_step))
    if rate > default.max_send_rate:
        rate = max(default.max_send_rate, round(rate / settings.rate_step, 2))
    new = SendingLimits(quota, rate)
    why = (
        f"lowered to {_limits(new)} because the enforcement status is {status} "
        f"(never below the production default {_limits(default)})"
    )
    return new, why


def _limits(limits: SendingLimits) -> str:
    return f"Max24HourSend {limits.max_24_hour_send:,}, MaxSendRate {limits.max_send_rate:g}/s"


def _limits_record(limits: SendingLimits) -> dict[str, object]:
    return {"max24HourSend": limits.max_24_hour_send, "maxSendRate": limits.max_send_rate}


def _day(day: int) -> str:
    return datetime.fromtimestamp(day * DAY_SECONDS, UTC).strftime("%Y-%m-%d")


def _moment(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
