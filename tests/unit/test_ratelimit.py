from __future__ import annotations

from postwarden.domain.decision import Rule
from postwarden.domain.model import RateBucket
from postwarden.domain.policy import ratelimit


def full(rate: float, at: float = 0.0) -> RateBucket:
    return RateBucket(tokens=ratelimit.bucket_capacity(rate, 1.0), updated_at=at)


def test_one_per_second_allows_one_then_refuses_until_a_token_refills() -> None:
    bucket = full(1.0)
    ok, bucket = ratelimit.take(bucket, 0.0, 1, 1.0, 1.0)
    assert ok.allowed
    refused, bucket = ratelimit.take(bucket, 0.5, 1, 1.0, 1.0)
    assert not refused.allowed
    assert refused.rule is Rule.SEND_RATE
    assert refused.message == "Maximum sending rate exceeded."
    assert refused.limit == 1.0
    assert refused.window == "1 second"
    ok, _ = ratelimit.take(bucket, 1.0, 1, 1.0, 1.0)
    assert ok.allowed


def test_five_recipients_at_one_per_second_block_the_next_five_seconds() -> None:
    ok, bucket = ratelimit.take(full(1.0), 0.0, 5, 1.0, 1.0)
    assert ok.allowed and bucket.tokens == -4.0
    for t in (0.1, 1.0, 2.0, 3.0, 4.0, 4.99):
        refused, bucket = ratelimit.take(bucket, t, 1, 1.0, 1.0)
        assert not refused.allowed, t
    ok, _ = ratelimit.take(bucket, 5.0, 1, 1.0, 1.0)
    assert ok.allowed


def test_a_burst_up_to_the_capacity_then_debt() -> None:
    bucket = full(14.0)
    for _ in range(14):
        ok, bucket = ratelimit.take(bucket, 10.0, 1, 14.0, 1.0)
        assert ok.allowed
    refused, bucket = ratelimit.take(bucket, 10.0, 1, 14.0, 1.0)
    assert not refused.allowed
    ok, _ = ratelimit.take(bucket, 10.0 + 1 / 14, 1, 14.0, 1.0)
    assert ok.allowed


def test_a_refused_send_takes_no_tokens_and_the_bucket_never_overfills() -> None:
    bucket = RateBucket(tokens=0.5, updated_at=0.0)
    refused, after = ratelimit.take(bucket, 0.0, 1, 1.0, 1.0)
    assert not refused.allowed and after.tokens == 0.5
    _, idle = ratelimit.take(full(2.0), 1000.0, 0, 2.0, 1.0)
    assert idle.tokens == 2.0


def test_the_explanation_names_the_wait() -> None:
    _, bucket = ratelimit.take(full(1.0), 0.0, 3, 1.0, 1.0)
    refused, _ = ratelimit.take(bucket, 0.0, 1, 1.0, 1.0)
    assert "next send possible in 3.00 s" in refused.explanation
