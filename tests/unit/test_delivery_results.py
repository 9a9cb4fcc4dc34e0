"""What one attempt's outcome becomes: the next try, or a bounce once the delivery time is used up."""

from __future__ import annotations

from typing import Any

from postwarden.domain.delivery import RetryPolicy, SmtpReply, TransientFailure
from postwarden.domain.events import EventType
from postwarden.ports import DueRecipient
from postwarden.services.delivery import DeliverySettings, DeliveryWorker
from tests.support.fakes import FakeClock

BUSY = TransientFailure("451 4.2.1 busy", SmtpReply(451, "4.2.1 busy"))


def worker(clock: FakeClock) -> DeliveryWorker:
    settings = DeliverySettings(retry=RetryPolicy(60, 2, 3600, 43_200), reporting_mta="mta.test")
    unused: Any = None  # result_for touches neither the store nor the transport
    return DeliveryWorker(unused, unused, clock, settings)


def due(accepted_at: float, attempts: int = 0) -> DueRecipient:
    return DueRecipient(
        1, "lease", "msg", "111122223333", "us-east-1", "a@x.org", "x.org", attempts, accepted_at, None
    )


def test_a_temporary_failure_is_retried_with_a_delay_event() -> None:
    clock = FakeClock(1000.0)
    result = worker(clock).result_for(due(1000.0), BUSY)
    assert result.next_attempt_at == 1060.0
    assert [e.event_type for e in result.events] == [EventType.DELIVERY_DELAY]


def test_the_configuration_sets_max_delivery_seconds_replaces_the_default() -> None:
    clock = FakeClock(1000.0 + 301)
    short = worker(clock).result_for(due(1000.0, attempts=3), BUSY, max_delivery_seconds=300)
    assert short.next_attempt_at is None
    (bounce,) = short.events
    assert bounce.event_type is EventType.BOUNCE
    assert (bounce.detail["bounceType"], bounce.detail["bounceSubType"]) == ("Transient", "General")
    default = worker(clock).result_for(due(1000.0, attempts=3), BUSY)
    assert default.next_attempt_at is not None
