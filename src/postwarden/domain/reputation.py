"""Bounce and complaint rates of one (account, region), measured over a representative volume.

SES does not measure over a fixed period but over "a representative volume — an amount of email that
represents your typical sending practices". Here that is the newest N eligible messages, where

    N = clamp(typical daily eligible volume * `representative_days`, `minimum_volume`, `maximum_volume`)

and the typical daily volume is the eligible volume of the retained history divided by its length in days
(at least one day). Below `minimum_volume` eligible messages in total nothing is judged.

Counts live in fixed-size time buckets (one per UTC day by default, at most `retained_buckets` of them),
each holding four counters: eligible messages, counted bounces, eligible messages to feedback-loop domains
and counted complaints. Recording an event is O(1): a bounce or complaint adds to the bucket of the
message's *send* time, so late feedback lands where the message sits in the window. Measuring walks the
buckets newest first until N eligible messages are reached and takes the oldest bucket in part
(proportionally, assuming its mail was spread evenly over its time), so the window holds about N messages.

What counts (SES's rules):
- a message is eligible unless it went to the mailbox simulator, to a domain or address the account has
  verified, or to an address on the account's suppression list (it is accepted but not sent);
- a bounce counts when it is hard (`Permanent`) and not `OnAccountSuppressionList`; `Suppressed` (the
  global list) counts; `Transient` and `Undetermined` never do;
- the complaint rate is complaints ÷ eligible messages to domains that send feedback (feedback loops).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from postwarden.domain.delivery import BounceSubType, BounceType

DAY_SECONDS = 86_400
_ELIGIBLE, _BOUNCES, _FEEDBACK, _COMPLAINTS = range(4)
_FORMAT_VERSION = 1


class Metric(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"


class Eligibility(StrEnum):
    """How one recipient of one message counts. Classify at send time, keep it with the recipient and pass
    the same value with its bounce or complaint."""

    EXCLUDED = "excluded"
    """Simulator, verified domain or address, or on the account suppression list: counts nowhere."""
    ELIGIBLE = "eligible"
    """Counts toward the bounce rate."""
    FEEDBACK = "feedback"
    """Counts toward the bounce rate and, the recipient's domain sending feedback, the complaint rate."""


def classify(
    *,
    simulator: bool = False,
    verified_domain: bool = False,
    account_suppressed: bool = False,
    feedback_loop: bool = False,
) -> Eligibility:
    if simulator or verified_domain or account_suppressed:
        return Eligibility.EXCLUDED
    return Eligibility.FEEDBACK if feedback_loop else Eligibility.ELIGIBLE


def counts_as_hard_bounce(bounce_type: BounceType, sub_type: BounceSubType) -> bool:
    return bounce_type == BounceType.PERMANENT and sub_type != BounceSubType.ON_ACCOUNT_SUPPRESSION_LIST


@dataclass(frozen=True, slots=True)
class ReputationSettings:
    bucket_seconds: int = DAY_SECONDS
    """Width of one bucket of counters; buckets start at multiples of it (UTC days by default)."""
    retained_buckets: int = 90
    """How many buckets of history are kept (90 days); older events are ignored."""
    minimum_volume: int = 200
    """The floor of N: below this many eligible messages no rate is judged."""
    maximum_volume: int = 100_000
    """The ceiling of N: even the largest senders are judged on their newest 100,000 eligible messages."""
    representative_days: float = 30.0
    """N is this many days of the account's typical eligible volume (clamped to the floor and ceiling)."""
    trend_fraction: float = 0.25
    """The newest part of the window (by volume) compared with the whole window to see a trend."""

    def __post_init__(self) -> None:
        if self.bucket_seconds <= 0 or self.retained_buckets <= 0:
            raise ValueError("bucket_seconds and retained_buckets must be positive")
        if not 0 < self.minimum_volume <= self.maximum_volume:
            raise ValueError("need 0 < minimum_volume <= maximum_volume")
        if self.representative_days <= 0 or not 0 < self.trend_fraction < 1:
            raise ValueError("need representative_days > 0 and 0 < trend_fraction < 1")


DEFAULT_SETTINGS = ReputationSettings()


