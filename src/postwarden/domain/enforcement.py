"""Reputation enforcement: HEALTHY → PROBATION → SHUTDOWN, every transition explained, plus a forecast.

The rules, with SES's default thresholds (all in `EnforcementSettings`):
- a metric is judged only once its own denominator in the window reaches the volume floor
  (`ReputationSettings.minimum_volume`); an unjudged metric never moves the account;
- a rate at or above its pause threshold (bounce 10 %, complaint 0.5 %) → SHUTDOWN at once, from HEALTHY
  or PROBATION;
- HEALTHY with a rate at or above its review threshold (bounce 5 %, complaint 0.1 %) → PROBATION for the
  review period (7 days); the account keeps sending meanwhile;
- when the review period has ended: a rate still at or above its review threshold → SHUTDOWN, else HEALTHY;
- SHUTDOWN stays until an operator calls `reinstate`, which also resets the history: from then on only mail
  sent after the reinstatement is measured.

Call `assess` after recording bounces or complaints and periodically (a review must end on time even when
no feedback arrives: `EnforcementState.review_ends_at` says when).

Forecast (`forecast`), a deliberately simple rule. Let *current* be a rate over the whole window of N
messages, *newest* the rate over its newest part (`ReputationSettings.trend_fraction` of the volume) and
*older* the rate over the rest. If mail keeps arriving at the newest rate, the window's rate moves from
*current* to *newest* as the older messages leave it, reaching *newest* once the older part has been
replaced. So a threshold with current < threshold ≤ newest will be crossed within the window: warn, naming
the first such threshold. Assuming the messages that leave carry the older rate, the crossing comes after
(threshold - current) * N / (newest - older) more messages; at the window's average daily volume that is
the days given. Bounces arrive after their messages, so the newest part tends to understate its rate: the
forecast errs on the side of silence, never of false alarms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from postwarden.domain.model import EnforcementStatus
from postwarden.domain.reputation import DAY_SECONDS, Metric, ReputationHistory, ReputationMetrics

SHUTDOWN_REMEDY = (
    "Sending stays paused until an operator reinstates the account. Find and fix the cause first: stop "
    "sending to addresses that bounce or complain and to lists whose recipients did not ask for the mail. "
    "After reinstatement only mail sent from then on is measured."
)


class Severity(StrEnum):
    UNJUDGED = "unjudged"
    """Too little volume in the window to judge the metric."""
    HEALTHY = "healthy"
    REVIEW = "review"
    PAUSE = "pause"


@dataclass(frozen=True, slots=True)
class EnforcementSettings:
    bounce_review_rate: float = 0.05
    bounce_pause_rate: float = 0.10
    complaint_review_rate: float = 0.001
    complaint_pause_rate: float = 0.005
    review_period_seconds: float = 7 * DAY_SECONDS
    forecast_minimum_volume: int = 50
    """The newest part of the window needs this many messages of the metric's kind for a forecast."""

    def __post_init__(self) -> None:
        for metric in Metric:
            if not 0 < self.review_rate(metric) < self.pause_rate(metric):
                raise ValueError(f"need 0 < review rate < pause rate for the {metric} metric")
        if self.review_period_seconds <= 0:
            raise ValueError("review_period_seconds must be positive")

    def review_rate(self, metric: Metric) -> float:
        return self.bounce_review_rate if metric is Metric.BOUNCE else self.complaint_review_rate

    def pause_rate(self, metric: Metric) -> float:
        return self.bounce_pause_rate if metric is Metric.BOUNCE else self.complaint_pause_rate


DEFAULT_SETTINGS = EnforcementSettings()


@dataclass(frozen=True, slots=True)
class EnforcementState:
    """What enforcement keeps per (account, region) besides the counters (store it next to them)."""

    status: EnforcementStatus = EnforcementStatus.HEALTHY
    since: float | None = None
    review_metric: Metric | None = None
    review_ends_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "since": self.since,
            "reviewMetric": self.review_metric.value if self.review_metric else None,
            "reviewEndsAt": self.review_ends_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EnforcementState:
        metric = data.get("reviewMetric")
        return cls(
            EnforcementStatus(data["status"]),
            data.get("since"),
            Metric(metric) if metric else None,
            data.get("reviewEndsAt"),
        )


