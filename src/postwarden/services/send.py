"""The accept path: apply the send policy and durably queue the message, many requests per transaction.

Requests wait on an in-memory queue; one batch at a time is decided and written in a single transaction
(group commit). A caller's future is resolved only after that transaction has committed, so a success
reply always means the message, its recipients, the quota usage and the Send event are on disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from postwarden.domain import configuration_sets, ids
from postwarden.domain.addresses import EmailAddress
from postwarden.domain.configuration_sets import ConfigurationSet
from postwarden.domain.decision import Decision
from postwarden.domain.events import EventType
from postwarden.domain.identities import MailFromSetting, VerifiedIdentities, candidate_identities
from postwarden.domain.model import SendingLimits, SendingState
from postwarden.domain.policy import mail_from as mail_from_policy
from postwarden.domain.policy import quota
from postwarden.domain.policy.send import PolicySettings, SendAttempt, decide
from postwarden.domain.simulator import simulator_scenario
from postwarden.fast_ids import random_uuid
from postwarden.ports import Clock, NewEvent, NewMessage, NewRecipient, Store, Transaction

log = logging.getLogger("postwarden.send")


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message an adapter has parsed and built, ready for the policy."""

    account_id: str
    region: str
    message_id: str
    source: EmailAddress
    senders: tuple[EmailAddress, ...]
    recipients: tuple[EmailAddress, ...]
    content: bytes
    caller_identity: str
    source_ip: str
    operation: str
    configuration_set: str | None = None
    tags: Mapping[str, Sequence[str]] = field(default_factory=dict)
    common_headers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendSettings:
    sandbox: SendingLimits
    policy: PolicySettings
    return_path_domain: str
    max_batch: int = 512


