"""Running suppression-list import jobs in the background: CREATED → PROCESSING → COMPLETED | FAILED.

A runner claims one job at a time under a lease, reads the file (`ImportSource`), parses it, and applies
it in batches; each batch is one transaction that changes the suppression list, adds the batch's failed
records and moves the job's counts on, so progress is durable and a job taken over after a crash
resumes where the last committed batch ended. A file that cannot be read fails the job with a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from postwarden.domain.suppression_import import (
    AddressCheck,
    FailedRecord,
    ImportAction,
    ImportFileError,
    ImportRecord,
    JobStatus,
    parse_import,
)
from postwarden.ports import Clock, Store, SuppressedDestination
from postwarden.ports.import_jobs import ImportJob, ImportSource, ImportSourceError

log = logging.getLogger("postwarden.imports")


@dataclass(frozen=True, slots=True)
class ImportRunnerSettings:
    batch: int = 1000
    lease_seconds: float = 300.0
    poll_seconds: float = 2.0


class ImportRunner:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        source: ImportSource,
        check_address: AddressCheck,
        settings: ImportRunnerSettings | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._source = source
        self._check_address = check_address
        self._settings = settings or ImportRunnerSettings()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self, *, sole_worker: bool = False) -> None:
        if sole_worker:  # nobody else can hold a lease: resume interrupted jobs at once
            await asyncio.to_thread(self._release_leases)
        self._task = asyncio.create_task(self._loop(), name="postwarden-imports")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._source.close()

    async def _loop(self) -> None:
        while True:
            try:
                ran = await self.run_once()
            except Exception:  # the job's lease runs out and it is taken up again
                log.exception("import job failed unexpectedly; it resumes when its lease ends")
                ran = False
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._settings.poll_seconds)
                self._wake.clear()

    async def run_once(self) -> bool:
        """Claim and run one waiting job; False when none was waiting."""
        token = str(uuid.uuid4())
        job = await asyncio.to_thread(self._claim, token)
        if job is None:
            return False
        await self._run(job, token)
        return True

    async def _run(self, job: ImportJob, token: str) -> None:
        try:
            data = await self._source.fetch(job.source_url)
            records = await asyncio.to_thread(
                parse_import, data, job.data_format, job.action, self._check_address
            )
        except (ImportSourceError, ImportFileError) as error:
            log.info("import job %s failed: %s", job.job_id, error)
            await asyncio.to_thread(self._finish, job, token, JobStatus.FAILED, str(error))
            return
        size = self._settings.batch
        for start in range(job.processed, len(records), size):
            if not await asyncio.to_thread(self._apply, job, token, records[start : start + size]):
                log.warning("import job %s was taken over by another runner", job.job_id)
                return
        await asyncio.to_thread(self._finish, job, token, JobStatus.COMPLETED, None)
        failed = sum(1 for r in records if isinstance(r, FailedRecord))
        log.info("import job %s completed: %d records, %d failed", job.job_id, len(records), failed)

    def _claim(self, token: str) -> ImportJob | None:
        now = self._clock.now()
        with self._store.transaction() as tx:
            return tx.import_jobs.claim(now, now + self._settings.lease_seconds, token)

    def _apply(self, job: ImportJob, token: str, batch: Sequence[ImportRecord | FailedRecord]) -> bool:
        now = self._clock.now()
        failures = [r for r in batch if isinstance(r, FailedRecord)]
        good = [r for r in batch if isinstance(r, ImportRecord)]
        with self._store.transaction() as tx:
            lease_until = now + self._settings.lease_seconds
            if not tx.import_jobs.record_progress(job.job_id, token, len(batch), failures, lease_until):
                return False
            if job.action is ImportAction.DELETE:
                tx.suppression.delete_many(job.account_id, job.region, [r.address for r in good])
            else:
                tx.suppression.put_many(
                    [
                        SuppressedDestination(
                            job.account_id, job.region, r.address, r.reason, now, None, None
                        )
                        for r in good
                        if r.reason is not None
                    ]
                )
        return True

    def _finish(self, job: ImportJob, token: str, status: JobStatus, error: str | None) -> None:
        with self._store.transaction() as tx:
            tx.import_jobs.finish(job.job_id, token, status, self._clock.now(), error)

    def _release_leases(self) -> None:
        with self._store.transaction() as tx:
            tx.import_jobs.release_leases()