@dataclass(frozen=True, slots=True)
class MetricReading:
    metric: Metric
    value: float
    window: str
    severity: Severity
    review_rate: float
    pause_rate: float


@dataclass(frozen=True, slots=True)
class Transition:
    """One change of enforcement status, explained: for the audit log, notifications and the console."""

    previous: EnforcementStatus
    new: EnforcementStatus
    at: float
    metric: Metric | None
    value: float | None
    window: str
    threshold: float | None
    reason: str
    remedy: str
    """What brings the account back (or keeps it healthy)."""

    def as_record(self) -> dict[str, object]:
        return {
            "previous": self.previous.value,
            "new": self.new.value,
            "at": self.at,
            "metric": self.metric.value if self.metric else None,
            "value": self.value,
            "window": self.window,
            "threshold": self.threshold,
            "reason": self.reason,
            "remedy": self.remedy,
        }


@dataclass(frozen=True, slots=True)
class Forecast:
    metric: Metric
    current: float
    newest: float
    threshold: float
    severity: Severity
    """Which threshold the trend crosses: REVIEW or PAUSE."""
    messages_until: int
    days_until: float | None
    window: str
    newest_window: str
    message: str


@dataclass(frozen=True, slots=True)
class Assessment:
    state: EnforcementState
    """The state to store (unchanged when `transition` is None)."""
    readings: tuple[MetricReading, ...]
    transition: Transition | None
    forecasts: tuple[Forecast, ...]

    @property
    def status(self) -> EnforcementStatus:
        return self.state.status

    def reading(self, metric: Metric) -> MetricReading:
        return next(r for r in self.readings if r.metric is metric)


def assess(
    state: EnforcementState,
    metrics: ReputationMetrics,
    now: float,
    settings: EnforcementSettings | None = None,
) -> Assessment:
    settings = settings or DEFAULT_SETTINGS
    readings = tuple(_read(metrics, metric, settings) for metric in Metric)
    transition = _transition(state, readings, now, settings)
    new_state = state if transition is None else _enter(transition, settings)
    return Assessment(new_state, readings, transition, forecast(metrics, settings))


def reinstate(
    state: EnforcementState,
    history: ReputationHistory,
    now: float,
    *,
    reason: str = "reinstated by an operator",
) -> tuple[EnforcementState, Transition]:
    """Operator action: back to HEALTHY, and the history restarts so only mail sent from `now` counts."""
    history.reset(now)
    remedy = (
        "Only mail sent from the reinstatement on is measured; keep the rates under the review thresholds."
    )
    window = f"mail sent from {_when(now)} on"
    transition = Transition(
        state.status, EnforcementStatus.HEALTHY, now, None, None, window, None, reason, remedy
    )
    return EnforcementState(EnforcementStatus.HEALTHY, since=now), transition


def forecast(metrics: ReputationMetrics, settings: EnforcementSettings | None = None) -> tuple[Forecast, ...]:
    settings = settings or DEFAULT_SETTINGS
    found = (_forecast_metric(metrics, metric, settings) for metric in Metric)
    return tuple(f for f in found if f is not None)


def _read(metrics: ReputationMetrics, metric: Metric, settings: EnforcementSettings) -> MetricReading:
    value = metrics.window.rate(metric)
    review, pause = settings.review_rate(metric), settings.pause_rate(metric)
    if not metrics.judged(metric):
        severity = Severity.UNJUDGED
    elif value >= pause:
        severity = Severity.PAUSE
    elif value >= review:
        severity = Severity.REVIEW
    else:
        severity = Severity.HEALTHY
    return MetricReading(metric, value, metrics.window.describe(metric), severity, review, pause)