class SendService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: SendSettings,
        on_accepted: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._on_accepted = on_accepted
        self._queue: asyncio.Queue[tuple[OutgoingMessage, asyncio.Future[Decision]]] | None = None
        self._runner: asyncio.Task[None] | None = None

    def new_message_id(self, region: str) -> str:
        return ids.message_id(region, int(self._clock.now() * 1000), random_uuid())

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._runner = asyncio.create_task(self._run(), name="postwarden-accept")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
            self._runner = None

    async def submit(self, message: OutgoingMessage) -> Decision:
        """Decide and, when allowed, durably queue; returns once the outcome is committed."""
        if self._queue is None:
            raise RuntimeError("SendService.start() has not been called")
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        await self._queue.put((message, future))
        return await future

    def write_service_message(self, tx: Transaction, message: OutgoingMessage, now: float) -> None:
        """Queue Postwarden's own mail inside the caller's transaction (a notice that goes with a decision
        is committed together with it); the delivery worker finds it on its next poll."""
        self._write_accepted(tx, [message], now)

    async def enqueue_service_message(self, message: OutgoingMessage) -> None:
        """Queue mail that Postwarden itself sends on an account's behalf (verification emails): no send
        policy, no quota, but the same durable queue, delivery and events as any other message."""
        now = self._clock.now()

        def store() -> None:
            with self._store.transaction() as tx:
                self._write_accepted(tx, [message], now)

        await asyncio.to_thread(store)
        self._on_accepted()

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._settings.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            messages = [m for m, _ in batch]
            try:
                decisions = await asyncio.to_thread(self.decide_and_store, messages)
            except Exception as error:  # the transaction rolled back: nobody is told "accepted"
                log.exception("accept batch of %d failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), decision in zip(batch, decisions, strict=True):
                if not future.done():
                    future.set_result(decision)
            if any(d.allowed for d in decisions):
                self._on_accepted()

    def decide_and_store(self, batch: Sequence[OutgoingMessage]) -> list[Decision]:
        """One transaction: lock the sending states, decide each message in order, write the results."""
        now = self._clock.now()
        with self._store.transaction() as tx:
            states = self._current_states(tx, batch, now)
            verified, mail_from = self._identities(tx, batch)
            configs = self._configuration_sets(tx, batch)
            decisions: list[Decision] = []
            accepted: list[OutgoingMessage] = []
            envelope: dict[str, str] = {}
            usage: Counter[tuple[str, str]] = Counter()
            default_domain = self._settings.return_path_domain
            for message in batch:
                key = (message.account_id, message.region)
                attempt = SendAttempt(message.senders, message.recipients)
                verdict = decide(states[key], attempt, verified[key], now, self._settings.policy)
                decision = configuration_sets.check(
                    message.configuration_set, configs.get((*key, message.configuration_set or ""))
                )
                if decision.allowed:
                    decision = verdict.decision
                if decision.allowed:
                    decision, envelope[message.message_id] = mail_from_policy.choose(
                        message.source, mail_from[key], default_domain
                    )
                decisions.append(decision)
                if decision.allowed:
                    states[key] = verdict.state
                    accepted.append(message)
                    usage[key] += attempt.quota_cost
            self._write_accepted(tx, accepted, now, envelope)
            refused = [(m, d) for m, d in zip(batch, decisions, strict=True) if not d.allowed]
            tx.events.add([self._reject_event(m, d, now) for m, d in refused])
            second = int(now)
            for (account_id, region), count in usage.items():
                if count:
                    tx.sending.add_usage(account_id, region, second, count)
            for state in states.values():
                tx.sending.save_state(state)
        for message, decision in zip(batch, decisions, strict=True):
            if not decision.allowed:
                log.info(
                    "refused %s for account %s in %s: %s",
                    message.message_id,
                    message.account_id,
                    message.region,
                    decision.explanation,
                )
        return decisions

    def _current_states(
        self, tx: Transaction, batch: Sequence[OutgoingMessage], now: float
    ) -> dict[tuple[str, str], SendingState]:
        keys = {(m.account_id, m.region) for m in batch}
        states = tx.sending.lock_states(keys, self._settings.sandbox, now)
        return {key: expire_usage(tx, state, now) for key, state in states.items()}

    def _identities(
        self, tx: Transaction, batch: Sequence[OutgoingMessage]
    ) -> tuple[dict[tuple[str, str], VerifiedIdentities], dict[tuple[str, str], dict[str, MailFromSetting]]]:
        """Per (account, region): which of the identities involved are verified, and the custom MAIL FROM
        settings of the senders' identities."""
        names: dict[tuple[str, str], set[str]] = {}
        senders: dict[tuple[str, str], set[str]] = {}
        for message in batch:
            key = (message.account_id, message.region)
            wanted = names.setdefault(key, set())
            for address in (*message.senders, *message.recipients):
                wanted.update(candidate_identities(address))
            senders.setdefault(key, set()).update(candidate_identities(message.source))
        verified = {
            key: VerifiedIdentities(tx.identities.verified_names(key[0], key[1], wanted))
            for key, wanted in names.items()
        }
        mail_from = {
            key: tx.identities.mail_from_settings(key[0], key[1], wanted) for key, wanted in senders.items()
        }
        return verified, mail_from

    @staticmethod
    def _configuration_sets(
        tx: Transaction, batch: Sequence[OutgoingMessage]
    ) -> dict[tuple[str, str, str], ConfigurationSet]:
        named: dict[tuple[str, str], set[str]] = {}
        for message in batch:
            if message.configuration_set:
                named.setdefault((message.account_id, message.region), set()).add(message.configuration_set)
        return {
            (account_id, region, name): config
            for (account_id, region), names in named.items()
            for name, config in tx.configuration_sets.many(account_id, region, names).items()
        }

    def _write_accepted(
        self,
        tx: Transaction,
        accepted: Sequence[OutgoingMessage],
        now: float,
        envelope: Mapping[str, str] | None = None,
    ) -> None:
        if not accepted:
            return
        tx.messages.add_messages(
            [
                NewMessage(
                    message_id=m.message_id,
                    account_id=m.account_id,
                    region=m.region,
                    created_at=now,
                    source=m.source.shown,
                    envelope_from=(envelope or {}).get(m.message_id, self._settings.return_path_domain),
                    destination=[r.addr_spec for r in m.recipients],
                    content=m.content,
                    caller_identity=m.caller_identity,
                    source_ip=m.source_ip,
                    operation=m.operation,
                    configuration_set=m.configuration_set,
                    tags=m.tags,
                    common_headers=m.common_headers,
                )
                for m in accepted
            ]
        )
        tx.messages.add_recipients(
            [
                NewRecipient(
                    message_id=m.message_id,
                    account_id=m.account_id,
                    region=m.region,
                    address=r.addr_spec,
                    domain=r.domain,
                    accepted_at=now,
                    simulator=simulator_scenario(r),
                )
                for m in accepted
                for r in m.recipients
            ]
        )
        tx.events.add(
            [
                NewEvent(
                    random_uuid(),
                    m.account_id,
                    m.region,
                    m.message_id,
                    None,
                    EventType.SEND,
                    now,
                    {},
                    fanout=m.configuration_set is not None,
                )
                for m in accepted
            ]
        )

    @staticmethod
    def _reject_event(message: OutgoingMessage, decision: Decision, now: float) -> NewEvent:
        detail = {
            "reason": decision.message,
            **decision.as_record(),
            "source": message.source.shown,
            "destination": [r.addr_spec for r in message.recipients],
            "operation": message.operation,
        }
        return NewEvent(
            random_uuid(), message.account_id, message.region, None, None, EventType.REJECT, now, detail,
            fanout=False,
        )  # fmt: skip


def expire_usage(tx: Transaction, state: SendingState, now: float) -> SendingState:
    """The state with usage that has left the rolling 24-hour window subtracted."""
    through = quota.window_start(now)
    if through <= state.usage.counted_through:
        return state
    expired = tx.sending.expired_usage(state.account_id, state.region, state.usage.counted_through, through)
    return state.with_usage(quota.expire(state.usage, expired, through))
