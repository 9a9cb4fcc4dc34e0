"""What can happen to one recipient's delivery attempt, and what follows from it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class RecipientStatus(StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    BOUNCED = "bounced"


class BounceType(StrEnum):
    PERMANENT = "Permanent"
    TRANSIENT = "Transient"
    UNDETERMINED = "Undetermined"


class BounceSubType(StrEnum):
    GENERAL = "General"
    NO_EMAIL = "NoEmail"
    SUPPRESSED = "Suppressed"
    ON_ACCOUNT_SUPPRESSION_LIST = "OnAccountSuppressionList"
    MAILBOX_FULL = "MailboxFull"
    MESSAGE_TOO_LARGE = "MessageTooLarge"
    CONTENT_REJECTED = "ContentRejected"
    ATTACHMENT_REJECTED = "AttachmentRejected"
    UNDETERMINED = "Undetermined"


@dataclass(frozen=True, slots=True)
class SmtpReply:
    code: int
    text: str

    @property
    def enhanced(self) -> str | None:
        match = _ENHANCED.match(self.text)
        return match.group(1) if match else None

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


_ENHANCED = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")


@dataclass(frozen=True, slots=True)
class Delivered:
    reply: SmtpReply
    remote_mta_ip: str | None = None
    reporting_mta: str | None = None


@dataclass(frozen=True, slots=True)
class TransientFailure:
    """A temporary failure: a 4xx reply, a refused connection, a timeout or a DNS error."""

    description: str
    reply: SmtpReply | None = None
    remote_mta_ip: str | None = None


@dataclass(frozen=True, slots=True)
class PermanentFailure:
    reply: SmtpReply | None
    description: str
    bounce_type: BounceType = BounceType.PERMANENT
    bounce_sub_type: BounceSubType = BounceSubType.GENERAL
    remote_mta_ip: str | None = None


Outcome = Delivered | TransientFailure | PermanentFailure


def classify_reply(reply: SmtpReply, remote_mta_ip: str | None = None) -> Outcome:
    if 200 <= reply.code < 300:
        return Delivered(reply, remote_mta_ip)
    if 400 <= reply.code < 500:
        return TransientFailure(str(reply), reply, remote_mta_ip)
    return PermanentFailure(reply, str(reply), *bounce_kind_for(reply), remote_mta_ip=remote_mta_ip)


def bounce_kind_for(reply: SmtpReply) -> tuple[BounceType, BounceSubType]:
    """SES's bounce type for a permanent SMTP refusal, from the enhanced status code when present."""
    enhanced = reply.enhanced or ""
    if enhanced.startswith("5.3.4") or (reply.code == 552 and "size" in reply.text.lower()):
        return BounceType.TRANSIENT, BounceSubType.MESSAGE_TOO_LARGE
    if enhanced.startswith("5.2.2"):
        return BounceType.TRANSIENT, BounceSubType.MAILBOX_FULL
    if enhanced.startswith(("5.7.1", "5.6.")) and "content" in reply.text.lower():
        return BounceType.TRANSIENT, BounceSubType.CONTENT_REJECTED
    return BounceType.PERMANENT, BounceSubType.GENERAL


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    initial_seconds: float = 60.0
    multiplier: float = 2.0
    max_interval_seconds: float = 3_600.0
    max_delivery_seconds: float = 43_200.0

    def next_attempt(self, attempts: int, accepted_at: float, now: float) -> float | None:
        """When to try again after `attempts` failed tries, or None once the delivery time is used up."""
        delay = min(self.max_interval_seconds, self.initial_seconds * self.multiplier ** max(0, attempts - 1))
        deadline = accepted_at + self.max_delivery_seconds
        if now >= deadline:
            return None
        return min(now + delay, deadline)
