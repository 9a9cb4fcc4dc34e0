from __future__ import annotations

import json
import math

import pytest

from postwarden.domain.delivery import BounceSubType as Sub
from postwarden.domain.delivery import BounceType as Kind
from postwarden.domain.enforcement import (
    Assessment,
    EnforcementSettings,
    EnforcementState,
    Severity,
    assess,
    forecast,
    reinstate,
)
from postwarden.domain.model import EnforcementStatus
from postwarden.domain.reputation import DAY_SECONDS, Eligibility, Metric, ReputationHistory, classify
from tests.support.fakes import FakeClock

HEALTHY = EnforcementStatus.HEALTHY
PROBATION = EnforcementStatus.PROBATION
SHUTDOWN = EnforcementStatus.SHUTDOWN
DAY = DAY_SECONDS
WEEK = 7 * DAY


def hits(i: int, rate: float) -> bool:
    """Spread `rate` evenly: True for exactly round(n * rate) of the first n indexes."""
    return math.floor((i + 1) * rate + 1e-9) > math.floor(i * rate + 1e-9)


class Sender:
    """One (account, region) driven through whole days with a fake clock, assessed after each day."""

    def __init__(self, settings: EnforcementSettings | None = None) -> None:
        self.clock = FakeClock()
        self.history = ReputationHistory()
        self.state = EnforcementState()
        self.settings = settings
        self.assessments: list[Assessment] = []

    def day(
        self,
        messages: int,
        *,
        bounce_rate: float = 0.0,
        complaint_rate: float = 0.0,
        eligibility: Eligibility = Eligibility.FEEDBACK,
        bounce: tuple[Kind, Sub] = (Kind.PERMANENT, Sub.GENERAL),
    ) -> Assessment:
        start = self.clock.now()
        for i in range(messages):
            sent = start + i * DAY / max(messages, 1)
            self.history.record_send(sent, eligibility)
            if hits(i, bounce_rate):
                self.history.record_bounce(sent, eligibility, *bounce)
            if hits(i, complaint_rate):
                self.history.record_complaint(sent, eligibility)
        self.clock.advance(DAY)
        return self.assess()

    def assess(self) -> Assessment:
        now = self.clock.now()
        assessment = assess(self.state, self.history.measure(now), now, self.settings)
        self.state = assessment.state
        self.assessments.append(assessment)
        return assessment

    @property
    def transitions(self) -> list[tuple[EnforcementStatus, EnforcementStatus]]:
        return [(a.transition.previous, a.transition.new) for a in self.assessments if a.transition]


def test_a_clean_sender_stays_healthy() -> None:
    sender = Sender()
    for _ in range(60):
        assessment = sender.day(1000, bounce_rate=0.01, complaint_rate=0.0005)
        assert assessment.status is HEALTHY
        assert assessment.forecasts == ()
    assert sender.transitions == []
    bounce = assessment.reading(Metric.BOUNCE)
    assert bounce.severity is Severity.HEALTHY
    assert bounce.value == pytest.approx(0.01, rel=0.01)  # the oldest day is taken in part
    assert bounce.window == "30,000 eligible messages over 30.0 days"


def test_six_percent_bounces_put_the_account_on_probation_then_pause_it_when_the_review_ends() -> None:
    sender = Sender()
    first = sender.day(1000, bounce_rate=0.06)
    assert first.status is PROBATION
    transition = first.transition
    assert transition is not None
    assert (transition.previous, transition.new) == (HEALTHY, PROBATION)
    assert transition.metric is Metric.BOUNCE
    assert transition.value == pytest.approx(0.06)
    assert transition.threshold == 0.05
    assert transition.window == "1,000 eligible messages over 1.0 days"
    assert "6.00%" in transition.reason and "review threshold 5.00%" in transition.reason
    assert "below 5.00%" in transition.remedy and "10.00%" in transition.remedy
    assert first.state.review_ends_at == sender.clock.now() + WEEK
    assert first.state.review_metric is Metric.BOUNCE

    for _ in range(6):
        assert sender.day(1000, bounce_rate=0.06).transition is None
    assert sender.state.status is PROBATION
    ended = sender.day(1000, bounce_rate=0.06)
    assert ended.status is SHUTDOWN
    assert ended.transition is not None
    assert "the review ended" in ended.transition.reason and "still at or above" in ended.transition.reason
    assert "reinstates" in ended.transition.remedy
    for _ in range(40):
        assert sender.day(1000).status is SHUTDOWN  # clean mail does not lift a pause
    assert sender.transitions == [(HEALTHY, PROBATION), (PROBATION, SHUTDOWN)]