def _transition(
    state: EnforcementState, readings: tuple[MetricReading, ...], now: float, settings: EnforcementSettings
) -> Transition | None:
    status = state.status
    if status is EnforcementStatus.SHUTDOWN:
        return None
    if paused := _worst(readings, Severity.PAUSE):
        reason = f"{_measured(paused)} is at or above the pause threshold {_pct(paused.pause_rate)}"
        return _explain(
            status, EnforcementStatus.SHUTDOWN, now, paused, paused.pause_rate, reason, SHUTDOWN_REMEDY
        )
    over = _worst(readings, Severity.REVIEW)
    if status is EnforcementStatus.HEALTHY:
        if over is None:
            return None
        reason = f"{_measured(over)} is at or above the review threshold {_pct(over.review_rate)}"
        remedy = (
            f"The account keeps sending during the review, which ends "
            f"{_when(now + settings.review_period_seconds)}. If the {over.metric} rate is then below "
            f"{_pct(over.review_rate)} the account returns to HEALTHY, otherwise sending is paused; at or "
            f"above {_pct(over.pause_rate)} sending is paused at once."
        )
        return _explain(status, EnforcementStatus.PROBATION, now, over, over.review_rate, reason, remedy)
    if state.review_ends_at is not None and now < state.review_ends_at:
        return None
    ended = f"the review ended {_when(state.review_ends_at or now)}"
    if over is not None:
        reason = f"{ended} and {_measured(over)} is still at or above the review threshold "
        reason += _pct(over.review_rate)
        return _explain(
            status, EnforcementStatus.SHUTDOWN, now, over, over.review_rate, reason, SHUTDOWN_REMEDY
        )
    reviewed = next(r for r in readings if r.metric is (state.review_metric or Metric.BOUNCE))
    reason = f"{ended} and {_measured(reviewed)} is below the review threshold {_pct(reviewed.review_rate)}"
    remedy = (
        f"Keep the {reviewed.metric} rate below {_pct(reviewed.review_rate)}: "
        "at or above it, a new review starts."
    )
    return _explain(status, EnforcementStatus.HEALTHY, now, reviewed, reviewed.review_rate, reason, remedy)


def _explain(
    previous: EnforcementStatus,
    new: EnforcementStatus,
    now: float,
    reading: MetricReading,
    threshold: float,
    reason: str,
    remedy: str,
) -> Transition:
    return Transition(
        previous, new, now, reading.metric, reading.value, reading.window, threshold, reason, remedy
    )


def _enter(transition: Transition, settings: EnforcementSettings) -> EnforcementState:
    if transition.new is not EnforcementStatus.PROBATION:
        return EnforcementState(transition.new, since=transition.at)
    ends = transition.at + settings.review_period_seconds
    return EnforcementState(EnforcementStatus.PROBATION, transition.at, transition.metric, ends)


_RANK = {Severity.UNJUDGED: 0, Severity.HEALTHY: 1, Severity.REVIEW: 2, Severity.PAUSE: 3}


def _worst(readings: tuple[MetricReading, ...], at_least: Severity) -> MetricReading | None:
    """The reading furthest over its threshold among those at `at_least` or worse."""
    over = [r for r in readings if _RANK[r.severity] >= _RANK[at_least]]
    if not over:
        return None
    pause = at_least is Severity.PAUSE
    return max(over, key=lambda r: r.value / (r.pause_rate if pause else r.review_rate))


def _forecast_metric(
    metrics: ReputationMetrics, metric: Metric, settings: EnforcementSettings
) -> Forecast | None:
    window, newest_part = metrics.window, metrics.recent
    volume, newest_volume = window.volume(metric), newest_part.volume(metric)
    older_volume = volume - newest_volume
    if not metrics.judged(metric) or newest_volume < settings.forecast_minimum_volume or older_volume <= 0:
        return None
    current, newest = window.rate(metric), newest_part.rate(metric)
    older = (window.count(metric) - newest_part.count(metric)) / older_volume
    for threshold, severity in (
        (settings.review_rate(metric), Severity.REVIEW),
        (settings.pause_rate(metric), Severity.PAUSE),
    ):
        if current < threshold <= newest and newest > older:
            messages = round((threshold - current) * volume / (newest - older))
            days = messages * window.days / volume if window.days > 0 else None
            when = f" (about {days:.1f} days at the current volume)" if days is not None else ""
            message = (
                f"The {metric} rate is {_pct(current)} over {window.describe(metric)} but {_pct(newest)} "
                f"over the newest {newest_part.describe(metric)}. If that continues, it reaches the "
                f"{severity} threshold {_pct(threshold)} after about {messages:,} more such messages{when}."
            )
            return Forecast(
                metric, current, newest, threshold, severity, messages, days,
                window.describe(metric), newest_part.describe(metric), message,
            )  # fmt: skip
    return None


def _measured(reading: MetricReading) -> str:
    return f"the {reading.metric} rate {_pct(reading.value)} (measured over {reading.window})"


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
