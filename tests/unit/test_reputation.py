from __future__ import annotations

import json

import pytest

from postwarden.domain.delivery import BounceSubType as Sub
from postwarden.domain.delivery import BounceType as Kind
from postwarden.domain.reputation import (
    DAY_SECONDS,
    Eligibility,
    Metric,
    ReputationHistory,
    ReputationSettings,
    classify,
    counts_as_hard_bounce,
)

T0 = 1_780_012_800.0  # a UTC midnight
DAY = DAY_SECONDS
HARD = (Kind.PERMANENT, Sub.GENERAL)


def send_days(
    history: ReputationHistory,
    first_day: int,
    days: int,
    per_day: int,
    *,
    bounces_per_1000: int = 0,
    complaints_per_1000: int = 0,
    eligibility: Eligibility = Eligibility.FEEDBACK,
) -> None:
    """`per_day` messages a day, one every 30 s from midnight; hard bounces and complaints spread evenly."""
    for day in range(first_day, first_day + days):
        for i in range(per_day):
            sent = T0 + day * DAY + i * 30
            history.record_send(sent, eligibility)
            if i % 1000 < bounces_per_1000:
                history.record_bounce(sent, eligibility, *HARD)
            if (i + 500) % 1000 < complaints_per_1000:
                history.record_complaint(sent, eligibility)


def end_of(day: int) -> float:
    return T0 + (day + 1) * DAY - 1


def test_which_recipients_count() -> None:
    assert classify() is Eligibility.ELIGIBLE
    assert classify(feedback_loop=True) is Eligibility.FEEDBACK
    for excluded in ({"simulator": True}, {"verified_domain": True}, {"account_suppressed": True}):
        assert classify(feedback_loop=True, **excluded) is Eligibility.EXCLUDED


@pytest.mark.parametrize(
    ("kind", "sub", "counts"),
    [
        (Kind.PERMANENT, Sub.GENERAL, True),
        (Kind.PERMANENT, Sub.NO_EMAIL, True),
        (Kind.PERMANENT, Sub.SUPPRESSED, True),
        (Kind.PERMANENT, Sub.ON_ACCOUNT_SUPPRESSION_LIST, False),
        (Kind.TRANSIENT, Sub.GENERAL, False),
        (Kind.TRANSIENT, Sub.MAILBOX_FULL, False),
        (Kind.UNDETERMINED, Sub.UNDETERMINED, False),
    ],
)
def test_only_hard_bounces_count_and_not_the_account_list(kind: Kind, sub: Sub, counts: bool) -> None:
    assert counts_as_hard_bounce(kind, sub) is counts
    history = ReputationHistory()
    history.record_send(T0, Eligibility.ELIGIBLE)
    assert history.record_bounce(T0, Eligibility.ELIGIBLE, kind, sub) is counts


def test_bounce_rate_counts_hard_bounces_over_eligible_messages() -> None:
    history = ReputationHistory()
    for i in range(1000):
        sent = T0 + i
        history.record_send(sent, Eligibility.ELIGIBLE)
        if i < 30:
            history.record_bounce(sent, Eligibility.ELIGIBLE, *HARD)
        elif i < 40:
            history.record_bounce(sent, Eligibility.ELIGIBLE, Kind.TRANSIENT, Sub.MAILBOX_FULL)
        elif i < 45:
            history.record_bounce(sent, Eligibility.ELIGIBLE, Kind.PERMANENT, Sub.SUPPRESSED)
    metrics = history.measure(T0 + 2 * 3600)
    assert metrics.window.eligible == 1000
    assert metrics.bounce_rate == pytest.approx(0.035)
    assert metrics.judged(Metric.BOUNCE)
    assert metrics.window.describe() == "1,000 eligible messages over 2.0 hours"


def test_excluded_mail_changes_nothing() -> None:
    history = ReputationHistory()
    send_days(history, 0, 3, 500, bounces_per_1000=10)
    before = history.measure(end_of(2))
    for i in range(2000):
        sent = T0 + DAY + i
        for excluded in (classify(verified_domain=True), classify(simulator=True)):
            history.record_send(sent, excluded)
            assert not history.record_bounce(sent, excluded, *HARD)
            assert not history.record_complaint(sent, excluded)
    assert history.measure(end_of(2)) == before


def test_complaint_rate_is_over_mail_to_feedback_loop_domains_only() -> None:
    history = ReputationHistory()
    send_days(history, 0, 1, 1000, eligibility=Eligibility.ELIGIBLE)
    send_days(history, 1, 1, 1000, complaints_per_1000=3, eligibility=Eligibility.FEEDBACK)
    sent = T0 + 10
    assert not history.record_complaint(sent, Eligibility.ELIGIBLE)
    assert not history.record_complaint(sent, Eligibility.FEEDBACK, on_account_suppression_list=True)
    metrics = history.measure(end_of(1))
    assert metrics.window.eligible == 2000
    assert metrics.window.feedback_eligible == 1000
    assert metrics.complaint_rate == pytest.approx(0.003)
    assert metrics.window.describe(Metric.COMPLAINT).startswith("1,000 eligible messages to feedback-loop")


