"""Replay generated sends, bounces and complaints through the pure reputation and enforcement domain.

Run: ``python benchmarks/reputation_replay.py [--events 1000000] [--days 120] [--assess-every 1000]``.

One (account, region) sends around the clock for ``--days`` simulated days; the volume is chosen so that
sends plus their feedback make ``--events`` events. 92 % of the recipients are eligible (60 % at
feedback-loop domains), the rest go to verified domains or the simulator. 2 % of the messages bounce
(85 % hard, 10 % transient, 5 % OnAccountSuppressionList) minutes after sending, 0.03 % of the
feedback-loop mail draws a complaint hours to days later; from day ``--bad-from`` for ``--bad-days`` days
the bounce probability is ``--bad-bounce-rate``, so enforcement has something to do. When the account is
paused an operator reinstates it two simulated days later. Events are generated first (not timed) in
arrival order, so late feedback reaches the history after newer sends, as in production.

Prints the replay rate (events per second, assessments excluded), the time per assessment
(`ReputationHistory.measure` + `enforcement.assess`, forecast included) and per quota review, the size and
(de)serialisation time of the stored history, and every status transition.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import sys
import time
from array import array
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from postwarden.domain.delivery import BounceSubType, BounceType
from postwarden.domain.enforcement import EnforcementState, assess, reinstate
from postwarden.domain.model import EnforcementStatus, SendingLimits
from postwarden.domain.quota_growth import DailyPeakUsage, review_quota
from postwarden.domain.reputation import DAY_SECONDS, Eligibility, ReputationHistory

T0 = 1_780_012_800.0
SEND, BOUNCE, COMPLAINT = 0, 1, 2
ELIGIBILITY = (Eligibility.EXCLUDED, Eligibility.ELIGIBLE, Eligibility.FEEDBACK)
BOUNCES = (
    (BounceType.PERMANENT, BounceSubType.GENERAL),
    (BounceType.TRANSIENT, BounceSubType.MAILBOX_FULL),
    (BounceType.PERMANENT, BounceSubType.ON_ACCOUNT_SUPPRESSION_LIST),
)


class Events:
    def __init__(self) -> None:
        self.kind = array("b")
        self.arrival = array("d")
        self.sent_at = array("d")
        self.eligibility = array("b")
        self.bounce = array("b")

    def add(self, arrival: float, kind: int, sent_at: float, eligibility: int, bounce: int = 0) -> None:
        self.kind.append(kind)
        self.arrival.append(arrival)
        self.sent_at.append(sent_at)
        self.eligibility.append(eligibility)
        self.bounce.append(bounce)


def generate(args: argparse.Namespace) -> Events:
    rng = random.Random(args.seed)
    sends_per_second = args.events / 1.021 / (args.days * DAY_SECONDS)
    events, pending = Events(), list[tuple[float, int, float, int, int]]()
    t = T0
    while len(events.kind) < args.events:
        t += rng.expovariate(sends_per_second)
        while pending and pending[0][0] <= t and len(events.kind) < args.events:
            events.add(*heapq.heappop(pending))
        roll = rng.random()
        eligibility = 0 if roll < 0.08 else 2 if roll < 0.68 else 1
        events.add(t, SEND, t, eligibility)
        day = (t - T0) / DAY_SECONDS
        bad = args.bad_from <= day < args.bad_from + args.bad_days
        roll = rng.random()
        if roll < (args.bad_bounce_rate if bad else 0.02):
            pick = rng.random()
            bounce = 0 if pick < 0.85 else 1 if pick < 0.95 else 2
            heapq.heappush(pending, (t + rng.uniform(5, 1800), BOUNCE, t, eligibility, bounce))
        elif eligibility == 2 and roll > 1 - 0.0003:
            heapq.heappush(pending, (t + rng.uniform(3600, 3 * DAY_SECONDS), COMPLAINT, t, eligibility, 0))
    return events


def replay(events: Events, assess_every: int) -> None:
    history, state = ReputationHistory(), EnforcementState()
    usage, limits, default = DailyPeakUsage(), SendingLimits(50_000, 14.0), SendingLimits(50_000, 14.0)
    kind, arrival, sent_at, eligibility, bounce = (
        events.kind, events.arrival, events.sent_at, events.eligibility, events.bounce,
    )  # fmt: skip
    record_send, record_bounce, record_complaint = (
        history.record_send, history.record_bounce, history.record_complaint,
    )  # fmt: skip
    assessment_us: list[float] = []
    quota_us: list[float] = []
    transitions: list[str] = []
    reinstate_at: float | None = None
    perf = time.perf_counter
    outside = 0.0
    started = perf()
    for i in range(len(kind)):
        k = kind[i]
        if k == SEND:
            record_send(sent_at[i], ELIGIBILITY[eligibility[i]])
        elif k == BOUNCE:
            record_bounce(sent_at[i], ELIGIBILITY[eligibility[i]], *BOUNCES[bounce[i]])
        else:
            record_complaint(sent_at[i], ELIGIBILITY[eligibility[i]])
        if i % assess_every == assess_every - 1:
            paused = perf()
            now = arrival[i]
            metrics = history.measure(now)
            result = assess(state, metrics, now)
            measured = perf()
            review_quota(
                limits=limits, production_access=True, status=result.status, metrics=metrics,
                usage=usage, production_default=default, now=now,
            )  # fmt: skip
            reviewed = perf()
            assessment_us.append((measured - paused) * 1e6)
            quota_us.append((reviewed - measured) * 1e6)
            state = result.state
            if result.transition is not None:
                transitions.append(describe(result.transition.as_record(), now))
                if state.status is EnforcementStatus.SHUTDOWN:
                    reinstate_at = now + 2 * DAY_SECONDS
            if reinstate_at is not None and now >= reinstate_at:
                state, transition = reinstate(state, history, now)
                transitions.append(describe(transition.as_record(), now))
                reinstate_at = None
            outside += perf() - paused
    elapsed = perf() - started
    replay_s = elapsed - outside
    counts = [kind.count(SEND), kind.count(BOUNCE), kind.count(COMPLAINT)]
    days = (arrival[-1] - arrival[0]) / DAY_SECONDS
    print(f"events                 {len(kind):,} (sends {counts[0]:,}, bounces {counts[1]:,}, "
          f"complaints {counts[2]:,}) over {days:.1f} simulated days")  # fmt: skip
    print(f"replay                 {replay_s:.2f} s, {len(kind) / replay_s:,.0f} events/s, "
          f"{replay_s / len(kind) * 1e6:.2f} µs/event (assessments excluded)")  # fmt: skip
    print(f"assessments            {len(assessment_us):,}, one every {assess_every:,} events")
    print(f"measure + assess       {summary(assessment_us)}")
    print(f"quota review           {summary(quota_us)}")
    stored = history.to_json()
    encoded = json.dumps(stored)
    started = perf()
    for _ in range(100):
        json.dumps(history.to_json())
    dump_us = (perf() - started) / 100 * 1e6
    started = perf()
    for _ in range(100):
        ReputationHistory.from_json(json.loads(encoded))
    load_us = (perf() - started) / 100 * 1e6
    print(f"stored history         {len(encoded):,} bytes JSON ({len(stored['buckets'])} buckets), "
          f"to_json+dumps {dump_us:.0f} µs, loads+from_json {load_us:.0f} µs")  # fmt: skip
    print(f"transitions            {len(transitions)}")
    for line in transitions:
        print(f"  {line}")


def summary(samples_us: list[float]) -> str:
    ordered = sorted(samples_us)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"mean {statistics.fmean(ordered):.1f} µs, p50 {statistics.median(ordered):.1f} µs, p99 {p99:.1f} µs"
    )


def describe(record: dict[str, object], now: float) -> str:
    day = (now - T0) / DAY_SECONDS
    value = record["value"]
    rate = f" {record['metric']} {value * 100:.2f}%" if isinstance(value, float) else ""
    return f"day {day:6.2f}  {record['previous']} -> {record['new']}{rate} ({record['window']})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to replay (default 1000000)")
    parser.add_argument("--days", type=float, default=120.0, help="simulated days they span (default 120)")
    parser.add_argument("--assess-every", type=int, default=1000, help="events between assessments")
    parser.add_argument("--bad-from", type=float, default=60.0, help="first day of the bad period")
    parser.add_argument("--bad-days", type=float, default=10.0, help="length of the bad period in days")
    parser.add_argument("--bad-bounce-rate", type=float, default=0.2, help="bounce probability then")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    events = generate(args)
    print(f"generated in           {time.perf_counter() - started:.1f} s (not part of the replay)")
    replay(events, args.assess_every)


if __name__ == "__main__":
    main()
