"""The delivery use case: claim due recipients, attempt each once, record what happened as events.

At-least-once: a recipient is claimed under a lease; if this process dies the lease runs out and the
recipient is claimed again. Results are written in batches; a result whose lease was lost is dropped so
the bookkeeping happens once even when the delivery itself happened twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from postwarden.domain import ids
from postwarden.domain.delivery import (
    BounceSubType,
    BounceType,
    Delivered,
    Outcome,
    PermanentFailure,
    RetryPolicy,
    TransientFailure,
)
from postwarden.domain.events import (
    EventType,
    bounce_detail,
    complaint_detail,
    delivery_delay_detail,
    delivery_detail,
)
from postwarden.domain.simulator import SimulatorScenario, simulated_outcome
from postwarden.domain.suppression import ON_LIST, reason_for_bounce, reason_for_complaint
from postwarden.fast_ids import random_uuid
from postwarden.ports import (
    AttemptResult,
    Clock,
    DueRecipient,
    MessageContent,
    NewEvent,
    Store,
    SuppressedDestination,
    Transaction,
    Transport,
)
from postwarden.services.signing import MessageSigner
from postwarden.services.suppression import reasons_for_messages
from postwarden.services.tracking import TrackingLinks

log = logging.getLogger("postwarden.delivery")


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    retry: RetryPolicy
    reporting_mta: str
    claim_batch: int = 256
    max_in_flight: int = 512
    lease_seconds: float = 300.0
    poll_seconds: float = 0.5
    flush_batch: int = 512


def verp_address(message_id: str, recipient_id: int, domain: str) -> str:
    """The envelope sender for one recipient: a bounce to it names the message and the recipient."""
    return f"{message_id}-{recipient_id}@{domain}"


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        clock: Clock,
        settings: DeliverySettings,
        signer: MessageSigner | None = None,
        tracking: TrackingLinks | None = None,
    ) -> None:
        self._signer = signer
        self._tracking = tracking
        self._store = store
        self._transport = transport
        self._clock = clock
        self._settings = settings
        self._wake = asyncio.Event()
        self._results: asyncio.Queue[AttemptResult] = asyncio.Queue()
        self._slots = asyncio.Semaphore(settings.max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._runners: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        self._wake.set()

    async def start(self, *, sole_worker: bool = False) -> None:
        """`sole_worker`: no other process delivers from this database (the embedded SQLite setup), so
        leases left by a previous run of this process can be released at once instead of timing out."""
        if sole_worker:
            released = await asyncio.to_thread(self._release_leases)
            if released:
                log.info("released %d recipients claimed by a previous run", released)
        self._runners = [
            asyncio.create_task(self._claim_loop(), name="postwarden-claim"),
            asyncio.create_task(self._record_loop(), name="postwarden-record"),
        ]

    async def stop(self) -> None:
        for task in [*self._runners, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._runners, *self._tasks, return_exceptions=True)
        await self._transport.close()

    async def _claim_loop(self) -> None:
        while True:
            free = self._settings.max_in_flight - len(self._tasks)
            claimed: list[tuple[DueRecipient, MessageContent]] = []
            if free > 0:
                try:
                    claimed = await asyncio.to_thread(self._claim, min(free, self._settings.claim_batch))
                except Exception:
                    log.exception("claiming due recipients failed; retrying")
            for due, content in claimed:
                await self._slots.acquire()
                task = asyncio.create_task(self._attempt(due, content))
                self._tasks.add(task)
                task.add_done_callback(self._done)
            if len(claimed) < self._settings.claim_batch or free <= 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.poll_seconds)

    def _release_leases(self) -> int:
        with self._store.transaction() as tx:
            return tx.messages.release_leases(self._clock.now())

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()
        if len(self._tasks) < self._settings.max_in_flight // 2:
            self._wake.set()

    def _claim(self, limit: int) -> list[tuple[DueRecipient, MessageContent]]:
        now = self._clock.now()
        with self._store.transaction() as tx:
            due = tx.messages.claim_due(now, limit, now + self._settings.lease_seconds, random_uuid())
            if not due:
                return []
            contents = _with_delivery_options(tx, due, tx.messages.contents(r.message_id for r in due))
            due = _mark_suppressed(tx, due)
            keys = self._signer.keys_for(tx, due, contents) if self._signer is not None else {}
            tracked = self._tracking.plan(tx, due, contents) if self._tracking is not None else {}
        if tracked and self._tracking is not None:
            contents = self._tracking.apply(contents, tracked)
        if self._signer is not None:
            # Signed after the claim has committed (signing is CPU work that must not hold the database),
            # once per message however many of its recipients were claimed.
            contents = self._signer.sign(contents, keys)
        return [(r, contents[r.message_id]) for r in due if r.message_id in contents]

    async def _attempt(self, due: DueRecipient, content: MessageContent) -> None:
        if due.suppressed:
            outcome: Outcome = ON_LIST
        elif due.simulator is not None:
            outcome = simulated_outcome(due.simulator)
        else:
            sender = verp_address(due.message_id, due.recipient_id, content.envelope_from)
            try:
                outcome = await self._transport.deliver(
                    sender, due.address, due.domain, content.content, require_tls=content.require_tls
                )
            except Exception as error:  # a transport bug must not lose the recipient: retry it
                log.exception("transport failed for recipient %s", due.recipient_id)
                outcome = TransientFailure(f"internal error: {type(error).__name__}")
        await self._results.put(self.result_for(due, outcome, content.max_delivery_seconds))

    def result_for(
        self, due: DueRecipient, outcome: Outcome, max_delivery_seconds: float | None = None
    ) -> AttemptResult:
        now = self._clock.now()
        mta = self._settings.reporting_mta
        next_at: float | None = None
        events: list[tuple[EventType, dict[str, object]]] = []
        if isinstance(outcome, Delivered):
            detail = delivery_detail(
                due.address, now, due.accepted_at, outcome.reply, mta, outcome.remote_mta_ip
            )
            events.append((EventType.DELIVERY, detail))
            if due.simulator is SimulatorScenario.COMPLAINT:
                feedback = ids.message_id(due.region, int(now * 1000), random_uuid())
                user_agent = "Amazon SES Mailbox Simulator"
                events.append((EventType.COMPLAINT, complaint_detail(due.address, now, feedback, user_agent)))
        elif isinstance(outcome, TransientFailure):
            retry = self._settings.retry
            if max_delivery_seconds is not None:
                retry = replace(retry, max_delivery_seconds=max_delivery_seconds)
            next_at = retry.next_attempt(due.attempts + 1, due.accepted_at, now)
            if next_at is not None:
                expiration = due.accepted_at + retry.max_delivery_seconds
                detail = delivery_delay_detail(
                    due.address,
                    now,
                    expiration,
                    mta,
                    outcome.description,
                    outcome.reply,
                    outcome.remote_mta_ip,
                )
                events.append((EventType.DELIVERY_DELAY, detail))
            else:
                events.append(
                    self._bounce(
                        due, now, BounceType.TRANSIENT, BounceSubType.GENERAL, outcome.description, outcome
                    )
                )
        else:
            events.append(
                self._bounce(
                    due, now, outcome.bounce_type, outcome.bounce_sub_type, outcome.description, outcome
                )
            )
        return AttemptResult(
            recipient=due,
            outcome=outcome,
            finished_at=now,
            next_attempt_at=next_at,
            events=[
                NewEvent(
                    random_uuid(), due.account_id, due.region, due.message_id, due.address, kind, now, d
                )
                for kind, d in events
            ],
        )

    def _bounce(
        self,
        due: DueRecipient,
        now: float,
        bounce_type: BounceType,
        sub_type: BounceSubType,
        description: str,
        outcome: PermanentFailure | TransientFailure,
    ) -> tuple[EventType, dict[str, object]]:
        feedback = ids.message_id(due.region, int(now * 1000), random_uuid())
        detail = bounce_detail(
            due.address,
            now,
            feedback,
            bounce_type,
            sub_type,
            self._settings.reporting_mta,
            outcome.reply,
            description,
            outcome.remote_mta_ip,
        )
        return EventType.BOUNCE, detail

    async def _record_loop(self) -> None:
        while True:
            batch = [await self._results.get()]
            while len(batch) < self._settings.flush_batch and not self._results.empty():
                batch.append(self._results.get_nowait())
            while True:
                try:
                    await asyncio.to_thread(self.record, batch)
                    break
                except Exception:  # the database is unavailable: keep the results and try again
                    log.exception("recording %d delivery results failed; retrying", len(batch))
                    await asyncio.sleep(1.0)

    def record(self, batch: Sequence[AttemptResult]) -> None:
        with self._store.transaction() as tx:
            applied = tx.messages.record_attempts(batch)
            tx.events.add([event for result in applied for event in result.events])
            _suppress(tx, applied)

    @property
    def in_flight(self) -> int:
        return len(self._tasks)


def _mark_suppressed(tx: Transaction, due: list[DueRecipient]) -> list[DueRecipient]:
    """Flag the claimed recipients that are on their account's suppression list (one query per account)."""
    by_account: dict[tuple[str, str], list[str]] = {}
    for recipient in due:
        if recipient.simulator is None:
            by_account.setdefault((recipient.account_id, recipient.region), []).append(recipient.address)
    listed = {
        key: tx.suppression.suppressed_among(key[0], key[1], addresses)
        for key, addresses in by_account.items()
    }
    return [
        replace(r, suppressed=True) if r.address.lower() in listed.get((r.account_id, r.region), ()) else r
        for r in due
    ]


