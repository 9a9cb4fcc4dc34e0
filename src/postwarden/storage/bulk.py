"""Multi-row inserts straight through the DB-API driver: the hot accept and delivery paths write thousands
of rows a second, and SQLAlchemy's per-row parameter processing would cost more than the database does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    placeholders = ", ".join([marker] * len(columns))
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    connection.exec_driver_sql(statement, list(rows))
