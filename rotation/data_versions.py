"""Figures over hundreds of thousands of rows, computed once and kept until their data changes.

Every transaction that writes to a table gives that table a new version in the
table ``data_version``, in the same transaction, just before it commits: the
engine notes which tables each INSERT, UPDATE or DELETE touched (the ORM's, bulk
statements and plain SQL alike) and writes one new version per table. A figure
such as the company's coverage names the tables it is made from; :func:`kept`
returns the figure computed earlier in this process while none of those tables
has a newer version, and computes it again otherwise. So a page shows the same
figures it would compute, at the cost of one small query per request.

Versions are fresh random tokens rather than counters, so a table emptied and
filled again never repeats an old version. A transaction that has written to
one of a figure's tables itself computes it afresh (its own writes are not yet
versioned). Writes made outside SQLAlchemy (an operator's ``psql``) are not
seen; every figure is computed again at least every ``MAX_AGE`` anyway.
"""
from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from rotation.extensions import Model, db

T = TypeVar("T")

# Keys in a connection's ``info`` (kept with the database connection, so cleared at every commit and rollback):
TOUCHED = "rotation_touched_tables"  # tables written in its transaction
VERSIONS = "rotation_data_versions"  # the versions its transaction read
MIGRATING = "rotation_migrating"     # set by migrations/env.py: schema changes are not versioned
MAX_AGE = 600.0   # seconds: a kept figure is computed again at least this often
KEPT_FIGURES = 256  # per process; the least recently used goes first
# Written by nearly every request and counted by no figure: versioning them would only make every request
# of every person wait for one row of ``data_version``.
UNVERSIONED = frozenset({"data_version", "sign_in", "login_throttle"})
_WRITE = re.compile(r'\s*(?:WITH\b.*?\b)?(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)',
                    re.IGNORECASE | re.DOTALL)


class DataVersion(Model):
    """The version of one table's data: a new token each time a transaction writing to it commits."""

    __tablename__ = "data_version"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(32))


# Noting writes ------------------------------------------------------------------------------------


def _note_write(conn: Connection, _cursor, statement: str, _parameters, _context, _executemany) -> None:
    first = statement.lstrip()[:1]
    if not first or first not in "IiUuDdWw" or MIGRATING in conn.info:
        return
    match = _WRITE.match(statement)
    if match is not None and match.group(1).lower() not in UNVERSIONED:
        conn.info.setdefault(TOUCHED, set()).add(match.group(1).lower())


def _version_on_commit(conn: Connection) -> None:
    """Just before the transaction commits: a new version for every table it wrote to, in name order (so
    two transactions never wait for each other's versions in opposite orders)."""
    conn.info.pop(VERSIONS, None)
    touched = conn.info.pop(TOUCHED, None)
    if not touched or MIGRATING in conn.info:
        return
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    rows = sorted(touched)
    values = ", ".join(f"({marker}, {marker})" for _ in rows)
    parameters = [value for name in rows for value in (name, secrets.token_hex(8))]
    dbapi_connection = conn.connection.dbapi_connection
    assert dbapi_connection is not None, "a connection in a transaction holds its DBAPI connection"
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"INSERT INTO data_version (name, version) VALUES {values} "
                       "ON CONFLICT (name) DO UPDATE SET version = excluded.version", parameters)
    finally:
        cursor.close()


def _forget_writes(conn: Connection) -> None:
    conn.info.pop(TOUCHED, None)
    conn.info.pop(VERSIONS, None)


sa.event.listen(Engine, "after_cursor_execute", _note_write)
sa.event.listen(Engine, "commit", _version_on_commit)
sa.event.listen(Engine, "rollback", _forget_writes)


# Keeping figures ----------------------------------------------------------------------------------

_kept: OrderedDict[Hashable, tuple[tuple[str, ...], float, object]] = OrderedDict()
_lock = threading.Lock()


def _versions(conn: Connection) -> dict[str, str]:
    """Every table's version, read once per transaction."""
    known = conn.info.get(VERSIONS)
    if known is None:
        known = dict(conn.execute(sa.select(DataVersion.name, DataVersion.version)).tuples().all())
        conn.info[VERSIONS] = known
    return known


def kept(key: Hashable, tables: Iterable[str], compute: Callable[[], T],
         still_true: Callable[[T], bool] | None = None) -> T:
    """``compute()``, or the value it gave for ``key`` in this process while none of ``tables`` changed.

    ``key`` names the figure and everything it depends on besides the tables (a year, a scope, today's
    date); ``still_true(value)``, when given, says whether a value that depends on the time still holds.
    The value must not be changed by its users.
    """
    tables = tuple(sorted(tables))
    conn = db.session.connection()
    if conn.info.get(TOUCHED, set()).intersection(tables):
        return compute()
    versions = _versions(conn)
    key = (conn.engine.url, key)  # one process may serve two databases (the suite does)
    stamp = tuple(versions.get(table, "") for table in tables)
    now = time.monotonic()
    with _lock:
        entry = _kept.get(key)
        fresh = entry is not None and entry[0] == stamp and now - entry[1] < MAX_AGE
        if fresh:
            _kept.move_to_end(key)
    if fresh and (still_true is None or still_true(entry[2])):  # type: ignore[index, arg-type]
        return entry[2]  # type: ignore[index, return-value]
    value = compute()
    with _lock:
        _kept[key] = (stamp, now, value)
        _kept.move_to_end(key)
        while len(_kept) > KEPT_FIGURES:
            _kept.popitem(last=False)
    return value


def forget_kept() -> None:
    """Drop every kept figure (tests that rebuild the database from scratch)."""
    with _lock:
        _kept.clear()