def test_the_window_is_a_representative_volume_between_floor_and_ceiling() -> None:
    small = ReputationHistory()
    send_days(small, 0, 1, 5)
    metrics = small.measure(end_of(0))
    assert metrics.representative_volume == 200
    assert not metrics.judged(Metric.BOUNCE)

    steady = ReputationHistory()
    send_days(steady, 0, 60, 1000)
    metrics = steady.measure(end_of(59))
    assert metrics.representative_volume == 30_000
    assert metrics.window.eligible == pytest.approx(30_000)
    assert metrics.window.describe() == "30,000 eligible messages over 30.0 days"
    assert metrics.recent.eligible == pytest.approx(7_500)

    large = ReputationHistory()
    send_days(large, 0, 14, 2880, eligibility=Eligibility.ELIGIBLE)  # a message every 30 s, all day
    metrics = large.measure(end_of(13))
    assert metrics.representative_volume == 2880 * 30
    assert metrics.window.eligible == 2880 * 14  # less history than that: all of it
    capped = ReputationHistory(ReputationSettings(maximum_volume=10_000))
    send_days(capped, 0, 14, 2880, eligibility=Eligibility.ELIGIBLE)
    metrics = capped.measure(end_of(13))
    assert metrics.representative_volume == 10_000
    assert metrics.window.eligible == pytest.approx(10_000)
    assert metrics.window.days == pytest.approx(10_000 / 2880, rel=1e-3)  # the oldest day taken in part


def test_bad_mail_leaves_the_window_as_newer_mail_arrives() -> None:
    history = ReputationHistory()
    send_days(history, 0, 30, 1000, bounces_per_1000=100)
    assert history.measure(end_of(29)).bounce_rate == pytest.approx(0.10)
    send_days(history, 30, 15, 1000)
    assert history.measure(end_of(44)).bounce_rate == pytest.approx(0.05, rel=0.01)
    send_days(history, 45, 16, 1000)
    assert history.measure(end_of(60)).bounce_rate == pytest.approx(0.0)


def test_a_late_bounce_lands_where_its_message_sits_in_the_window() -> None:
    history = ReputationHistory(ReputationSettings(maximum_volume=10_000))
    send_days(history, 0, 20, 1000, eligibility=Eligibility.ELIGIBLE)
    now = end_of(19)
    assert history.measure(now).bounce_rate == 0.0
    old_message = T0 + 5 * DAY + 60  # 15 days ago: outside the newest 10,000 messages
    assert history.record_bounce(old_message, Eligibility.ELIGIBLE, *HARD, count=50)
    assert history.measure(now).bounce_rate == 0.0
    assert history.record_bounce(T0 + 18 * DAY + 60, Eligibility.ELIGIBLE, *HARD, count=50)
    assert history.measure(now).bounce_rate == pytest.approx(0.005)


def test_feedback_without_a_counted_message_is_ignored() -> None:
    history = ReputationHistory()
    send_days(history, 0, 1, 300)
    assert not history.record_bounce(T0 + 3 * DAY, Eligibility.ELIGIBLE, *HARD)  # no mail sent that day
    assert not history.record_bounce(T0 - 200 * DAY, Eligibility.ELIGIBLE, *HARD)
    assert history.measure(end_of(3)).bounce_rate == 0.0


def test_history_is_bounded_and_old_events_are_forgotten() -> None:
    history = ReputationHistory(ReputationSettings(retained_buckets=10))
    send_days(history, 0, 40, 20, bounces_per_1000=1000)
    assert len(history.to_json()["buckets"]) == 10
    history.record_send(T0 + 5 * DAY, Eligibility.ELIGIBLE)  # older than the retained history
    assert len(history.to_json()["buckets"]) == 10
    metrics = history.measure(end_of(39))
    assert metrics.window.eligible == 200
    assert metrics.window.days == pytest.approx(10, rel=0.01)
    assert history.measure(end_of(60)).window.eligible == 0  # a long silence: everything expired


def test_reset_measures_only_mail_sent_afterwards() -> None:
    history = ReputationHistory()
    send_days(history, 0, 3, 1000, bounces_per_1000=120)
    reset_at = T0 + 3 * DAY + 3600
    history.reset(reset_at)
    assert history.measure(reset_at).window.eligible == 0
    assert not history.record_bounce(T0 + 2 * DAY, Eligibility.ELIGIBLE, *HARD)  # late, from before
    history.record_send(reset_at - 1, Eligibility.ELIGIBLE)
    for i in range(300):
        history.record_send(reset_at + i, Eligibility.ELIGIBLE)
    metrics = history.measure(reset_at + 600)
    assert metrics.window.eligible == 300
    assert metrics.bounce_rate == 0.0
    assert metrics.window.start == reset_at


def test_json_round_trip() -> None:
    history = ReputationHistory()
    send_days(history, 0, 40, 700, bounces_per_1000=30, complaints_per_1000=2)
    history.reset(end_of(40))
    send_days(history, 41, 5, 700, bounces_per_1000=30, complaints_per_1000=2)
    stored = json.loads(json.dumps(history.to_json()))
    loaded = ReputationHistory.from_json(stored)
    assert loaded.to_json() == history.to_json()
    assert loaded.measure(end_of(45)) == history.measure(end_of(45))
    loaded.record_send(end_of(45), Eligibility.ELIGIBLE)
    assert loaded.measure(end_of(45)).window.eligible == 3501


def test_a_history_stored_at_another_bucket_width_is_regrouped() -> None:
    hourly = ReputationHistory(ReputationSettings(bucket_seconds=3600, retained_buckets=24 * 90))
    send_days(hourly, 0, 10, 1000, bounces_per_1000=40)
    daily = ReputationHistory.from_json(hourly.to_json())
    assert len(daily.to_json()["buckets"]) == 10
    assert daily.measure(end_of(9)).bounce_rate == pytest.approx(0.04)
    assert daily.measure(end_of(9)).window.eligible == 10_000


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="format"):
        ReputationHistory.from_json({"version": 99})
    with pytest.raises(ValueError):
        ReputationSettings(minimum_volume=500, maximum_volume=100)
    with pytest.raises(ValueError):
        ReputationSettings(trend_fraction=1.0)