@dataclass(frozen=True, slots=True)
class WindowTotals:
    """Counters over a span of the newest eligible messages (prorated, hence floats)."""

    eligible: float
    bounces: float
    feedback_eligible: float
    complaints: float
    start: float
    end: float

    def volume(self, metric: Metric) -> float:
        return self.eligible if metric is Metric.BOUNCE else self.feedback_eligible

    def count(self, metric: Metric) -> float:
        return self.bounces if metric is Metric.BOUNCE else self.complaints

    def rate(self, metric: Metric) -> float:
        volume = self.volume(metric)
        return self.count(metric) / volume if volume > 0 else 0.0

    @property
    def days(self) -> float:
        return max(0.0, self.end - self.start) / DAY_SECONDS

    def describe(self, metric: Metric = Metric.BOUNCE) -> str:
        """E.g. "10,476 eligible messages over 74.9 days"."""
        what = (
            "eligible messages" if metric is Metric.BOUNCE else "eligible messages to feedback-loop domains"
        )
        span = f"{self.days:.1f} days" if self.days >= 1 else f"{self.days * 24:.1f} hours"
        return f"{round(self.volume(metric)):,} {what} over {span}"


@dataclass(frozen=True, slots=True)
class ReputationMetrics:
    window: WindowTotals
    """The representative window: about `representative_volume` newest eligible messages."""
    recent: WindowTotals
    """The newest `trend_fraction` of the window, for forecasts."""
    representative_volume: int
    minimum_volume: int

    @property
    def bounce_rate(self) -> float:
        return self.window.rate(Metric.BOUNCE)

    @property
    def complaint_rate(self) -> float:
        return self.window.rate(Metric.COMPLAINT)

    def judged(self, metric: Metric) -> bool:
        """Whether the metric's own denominator in the window reaches the volume floor."""
        return self.window.volume(metric) + 1e-6 >= self.minimum_volume


