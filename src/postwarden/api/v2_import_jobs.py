"""SES v2 import jobs (CreateImportJob, GetImportJob, ListImportJobs) for the account-level suppression
list, and the page behind FailureInfo.FailedRecordsS3Url: a CSV of the failed records."""

from __future__ import annotations

import asyncio
import csv
import functools
import html
import io
from typing import Any
from urllib.parse import parse_qs

from postwarden.api.app import Document, Handler, RequestContext
from postwarden.api.errors import bad_request, not_found
from postwarden.api.paging import page
from postwarden.domain.suppression_import import DataFormat, ImportAction
from postwarden.ports.import_jobs import SUPPRESSION_LIST, ImportJob
from postwarden.services.import_jobs import (
    ImportJobNotFoundError,
    ImportJobService,
    ImportSourceRefusedError,
)
from postwarden.services.links import InvalidLinkError
from postwarden.services.suppression import SandboxRestrictionError


class ImportJobHandlers:
    def __init__(self, jobs: ImportJobService) -> None:
        self._jobs = jobs

    def table(self) -> dict[str, Handler]:
        return {
            "CreateImportJob": self.create,
            "GetImportJob": self.get,
            "ListImportJobs": self.list,
        }

    async def create(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        action = _action(params["ImportDestination"])
        source = params["ImportDataSource"]
        try:
            job_id = await self._jobs.create(
                ctx.account_id, ctx.region, action, source["S3Url"], DataFormat(source["DataFormat"])
            )
        except ImportSourceRefusedError as error:
            raise bad_request(str(error)) from error
        except SandboxRestrictionError as error:
            raise bad_request(
                "You can't import addresses to the suppression list while the account is in the sandbox in "
                f"{ctx.region}. Request production access first."
            ) from error
        return {"JobId": job_id}

    async def get(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        job_id = params["JobId"]
        try:
            job = await asyncio.to_thread(self._jobs.get, ctx.account_id, ctx.region, job_id)
        except ImportJobNotFoundError as error:
            raise not_found(f"Import job {job_id} does not exist.") from error
        found = _summary(job)
        found["ImportDataSource"] = {"S3Url": job.source_url, "DataFormat": job.data_format.value}
        if job.completed_at is not None:
            found["CompletedTimestamp"] = job.completed_at
        failure = self._failure_info(job)
        if failure:
            found["FailureInfo"] = failure
        return found

    async def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        query = functools.partial(
            self._jobs.jobs, ctx.account_id, ctx.region, params.get("ImportDestinationType")
        )
        jobs: list[ImportJob] = await asyncio.to_thread(query)
        size = int(params.get("PageSize") or 100)
        shown, next_token = page(jobs, params.get("NextToken"), size, error_code="BadRequestException")
        result: dict[str, Any] = {"ImportJobs": [_summary(job) for job in shown]}
        if next_token:
            result["NextToken"] = next_token
        return result

    def _failure_info(self, job: ImportJob) -> dict[str, str]:
        info: dict[str, str] = {}
        if job.error_message:
            info["ErrorMessage"] = job.error_message
        url = self._jobs.failed_records_url(job)
        if url is not None:
            info["FailedRecordsS3Url"] = url
            info.setdefault(
                "ErrorMessage",
                f"{job.failed} of {job.processed} records failed; FailedRecordsS3Url lists each with its "
                "line number and the reason.",
            )
        return info


class FailedRecordsPage:
    """GET FAILED_RECORDS_PATH?token=…: the signed link answers a CSV, lineNumber,record,error."""

    def __init__(self, jobs: ImportJobService) -> None:
        self._jobs = jobs

    async def handle(self, query: str) -> tuple[int, str] | Document:
        token = parse_qs(query).get("token", [""])[0]
        try:
            failures = await asyncio.to_thread(self._jobs.failed_records, token)
        except InvalidLinkError as error:
            return 403, f"<!doctype html><title>Import job</title><p>{html.escape(str(error))}</p>"
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["lineNumber", "record", "error"])
        writer.writerows([f.line, f.record, f.error] for f in failures)
        return Document(200, out.getvalue().encode("utf-8"), b"text/csv; charset=utf-8")


def _action(destination: dict[str, Any]) -> ImportAction:
    if destination.get("ContactListDestination") is not None:
        raise bad_request(
            "Contact lists are not available in Postwarden; ImportDestination must be a "
            "SuppressionListDestination."
        )
    suppression = destination.get("SuppressionListDestination")
    if suppression is None:
        raise bad_request("ImportDestination must have a SuppressionListDestination.")
    return ImportAction(suppression["SuppressionListImportAction"])


def _summary(job: ImportJob) -> dict[str, Any]:
    destination: dict[str, Any] = {}
    if job.destination_type == SUPPRESSION_LIST:
        destination["SuppressionListDestination"] = {"SuppressionListImportAction": job.action.value}
    return {
        "JobId": job.job_id,
        "ImportDestination": destination,
        "JobStatus": job.status.value,
        "CreatedTimestamp": job.created_at,
        "ProcessedRecordsCount": job.processed,
        "FailedRecordsCount": job.failed,
    }
