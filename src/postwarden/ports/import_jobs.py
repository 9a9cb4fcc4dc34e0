"""Ports for suppression-list import jobs: the durable job table and where import files come from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from postwarden.domain.suppression_import import DataFormat, FailedRecord, ImportAction, JobStatus

SUPPRESSION_LIST = "SUPPRESSION_LIST"
"""The one ImportDestinationType Postwarden serves (it has no contact lists)."""


@dataclass(frozen=True, slots=True)
class ImportJob:
    job_id: str
    account_id: str
    region: str
    action: ImportAction
    source_url: str
    data_format: DataFormat
    status: JobStatus
    created_at: float
    started_at: float | None = None
    completed_at: float | None = None
    processed: int = 0
    """Records done so far, failed ones included; also where a resumed job starts again."""
    failed: int = 0
    error_message: str | None = None
    destination_type: str = SUPPRESSION_LIST


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    job: ImportJob
    lease_token: str


class ImportJobRepository(Protocol):
    def add(self, job: ImportJob) -> None: ...
    def get(self, account_id: str, region: str, job_id: str) -> ImportJob | None: ...
    def for_account(self, account_id: str, region: str, destination_type: str | None) -> list[ImportJob]:
        """Newest first."""
        ...

    def claim(self, now: float, lease_until: float, token: str) -> ImportJob | None:
        """The oldest job waiting to run (CREATED, or PROCESSING under an expired lease), now PROCESSING
        under `token` until `lease_until`; locked for this transaction, skipped by other nodes."""
        ...

    def record_progress(
        self, job_id: str, token: str, processed: int, failures: Sequence[FailedRecord], lease_until: float
    ) -> bool:
        """Add `processed` records (of which `failures` failed) to the job and extend its lease; False
        (and nothing written) when the lease was lost to another runner."""
        ...

    def finish(
        self, job_id: str, token: str, status: JobStatus, completed_at: float, error_message: str | None
    ) -> bool: ...
    def failures(self, job_id: str) -> list[FailedRecord]:
        """The failed records in file order."""
        ...

    def release_leases(self) -> int:
        """Make every PROCESSING job claimable at once (a sole runner starting after a crash)."""
        ...


class ImportSourceError(Exception):
    """The import file could not be read; the message is shown to the account (FailureInfo)."""


class ImportSource(Protocol):
    async def refusal(self, url: str) -> str | None:
        """Why `url` may not be used as an import source (scheme, directory, private host), or None."""
        ...

    async def fetch(self, url: str) -> bytes:
        """The whole file; raises ImportSourceError (unreadable, too large, refused)."""
        ...

    async def close(self) -> None: ...