def test_probation_ends_healthy_when_the_rate_is_back_under_the_review_threshold() -> None:
    sender = Sender()
    sender.day(1000, bounce_rate=0.06)
    for _ in range(3):
        sender.day(1000)
    assert sender.history.measure(sender.clock.now()).bounce_rate < 0.05
    assert sender.state.status is PROBATION  # the review runs to its end
    for _ in range(4):
        sender.day(1000)
    assert sender.transitions == [(HEALTHY, PROBATION), (PROBATION, HEALTHY)]
    healed = sender.assessments[-1].transition
    assert healed is not None and healed.metric is Metric.BOUNCE and healed.threshold == 0.05
    assert "below the review threshold 5.00%" in healed.reason


def test_eleven_percent_pauses_at_once() -> None:
    sender = Sender()
    assessment = sender.day(1000, bounce_rate=0.11)
    assert assessment.status is SHUTDOWN
    assert assessment.transition is not None
    assert (assessment.transition.previous, assessment.transition.threshold) == (HEALTHY, 0.10)
    assert "pause threshold 10.00%" in assessment.transition.reason


def test_a_spike_during_probation_pauses_before_the_review_ends() -> None:
    sender = Sender()
    sender.day(1000, bounce_rate=0.06)
    sender.day(1000, bounce_rate=0.20)
    assert sender.transitions == [(HEALTHY, PROBATION), (PROBATION, SHUTDOWN)]


def test_two_tenths_of_a_percent_complaints_put_the_account_on_probation() -> None:
    sender = Sender()
    assessment = sender.day(2000, complaint_rate=0.002)
    assert assessment.status is PROBATION
    assert assessment.transition is not None
    assert assessment.transition.metric is Metric.COMPLAINT
    assert assessment.transition.threshold == 0.001
    assert assessment.transition.window.startswith("2,000 eligible messages to feedback-loop domains")
    assert assessment.reading(Metric.BOUNCE).severity is Severity.HEALTHY


def test_complaints_from_mail_to_domains_without_feedback_loops_count_nowhere() -> None:
    sender = Sender()
    assessment = sender.day(2000, complaint_rate=0.01, eligibility=Eligibility.ELIGIBLE)
    assert assessment.status is HEALTHY
    assert assessment.reading(Metric.COMPLAINT).severity is Severity.UNJUDGED


def test_bounces_to_verified_domains_and_simulator_traffic_change_nothing() -> None:
    clean, noisy = Sender(), Sender()
    for _ in range(10):
        clean.day(500, bounce_rate=0.01)
        noisy.day(500, bounce_rate=0.01)
        now = noisy.clock.now()
        for excluded in (classify(verified_domain=True), classify(simulator=True, feedback_loop=True)):
            for i in range(2000):
                sent = now - DAY + i
                noisy.history.record_send(sent, excluded)
                noisy.history.record_bounce(sent, excluded, Kind.PERMANENT, Sub.GENERAL)
                noisy.history.record_complaint(sent, excluded)
        assert noisy.assess() == clean.assessments[-1]
    assert noisy.state.status is HEALTHY


def test_the_volume_floor_prevents_enforcement_on_twenty_messages() -> None:
    sender = Sender()
    assessment = sender.day(20, bounce_rate=1.0, complaint_rate=1.0)
    assert assessment.status is HEALTHY
    assert {r.severity for r in assessment.readings} == {Severity.UNJUDGED}
    assert assessment.reading(Metric.BOUNCE).value == 1.0
    assert sender.day(180, bounce_rate=1.0).status is SHUTDOWN  # 200 messages: now judged


def test_on_account_suppression_list_sends_and_bounces_are_excluded() -> None:
    sender = Sender()
    suppressed = classify(account_suppressed=True)
    assert sender.day(5000, bounce_rate=1.0, eligibility=suppressed).status is HEALTHY
    assert sender.history.measure(sender.clock.now()).window.eligible == 0
    on_list = (Kind.PERMANENT, Sub.ON_ACCOUNT_SUPPRESSION_LIST)
    assessment = sender.day(1000, bounce_rate=0.5, bounce=on_list)
    assert assessment.status is HEALTHY
    assert assessment.reading(Metric.BOUNCE).value == 0.0


