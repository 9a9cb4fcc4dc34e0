from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from postwarden.storage.engine import make_engine, migrate
from postwarden.storage.store import SqlStore
from tests.conftest import require_postgres
from tests.support.service import create_postgres_database, drop_postgres_database


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    if request.param == "postgres":
        require_postgres()
        url = create_postgres_database()
    engine = make_engine(url)
    migrate(engine)
    sql_store = SqlStore(engine)
    yield sql_store
    sql_store.dispose()
    if request.param == "postgres":
        drop_postgres_database(url)
