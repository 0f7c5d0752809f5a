"""One piece of work a page asked for and the worker does."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model


class JobStatus(StrEnum):
    """Where a background job stands; the column holds the value."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


# The statuses by name, as the rest of the code imports them.
QUEUED = JobStatus.QUEUED
RUNNING = JobStatus.RUNNING
FINISHED = JobStatus.FINISHED
FAILED = JobStatus.FAILED
JOB_STATUSES: tuple[str, ...] = (QUEUED, RUNNING, FINISHED, FAILED)


class Job(Model):
    """Work for the worker: ``kind`` names its handler, ``subject_id`` the record it works on.

    A worker claims a queued job (or one whose worker stopped sending its
    heartbeat) by raising ``attempts``; that number fences the job: only the
    worker holding the current attempt may record the outcome, in the same
    transaction as the work itself.
    """

    __tablename__ = "job"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name="known_status"),
        sa.Index("ix_job_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    # The worker process holding it, as "host:pid", for operators reading the log.
    worker: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(sa.Text)


class WorkerSeen(Model):
    """The last time a background worker was at work: one row, written by the worker's loops at most once a
    minute (:mod:`rotation.jobs.seen`), so that pages can tell HR when nothing is sending the mail."""

    __tablename__ = "worker_seen"
    __table_args__ = (sa.CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The worker process, as "host:pid", for operators.
    worker: Mapped[str] = mapped_column(sa.String(200))
