from __future__ import annotations

import json
import math

import pytest

from postwarden.domain.delivery import BounceSubType, BounceType
from postwarden.domain.enforcement import EnforcementState, assess
from postwarden.domain.model import UNLIMITED, EnforcementStatus, SendingLimits
from postwarden.domain.quota_growth import (
    DailyPeakUsage,
    QuotaChange,
    QuotaDecision,
    QuotaGrowthSettings,
    review_quota,
)
from postwarden.domain.reputation import DAY_SECONDS, Eligibility, ReputationHistory
from tests.support.fakes import FakeClock

DAY = DAY_SECONDS
DEFAULT = SendingLimits(50_000, 14.0)
HEALTHY, PROBATION = EnforcementStatus.HEALTHY, EnforcementStatus.PROBATION


def hits(i: int, rate: float) -> bool:
    return math.floor((i + 1) * rate + 1e-9) > math.floor(i * rate + 1e-9)


class Account:
    """A production account sending one batch a day; reputation, enforcement and quota reviewed daily."""

    def __init__(self, limits: SendingLimits = DEFAULT) -> None:
        self.clock = FakeClock()
        self.limits = limits
        self.history = ReputationHistory()
        self.usage = DailyPeakUsage()
        self.enforcement = EnforcementState()
        self.decisions: list[QuotaDecision] = []

    def day(self, recipients: int, *, bounce_rate: float = 0.0, complaint_rate: float = 0.0) -> QuotaDecision:
        start = self.clock.now()
        for i in range(recipients):
            sent = start + i * 0.5
            eligibility = Eligibility.FEEDBACK if i % 2 else Eligibility.ELIGIBLE
            self.history.record_send(sent, eligibility)
            if hits(i, bounce_rate):
                self.history.record_bounce(sent, eligibility, BounceType.PERMANENT, BounceSubType.GENERAL)
            if eligibility is Eligibility.FEEDBACK and hits(i // 2, complaint_rate):
                self.history.record_complaint(sent, eligibility)
        self.usage.record(start + recipients * 0.5, recipients)  # the day's peak of SentLast24Hours
        self.clock.advance(DAY)
        return self.review()

    def review(self, status: EnforcementStatus | None = None) -> QuotaDecision:
        now = self.clock.now()
        metrics = self.history.measure(now)
        self.enforcement = assess(self.enforcement, metrics, now).state
        decision = review_quota(
            limits=self.limits,
            production_access=True,
            status=status or self.enforcement.status,
            metrics=metrics,
            usage=self.usage,
            production_default=DEFAULT,
            now=now,
        )
        if decision.change is not QuotaChange.NONE:
            self.limits = decision.new
            self.usage.note_change(now)
        self.decisions.append(decision)
        return decision

    @property
    def changes(self) -> list[tuple[QuotaChange, SendingLimits]]:
        return [(d.change, d.new) for d in self.decisions if d.change is not QuotaChange.NONE]


def test_a_clean_sender_near_its_quota_stays_healthy_and_gets_increases() -> None:
    account = Account()
    for _ in range(10):
        account.day(42_000, bounce_rate=0.005, complaint_rate=0.0002)
    assert account.changes == [(QuotaChange.INCREASE, SendingLimits(100_000, 21.0))]
    raised = next(d for d in account.decisions if d.change is QuotaChange.INCREASE)
    assert account.decisions.index(raised) == 2  # on the third day near the quota
    assert "on 3 of the last 7 days" in raised.explanation
    assert "bounce rate 0.50% over" in raised.explanation
    assert [c.met for c in raised.criteria] == [True, True, True]
    for _ in range(5):
        account.day(85_000, bounce_rate=0.005)
    assert account.changes[-1] == (QuotaChange.INCREASE, SendingLimits(200_000, 31.5))
    assert account.enforcement.status is HEALTHY


def test_two_busy_days_in_seven_are_not_enough() -> None:
    account = Account()
    for load in (45_000, 10_000, 10_000, 45_000, 10_000, 10_000, 10_000):
        decision = account.day(load)
    assert account.changes == []
    assert decision.criteria[0].value == 2
    assert "on 2 of the last 7 days" in decision.explanation
    for load in (10_000, 10_000, 45_000):
        account.day(load)
    assert account.changes == []  # the first busy day has left the last 7 days


def test_bounces_or_complaints_above_best_practice_prevent_an_increase() -> None:
    bouncing = Account()
    for _ in range(4):
        decision = bouncing.day(42_000, bounce_rate=0.03)
    assert bouncing.changes == []
    assert "bounce rate 3.00%" in decision.explanation and "below 2.00%" in decision.explanation
    assert [c.met for c in decision.criteria] == [True, False, True]

    complaining = Account()
    for _ in range(4):
        decision = complaining.day(42_000, complaint_rate=0.0008)
    assert complaining.changes == []
    assert complaining.enforcement.status is HEALTHY
    assert [c.met for c in decision.criteria] == [True, True, False]
    assert "complaint rate 0.076%" in decision.explanation  # 16 complaints per 21,000


def test_too_little_eligible_mail_to_judge_prevents_an_increase() -> None:
    account = Account(SendingLimits(70, 1.0))
    for _ in range(3):
        decision = account.day(60)
    assert account.changes == []
    assert [c.met for c in decision.criteria] == [True, False, True]
    assert "too little volume to judge the bounce rate" in decision.explanation


def test_probation_lowers_the_limits_a_step_at_a_time_never_below_the_default() -> None:
    account = Account(SendingLimits(400_000, 47.25))
    account.day(10_000)
    decision = account.review(status=PROBATION)
    assert decision.change is QuotaChange.DECREASE
    assert decision.new == SendingLimits(200_000, 31.5)
    assert "enforcement status is PROBATION" in decision.explanation
    assert account.review(status=PROBATION).change is QuotaChange.NONE  # not again within 7 days
    account.clock.advance(7 * DAY)
    assert account.review(status=PROBATION).new == SendingLimits(100_000, 21.0)
    account.clock.advance(7 * DAY)
    assert account.review(status=PROBATION).new == DEFAULT
    account.clock.advance(7 * DAY)
    last = account.review(status=PROBATION)
    assert last.change is QuotaChange.NONE and "not above the production default" in last.explanation


def test_increases_stop_at_the_cap() -> None:
    settings = QuotaGrowthSettings(max_24_hour_send_cap=120_000, max_send_rate_cap=20.0)
    account = Account()
    for _ in range(3):
        account.day(42_000)
    now = account.clock.now()
    metrics = account.history.measure(now)
    heavy = DailyPeakUsage()
    for day in range(3):
        heavy.record(now - day * DAY, 110_000)

    def review(limits: SendingLimits, usage: DailyPeakUsage) -> QuotaDecision:
        return review_quota(
            limits=limits, production_access=True, status=HEALTHY, metrics=metrics, usage=usage,
            production_default=DEFAULT, now=now, settings=settings,
        )  # fmt: skip

    assert review(DEFAULT, account.usage).new == SendingLimits(100_000, 20.0)
    assert review(SendingLimits(50_000, 25.0), account.usage).new == SendingLimits(100_000, 25.0)  # kept
    assert review(SendingLimits(80_000, 20.0), heavy).new == SendingLimits(120_000, 20.0)
    at_cap = review(SendingLimits(120_000, 20.0), heavy)
    assert at_cap.change is QuotaChange.NONE
    assert "cap of automatic increases" in at_cap.explanation


def test_sandbox_and_unlimited_accounts_never_change() -> None:
    account = Account()
    for _ in range(3):
        account.day(42_000)
    now = account.clock.now()
    metrics = account.history.measure(now)
    sandbox = review_quota(
        limits=DEFAULT, production_access=False, status=HEALTHY, metrics=metrics, usage=account.usage,
        production_default=DEFAULT, now=now,
    )  # fmt: skip
    assert sandbox.change is QuotaChange.NONE and "sandbox" in sandbox.explanation
    unlimited = review_quota(
        limits=SendingLimits(UNLIMITED, 14.0), production_access=True, status=HEALTHY, metrics=metrics,
        usage=account.usage, production_default=DEFAULT, now=now,
    )  # fmt: skip
    assert unlimited.change is QuotaChange.NONE and "unlimited" in unlimited.explanation


def test_daily_peak_usage_keeps_the_maximum_per_day_for_the_lookback_only() -> None:
    usage = DailyPeakUsage(lookback_days=3)
    t = 1_780_012_800.0
    usage.record(t + 10, 5)
    usage.record(t + 20, 9)
    usage.record(t + 30, 7)
    assert list(usage.peaks(t + 40).values()) == [9]
    for day in range(1, 6):
        usage.record(t + day * DAY, 100 + day)
    assert list(usage.peaks(t + 5 * DAY).values()) == [103, 104, 105]
    usage.record(t, 1_000)  # a day already outside the lookback
    assert list(usage.peaks(t + 5 * DAY).values()) == [103, 104, 105]
    assert usage.peaks(t + 7 * DAY) == {int(t // DAY) + 5: 105}
    assert len(usage.to_json()["peaks"]) == 3


def test_daily_peak_usage_round_trips_through_json() -> None:
    usage = DailyPeakUsage()
    t = 1_780_012_800.0
    for day in range(10):
        usage.record(t + day * DAY, 1000 * day)
    usage.note_change(t + 9 * DAY)
    loaded = DailyPeakUsage.from_json(json.loads(json.dumps(usage.to_json())))
    assert loaded.peaks(t + 9 * DAY) == usage.peaks(t + 9 * DAY)
    assert loaded.last_change_at == t + 9 * DAY
    assert loaded.to_json() == usage.to_json()


def test_decisions_serialise() -> None:
    account = Account()
    for _ in range(3):
        decision = account.day(42_000)
    record = json.loads(json.dumps(decision.as_record()))
    assert record["change"] == "increase"
    assert record["new"] == {"max24HourSend": 100_000, "maxSendRate": 21.0}
    assert [c["name"] for c in record["criteria"]] == ["days near quota", "bounce rate", "complaint rate"]


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        QuotaGrowthSettings(quota_step=1.0)
    with pytest.raises(ValueError):
        QuotaGrowthSettings(days_near_quota=8)
