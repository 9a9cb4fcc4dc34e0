from __future__ import annotations

from postwarden.domain.delivery import BounceSubType as Sub
from postwarden.domain.delivery import BounceType as Kind
from postwarden.domain.delivery import SmtpReply
from postwarden.domain.suppression import (
    DEFAULT_REASONS,
    SuppressionReason,
    reason_for_bounce,
    reason_for_complaint,
)

USER_UNKNOWN = SmtpReply(550, "5.1.1 user unknown")


def test_a_hard_bounce_suppresses() -> None:
    assert (
        reason_for_bounce(Kind.PERMANENT, Sub.GENERAL, USER_UNKNOWN, simulator=False, enabled=DEFAULT_REASONS)
        is SuppressionReason.BOUNCE
    )


def test_transient_bounces_the_simulator_and_policy_refusals_never_suppress() -> None:
    assert (
        reason_for_bounce(Kind.TRANSIENT, Sub.GENERAL, None, simulator=False, enabled=DEFAULT_REASONS) is None
    )
    assert (
        reason_for_bounce(Kind.PERMANENT, Sub.GENERAL, USER_UNKNOWN, simulator=True, enabled=DEFAULT_REASONS)
        is None
    )
    blocklisted = SmtpReply(554, "5.7.1 Service unavailable; client host blocked using zen.spamhaus.org")
    assert (
        reason_for_bounce(Kind.PERMANENT, Sub.GENERAL, blocklisted, simulator=False, enabled=DEFAULT_REASONS)
        is None
    )
    assert (
        reason_for_bounce(
            Kind.PERMANENT, Sub.ON_ACCOUNT_SUPPRESSION_LIST, None, simulator=False, enabled=DEFAULT_REASONS
        )
        is None
    )


def test_reasons_can_be_switched_off() -> None:
    only_complaints = {SuppressionReason.COMPLAINT}
    assert (
        reason_for_bounce(Kind.PERMANENT, Sub.GENERAL, USER_UNKNOWN, simulator=False, enabled=only_complaints)
        is None
    )
    assert reason_for_complaint(simulator=False, enabled=only_complaints) is SuppressionReason.COMPLAINT
    assert reason_for_complaint(simulator=False, enabled=set()) is None
    assert reason_for_complaint(simulator=True, enabled=DEFAULT_REASONS) is None
