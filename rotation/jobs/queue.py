"""Queueing, claiming and running jobs.

Claiming is safe with several workers: on PostgreSQL the candidate row is
locked with ``FOR UPDATE SKIP LOCKED``, and everywhere the claim is an
``UPDATE`` conditional on the attempt the worker saw, so two workers never
hold the same attempt. While a job runs, a heartbeat thread touches it every
``HEARTBEAT_EVERY``; a job whose heartbeat is older than ``STALE_AFTER`` lost
its worker and is taken over. The outcome is written only by the holder of the
current attempt, in the transaction of the work itself: a job is done once,
and never half.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.jobs.models import FAILED, FINISHED, QUEUED, RUNNING, Job
from rotation.jobs.registry import JOB_HANDLERS

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=15)
STALE_AFTER = timedelta(minutes=2)
# A job whose worker died this many times is not tried again: something in it kills workers.
MAX_ATTEMPTS = 3
KEEP_FINISHED = timedelta(days=30)


class JobTakenOver(RuntimeError):
    """This worker lost the job (its heartbeat went stale and another worker claimed it): nothing it did counts."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(kind: str, subject_id: int) -> Job:
    """Queue a job of ``kind`` about ``subject_id`` in the current transaction; the worker picks it up after commit."""
    if kind not in JOB_HANDLERS:
        raise LookupError(f"no handler for jobs of kind {kind!r}")
    job = Job(kind=kind, subject_id=subject_id, status=QUEUED)
    db.session.add(job)
    db.session.flush()
    return job


def job_for(kind: str, subject_id: int) -> Job | None:
    """The latest job of ``kind`` about ``subject_id``."""
    return db.session.scalar(sa.select(Job).where(Job.kind == kind, Job.subject_id == subject_id)
                             .order_by(Job.id.desc()).limit(1))


def waiting_for_a_worker(job: Job | None, now: datetime | None = None,
                         patience: timedelta = timedelta(seconds=30)) -> bool:
    """True when ``job`` has been queued for longer than a running worker would leave it."""
    return job is not None and job.status == QUEUED and job.created_at < (now or utcnow()) - patience


def claimable(now: datetime):
    return sa.or_(Job.status == QUEUED, sa.and_(Job.status == RUNNING, Job.heartbeat_at < now - STALE_AFTER))


def claim(worker: str, now: datetime | None = None) -> Job | None:
    """Take the oldest job that is queued or has lost its worker, and commit the claim; None when there is none."""
    now = now or utcnow()
    while True:
        candidate = db.session.execute(
            sa.select(Job.id, Job.attempts, Job.kind, Job.subject_id).where(claimable(now))
            .order_by(Job.id).limit(1).with_for_update(skip_locked=True)).first()
        if candidate is None:
            db.session.rollback()
            return None
        if candidate.attempts >= MAX_ATTEMPTS:
            _give_up(candidate.id, candidate.kind, candidate.subject_id, candidate.attempts, now)
            continue
        claimed = db.session.execute(
            sa.update(Job).where(Job.id == candidate.id, Job.attempts == candidate.attempts, claimable(now))
            .values(status=RUNNING, attempts=candidate.attempts + 1, worker=worker[:200], started_at=now,
                    heartbeat_at=now, error=None)
            .execution_options(synchronize_session=False))
        if rowcount(claimed) != 1:  # another worker was quicker (SQLite has no row locks)
            db.session.rollback()
            continue
        db.session.commit()
        return db.session.get(Job, candidate.id)


def _give_up(job_id: int, kind: str, subject_id: int, attempts: int, now: datetime) -> None:
    message = (f"The worker stopped {attempts} times while doing this, so it is not tried again. "
               "The worker's log says why.")
    marked = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.attempts == attempts, claimable(now))
        .values(status=FAILED, error=message, finished_at=now).execution_options(synchronize_session=False))
    if rowcount(marked) == 1:
        handler = JOB_HANDLERS.get(kind)
        if handler is not None:
            handler.failed(subject_id, message)
    db.session.commit()


