"""Suppression-list import jobs through boto3's sesv2 client: a file:// CSV of PUT rows, then DELETE rows,
the list they leave, the failed-records report, the refused sources, and an http:// source."""

from __future__ import annotations

import csv
import io
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import start_service
from tests.e2e.test_suppression import production
from tests.support.mta import RemoteMta
from tests.support.service import Service, free_port


def put_job(url: str, action: str = "PUT", data_format: str = "CSV") -> dict[str, Any]:
    return {
        "ImportDestination": {"SuppressionListDestination": {"SuppressionListImportAction": action}},
        "ImportDataSource": {"S3Url": url, "DataFormat": data_format},
    }


def wait_done(client: Any, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get_import_job(JobId=job_id)
        if job["JobStatus"] in {"COMPLETED", "FAILED"}:
            return job
        time.sleep(0.1)
    raise AssertionError(f"import job {job_id} did not finish: {job}")


def suppressed(client: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    params: dict[str, Any] = {"PageSize": 200}
    while True:
        page = client.list_suppressed_destinations(**params)
        found.update({s["EmailAddress"]: s["Reason"] for s in page["SuppressedDestinationSummaries"]})
        if "NextToken" not in page:
            return found
        params["NextToken"] = page["NextToken"]


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def test_put_then_delete_from_file_urls(service: Service) -> None:
    account, client = production(service)
    imports = service.data_dir / "imports"
    tag = account.account_id
    rows = [f"keep{i}-{tag}@example.com,BOUNCE" for i in range(300)]
    rows += [f"drop{i}-{tag}@example.com,COMPLAINT" for i in range(200)]
    rows.insert(7, "not-an-address,BOUNCE")
    rows.insert(11, f"spam-{tag}@example.com,SPAM")
    put_file = imports / f"put-{tag}.csv"
    put_file.write_bytes(("\ufeffemailAddress,reason\r\n" + "\r\n".join(rows) + "\r\n").encode())

    job_id = client.create_import_job(**put_job(put_file.as_uri()))["JobId"]
    job = wait_done(client, job_id)
    assert job["JobStatus"] == "COMPLETED"
    assert (job["ProcessedRecordsCount"], job["FailedRecordsCount"]) == (502, 2)
    assert job["ImportDataSource"] == {"S3Url": put_file.as_uri(), "DataFormat": "CSV"}
    assert job["ImportDestination"] == {"SuppressionListDestination": {"SuppressionListImportAction": "PUT"}}
    assert job["CompletedTimestamp"] >= job["CreatedTimestamp"]
    assert "2 of 502 records failed" in job["FailureInfo"]["ErrorMessage"]
    with urllib.request.urlopen(job["FailureInfo"]["FailedRecordsS3Url"], timeout=10) as response:
        assert response.headers["content-type"].startswith("text/csv")
        report = list(csv.reader(io.StringIO(response.read().decode())))
    assert report[0] == ["lineNumber", "record", "error"]
    assert [(r[0], r[1]) for r in report[1:]] == [
        ("9", "not-an-address,BOUNCE"),
        ("13", f"spam-{tag}@example.com,SPAM"),
    ]
    listed = suppressed(client)
    assert len(listed) == 500
    assert (
        listed[f"keep0-{tag}@example.com"] == "BOUNCE" and listed[f"drop0-{tag}@example.com"] == "COMPLAINT"
    )

    delete_file = imports / f"delete-{tag}.json"
    delete_file.write_text("".join(f'{{"emailAddress": "drop{i}-{tag}@example.com"}}\n' for i in range(200)))
    delete_id = client.create_import_job(**put_job(delete_file.as_uri(), "DELETE", "JSON"))["JobId"]
    deleted = wait_done(client, delete_id)
    assert (deleted["JobStatus"], deleted["ProcessedRecordsCount"], deleted["FailedRecordsCount"]) == (
        "COMPLETED",
        200,
        0,
    )
    assert "FailureInfo" not in deleted
    assert set(suppressed(client)) == {f"keep{i}-{tag}@example.com" for i in range(300)}

    jobs = client.list_import_jobs(ImportDestinationType="SUPPRESSION_LIST")["ImportJobs"]
    assert [j["JobId"] for j in jobs] == [delete_id, job_id]
    assert jobs[1]["ProcessedRecordsCount"] == 502 and jobs[1]["JobStatus"] == "COMPLETED"
    first = client.list_import_jobs(PageSize=1)
    assert [j["JobId"] for j in first["ImportJobs"]] == [delete_id]
    rest = client.list_import_jobs(PageSize=1, NextToken=first["NextToken"])
    assert [j["JobId"] for j in rest["ImportJobs"]] == [job_id] and "NextToken" not in rest
    assert client.list_import_jobs(ImportDestinationType="CONTACT_LIST")["ImportJobs"] == []


def test_refused_requests_and_a_missing_file(service: Service) -> None:
    account, client = production(service)
    code, message = error_of(client.create_import_job, **put_job("s3://bucket/list.csv"))
    assert code == "BadRequestException"
    assert "Amazon S3 is not available in Postwarden" in message and "file://" in message
    outside = (service.data_dir / "postwarden.db").as_uri()
    code, message = error_of(client.create_import_job, **put_job(outside))
    assert code == "BadRequestException" and "outside the server's import directory" in message
    code, message = error_of(client.create_import_job, **put_job("http://127.0.0.1:9/list.csv"))
    assert code == "BadRequestException" and "non-public address 127.0.0.1" in message
    code, _ = error_of(
        client.create_import_job,
        ImportDestination={
            "ContactListDestination": {"ContactListName": "x", "ContactListImportAction": "PUT"}
        },
        ImportDataSource={"S3Url": "s3://b/k", "DataFormat": "CSV"},
    )
    assert code == "BadRequestException"
    code, _ = error_of(client.get_import_job, JobId="no-such-job")
    assert code == "NotFoundException"

    missing = (service.data_dir / "imports" / f"missing-{account.account_id}.csv").as_uri()
    failed = wait_done(client, client.create_import_job(**put_job(missing))["JobId"])
    assert failed["JobStatus"] == "FAILED"
    assert failed["FailureInfo"]["ErrorMessage"].endswith("does not exist.")

    sandboxed = service.client(service.create_account())
    code, message = error_of(sandboxed.create_import_job, **put_job(missing))
    assert code == "BadRequestException" and "sandbox" in message


class FileServer:
    """Serves one body at /list.csv."""

    def __init__(self, body: bytes) -> None:
        self.port = free_port()
        self.body = body
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FileServer:
        body = self.body

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/list.csv":
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("content-type", "text/csv")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def open_service(tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta) -> Iterator[Service]:
    running, _ = start_service(
        "sqlite", tmp_path_factory.mktemp("pw-imports"), mta.relay, webhook_allow_private="true"
    )
    yield running
    running.stop()


def test_an_http_source(open_service: Service) -> None:
    _, client = production(open_service)
    body = b"a@example.com,BOUNCE\nb@example.com,COMPLAINT\n"
    with FileServer(body) as server:
        base = f"http://127.0.0.1:{server.port}"
        job = wait_done(client, client.create_import_job(**put_job(f"{base}/list.csv"))["JobId"])
        assert (job["JobStatus"], job["ProcessedRecordsCount"], job["FailedRecordsCount"]) == (
            "COMPLETED",
            2,
            0,
        )
        missing = wait_done(client, client.create_import_job(**put_job(f"{base}/gone.csv"))["JobId"])
    assert suppressed(client) == {"a@example.com": "BOUNCE", "b@example.com": "COMPLAINT"}
    assert missing["JobStatus"] == "FAILED"
    assert missing["FailureInfo"]["ErrorMessage"] == f"GET {base}/gone.csv answered HTTP 404."


def test_a_large_file_import_rate(open_service: Service, tmp_path: Path) -> None:
    _, client = production(open_service)
    path = open_service.data_dir / "imports" / "large.csv"
    path.write_text("".join(f"bulk{i}@example.com,BOUNCE\n" for i in range(10_000)))
    started = time.monotonic()
    job = wait_done(client, client.create_import_job(**put_job(path.as_uri()))["JobId"], timeout=120)
    elapsed = time.monotonic() - started
    print(f"\n10,000-row file:// import through the API: {elapsed:.2f} s ({10_000 / elapsed:,.0f} rows/s)")
    assert (job["JobStatus"], job["ProcessedRecordsCount"]) == ("COMPLETED", 10_000)