class ReputationHistory:
    """The counters of one (account, region). Mutable: load it, record events, measure, store `to_json()`."""

    __slots__ = ("_buckets", "_newest", "baseline", "first_send_at", "settings")

    def __init__(self, settings: ReputationSettings | None = None, *, baseline: float | None = None) -> None:
        self.settings = settings or DEFAULT_SETTINGS
        self.baseline = baseline
        """Mail sent before this moment is not measured (set by `reset`, e.g. on reinstatement)."""
        self.first_send_at: float | None = None
        self._buckets: dict[int, list[int]] = {}
        self._newest: int | None = None

    def record_send(self, sent_at: float, eligibility: Eligibility, count: int = 1) -> None:
        if eligibility == Eligibility.EXCLUDED or count <= 0:
            return
        bucket = self._bucket(sent_at, create=True)
        if bucket is None:
            return
        bucket[_ELIGIBLE] += count
        if eligibility == Eligibility.FEEDBACK:
            bucket[_FEEDBACK] += count
        if self.first_send_at is None or sent_at < self.first_send_at:
            self.first_send_at = sent_at

    def record_bounce(
        self,
        sent_at: float,
        eligibility: Eligibility,
        bounce_type: BounceType,
        sub_type: BounceSubType,
        count: int = 1,
    ) -> bool:
        """Count a bounce of a message sent at `sent_at`; True if it counts toward the bounce rate."""
        if eligibility == Eligibility.EXCLUDED or not counts_as_hard_bounce(bounce_type, sub_type):
            return False
        return self._add(sent_at, _BOUNCES, count)

    def record_complaint(
        self,
        sent_at: float,
        eligibility: Eligibility,
        *,
        on_account_suppression_list: bool = False,
        count: int = 1,
    ) -> bool:
        """Count a complaint about a message sent at `sent_at`; True if it counts toward the rate."""
        if eligibility != Eligibility.FEEDBACK or on_account_suppression_list:
            return False
        return self._add(sent_at, _COMPLAINTS, count)

    def reset(self, now: float) -> None:
        """Forget everything: from now on only mail sent at or after `now` is measured."""
        self._buckets.clear()
        self._newest = None
        self.baseline = now
        self.first_send_at = None

    def measure(self, now: float) -> ReputationMetrics:
        settings = self.settings
        oldest_kept = int(now // settings.bucket_seconds) - settings.retained_buckets + 1
        newest_first = sorted((i for i in self._buckets if i >= oldest_kept), reverse=True)
        total = sum(self._buckets[i][_ELIGIBLE] for i in newest_first)
        first = self.first_send_at if self.first_send_at is not None else now
        history_start = max(first, oldest_kept * settings.bucket_seconds)
        typical_daily = total / max(1.0, (now - history_start) / DAY_SECONDS)
        wanted = round(typical_daily * settings.representative_days)
        representative = min(settings.maximum_volume, max(settings.minimum_volume, wanted))
        window = self._newest_totals(newest_first, representative, now)
        recent = self._newest_totals(newest_first, window.eligible * settings.trend_fraction, now)
        return ReputationMetrics(window, recent, representative, settings.minimum_volume)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": _FORMAT_VERSION,
            "bucketSeconds": self.settings.bucket_seconds,
            "baseline": self.baseline,
            "firstSendAt": self.first_send_at,
            "buckets": [[index, *counts] for index, counts in sorted(self._buckets.items())],
        }

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], settings: ReputationSettings | None = None
    ) -> ReputationHistory:
        """Load a stored history; buckets stored at another width are regrouped into the current one."""
        if data.get("version") != _FORMAT_VERSION:
            raise ValueError(f"unknown reputation history format: {data.get('version')!r}")
        history = cls(settings, baseline=data["baseline"])
        history.first_send_at = data["firstSendAt"]
        stored_width = int(data["bucketSeconds"])
        width = history.settings.bucket_seconds
        for index, *counts in data["buckets"]:
            regrouped = int(index) * stored_width // width
            bucket = history._buckets.setdefault(regrouped, [0, 0, 0, 0])
            for field, value in enumerate(counts):
                bucket[field] += int(value)
        history._newest = max(history._buckets, default=None)
        return history

    def _add(self, sent_at: float, field: int, count: int) -> bool:
        bucket = self._bucket(sent_at, create=False)
        if bucket is None or count <= 0:
            return False
        bucket[field] += count
        return True

    def _bucket(self, sent_at: float, *, create: bool) -> list[int] | None:
        """The bucket of `sent_at`; a bounce or complaint never creates one (its message was not counted)."""
        if self.baseline is not None and sent_at < self.baseline:
            return None
        index = int(sent_at // self.settings.bucket_seconds)
        bucket = self._buckets.get(index)
        if bucket is not None or not create:
            return bucket
        newest = self._newest
        if newest is not None and index <= newest - self.settings.retained_buckets:
            return None
        bucket = self._buckets[index] = [0, 0, 0, 0]
        if newest is None or index > newest:
            self._newest = index
            self._forget_before(index - self.settings.retained_buckets + 1)
        return bucket

    def _forget_before(self, oldest_kept: int) -> None:
        """Runs when a new newest bucket opens (once per bucket width), so O(1) per event amortised."""
        if any(index < oldest_kept for index in self._buckets):
            self._buckets = {i: counts for i, counts in self._buckets.items() if i >= oldest_kept}

    def _newest_totals(self, newest_first: Iterable[int], volume: float, now: float) -> WindowTotals:
        eligible = bounces = feedback = complaints = 0.0
        oldest: int | None = None
        share = 1.0
        for index in newest_first:
            needed = volume - eligible
            if needed <= 0:
                break
            oldest = index
            bucket_eligible, bucket_bounces, bucket_feedback, bucket_complaints = self._buckets[index]
            if bucket_eligible > needed:  # the oldest bucket of the window, taken in part
                share = needed / bucket_eligible
                eligible += needed
                bounces += bucket_bounces * share
                feedback += bucket_feedback * share
                complaints += bucket_complaints * share
                break
            eligible += bucket_eligible
            bounces += bucket_bounces
            feedback += bucket_feedback
            complaints += bucket_complaints
        return WindowTotals(eligible, bounces, feedback, complaints, self._start(oldest, share, now), now)

    def _start(self, oldest: int | None, share: float, now: float) -> float:
        """Where the window begins: `share` of the oldest bucket's time, counted back from its end."""
        if oldest is None:
            return now
        width = self.settings.bucket_seconds
        floor = self.first_send_at if self.first_send_at is not None else now
        begin = min(now, max(oldest * width, floor))
        end = max(begin, min((oldest + 1) * width, now))
        return end - share * (end - begin)
