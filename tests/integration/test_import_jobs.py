"""Import jobs against SQLite and PostgreSQL: the job table (claim, lease, progress, failures), the
suppression list's bulk writes, and the runner applying, resuming and failing jobs."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet

from postwarden.domain.model import SendingLimits
from postwarden.domain.suppression import SuppressionReason
from postwarden.domain.suppression_import import DataFormat, FailedRecord, ImportAction, JobStatus
from postwarden.ports import SuppressedDestination
from postwarden.ports.import_jobs import ImportJob, ImportSourceError
from postwarden.services.accounts import AccountService, TierDefaults
from postwarden.services.import_jobs import ImportJobService, ImportJobSettings
from postwarden.services.import_runner import ImportRunner, ImportRunnerSettings
from postwarden.services.suppression import SandboxRestrictionError
from postwarden.storage.secrets import FernetCipher
from postwarden.storage.store import SqlStore
from tests.support.fakes import FakeClock
from tests.unit.test_suppression_import import canonical

REGION = "us-east-1"
SANDBOX = SendingLimits(200, 1.0)


class MemorySource:
    """Import files by URL, from memory."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.files = files or {}

    async def refusal(self, url: str) -> str | None:
        return None if url.startswith("mem://") else f"not a mem:// URL: {url}"

    async def fetch(self, url: str) -> bytes:
        if url not in self.files:
            raise ImportSourceError(f"The import file {url} does not exist.")
        return self.files[url]

    async def close(self) -> None:
        pass


def job(job_id: str, created_at: float, account: str = "111111111111", **kw: object) -> ImportJob:
    values: dict[str, object] = {
        "job_id": job_id,
        "account_id": account,
        "region": REGION,
        "action": ImportAction.PUT,
        "source_url": f"mem://{job_id}",
        "data_format": DataFormat.CSV,
        "status": JobStatus.CREATED,
        "created_at": created_at,
        **kw,
    }
    return ImportJob(**values)  # type: ignore[arg-type]


