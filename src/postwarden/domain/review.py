"""Production access review cases (SES's ReviewDetails): opened by PutAccountDetails, pre-reviewed by
the automated checklist, then granted, denied or failed.

SES: "Once you submit a review of your account details, you can't edit your details until the review
is complete" (ConflictException, HTTP 409); a denied or failed request may be submitted again; the
initial response comes within 24 hours.

This module is also the one place the service layer imports the review from: the details, facts,
checklist and `evaluate` of the sibling `review_*` modules are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from postwarden.domain.model import UNLIMITED, SendingLimits
from postwarden.domain.review_checklist import CheckKey, Checklist, ChecklistItem, CheckStatus, denial_reason
from postwarden.domain.review_checks import evaluate
from postwarden.domain.review_details import (
    AccountDetails,
    ContactLanguage,
    InvalidAccountDetailsError,
    MailType,
    account_details_errors,
    validation_message,
)
from postwarden.domain.review_facts import (
    DEFAULT_CRITERIA,
    PRODUCTION_DEFAULTS,
    DomainFacts,
    FeedbackDestination,
    ReviewCriteria,
    ReviewFacts,
    SandboxHistory,
)

__all__ = [
    "DEFAULT_CRITERIA",
    "DEFAULT_DECISION_DEADLINE",
    "PRODUCTION_DEFAULTS",
    "AccountDetails",
    "AutoGrantDecision",
    "CheckKey",
    "CheckStatus",
    "Checklist",
    "ChecklistItem",
    "ContactLanguage",
    "DomainFacts",
    "FeedbackDestination",
    "InvalidAccountDetailsError",
    "InvalidReviewTransitionError",
    "MailType",
    "ReviewCase",
    "ReviewConflict",
    "ReviewCriteria",
    "ReviewFacts",
    "ReviewStatus",
    "SandboxHistory",
    "account_details_errors",
    "decide_automatically",
    "denial_reason",
    "evaluate",
    "open_review",
    "validation_message",
]

DEFAULT_DECISION_DEADLINE = 24 * 3600.0
"""SES answers a request within 24 hours; a case pending longer is overdue."""


class ReviewStatus(StrEnum):
    PENDING = "PENDING"
    GRANTED = "GRANTED"
    DENIED = "DENIED"
    FAILED = "FAILED"
    """An internal error: SES "didn't receive your appeal. You can submit your appeal again."."""


class InvalidReviewTransitionError(ValueError):
    """A decision on a case that is no longer pending, or a decision without what it needs."""


@dataclass(frozen=True, slots=True)
class ReviewCase:
    case_id: str
    account_id: str
    region: str
    details: AccountDetails
    status: ReviewStatus
    opened_at: float
    checklist: Checklist | None = None
    decided_at: float | None = None
    decided_by: str | None = None
    """"auto" for the automatic grant, otherwise the operator."""
    granted_quota: int | None = None
    granted_rate: float | None = None
    reason: str = ""
    """For DENIED the text the sender reads; for FAILED what went wrong."""

    def with_checklist(self, checklist: Checklist) -> ReviewCase:
        self._require_pending("attach a checklist to")
        return replace(self, checklist=checklist)

    def grant(self, quota: int, rate: float, *, now: float, decided_by: str) -> ReviewCase:
        self._require_pending("grant")
        if quota != UNLIMITED and quota <= 0:
            raise InvalidReviewTransitionError(
                f"a granted quota must be positive (or unlimited), not {quota}"
            )
        if rate <= 0:
            raise InvalidReviewTransitionError(f"a granted rate must be positive, not {rate}")
        return replace(
            self,
            status=ReviewStatus.GRANTED,
            decided_at=now,
            decided_by=decided_by,
            granted_quota=quota,
            granted_rate=rate,
        )

    def deny(self, reason: str, *, now: float, decided_by: str) -> ReviewCase:
        self._require_pending("deny")
        if not reason.strip():
            raise InvalidReviewTransitionError("a denial must say why (see denial_reason)")
        return replace(self, status=ReviewStatus.DENIED, decided_at=now, decided_by=decided_by, reason=reason)

    def fail(self, reason: str, *, now: float) -> ReviewCase:
        """The review could not be carried out (e.g. the pre-review crashed); the sender may resubmit."""
        self._require_pending("fail")
        return replace(self, status=ReviewStatus.FAILED, decided_at=now, decided_by="system", reason=reason)

    def is_overdue(self, now: float, max_age: float = DEFAULT_DECISION_DEADLINE) -> bool:
        """Still pending `max_age` seconds (24 hours by default) or more after it was opened."""
        return self.status is ReviewStatus.PENDING and now - self.opened_at >= max_age

    def _require_pending(self, action: str) -> None:
        if self.status is not ReviewStatus.PENDING:
            raise InvalidReviewTransitionError(
                f"cannot {action} review case {self.case_id}: it is {self.status.value}, not PENDING"
            )


@dataclass(frozen=True, slots=True)
class ReviewConflict:
    """A request while another is pending: SES's ConflictException."""

    pending_case_id: str
    message: str
    """What the API returns with ConflictException."""
    explanation: str
    """The full reason for the console and the audit log."""


def open_review(
    latest: ReviewCase | None,
    *,
    case_id: str,
    account_id: str,
    region: str,
    details: AccountDetails,
    now: float,
) -> ReviewCase | ReviewConflict:
    """A new PENDING case, unless the (account, region)'s latest case is still pending."""
    if latest is not None and (latest.account_id, latest.region) != (account_id, region):
        raise ValueError(f"case {latest.case_id} belongs to {latest.account_id} in {latest.region}")
    if latest is not None and latest.status is ReviewStatus.PENDING:
        submitted = datetime.fromtimestamp(latest.opened_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        hours = (now - latest.opened_at) / 3600
        return ReviewConflict(
            pending_case_id=latest.case_id,
            message=(
                f"There is already an ongoing account details update under review (case {latest.case_id}). "
                "You can't edit your details until the review is complete."
            ),
            explanation=(
                f"review case {latest.case_id} for {account_id} in {region}, submitted {submitted} "
                f"({hours:.1f} hours ago), is still PENDING; a new request may follow its decision"
            ),
        )
    return ReviewCase(
        case_id=case_id,
        account_id=account_id,
        region=region,
        details=details,
        status=ReviewStatus.PENDING,
        opened_at=now,
    )


@dataclass(frozen=True, slots=True)
class AutoGrantDecision:
    grant: bool
    limits: SendingLimits | None
    """The quota and rate to grant (the checklist's recommendation); None when not granting."""
    explanation: str


def decide_automatically(checklist: Checklist, *, auto_grant: bool) -> AutoGrantDecision:
    """With the auto-grant setting on, a checklist that passes entirely is granted at its recommended
    limits; everything else waits for an operator (the review never denies on its own)."""
    if not auto_grant:
        return AutoGrantDecision(False, None, f"automatic grants are off; checklist: {checklist.summary}")
    if not checklist.passed:
        keys = ", ".join(item.key.value for item in checklist.items if item.status is not CheckStatus.PASS)
        return AutoGrantDecision(
            False, None, f"not every check passed ({checklist.summary}: {keys}); an operator decides"
        )
    limits = checklist.recommended_limits
    return AutoGrantDecision(
        True,
        limits,
        f"every check passed ({checklist.summary}); granting {limits.max_24_hour_send} per 24 hours "
        f"and {limits.max_send_rate:g} per second",
    )
