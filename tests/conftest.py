from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dns_server import TestDnsServer
from tests.support.mta import RemoteMta
from tests.support.service import (
    Service,
    create_postgres_database,
    drop_postgres_database,
    postgres_available,
)

BACKENDS = ["sqlite", "postgres"]


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("POSTWARDEN_TEST_REQUIRE_POSTGRES") == "1":
        pytest.fail("PostgreSQL is required (POSTWARDEN_TEST_REQUIRE_POSTGRES=1) but unreachable")
    pytest.skip("PostgreSQL is not reachable")


@pytest.fixture(scope="module")
def mta() -> Iterator[RemoteMta]:
    with RemoteMta() as server:
        yield server


def start_service(backend: str, data_dir: Path, relay: str, **settings: object) -> tuple[Service, str]:
    url = create_postgres_database() if backend == "postgres" else ""
    service = Service(data_dir, relay=relay, database_url=url, **settings)
    return service.start(), url


def backend_service(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mta: RemoteMta,
    name: str = "",
    **settings: object,
) -> Iterator[Service]:
    """For a module fixture parametrised by BACKENDS: a running service with `settings`, stopped (and its
    PostgreSQL database dropped) when the module is done."""
    backend: str = request.param
    if backend == "postgres":
        require_postgres()
    prefix = f"pw-{name}-" if name else "pw-"
    running, url = start_service(
        backend, tmp_path_factory.mktemp(f"{prefix}{backend}"), mta.relay, **settings
    )
    yield running
    running.stop()
    if url:
        drop_postgres_database(url)


@pytest.fixture(scope="module", params=BACKENDS)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mta: RemoteMta
) -> Iterator[Service]:
    yield from backend_service(request, tmp_path_factory, mta)


@pytest.fixture(scope="module")
def dns_server() -> Iterator[TestDnsServer]:
    """A real DNS server for the senders' zones; tests add and remove records while it runs."""
    with TestDnsServer() as server:
        yield server


def dns_checked_service(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mta: RemoteMta,
    dns_server: TestDnsServer,
    **settings: object,
) -> Iterator[Service]:
    """A service that resolves through `dns_server` and re-checks identities every fraction of a second."""
    backend: str = request.param
    if backend == "postgres":
        require_postgres()
    running, url = start_service(
        backend,
        tmp_path_factory.mktemp(f"pw-dns-{backend}"),
        mta.relay,
        dns_resolver=dns_server.address,
        verification_recheck_seconds=0.3,
        verification_poll_seconds=0.2,
        **settings,
    )
    yield running
    running.stop()
    if url:
        drop_postgres_database(url)
