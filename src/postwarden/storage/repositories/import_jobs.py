"""Suppression-list import jobs: the job rows (status, counts, lease) and the records that failed.

A job is claimed like a queue row: PROCESSING under a lease token, the lease extended with every batch
of progress; a runner that dies leaves a lease that runs out, and another runner resumes the job after
the records already counted (`processed_count`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, text

from postwarden.domain.suppression_import import DataFormat, FailedRecord, ImportAction, JobStatus
from postwarden.ports.import_jobs import ImportJob
from postwarden.storage.driver import execute, insert_rows
from postwarden.storage.tables import import_job_failures, import_jobs

_CLAIM = (
    "UPDATE import_jobs SET status = 'PROCESSING', started_at = COALESCE(started_at, :now), "
    "lease_token = :token, lease_until = :lease_until WHERE job_id IN (SELECT job_id FROM import_jobs "
    "WHERE status = 'CREATED' OR (status = 'PROCESSING' AND lease_until < :now) "
    "ORDER BY created_at LIMIT 1{lock}) RETURNING *"
)
_PROGRESS = (
    "UPDATE import_jobs SET processed_count = processed_count + ?, failed_count = failed_count + ?, "
    "lease_until = ? WHERE job_id = ? AND lease_token = ? AND status = 'PROCESSING'"
)
_FINISH = (
    "UPDATE import_jobs SET status = ?, completed_at = ?, error_message = ?, lease_token = NULL, "
    "lease_until = NULL WHERE job_id = ? AND lease_token = ? AND status = 'PROCESSING'"
)
_COLUMNS = (
    "job_id",
    "account_id",
    "region",
    "destination_type",
    "import_action",
    "source_url",
    "data_format",
    "status",
    "created_at",
    "processed_count",
    "failed_count",
)


class SqlImportJobRepository:
    def __init__(self, connection: Connection, *, skip_locked: bool) -> None:
        self._c = connection
        self._claim = text(_CLAIM.format(lock=" FOR UPDATE SKIP LOCKED" if skip_locked else ""))

    def add(self, job: ImportJob) -> None:
        row = (
            job.job_id,
            job.account_id,
            job.region,
            job.destination_type,
            job.action.value,
            job.source_url,
            job.data_format.value,
            job.status.value,
            job.created_at,
            job.processed,
            job.failed,
        )
        insert_rows(self._c, import_jobs, _COLUMNS, [row])

    def get(self, account_id: str, region: str, job_id: str) -> ImportJob | None:
        table = import_jobs
        query = select(table).where(
            table.c.job_id == job_id, table.c.account_id == account_id, table.c.region == region
        )
        row = self._c.execute(query).mappings().first()
        return None if row is None else _job(row)

    def for_account(self, account_id: str, region: str, destination_type: str | None) -> list[ImportJob]:
        table = import_jobs
        query = select(table).where(table.c.account_id == account_id, table.c.region == region)
        if destination_type is not None:
            query = query.where(table.c.destination_type == destination_type)
        query = query.order_by(table.c.created_at.desc(), table.c.job_id)
        return [_job(row) for row in self._c.execute(query).mappings()]

    def claim(self, now: float, lease_until: float, token: str) -> ImportJob | None:
        params = {"now": now, "token": token, "lease_until": lease_until}
        row = self._c.execute(self._claim, params).mappings().first()
        return None if row is None else _job(row)

    def record_progress(
        self, job_id: str, token: str, processed: int, failures: Sequence[FailedRecord], lease_until: float
    ) -> bool:
        params = (processed, len(failures), lease_until, job_id, token)
        if execute(self._c, _PROGRESS, params) != 1:
            return False
        rows = [(job_id, f.line, f.record, f.error) for f in failures]
        insert_rows(self._c, import_job_failures, ("job_id", "line_number", "record", "error"), rows)
        return True

    def finish(
        self, job_id: str, token: str, status: JobStatus, completed_at: float, error_message: str | None
    ) -> bool:
        params = (status.value, completed_at, error_message, job_id, token)
        return execute(self._c, _FINISH, params) == 1

    def failures(self, job_id: str) -> list[FailedRecord]:
        table = import_job_failures
        query = (
            select(table.c.line_number, table.c.record, table.c.error)
            .where(table.c.job_id == job_id)
            .order_by(table.c.line_number)
        )
        return [FailedRecord(row[0], row[1], row[2]) for row in self._c.execute(query)]

    def release_leases(self) -> int:
        return execute(
            self._c, "UPDATE import_jobs SET lease_until = 0 WHERE status = 'PROCESSING' AND lease_until > 0"
        )


def _job(row: Any) -> ImportJob:
    return ImportJob(
        job_id=row["job_id"],
        account_id=row["account_id"],
        region=row["region"],
        action=ImportAction(row["import_action"]),
        source_url=row["source_url"],
        data_format=DataFormat(row["data_format"]),
        status=JobStatus(row["status"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        completed_at=row["completed_at"],
        processed=row["processed_count"],
        failed=row["failed_count"],
        error_message=row["error_message"],
        destination_type=row["destination_type"],
    )
