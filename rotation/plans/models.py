from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.accounts.models import User
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.people.models import Person


class RunStatus(StrEnum):
    """Where a plan run stands; the column holds the value."""

    QUEUED = "queued"  # started from the plan page, waiting for the background worker
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


# The statuses by name, as the rest of the code imports them.
QUEUED = RunStatus.QUEUED
RUNNING = RunStatus.RUNNING
FINISHED = RunStatus.FINISHED
FAILED = RunStatus.FAILED
RUN_STATUSES: tuple[str, ...] = (QUEUED, RUNNING, FINISHED, FAILED)

# The steps of a run, in order, as its progress shows them.
STEPS = (
    "Reading the roster, slots and blackouts",
    "Planning warehouse weeks",
    "Planning customer-service days",
    "Writing the draft",
)
PUBLISH_STEP = "Publishing"
WAITING_STEP = "Waiting for the background worker"


class PlanRun(Model):
    """One computation of a year's plan, from the plan page or the ``plan`` command, and what it found.

    A run started from the plan page is ``queued`` until the background worker
    takes it. A run that is ``running`` shows its progress through ``step`` and
    ``heartbeat_at``; a finished run holds the figures the draft page shows, and
    ``published_at`` once HR published the draft it wrote.
    """

    __tablename__ = "plan_run"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'running', 'finished', 'failed')", name="known_status"),
        sa.Index("ix_plan_run_year_started", "year", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(20), default=RUNNING)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    # Where the run was started: "page" or "command".
    source: Mapped[str] = mapped_column(sa.String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    step: Mapped[int] = mapped_column(default=0)
    steps: Mapped[int] = mapped_column(default=len(STEPS))
    error: Mapped[str | None] = mapped_column(sa.Text)

    people: Mapped[int] = mapped_column(default=0)
    customer_service: Mapped[int] = mapped_column(default=0)
    warehouse: Mapped[int] = mapped_column(default=0)
    kept: Mapped[int] = mapped_column(default=0)
    moved: Mapped[int] = mapped_column(default=0)
    placed: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    unplaced: Mapped[int] = mapped_column(default=0)
    objective: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    lower_bound: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)

    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id], lazy="raise_on_sql")
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id], lazy="raise_on_sql")

    @property
    def step_label(self) -> str:
        if self.status == QUEUED:
            return WAITING_STEP
        if self.step < len(STEPS):
            return STEPS[self.step]
        return PUBLISH_STEP

    @property
    def gap(self) -> float | None:
        """How far the objective lies above the lower bound, as a fraction of the bound."""
        if self.status != FINISHED or not self.lower_bound:
            return None
        return (self.objective - self.lower_bound) / self.lower_bound


class UnplacedShift(Model):
    """A shift a run could not give someone, and why, in words HR can act on."""

    __tablename__ = "unplaced_shift"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('customer_service', 'warehouse')", name="known_kind"),
        sa.UniqueConstraint("plan_run_id", "person_id", "kind", name="uq_unplaced_shift_run_person_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_run_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_run.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.Text)

    person: Mapped[Person] = relationship(lazy="raise_on_sql")

