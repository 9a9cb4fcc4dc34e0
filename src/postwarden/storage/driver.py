"""Statements straight through the DB-API driver, for the hot accept and delivery paths.

They run thousands of times a second; SQLAlchemy's per-statement compilation and per-row parameter
processing would cost more than the database does. SQL is written with `?` placeholders and adapted to
the driver's style (`%s` for psycopg).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table


def adapt(connection: Connection, sql: str) -> str:
    return sql if connection.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


def execute(connection: Connection, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; returns the affected row count."""
    result = connection.exec_driver_sql(adapt(connection, sql), tuple(params))
    return int(result.rowcount)


def fetch(connection: Connection, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.exec_driver_sql(adapt(connection, sql), tuple(params))]


def insert_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    if not rows:
        return
    placeholders = ", ".join(["?"] * len(columns))
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"
    connection.exec_driver_sql(adapt(connection, statement), list(rows))
