"""Returning a region to the sandbox: an operator's action, or the policy that follows repeated
reputation SHUTDOWNs. Production access goes off, the sandbox quota and rate come back, and the sender
must request production access again (a new review case)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from postwarden.domain.model import SendingLimits, SendingState
from postwarden.domain.review import ReviewStatus
from postwarden.ports import Clock, Store, Transaction
from postwarden.services.accounts import UnknownAccountError
from postwarden.services.review_mail import ReviewMail
from postwarden.services.send import expire_usage

SHUTDOWN_ACTION = "review.shutdown"
"""The audit entry `record_shutdown` writes; the repeated-SHUTDOWN policy counts them."""
RETURN_ACTION = "review.return-to-sandbox"
POLICY_ACTOR = "policy:sandbox_after_shutdowns"


class SandboxReturns:
    def __init__(
        self, store: Store, clock: Clock, mail: ReviewMail, sandbox: SendingLimits, after_shutdowns: int = 0
    ) -> None:
        self._store = store
        self._clock = clock
        self._mail = mail
        self._sandbox = sandbox
        self._after_shutdowns = after_shutdowns
        """Return a region at its Nth SHUTDOWN since production was last granted; 0: never."""

    async def return_to_sandbox(
        self, account_id: str, region: str, *, actor: str, reason: str
    ) -> SendingState:
        """Production off and the sandbox limits in the region; the sender must request access again."""
        state, contacts = await asyncio.to_thread(self._to_sandbox, account_id, region, actor, reason)
        await self._mail.returned_to_sandbox(account_id, region, contacts, reason)
        return state

    async def record_shutdown(
        self, account_id: str, region: str, *, actor: str, reason: str
    ) -> SendingState | None:
        """For the reputation code: call once each time a region enters SHUTDOWN. Counts it (an audit
        entry) and, when the policy is on and this is its Nth SHUTDOWN since production access was last
        granted, returns the region to the sandbox; returns the new state then, else None."""
        returned = await asyncio.to_thread(self._count_shutdown, account_id, region, actor, reason)
        if returned is None:
            return None
        state, contacts, why = returned
        await self._mail.returned_to_sandbox(account_id, region, contacts, why)
        return state

    def _to_sandbox(
        self, account_id: str, region: str, actor: str, reason: str
    ) -> tuple[SendingState, tuple[str, ...]]:
        now = self._clock.now()
        with self._store.transaction() as tx:
            if not tx.accounts.account_exists(account_id):
                raise UnknownAccountError(account_id)
            return self._return(tx, account_id, region, actor, reason, now)

    def _count_shutdown(
        self, account_id: str, region: str, actor: str, reason: str
    ) -> tuple[SendingState, tuple[str, ...], str] | None:
        now = self._clock.now()
        with self._store.transaction() as tx:
            return self.count_shutdown(tx, account_id, region, actor, reason, now)

    def count_shutdown(
        self, tx: Transaction, account_id: str, region: str, actor: str, reason: str, now: float
    ) -> tuple[SendingState, tuple[str, ...], str] | None:
        """`record_shutdown` inside the caller's transaction (the reputation code's, which also mails the
        account); returns (the new state, the contacts, why) when the region went back to the sandbox."""
        state = lock_state(tx, self._sandbox, account_id, region, now)
        tx.audit.record(now, actor, SHUTDOWN_ACTION, account_id, region, {"reason": reason})
        limit = self._after_shutdowns
        if limit <= 0 or not state.production_access:
            return None
        grants = tx.reviews.find(
            status=ReviewStatus.GRANTED, account_id=account_id, region=region, limit=10_000
        )
        since = max((case.decided_at or 0.0 for case in grants), default=0.0)
        count = tx.reviews.count_actions(account_id, region, SHUTDOWN_ACTION, since)
        if count < limit:
            return None
        why = (
            f"{count} reputation SHUTDOWNs since production access was granted (the policy returns a "
            f"region to the sandbox at {limit}); the latest: {reason}"
        )
        state, contacts = self._return(tx, account_id, region, POLICY_ACTOR, why, now)
        return state, contacts, why

    def _return(
        self, tx: Transaction, account_id: str, region: str, actor: str, reason: str, now: float
    ) -> tuple[SendingState, tuple[str, ...]]:
        state = lock_state(tx, self._sandbox, account_id, region, now)
        sandboxed = replace(state, production_access=False, limits=self._sandbox)
        tx.sending.save_state(sandboxed)
        detail = {"reason": reason, "before": limits_record(state), "after": limits_record(sandboxed)}
        tx.audit.record(now, actor, RETURN_ACTION, account_id, region, detail)
        latest = tx.reviews.latest(account_id, region)
        contacts = latest.details.additional_contact_email_addresses if latest is not None else ()
        return expire_usage(tx, sandboxed, now), contacts


def lock_state(
    tx: Transaction, sandbox: SendingLimits, account_id: str, region: str, now: float
) -> SendingState:
    """The region's sending state, locked for the transaction (created in the sandbox if new)."""
    key = (account_id, region)
    return tx.sending.lock_states([key], sandbox, now)[key]


def limits_record(state: SendingState) -> dict[str, object]:
    return {
        "productionAccess": state.production_access,
        "max24HourSend": state.limits.max_24_hour_send,
        "maxSendRate": state.limits.max_send_rate,
    }
