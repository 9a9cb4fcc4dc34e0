"""Delivering queued notifications to HTTP(S) subscribers: signed SNS envelopes, POSTed, retried with
backoff until acknowledged (2xx) or too old, at least once, with a MessageId that never changes.

It runs its own loops with its own concurrency limit and timeouts, apart from mail delivery, so an
endpoint that is down or slow never holds up mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from postwarden.domain.delivery import RetryPolicy
from postwarden.domain.notifications import EnvelopeType, string_to_sign
from postwarden.ports import Clock, Store
from postwarden.ports.notifications import (
    DueNotification,
    EndpointPolicy,
    EnvelopeSigner,
    NotificationResult,
    WebhookTransport,
)
from postwarden.services.notification_fanout import EventFanout

log = logging.getLogger("postwarden.notifications")


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    retry: RetryPolicy
    max_in_flight: int = 64
    claim_batch: int = 64
    lease_seconds: float = 120.0
    poll_seconds: float = 0.5


class NotificationDispatcher:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        fanout: EventFanout,
        transport: WebhookTransport,
        signer: EnvelopeSigner,
        endpoints: EndpointPolicy,
        settings: DispatchSettings,
    ) -> None:
        self._store = store
        self._clock = clock
        self._fanout = fanout
        self._transport = transport
        self._signer = signer
        self._endpoints = endpoints
        self._settings = settings
        self._wake = asyncio.Event()
        self._results: asyncio.Queue[NotificationResult] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runners: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        self._wake.set()

    async def start(self, *, sole_worker: bool = False) -> None:
        if sole_worker:
            await asyncio.to_thread(self._release_leases)
        self._runners = [
            asyncio.create_task(self._fanout_loop(), name="postwarden-fanout"),
            asyncio.create_task(self._claim_loop(), name="postwarden-notify"),
            asyncio.create_task(self._record_loop(), name="postwarden-notify-record"),
        ]

    async def stop(self) -> None:
        for task in [*self._runners, *self._tasks]:
            task.cancel()
        await asyncio.gather(*self._runners, *self._tasks, return_exceptions=True)
        await self._transport.close()

    def _release_leases(self) -> None:
        with self._store.transaction() as tx:
            tx.notifications.release_leases(self._clock.now())

    async def _fanout_loop(self) -> None:
        while True:
            try:
                taken = await asyncio.to_thread(self._fanout.run_once)
            except Exception:
                log.exception("fanning out events failed; retrying")
                taken = 0
            if taken:
                self._wake.set()
            else:
                await asyncio.sleep(self._settings.poll_seconds)

    async def _claim_loop(self) -> None:
        while True:
            free = self._settings.max_in_flight - len(self._tasks)
            claimed: list[DueNotification] = []
            if free > 0:
                try:
                    claimed = await asyncio.to_thread(self._claim, min(free, self._settings.claim_batch))
                except Exception:
                    log.exception("claiming notifications failed; retrying")
            for due in claimed:
                task = asyncio.create_task(self._attempt(due))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            if len(claimed) < self._settings.claim_batch:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.poll_seconds)

    def _claim(self, limit: int) -> list[DueNotification]:
        now = self._clock.now()
        with self._store.transaction() as tx:
            return tx.notifications.claim_due(
                now, limit, now + self._settings.lease_seconds, str(uuid.uuid4())
            )

    async def _attempt(self, due: DueNotification) -> None:
        error = ""
        delivered = False
        try:
            refusal = await self._endpoints.refusal(due.endpoint)
            if refusal is not None:
                error = f"endpoint refused: {refusal}"
            else:
                headers, body = self.request(due)
                status = await self._transport.post(due.endpoint, headers, body)
                delivered = 200 <= status < 300
                error = "" if delivered else f"HTTP {status}"
        except Exception as failure:  # noqa: BLE001 -- a network error or a bug: keep it, retry it
            error = f"{type(failure).__name__}: {failure}"[:500]
        await self._results.put(self.result_for(due, delivered, error))

    def request(self, due: DueNotification) -> tuple[dict[str, str], bytes]:
        """The headers and body of the POST: the signed envelope, or the bare message for raw delivery."""
        document = dict(due.document)
        headers = {
            "content-type": "text/plain; charset=UTF-8",
            "user-agent": "Amazon Simple Notification Service Agent",
            "x-amz-sns-message-type": document["Type"],
            "x-amz-sns-message-id": document["MessageId"],
            "x-amz-sns-topic-arn": due.topic_arn,
        }
        if document["Type"] == EnvelopeType.NOTIFICATION:
            headers["x-amz-sns-subscription-arn"] = due.subscription_arn
            if due.raw_message_delivery:
                headers["x-amz-sns-rawdelivery"] = "true"
                return headers, document["Message"].encode()
        signed = {
            **document,
            "SignatureVersion": due.signature_version,
            "Signature": self._signer.sign(string_to_sign(document), due.signature_version),
            "SigningCertURL": self._signer.certificate_url,
        }
        if "UnsubscribeURL" in signed:  # SNS puts it last
            signed["UnsubscribeURL"] = signed.pop("UnsubscribeURL")
        return headers, json.dumps(signed, indent=2).encode()

    def result_for(self, due: DueNotification, delivered: bool, error: str) -> NotificationResult:
        now = self._clock.now()
        if delivered:
            return NotificationResult(due.notification_id, due.lease_token, now, True)
        next_at = self._settings.retry.next_attempt(due.attempts + 1, due.created_at, now)
        if next_at is None:
            log.warning("notification %s to %s expired: %s", due.notification_id, due.endpoint, error)
        return NotificationResult(due.notification_id, due.lease_token, now, False, error, next_at)

    async def _record_loop(self) -> None:
        while True:
            batch = [await self._results.get()]
            while not self._results.empty():
                batch.append(self._results.get_nowait())
            while True:
                try:
                    await asyncio.to_thread(self.record, batch)
                    break
                except Exception:
                    log.exception("recording %d notification results failed; retrying", len(batch))
                    await asyncio.sleep(1.0)

    def record(self, batch: Sequence[NotificationResult]) -> None:
        with self._store.transaction() as tx:
            tx.notifications.record(batch)
