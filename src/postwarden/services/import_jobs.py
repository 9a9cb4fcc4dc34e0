"""Suppression-list import jobs as the account sees them (SES CreateImportJob, GetImportJob,
ListImportJobs), and the signed link to a job's failed records that stands in for SES's pre-signed S3 URL.

The work itself is done in the background by `services.import_runner`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from postwarden.domain.model import SendingLimits
from postwarden.domain.suppression_import import DataFormat, FailedRecord, ImportAction, JobStatus
from postwarden.ports import Clock, Store
from postwarden.ports.import_jobs import ImportJob, ImportSource
from postwarden.services.links import InvalidLinkError, LinkClaims, LinkSigner
from postwarden.services.suppression import SandboxRestrictionError

FAILED_RECORDS_PATH = "/import-jobs/failed-records"
FAILED_RECORDS_LINK_SECONDS = 3600.0


class ImportJobNotFoundError(LookupError):
    pass


class ImportSourceRefusedError(ValueError):
    """The data source cannot be used; the message says why and which sources can."""


@dataclass(frozen=True, slots=True)
class ImportJobSettings:
    public_url: str
    server_key: bytes


class ImportJobService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        sandbox: SendingLimits,
        source: ImportSource,
        settings: ImportJobSettings,
        on_created: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._sandbox = sandbox
        self._source = source
        self._public_url = settings.public_url.rstrip("/")
        self._links = LinkSigner(settings.server_key, "import-job-failed-records")
        self._on_created = on_created

    async def create(
        self, account_id: str, region: str, action: ImportAction, url: str, data_format: DataFormat
    ) -> str:
        refusal = await self._source.refusal(url)
        if refusal is not None:
            raise ImportSourceRefusedError(refusal)
        job = ImportJob(
            job_id=str(uuid.uuid4()),
            account_id=account_id,
            region=region,
            action=action,
            source_url=url,
            data_format=data_format,
            status=JobStatus.CREATED,
            created_at=self._clock.now(),
        )
        await asyncio.to_thread(self._add, job)
        self._on_created()
        return job.job_id

    def _add(self, job: ImportJob) -> None:
        with self._store.transaction() as tx:
            # SES: "you can't use the PutSuppressedDestination or CreateImportJob operation until your
            # account is removed from the sandbox"
            key = (job.account_id, job.region)
            if not tx.sending.lock_states([key], self._sandbox, job.created_at)[key].production_access:
                raise SandboxRestrictionError(job.region)
            tx.import_jobs.add(job)

    def get(self, account_id: str, region: str, job_id: str) -> ImportJob:
        with self._store.read() as tx:
            job = tx.import_jobs.get(account_id, region, job_id)
        if job is None:
            raise ImportJobNotFoundError(job_id)
        return job

    def jobs(self, account_id: str, region: str, destination_type: str | None = None) -> list[ImportJob]:
        """Newest first."""
        with self._store.read() as tx:
            return tx.import_jobs.for_account(account_id, region, destination_type)

    def failed_records_url(self, job: ImportJob) -> str | None:
        """A link, valid for an hour, to the CSV of the job's failed records (None when none failed)."""
        if not job.failed:
            return None
        claims = LinkClaims(
            job.account_id, job.region, job.job_id, self._clock.now() + FAILED_RECORDS_LINK_SECONDS
        )
        return f"{self._public_url}{FAILED_RECORDS_PATH}?token={quote(self._links.token(claims))}"

    def failed_records(self, token: str) -> list[FailedRecord]:
        """The failed records of the job a failed-records link names; InvalidLinkError when the link is
        forged, edited or expired."""
        claims = self._links.verify(token, self._clock.now())
        with self._store.read() as tx:
            job = tx.import_jobs.get(claims.account_id, claims.region, claims.identity)
            if job is None:
                raise InvalidLinkError("This import job no longer exists.")
            return tx.import_jobs.failures(job.job_id)
