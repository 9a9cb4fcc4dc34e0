"""The maximum send rate as SES applies it: a token bucket that allows a short burst and then goes into debt.

SES: "if your send rate quota is one message per second, and you send a message to five recipients at
once, Amazon SES lets you do that. For the next five seconds, though, Amazon will return errors for all
send attempts." A send is allowed while at least one whole token is available; it then takes one token
per recipient, which may leave the bucket negative.
"""

from __future__ import annotations

from postwarden.domain.decision import Decision, Rule
from postwarden.domain.model import RateBucket

RATE_EXCEEDED = "Maximum sending rate exceeded."


def bucket_capacity(max_send_rate: float, burst_seconds: float) -> float:
    return max(1.0, max_send_rate * burst_seconds)


def refill(bucket: RateBucket, now: float, max_send_rate: float, burst_seconds: float) -> RateBucket:
    elapsed = max(0.0, now - bucket.updated_at)
    tokens = min(bucket_capacity(max_send_rate, burst_seconds), bucket.tokens + elapsed * max_send_rate)
    return RateBucket(tokens=tokens, updated_at=max(now, bucket.updated_at))


def take(
    bucket: RateBucket, now: float, cost: int, max_send_rate: float, burst_seconds: float
) -> tuple[Decision, RateBucket]:
    """Take `cost` tokens (one per recipient) or refuse, returning the bucket to store either way."""
    current = refill(bucket, now, max_send_rate, burst_seconds)
    if cost == 0:
        return Decision.allow(), current
    if current.tokens < 1.0 - 1e-9:  # tolerate float rounding in the refill arithmetic
        wait = (1.0 - current.tokens) / max_send_rate if max_send_rate > 0 else float("inf")
        explanation = (
            f"send rate: {current.tokens:.2f} tokens available, 1 needed; the bucket refills at "
            f"{max_send_rate:g} recipients per second (capacity "
            f"{bucket_capacity(max_send_rate, burst_seconds):g}); next send possible in {wait:.2f} s"
        )
        return (
            Decision.refuse(
                Rule.SEND_RATE,
                RATE_EXCEEDED,
                explanation,
                measured=round(current.tokens, 3),
                limit=max_send_rate,
                window="1 second",
            ),
            current,
        )
    return Decision.allow(), RateBucket(tokens=current.tokens - cost, updated_at=current.updated_at)
