"""The account-level suppression list: which outcomes put an address on it, and what a send to a listed
address becomes (accepted, not delivered, a Permanent/OnAccountSuppressionList bounce)."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from postwarden.domain.delivery import BounceSubType, BounceType, PermanentFailure, SmtpReply


class SuppressionReason(StrEnum):
    BOUNCE = "BOUNCE"
    COMPLAINT = "COMPLAINT"


DEFAULT_REASONS = frozenset({SuppressionReason.BOUNCE, SuppressionReason.COMPLAINT})

_SUPPRESSING_BOUNCES = {BounceSubType.GENERAL, BounceSubType.NO_EMAIL, BounceSubType.SUPPRESSED}

ON_LIST = PermanentFailure(
    None,
    "Amazon SES did not send the message to this address because it is on the suppression list for your "
    "account. For more information about removing addresses from the suppression list, see the Amazon SES "
    "Developer Guide at https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html",
    BounceType.PERMANENT,
    BounceSubType.ON_ACCOUNT_SUPPRESSION_LIST,
)


def reason_for_bounce(
    bounce_type: BounceType,
    sub_type: BounceSubType,
    reply: SmtpReply | None,
    *,
    simulator: bool,
    enabled: Collection[SuppressionReason],
) -> SuppressionReason | None:
    """A hard bounce suppresses the address, unless it came from the mailbox simulator or was the remote
    server refusing *us* (5.7.x: blocklisted IP, policy), which says nothing about the address."""
    if simulator or SuppressionReason.BOUNCE not in enabled:
        return None
    if bounce_type is not BounceType.PERMANENT or sub_type not in _SUPPRESSING_BOUNCES:
        return None
    if reply is not None and (reply.enhanced or "").startswith("5.7."):
        return None
    return SuppressionReason.BOUNCE


def reason_for_complaint(
    *, simulator: bool, enabled: Collection[SuppressionReason]
) -> SuppressionReason | None:
    if simulator or SuppressionReason.COMPLAINT not in enabled:
        return None
    return SuppressionReason.COMPLAINT
