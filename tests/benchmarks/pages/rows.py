"""Writing generated rows fast (``bench_plan.bulk_insert``: COPY on PostgreSQL, executemany on SQLite)."""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.benchmarks.bench_plan import bulk_insert


def insert(engine: sa.Engine, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Bulk-insert ``rows``; instants are stored as SQLAlchemy stores them on SQLite (UTC, no offset)."""
    rows = list(rows)
    if engine.dialect.name == "sqlite":
        rows = [tuple(_sqlite_instant(value) for value in row) for row in rows]
    if rows:
        bulk_insert(engine, table, columns, rows)
    return len(rows)


def _sqlite_instant(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def next_id(engine: sa.Engine, table: str) -> int:
    with engine.connect() as connection:
        return (connection.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0) + 1


def continue_ids(engine: sa.Engine, tables: Iterable[str]) -> None:
    """On PostgreSQL, ids written explicitly must not be handed out again by the table's sequence."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        for table in tables:
            connection.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                f"FROM {table}"))
        connection.commit()


def execute(engine: sa.Engine, statement: str, parameters: dict | None = None) -> int:
    if engine.dialect.name == "sqlite" and parameters:
        parameters = {name: _sqlite_instant(value) for name, value in parameters.items()}
    with engine.connect() as connection:
        result = connection.execute(sa.text(statement), parameters or {})
        connection.commit()
        return result.rowcount


def calendar_uid(rng: random.Random) -> str:
    """A calendar UID as ``rotation.assignments.models.new_uid`` makes them, from the seeded generator."""
    return f"{uuid.UUID(int=rng.getrandbits(128), version=4)}@rotation"


def random_hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"