def test_a_reinstated_account_is_measured_only_on_mail_sent_afterwards() -> None:
    sender = Sender()
    old_send = sender.clock.now() + 60
    sender.day(1000, bounce_rate=0.12)
    assert sender.state.status is SHUTDOWN
    sender.clock.advance(3 * DAY)
    now = sender.clock.now()
    state, transition = reinstate(sender.state, sender.history, now, reason="appeal accepted (case 42)")
    sender.state = state
    assert state.status is HEALTHY
    assert (transition.previous, transition.new, transition.metric) == (SHUTDOWN, HEALTHY, None)
    assert transition.reason == "appeal accepted (case 42)"
    assert transition.window.startswith("mail sent from ")
    assert not sender.history.record_bounce(old_send, Eligibility.FEEDBACK, Kind.PERMANENT, Sub.GENERAL)
    assert sender.day(150, bounce_rate=0.2).status is HEALTHY  # under the floor again
    for _ in range(10):
        assert sender.day(1000, bounce_rate=0.01).status is HEALTHY
    assert sender.history.measure(sender.clock.now()).bounce_rate < 0.02


def test_the_forecast_warns_before_a_rising_rate_crosses_a_threshold() -> None:
    sender = Sender()
    for _ in range(30):
        sender.day(1000, bounce_rate=0.02)
    for _ in range(4):
        assessment = sender.day(1000, bounce_rate=0.08)
    assert assessment.status is HEALTHY
    (warning,) = assessment.forecasts
    metrics = sender.history.measure(sender.clock.now())
    window, newest = metrics.window, metrics.recent
    older = (window.bounces - newest.bounces) / (window.eligible - newest.eligible)
    expected = (0.05 - window.rate(Metric.BOUNCE)) * window.eligible / (newest.rate(Metric.BOUNCE) - older)
    assert warning.metric is Metric.BOUNCE and warning.severity is Severity.REVIEW
    assert warning.current == pytest.approx(0.028, rel=0.01)
    assert warning.newest == pytest.approx(0.052, rel=0.01)
    assert warning.messages_until == round(expected)
    assert warning.days_until == pytest.approx(warning.messages_until / 1000, rel=0.01)
    assert "reaches the review threshold 5.00%" in warning.message
    assert warning.window == "30,000 eligible messages over 30.0 days"

    assert warning.days_until is not None
    days = 0
    while sender.state.status is HEALTHY:
        sender.day(1000, bounce_rate=0.08)
        days += 1
    assert sender.state.status is PROBATION
    assert days <= warning.days_until + 1  # the trend did cross, within the forecast time
    probation = sender.day(1000, bounce_rate=0.3)
    assert probation.status is PROBATION
    assert [f.severity for f in probation.forecasts] == [Severity.PAUSE]


def test_no_forecast_for_a_steady_or_improving_sender() -> None:
    sender = Sender()
    for _ in range(20):
        sender.day(1000, bounce_rate=0.04)
    assert forecast(sender.history.measure(sender.clock.now())) == ()
    for _ in range(5):
        sender.day(1000, bounce_rate=0.0)
    assert sender.assessments[-1].forecasts == ()


def test_thresholds_and_review_period_are_settings() -> None:
    settings = EnforcementSettings(bounce_review_rate=0.03, bounce_pause_rate=0.2, review_period_seconds=DAY)
    sender = Sender(settings)
    assert sender.day(1000, bounce_rate=0.04).status is PROBATION
    assert sender.day(1000, bounce_rate=0.04).status is SHUTDOWN
    with pytest.raises(ValueError):
        EnforcementSettings(complaint_review_rate=0.01, complaint_pause_rate=0.005)


def test_state_and_transitions_serialise() -> None:
    sender = Sender()
    assessment = sender.day(1000, bounce_rate=0.06)
    stored = json.loads(json.dumps(assessment.state.to_json()))
    assert EnforcementState.from_json(stored) == assessment.state
    assert EnforcementState.from_json(EnforcementState().to_json()) == EnforcementState()
    assert assessment.transition is not None
    record = json.loads(json.dumps(assessment.transition.as_record()))
    assert record["metric"] == "bounce" and record["new"] == "PROBATION" and record["threshold"] == 0.05
