"""Domain verification from DNS evidence, with SES's timing: keep trying for 72 hours, then FAILED;
keep re-checking verified domains and report records that disappear."""

from __future__ import annotations

from dataclasses import dataclass

from postwarden.domain.identities import VerificationStatus

GIVE_UP_SECONDS = 72 * 3600


@dataclass(frozen=True, slots=True)
class DnsEvidence:
    dkim_found: int
    """How many of the DKIM records (the token CNAMEs, or the sender's own TXT key) are as expected."""
    dkim_expected: int
    txt_token_found: bool
    """The legacy v1 check: TXT `_amazonses.<domain>` carries the verification token."""
    missing_error: str | None = None
    """Why records are missing: HOST_NOT_FOUND, TYPE_NOT_FOUND or INVALID_VALUE (SES's ErrorType)."""
    temporary_error: bool = False
    """The DNS lookup itself failed (timeout, SERVFAIL): nothing can be concluded this time."""

    @property
    def dkim_ok(self) -> bool:
        return self.dkim_expected > 0 and self.dkim_found == self.dkim_expected


@dataclass(frozen=True, slots=True)
class Assessment:
    status: VerificationStatus
    dkim_status: VerificationStatus
    last_success_at: float | None
    failing_since: float | None
    error_type: str | None


@dataclass(frozen=True, slots=True)
class CheckState:
    status: VerificationStatus
    dkim_status: VerificationStatus
    created_at: float
    last_success_at: float | None
    failing_since: float | None


def assess(
    state: CheckState, evidence: DnsEvidence, now: float, give_up: float = GIVE_UP_SECONDS
) -> Assessment:
    verified = evidence.dkim_ok or evidence.txt_token_found
    if verified:
        dkim = VerificationStatus.SUCCESS if evidence.dkim_ok else _pending_or_failed(state, now, give_up)
        return Assessment(VerificationStatus.SUCCESS, dkim, now, None, None)
    if evidence.temporary_error:
        return Assessment(
            VerificationStatus.TEMPORARY_FAILURE,
            VerificationStatus.TEMPORARY_FAILURE
            if state.dkim_status is not VerificationStatus.NOT_STARTED
            else state.dkim_status,
            state.last_success_at,
            state.failing_since,
            "DNS_SERVER_ERROR",
        )
    # Records missing: count from creation for a domain never verified, from the loss for one that was.
    since = state.failing_since or (state.created_at if state.last_success_at is None else now)
    expired = now - since >= give_up
    if expired:
        status = VerificationStatus.FAILED
    elif state.last_success_at is not None:
        status = VerificationStatus.TEMPORARY_FAILURE  # it was verified and the records went away
    else:
        status = VerificationStatus.PENDING
    dkim = status if evidence.dkim_expected else state.dkim_status
    return Assessment(status, dkim, state.last_success_at, since, evidence.missing_error or "TYPE_NOT_FOUND")


def _pending_or_failed(state: CheckState, now: float, give_up: float) -> VerificationStatus:
    if state.dkim_status is VerificationStatus.NOT_STARTED:
        return VerificationStatus.NOT_STARTED
    return VerificationStatus.FAILED if now - state.created_at >= give_up else VerificationStatus.PENDING