def _finisher(job_id: int, attempt: int):
    done = {"finished": False}

    def finish() -> None:
        marked = db.session.execute(
            sa.update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.status == RUNNING)
            .values(status=FINISHED, finished_at=utcnow(), heartbeat_at=utcnow())
            .execution_options(synchronize_session=False))
        if rowcount(marked) != 1:
            raise JobTakenOver(f"job {job_id} was taken over by another worker")
        done["finished"] = True

    return finish, done


@dataclass
class Outcome:
    job_id: int
    kind: str
    finished: bool
    line: str
    seconds: float


def run_claimed(job: Job) -> Outcome:
    """Run a job this worker has claimed, with a heartbeat while it runs; record how it ended."""
    job_id, attempt, kind, subject_id = job.id, job.attempts, job.kind, job.subject_id
    handler = JOB_HANDLERS.get(kind)
    started = time.perf_counter()
    if handler is None:
        _record_failure(job_id, attempt, f"No handler for jobs of kind {kind!r} in this version of Rotation.")
        return Outcome(job_id, kind, False, f"job {job_id}: unknown kind {kind!r}", 0.0)
    finish, done = _finisher(job_id, attempt)
    heartbeat = Heartbeat(db.engine, job_id, attempt)
    heartbeat.start()
    try:
        line = handler.run(subject_id, finish)
        if not done["finished"]:
            finish()
        db.session.commit()
        return Outcome(job_id, kind, True, line, time.perf_counter() - started)
    except JobTakenOver:
        db.session.rollback()
        return Outcome(job_id, kind, False, f"{handler.describe} (job {job_id}) was taken over by another worker; "
                       "what this one did was dropped", time.perf_counter() - started)
    except Exception as error:
        db.session.rollback()
        log.error("Job %s (%s) failed:\n%s", job_id, kind, traceback.format_exc())
        message = _sentence(error)
        if _record_failure(job_id, attempt, message):
            handler.failed(subject_id, message)
            db.session.commit()
        return Outcome(job_id, kind, False, f"{handler.describe} (job {job_id}) failed: {message}",
                       time.perf_counter() - started)
    finally:
        heartbeat.stop()


def _sentence(error: Exception) -> str:
    # A refusal a person can act on carries its own sentence; anything else is named for the log.
    if isinstance(error, ValueError) and str(error):
        return str(error)[:2000]
    return f"It stopped: {error.__class__.__name__}: {error}"[:2000]


def _record_failure(job_id: int, attempt: int, message: str) -> bool:
    marked = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.status == RUNNING)
        .values(status=FAILED, error=message, finished_at=utcnow()).execution_options(synchronize_session=False))
    db.session.commit()
    return rowcount(marked) == 1


def run_pending(worker: str | None = None, keep_going=lambda: True) -> list[Outcome]:
    """Claim and run jobs one after the other until none is left (or ``keep_going`` says stop)."""
    outcomes = []
    name = worker or worker_name()
    while keep_going():
        job = claim(name)
        if job is None:
            break
        outcomes.append(run_claimed(job))
    return outcomes


def forget_old_jobs(now: datetime | None = None) -> int:
    """Delete finished and failed jobs older than ``KEEP_FINISHED``; their subjects keep what they did."""
    deleted = db.session.execute(sa.delete(Job).where(
        Job.status.in_((FINISHED, FAILED)), Job.finished_at < (now or utcnow()) - KEEP_FINISHED))
    db.session.commit()
    return rowcount(deleted)


class Heartbeat:
    """Touches a running job every ``HEARTBEAT_EVERY`` from a thread of its own, on a connection of its own."""

    def __init__(self, engine: sa.Engine, job_id: int, attempt: int) -> None:
        self.engine, self.job_id, self.attempt = engine, job_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id}-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.update(Job).where(
                        Job.id == self.job_id, Job.attempts == self.attempt, Job.status == RUNNING)
                        .values(heartbeat_at=utcnow()))
            except sa.exc.DBAPIError as error:  # the next beat tries again; the job itself goes on
                log.warning("Job %s: the heartbeat could not be recorded: %s", self.job_id, error.orig)
