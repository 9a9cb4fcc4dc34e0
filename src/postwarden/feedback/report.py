"""What one inbound feedback message says, in a shape that does not depend on the format it came in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from postwarden.domain.bounce_classification import BounceClassification


class FeedbackKind(StrEnum):
    BOUNCE = "bounce"
    """At least one recipient failed for good (a DSN `Action: failed`, or a non-standard bounce)."""
    DELAY = "delay"
    """A warning that delivery is still being retried (`Action: delayed`)."""
    COMPLAINT = "complaint"
    """An RFC 5965 feedback report (abuse, fraud, virus, not-spam …)."""
    AUTO_REPLY = "auto_reply"
    """An RFC 3834 automatic reply (vacation, out of office): never a bounce."""
    DELIVERED = "delivered"
    """A DSN that only reports success (`delivered`, `relayed`, `expanded`)."""
    UNKNOWN = "unknown"
    """Not feedback we recognise, or too malformed to read; `problems` says why."""


@dataclass(frozen=True, slots=True)
class RecipientReport:
    """One recipient's entry: a DSN per-recipient block, a failed address in a plain-text bounce, the
    complained-about recipient of a feedback report, or the author of an auto-reply."""

    final_recipient: str | None
    """The address without its type prefix (`rfc822;`), as the reporting MTA saw it."""
    original_recipient: str | None = None
    action: str | None = None
    """`failed`, `delayed`, `delivered`, `relayed` or `expanded` (lower case)."""
    status: str | None = None
    """The enhanced status code as given (`5.1.1`)."""
    diagnostic_code: str | None = None
    """As given, type prefix included (`smtp; 550 5.1.1 user unknown`), folded lines unfolded."""
    remote_mta: str | None = None
    last_attempt_date: datetime | None = None
    classification: BounceClassification | None = None
    """Set for failed and delayed recipients."""


@dataclass(frozen=True, slots=True)
class FeedbackReport:
    kind: FeedbackKind
    recipients: tuple[RecipientReport, ...] = ()
    reporting_mta: str | None = None
    """`dns; mx.example.net` for a DSN (as SES reports it); the ARF `Reporting-MTA` for a complaint."""
    original_message_id: str | None = None
    """The Message-ID of the message this feedback is about, without angle brackets."""
    original_return_path: str | None = None
    """The returned message's `Return-Path` (our VERP address), when the report includes its headers."""
    original_envelope_id: str | None = None
    """The DSN `Original-Envelope-Id` (the `ENVID` we gave in MAIL FROM), if any."""
    original_to: tuple[str, ...] = ()
    """Addresses in the returned message's `To` header."""
    arrival_date: datetime | None = None
    """DSN `Arrival-Date`, or ARF `Arrival-Date`/`Received-Date`."""
    feedback_type: str | None = None
    """ARF `Feedback-Type` (lower case): abuse, auth-failure, fraud, not-spam, other, virus …"""
    user_agent: str | None = None
    source_ip: str | None = None
    original_rcpt_to: tuple[str, ...] = ()
    original_mail_from: str | None = None
    problems: tuple[str, ...] = ()
    """What could not be read, for logs; a report with problems may still be usable."""

    @property
    def failed_recipients(self) -> tuple[RecipientReport, ...]:
        return tuple(r for r in self.recipients if r.action == "failed")

    @property
    def delayed_recipients(self) -> tuple[RecipientReport, ...]:
        return tuple(r for r in self.recipients if r.action == "delayed")