def test_jobs_are_listed_newest_first_per_account(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.import_jobs.add(job("a", 10.0))
        tx.import_jobs.add(job("b", 20.0))
        tx.import_jobs.add(job("c", 15.0, account="222222222222"))
    with store.read() as tx:
        assert [j.job_id for j in tx.import_jobs.for_account("111111111111", REGION, None)] == ["b", "a"]
        assert tx.import_jobs.for_account("111111111111", REGION, "CONTACT_LIST") == []
        assert tx.import_jobs.get("111111111111", REGION, "c") is None
        found = tx.import_jobs.get("222222222222", REGION, "c")
    assert found == job("c", 15.0, account="222222222222")


def test_claim_lease_progress_and_finish(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.import_jobs.add(job("old", 10.0))
        tx.import_jobs.add(job("new", 20.0))
    with store.transaction() as tx:
        claimed = tx.import_jobs.claim(100.0, 400.0, "t1")
    assert claimed is not None and claimed.job_id == "old" and claimed.status is JobStatus.PROCESSING
    assert claimed.started_at == 100.0
    with store.transaction() as tx:
        second = tx.import_jobs.claim(101.0, 401.0, "t2")
        assert second is not None and second.job_id == "new"
        assert tx.import_jobs.claim(102.0, 402.0, "t3") is None  # both are leased

    failures = [FailedRecord(3, "x,BOUNCE", "bad"), FailedRecord(1, "y", "worse")]
    with store.transaction() as tx:
        assert tx.import_jobs.record_progress("old", "t1", 5, failures, 500.0)
        assert not tx.import_jobs.record_progress("old", "wrong", 5, [], 500.0)
    with store.transaction() as tx:  # the lease ran out: another runner takes the job over
        taken = tx.import_jobs.claim(501.0, 800.0, "t4")
    assert taken is not None and taken.job_id == "old" and taken.processed == 5 and taken.failed == 2
    assert taken.started_at == 100.0
    with store.transaction() as tx:
        assert not tx.import_jobs.record_progress("old", "t1", 1, [], 900.0)  # the old runner is out
        assert tx.import_jobs.record_progress("old", "t4", 2, [FailedRecord(7, "z", "no")], 900.0)
        assert not tx.import_jobs.finish("old", "t1", JobStatus.COMPLETED, 600.0, None)
        assert tx.import_jobs.finish("old", "t4", JobStatus.COMPLETED, 600.0, None)
    with store.read() as tx:
        done = tx.import_jobs.get("111111111111", REGION, "old")
        assert [f.line for f in tx.import_jobs.failures("old")] == [1, 3, 7]
    assert done is not None and (done.status, done.processed, done.failed) == (JobStatus.COMPLETED, 7, 3)
    assert done.completed_at == 600.0
    with store.transaction() as tx:
        expired = tx.import_jobs.claim(10_000.0, 10_300.0, "t5")  # "new"'s lease ran out; "old" is done
        assert expired is not None and expired.job_id == "new"
        assert tx.import_jobs.claim(10_000.0, 10_300.0, "t6") is None


def test_release_leases_makes_interrupted_jobs_claimable_at_once(store: SqlStore) -> None:
    with store.transaction() as tx:
        tx.import_jobs.add(job("a", 10.0))
        assert tx.import_jobs.claim(100.0, 400.0, "t1") is not None
    with store.transaction() as tx:
        assert tx.import_jobs.release_leases() == 1
        claimed = tx.import_jobs.claim(101.0, 401.0, "t2")
    assert claimed is not None and claimed.job_id == "a"


def test_bulk_suppression_writes(store: SqlStore) -> None:
    entries = [
        SuppressedDestination("1", REGION, f"U{i}@example.com", SuppressionReason.BOUNCE, 1.0, None, None)
        for i in range(1200)
    ]
    entries.append(
        SuppressedDestination("1", REGION, "u0@example.com", SuppressionReason.COMPLAINT, 2.0, None, None)
    )
    with store.transaction() as tx:
        tx.suppression.put_many(entries)
    with store.transaction() as tx:
        updated = tx.suppression.get("1", REGION, "u0@example.com")
        assert updated is not None and updated.reason is SuppressionReason.COMPLAINT
        deleted = tx.suppression.delete_many("1", REGION, [f"u{i}@EXAMPLE.com" for i in range(0, 1200, 2)])
        assert deleted == 600
        assert len(tx.suppression.find("1", REGION, (), None, None)) == 600


def services(store: SqlStore, source: MemorySource, clock: FakeClock) -> tuple[ImportJobService, str]:
    accounts = AccountService(
        store, FernetCipher(Fernet.generate_key()), clock, TierDefaults(SANDBOX, SendingLimits(50_000, 14))
    )
    account_id = accounts.create_account("t", REGION).account_id
    settings = ImportJobSettings("http://postwarden.test", b"k" * 32)
    jobs = ImportJobService(store, clock, SANDBOX, source, settings)
    with pytest.raises(SandboxRestrictionError):
        asyncio.run(jobs.create(account_id, REGION, ImportAction.PUT, "mem://x", DataFormat.CSV))
    accounts.set_sending_limits(
        account_id, REGION, production=True, max_24_hour_send=None, max_send_rate=None, actor="test"
    )
    return jobs, account_id


def test_the_runner_imports_then_deletes_and_reports_failed_rows(store: SqlStore) -> None:
    clock = FakeClock()
    rows = [f"user{i}@example.com,{'BOUNCE' if i % 2 else 'COMPLAINT'}" for i in range(10_000)]
    rows[10] = "not-an-address,BOUNCE"
    rows[20] = "x@example.com,SPAM"
    source = MemorySource(
        {
            "mem://put.csv": ("emailAddress,reason\r\n" + "\r\n".join(rows)).encode(),
            "mem://delete.json": b"".join(
                b'{"emailAddress": "user%d@example.com"}\n' % i for i in range(5000)
            ),
        }
    )
    jobs, account_id = services(store, source, clock)
    runner = ImportRunner(store, clock, source, canonical)

    put = asyncio.run(jobs.create(account_id, REGION, ImportAction.PUT, "mem://put.csv", DataFormat.CSV))
    assert jobs.get(account_id, REGION, put).status is JobStatus.CREATED
    started = time.perf_counter()
    assert asyncio.run(runner.run_once())
    elapsed = time.perf_counter() - started
    rate = 10_000 / elapsed
    print(f"\n{store.engine.dialect.name}: 10,000-row import in {elapsed:.2f} s ({rate:,.0f} rows/s)")
    done = jobs.get(account_id, REGION, put)
    assert (done.status, done.processed, done.failed) == (JobStatus.COMPLETED, 10_000, 2)
    assert done.completed_at is not None and done.error_message is None
    url = jobs.failed_records_url(done)
    assert url is not None and url.startswith("http://postwarden.test/import-jobs/failed-records?token=")
    failures = jobs.failed_records(parse_qs(urlsplit(url).query)["token"][0])
    assert [(f.line, f.record) for f in failures] == [
        (12, "not-an-address,BOUNCE"),
        (22, "x@example.com,SPAM"),
    ]
    with store.read() as tx:
        assert tx.suppression.count(account_id, REGION) == 9_998

    clock.advance(60)
    delete = asyncio.run(
        jobs.create(account_id, REGION, ImportAction.DELETE, "mem://delete.json", DataFormat.JSON)
    )
    assert asyncio.run(runner.run_once())
    removed = jobs.get(account_id, REGION, delete)
    assert (removed.status, removed.processed, removed.failed) == (JobStatus.COMPLETED, 5000, 0)
    assert jobs.failed_records_url(removed) is None
    with store.read() as tx:
        assert tx.suppression.count(account_id, REGION) == 5000
    assert [j.job_id for j in jobs.jobs(account_id, REGION)] == [delete, put]


def test_a_job_taken_over_after_a_crash_resumes_after_the_last_committed_batch(store: SqlStore) -> None:
    clock = FakeClock()
    rows = "".join(f"r{i}@example.com,BOUNCE\n" if i != 2500 else "bad,BOUNCE\n" for i in range(4500))
    source = MemorySource({"mem://big.csv": rows.encode()})
    jobs, account_id = services(store, source, clock)
    job_id = asyncio.run(jobs.create(account_id, REGION, ImportAction.PUT, "mem://big.csv", DataFormat.CSV))

    crashing = ImportRunner(store, clock, source, canonical, ImportRunnerSettings(batch=1000))
    real_apply = crashing._apply
    calls = 0

    def apply_then_crash(*args: object) -> bool:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("the process dies here")
        return real_apply(*args)  # type: ignore[arg-type]

    crashing._apply = apply_then_crash  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        asyncio.run(crashing.run_once())
    halfway = jobs.get(account_id, REGION, job_id)
    assert (halfway.status, halfway.processed, halfway.failed) == (JobStatus.PROCESSING, 3000, 1)

    other = ImportRunner(store, clock, source, canonical, ImportRunnerSettings(batch=1000))
    assert not asyncio.run(other.run_once())  # still leased by the crashed runner
    clock.advance(301)
    assert asyncio.run(other.run_once())
    done = jobs.get(account_id, REGION, job_id)
    assert (done.status, done.processed, done.failed) == (JobStatus.COMPLETED, 4500, 1)
    with store.read() as tx:
        assert tx.suppression.count(account_id, REGION) == 4499


def test_an_unreadable_source_fails_the_job_with_its_reason(store: SqlStore) -> None:
    clock = FakeClock()
    source = MemorySource({"mem://array.json": b'[{"emailAddress": "a@example.com"}]'})
    jobs, account_id = services(store, source, clock)
    runner = ImportRunner(store, clock, source, canonical)
    missing = asyncio.run(jobs.create(account_id, REGION, ImportAction.PUT, "mem://gone", DataFormat.CSV))
    array = asyncio.run(
        jobs.create(account_id, REGION, ImportAction.PUT, "mem://array.json", DataFormat.JSON)
    )
    assert asyncio.run(runner.run_once()) and asyncio.run(runner.run_once())
    gone, bad = jobs.get(account_id, REGION, missing), jobs.get(account_id, REGION, array)
    assert (gone.status, gone.error_message) == (
        JobStatus.FAILED,
        "The import file mem://gone does not exist.",
    )
    assert bad.status is JobStatus.FAILED and "JSON Lines" in (bad.error_message or "")
    assert gone.completed_at is not None
