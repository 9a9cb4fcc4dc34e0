"""The failed-login back-off and the connection cap."""

from __future__ import annotations

import pytest

from postwarden.smtp import limits
from postwarden.smtp.limits import AuthFailureThrottle, BackoffPolicy, ConnectionGate

POLICY = BackoffPolicy(first_delay=0.25, max_delay=5.0, per_connection=3, per_client=10, forget_after=900)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_the_delay_doubles_per_failure_from_one_client_and_is_bounded() -> None:
    throttle = AuthFailureThrottle(POLICY, Clock())
    delays = [throttle.failed("192.0.2.1", connection_failures=1).delay for _ in range(8)]
    assert delays == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_clients_are_counted_apart() -> None:
    throttle = AuthFailureThrottle(POLICY, Clock())
    for _ in range(4):
        throttle.failed("192.0.2.1", 1)
    assert throttle.failed("198.51.100.7", 1).delay == 0.25
    assert throttle.recent_failures("192.0.2.1") == 4


def test_a_connection_is_closed_after_three_failures() -> None:
    throttle = AuthFailureThrottle(POLICY, Clock())
    assert [throttle.failed("192.0.2.1", n).disconnect for n in (1, 2, 3)] == [False, False, True]


def test_a_client_that_keeps_failing_is_disconnected_on_every_failure() -> None:
    throttle = AuthFailureThrottle(POLICY, Clock())
    # New connections, one failure each: the tenth recent failure from the address closes too.
    outcomes = [throttle.failed("192.0.2.1", 1).disconnect for _ in range(12)]
    assert outcomes == [False] * 9 + [True] * 3


def test_failures_are_forgotten_after_a_quiet_period() -> None:
    clock = Clock()
    throttle = AuthFailureThrottle(POLICY, clock)
    for _ in range(6):
        throttle.failed("192.0.2.1", 1)
    clock.t += 901
    assert throttle.recent_failures("192.0.2.1") == 0
    assert throttle.failed("192.0.2.1", 1).delay == 0.25


def test_the_table_of_clients_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TRACKED_CLIENTS", 100)
    clock = Clock()
    throttle = AuthFailureThrottle(POLICY, clock)
    for i in range(100):
        throttle.failed(f"10.0.0.{i}", 1)
    clock.t += 901  # all of them are old now: they are dropped to make room
    throttle.failed("10.0.1.1", 1)
    assert throttle.recent_failures("10.0.0.1") == 0
    assert throttle.recent_failures("10.0.1.1") == 1
    for i in range(200):  # recent ones are dropped too rather than grow without bound
        throttle.failed(f"10.0.2.{i}", 1)
    assert throttle.recent_failures("10.0.2.199") == 1


class Connection:
    def __init__(self) -> None:
        self.closed = False

    def close_connection(self) -> None:
        self.closed = True


def test_the_gate_admits_up_to_the_limit_and_frees_places() -> None:
    gate = ConnectionGate(2)
    a, b, c = Connection(), Connection(), Connection()
    assert gate.enter(a) and gate.enter(b)
    assert not gate.enter(c)
    gate.leave(a)
    gate.leave(a)  # leaving twice (STARTTLS teardown) frees one place only
    assert gate.enter(c) and len(gate) == 2
    gate.close_all()
    assert b.closed and c.closed and not a.closed
