"""Production access, per (account, region): the sender's request (PutAccountDetails) opens a review
case, the automated pre-review attaches its checklist, then an operator (or the auto-grant policy) grants
or denies it. A grant turns production access on and sets the quota and rate in that region only; an
operator, or the repeated-SHUTDOWN policy, can return a region to the sandbox (services.sandbox_return).
Every step is audited and mailed to the contacts the request named."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, replace
from typing import Protocol

from postwarden.domain.model import UNLIMITED, SendingLimits, SendingState
from postwarden.domain.review import (
    DEFAULT_DECISION_DEADLINE,
    AccountDetails,
    Checklist,
    InvalidReviewTransitionError,
    ReviewCase,
    ReviewConflict,
    ReviewCriteria,
    ReviewFacts,
    ReviewStatus,
    decide_automatically,
    denial_reason,
    evaluate,
    open_review,
)
from postwarden.ports import Clock, Store, Transaction
from postwarden.services.accounts import TierDefaults, UnknownAccountError
from postwarden.services.review_mail import ReviewMail
from postwarden.services.sandbox_return import limits_record, lock_state

log = logging.getLogger("postwarden.review")


class ReviewConflictError(Exception):
    def __init__(self, conflict: ReviewConflict) -> None:
        super().__init__(conflict.message)
        self.conflict = conflict


class ReviewNotFoundError(LookupError):
    pass


class FactSource(Protocol):
    async def gather(self, account_id: str, region: str, website_url: str) -> ReviewFacts: ...


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    tiers: TierDefaults
    auto_grant: bool = False
    """Grant, at the recommended limits, every request whose checklist passes entirely."""
    decision_deadline: float = DEFAULT_DECISION_DEADLINE


@dataclass(frozen=True, slots=True)
class PendingReview:
    case: ReviewCase
    age_seconds: float
    overdue: bool


class ProductionAccessService:
    def __init__(
        self, store: Store, clock: Clock, facts: FactSource, mail: ReviewMail, settings: ReviewSettings
    ) -> None:
        self._store = store
        self._clock = clock
        self._facts = facts
        self._mail = mail
        self._settings = settings
        self._criteria = ReviewCriteria(production_defaults=settings.tiers.production)

    # --- the sender's side -------------------------------------------------------------------------

    async def request_access(
        self, account_id: str, region: str, details: AccountDetails, actor: str
    ) -> ReviewCase:
        """Open a case and pre-review it; ReviewConflictError while another case is PENDING."""
        case = await asyncio.to_thread(self._open, account_id, region, details, actor)
        case = await self._pre_review(case, actor)
        await self._mail.about_case(case)
        return case

    def latest(self, account_id: str, region: str) -> ReviewCase | None:
        with self._store.read() as tx:
            return tx.reviews.latest(account_id, region)

    # --- the operator's side -----------------------------------------------------------------------

    def get(self, case_id: str) -> ReviewCase:
        with self._store.read() as tx:
            case = tx.reviews.get(case_id)
        if case is None:
            raise ReviewNotFoundError(case_id)
        return case

    def cases(
        self, status: ReviewStatus | None = None, account_id: str | None = None, limit: int = 100
    ) -> list[ReviewCase]:
        with self._store.read() as tx:
            return tx.reviews.find(status=status, account_id=account_id, limit=limit)

    def pending(self) -> list[PendingReview]:
        """Every PENDING case, oldest first, with its age and whether it is overdue (24 hours)."""
        now = self._clock.now()
        deadline = self._settings.decision_deadline
        return [
            PendingReview(case, now - case.opened_at, case.is_overdue(now, deadline))
            for case in self.cases(ReviewStatus.PENDING, limit=10_000)
        ]

    async def recheck(self, case_id: str, actor: str) -> ReviewCase:
        """Run the pre-review again on a PENDING case (after the sender fixed something)."""
        case = self.get(case_id)
        if case.status is not ReviewStatus.PENDING:
            raise InvalidReviewTransitionError(
                f"cannot recheck review case {case_id}: it is {case.status.value}, not PENDING"
            )
        case = await self._pre_review(case, actor)
        if case.status is not ReviewStatus.PENDING:
            await self._mail.about_case(case)
        return case

    async def grant(
        self, case_id: str, *, actor: str, quota: int | None = None, rate: float | None = None, note: str = ""
    ) -> ReviewCase:
        """Grant at `quota` and `rate`, by default the checklist's recommendation (never lower than the
        region's current production limits)."""
        case = await asyncio.to_thread(self._grant, case_id, actor, quota, rate, note)
        await self._mail.about_case(case)
        return case

    async def deny(self, case_id: str, *, actor: str, reason: str) -> ReviewCase:
        """Deny with `reason`; the sender reads it after the checklist's failing and warning items."""
        case = await asyncio.to_thread(self._deny, case_id, actor, reason)
        await self._mail.about_case(case)
        return case

    # --- transactions ------------------------------------------------------------------------------

    def _open(self, account_id: str, region: str, details: AccountDetails, actor: str) -> ReviewCase:
        now = self._clock.now()
        with self._store.transaction() as tx:
            if not tx.accounts.account_exists(account_id):
                raise UnknownAccountError(account_id)
            self._state(tx, account_id, region, now)  # locks the region: one request at a time
            latest = tx.reviews.latest(account_id, region)
            case_id = str(10**10 + secrets.randbelow(9 * 10**10))
            opened = open_review(
                latest, case_id=case_id, account_id=account_id, region=region, details=details, now=now
            )
            if isinstance(opened, ReviewConflict):
                log.info("production access request refused: %s", opened.explanation)
                raise ReviewConflictError(opened)
            tx.reviews.add(opened)
            detail = {
                "caseId": case_id,
                "mailType": details.mail_type.value,
                "websiteUrl": details.website_url,
            }
            tx.audit.record(now, actor, "review.request", account_id, region, detail)
        return opened

    async def _pre_review(self, case: ReviewCase, actor: str) -> ReviewCase:
        try:
            facts = await self._facts.gather(case.account_id, case.region, case.details.website_url)
            checklist = evaluate(case.details, facts, self._clock.now(), self._criteria)
        except Exception as error:  # any failure is SES's FAILED: the sender resubmits
            log.exception("pre-review of case %s failed", case.case_id)
            reason = f"the automated pre-review could not run ({type(error).__name__}: {error})"
            return await asyncio.to_thread(self._fail, case.case_id, reason)
        return await asyncio.to_thread(self._attach, case.case_id, checklist, actor)

    def _attach(self, case_id: str, checklist: Checklist, actor: str) -> ReviewCase:
        now = self._clock.now()
        with self._store.transaction() as tx:
            case = self._locked(tx, case_id, now)
            if case.status is not ReviewStatus.PENDING:
                return case  # decided while the pre-review ran: the decision stands
            case = case.with_checklist(checklist)
            tx.reviews.save(case)
            detail = {"caseId": case_id, "summary": checklist.summary}
            tx.audit.record(now, actor, "review.checklist", case.account_id, case.region, detail)
            decision = decide_automatically(checklist, auto_grant=self._settings.auto_grant)
            if decision.grant and decision.limits is not None:
                limits = decision.limits
                return self._apply_grant(tx, case, limits, "auto", decision.explanation, now)
            return case

    def _fail(self, case_id: str, reason: str) -> ReviewCase:
        now = self._clock.now()
        with self._store.transaction() as tx:
            case = self._locked(tx, case_id, now)
            if case.status is not ReviewStatus.PENDING:
                return case
            case = case.fail(reason, now=now)
            tx.reviews.save(case)
            detail = {"caseId": case_id, "reason": reason}
            tx.audit.record(now, "system", "review.fail", case.account_id, case.region, detail)
            return case

    def _grant(
        self, case_id: str, actor: str, quota: int | None, rate: float | None, note: str
    ) -> ReviewCase:
        now = self._clock.now()
        with self._store.transaction() as tx:
            case = self._locked(tx, case_id, now)
            state = self._state(tx, case.account_id, case.region, now)
            default = self._default_limits(case, state)
            limits = SendingLimits(
                default.max_24_hour_send if quota is None else quota,
                default.max_send_rate if rate is None else rate,
            )
            return self._apply_grant(tx, case, limits, actor, note, now)

    def _apply_grant(
        self, tx: Transaction, case: ReviewCase, limits: SendingLimits, actor: str, note: str, now: float
    ) -> ReviewCase:
        state = self._state(tx, case.account_id, case.region, now)
        granted = case.grant(limits.max_24_hour_send, limits.max_send_rate, now=now, decided_by=actor)
        granted = replace(granted, reason=note.strip())
        tx.reviews.save(granted)
        tx.sending.save_state(replace(state, production_access=True, limits=limits))
        detail = {
            "caseId": case.case_id,
            "quota": limits.max_24_hour_send,
            "rate": limits.max_send_rate,
            "note": note,
            "before": limits_record(state),
        }
        tx.audit.record(now, actor, "review.grant", case.account_id, case.region, detail)
        return granted

    def _default_limits(self, case: ReviewCase, state: SendingState) -> SendingLimits:
        recommended = (
            case.checklist.recommended_limits
            if case.checklist is not None
            else self._settings.tiers.production
        )
        if not state.production_access:
            return recommended
        current = state.limits
        quota = (
            UNLIMITED
            if UNLIMITED in (current.max_24_hour_send, recommended.max_24_hour_send)
            else max(current.max_24_hour_send, recommended.max_24_hour_send)
        )
        return SendingLimits(quota, max(current.max_send_rate, recommended.max_send_rate))

    def _deny(self, case_id: str, actor: str, reason: str) -> ReviewCase:
        now = self._clock.now()
        with self._store.transaction() as tx:
            case = self._locked(tx, case_id, now)
            text = denial_reason(case.checklist, reason) if case.checklist is not None else reason.strip()
            denied = case.deny(text if reason.strip() else "", now=now, decided_by=actor)
            tx.reviews.save(denied)
            detail = {"caseId": case_id, "reason": reason, "text": text}
            tx.audit.record(now, actor, "review.deny", case.account_id, case.region, detail)
            return denied

    def _state(self, tx: Transaction, account_id: str, region: str, now: float) -> SendingState:
        return lock_state(tx, self._settings.tiers.sandbox, account_id, region, now)

    def _locked(self, tx: Transaction, case_id: str, now: float) -> ReviewCase:
        """The case, read again once its region is locked (so two decisions cannot both see it pending)."""
        case = tx.reviews.get(case_id)
        if case is None:
            raise ReviewNotFoundError(case_id)
        self._state(tx, case.account_id, case.region, now)
        return tx.reviews.get(case_id) or case