def _suppress(tx: Transaction, applied: Sequence[AttemptResult]) -> None:
    """Hard bounces and complaints put the address on the account's suppression list (per the reasons of
    the message's configuration set, or the account's)."""
    outcomes = [
        r for r in applied if any(e.event_type in {EventType.BOUNCE, EventType.COMPLAINT} for e in r.events)
    ]
    if not outcomes:
        return
    reasons = reasons_for_messages(
        tx, {(r.recipient.account_id, r.recipient.region, r.recipient.message_id) for r in outcomes}
    )
    for result in outcomes:
        due = result.recipient
        enabled = reasons[due.message_id]
        for event in result.events:
            if event.event_type is EventType.BOUNCE and isinstance(result.outcome, PermanentFailure):
                reason = reason_for_bounce(
                    result.outcome.bounce_type,
                    result.outcome.bounce_sub_type,
                    result.outcome.reply,
                    simulator=due.simulator is not None,
                    enabled=enabled,
                )
            elif event.event_type is EventType.COMPLAINT:
                reason = reason_for_complaint(simulator=due.simulator is not None, enabled=enabled)
            else:
                continue
            if reason is not None:
                feedback = event.detail.get("feedbackId")
                tx.suppression.put(
                    SuppressedDestination(
                        due.account_id,
                        due.region,
                        due.address.lower(),
                        reason,
                        result.finished_at,
                        due.message_id,
                        str(feedback) if feedback else None,
                    )
                )


def _with_delivery_options(
    tx: Transaction, due: Sequence[DueRecipient], contents: dict[str, MessageContent]
) -> dict[str, MessageContent]:
    """Each message's configuration-set delivery options (TlsPolicy, MaxDeliverySeconds)."""
    named: dict[tuple[str, str], set[str]] = {}
    accounts = {r.message_id: (r.account_id, r.region) for r in due}
    for message_id, content in contents.items():
        if content.configuration_set:
            named.setdefault(accounts[message_id], set()).add(content.configuration_set)
    if not named:
        return contents
    configs = {
        (key, name): config
        for key, names in named.items()
        for name, config in tx.configuration_sets.many(key[0], key[1], names).items()
    }
    found = dict(contents)
    for message_id, content in contents.items():
        config = configs.get((accounts[message_id], content.configuration_set or ""))
        if config is not None:
            found[message_id] = replace(
                content,
                require_tls=config.tls_policy == "REQUIRE",
                max_delivery_seconds=config.max_delivery_seconds,
            )
    return found
