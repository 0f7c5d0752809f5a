"""Whether a background worker is at work: its loops note the time in one row, and pages read it.

Both of the worker's loops note it (the passes over the outbox and the job
loop while it waits for work), at most once every ``NOTE_EVERY`` per process,
so a long send or a long plan run in one loop does not make the worker look
gone. A page reads the row in the query it makes anyway (``seen_at``); the
outbox uses it to tell HR that mail waits and nothing is sending it.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from rotation.db import utcnow
from rotation.extensions import db
from rotation.jobs.models import WorkerSeen
from rotation.jobs.queue import worker_name
from rotation.jobs.registry import periodic

NOTE_EVERY = timedelta(minutes=1)
ROW = 1

_lock = threading.Lock()
# When this process last noted the worker, per database (tests build an application, and an engine, each).
_noted: weakref.WeakKeyDictionary[sa.Engine, datetime] = weakref.WeakKeyDictionary()


def seen_at() -> sa.ScalarSelect:
    """SQL: when a worker was last seen at work; NULL when never."""
    return sa.select(WorkerSeen.seen_at).where(WorkerSeen.id == ROW).scalar_subquery()


def note_worker(now: datetime | None = None, name: str | None = None) -> bool:
    """Record that this worker is at work, unless this process did so less than ``NOTE_EVERY`` ago.

    Written on a connection of its own and committed at once, whatever the
    calling loop's session holds. Returns whether it wrote.
    """
    now = now or utcnow()
    engine = db.engine
    with _lock:
        last = _noted.get(engine)
        if last is not None and now - last < NOTE_EVERY:
            return False
        _noted[engine] = now
    values = {"id": ROW, "seen_at": now, "worker": (name or worker_name())[:200]}
    try:
        with engine.begin() as connection:
            connection.execute(_upsert(engine.dialect.name, values))
    except sa.exc.DBAPIError:
        with _lock:  # try again on the next pass rather than a minute later
            _noted.pop(engine, None)
        raise
    return True


def _upsert(dialect: str, values: dict) -> sa.Executable:
    table = WorkerSeen.__table__
    changed = {"seen_at": values["seen_at"], "worker": values["worker"]}
    if dialect == "postgresql":
        return postgresql.insert(table).values(values).on_conflict_do_update(index_elements=["id"], set_=changed)
    if dialect == "sqlite":
        return sqlite.insert(table).values(values).on_conflict_do_update(index_elements=["id"], set_=changed)
    raise RuntimeError(f"Rotation runs on SQLite or PostgreSQL, not {dialect}: the worker cannot record itself there.")


@periodic("worker seen")
def note_pass(keep_going: Callable[[], bool]) -> None:
    """The worker's passes: noted first, so a long pass over the outbox follows a fresh note."""
    note_worker()
