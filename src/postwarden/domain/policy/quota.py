"""The daily sending quota over a rolling 24-hour window, counted per recipient.

SES accepts a call "as long as the total number of emails that you have sent in the past 24 hours is less
than this daily maximum", so a multi-recipient message is accepted while any quota remains.
"""

from __future__ import annotations

from postwarden.domain.decision import Decision, Rule
from postwarden.domain.model import UNLIMITED, DailyUsage

DAY_SECONDS = 86_400
QUOTA_EXCEEDED = "Daily message quota exceeded."


def window_start(now: float) -> int:
    """The last epoch second that has fallen out of the window at `now`: usage at or before it has expired."""
    return int(now) - DAY_SECONDS


def expire(usage: DailyUsage, expired_count: int, through: int) -> DailyUsage:
    """Subtract usage that fell out of the window, given the storage's count of the expired seconds."""
    if through <= usage.counted_through:
        return usage
    return DailyUsage(max(0, usage.sent_last_24h - expired_count), through)


def check(usage: DailyUsage, max_24_hour_send: int, counted: int) -> Decision:
    if counted == 0 or max_24_hour_send == UNLIMITED or usage.sent_last_24h < max_24_hour_send:
        return Decision.allow()
    explanation = (
        f"daily quota: {usage.sent_last_24h} recipients sent in the last 24 hours, limit "
        f"{max_24_hour_send}; quota frees up as sends from 24 hours ago leave the rolling window"
    )
    return Decision.refuse(
        Rule.DAILY_QUOTA,
        QUOTA_EXCEEDED,
        explanation,
        measured=usage.sent_last_24h,
        limit=max_24_hour_send,
        window="rolling 24 hours",
    )


def record(usage: DailyUsage, counted: int) -> DailyUsage:
    return DailyUsage(usage.sent_last_24h + counted, usage.counted_through)
