from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.accounts.models import User
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.process_map.models import ProcessArea


class ProblemStatus(StrEnum):
    """Where a problem stands in its life; the column holds the value."""

    NEW = "new"
    TRIAGED = "triaged"
    INVESTIGATING = "investigating"
    FIX_PLANNED = "fix_planned"
    FIX_IN_PLACE = "fix_in_place"
    VERIFYING = "verifying"
    VERIFIED = "verified"
    DECLINED = "declined"
    DUPLICATE = "duplicate"


# The statuses by name, as the rest of the code imports them.
NEW = ProblemStatus.NEW
TRIAGED = ProblemStatus.TRIAGED
INVESTIGATING = ProblemStatus.INVESTIGATING
FIX_PLANNED = ProblemStatus.FIX_PLANNED
FIX_IN_PLACE = ProblemStatus.FIX_IN_PLACE
VERIFYING = ProblemStatus.VERIFYING
VERIFIED = ProblemStatus.VERIFIED
DECLINED = ProblemStatus.DECLINED
DUPLICATE = ProblemStatus.DUPLICATE
STATUSES = (NEW, TRIAGED, INVESTIGATING, FIX_PLANNED, FIX_IN_PLACE, VERIFYING, VERIFIED, DECLINED, DUPLICATE)
STATUS_LABELS: dict[str, str] = {
    NEW: "New", TRIAGED: "Triaged", INVESTIGATING: "Investigating", FIX_PLANNED: "Fix planned",
    FIX_IN_PLACE: "Fix in place", VERIFYING: "Verifying", VERIFIED: "Verified", DECLINED: "Declined",
    DUPLICATE: "Duplicate"}
# Closed: nothing more to do unless it is reopened.
CLOSED = (VERIFIED, DECLINED, DUPLICATE)

COUNTERMEASURES = {
    "eliminate": "Eliminate: remove the step or the cause",
    "automate": "Automate: let a system do it right every time",
    "standardise": "Standardise: one agreed way, written down",
    "train": "Train: show people how",
    "workaround": "Workaround: contain it until the real fix",
}

VERIFIED_FIXED = "fixed"
VERIFIED_BROKEN = "still_broken"
VERDICTS = {VERIFIED_FIXED: "It is fixed", VERIFIED_BROKEN: "It is still broken"}


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Problem(Model):
    """One broken process: what is wrong, who owns the fix, and where the fix stands.

    Observations link to it (``Observation.problem_id``); merging a duplicate
    moves them, with their seconds and evidence, to the problem that stays.
    ``due_on`` follows from the severity when the problem is made or its
    severity changes.
    """

    __tablename__ = "problem"
    __table_args__ = (
        sa.CheckConstraint(_in("status", STATUSES), name="known_status"),
        sa.CheckConstraint("severity BETWEEN 1 AND 5", name="severity_1_to_5"),
        sa.CheckConstraint(f"countermeasure_type IS NULL OR {_in('countermeasure_type', tuple(COUNTERMEASURES))}",
                           name="known_countermeasure"),
        sa.CheckConstraint("(status = 'duplicate') = (duplicate_of_id IS NOT NULL)", name="duplicate_points_on"),
        sa.CheckConstraint("duplicate_of_id IS NULL OR duplicate_of_id != id", name="not_its_own_duplicate"),
        sa.Index("ix_problem_area_status", "area_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("process_area.id", ondelete="RESTRICT"))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=NEW)
    severity: Mapped[int]
    safety: Mapped[bool] = mapped_column(default=False)
    due_on: Mapped[date]
    root_cause: Mapped[str | None] = mapped_column(sa.Text)
    countermeasure: Mapped[str | None] = mapped_column(sa.Text)
    countermeasure_type: Mapped[str | None] = mapped_column(sa.String(20))
    verification_metric: Mapped[str | None] = mapped_column(sa.String(300))
    verification_baseline: Mapped[str | None] = mapped_column(sa.String(100))
    verification_target: Mapped[str | None] = mapped_column(sa.String(100))
    verify_by: Mapped[date | None]
    ticket_links: Mapped[str | None] = mapped_column(sa.Text)  # one address or ticket id a line
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("problem.id", ondelete="RESTRICT"))
    reopened: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    area: Mapped[ProcessArea] = relationship(lazy="raise_on_sql")
    owner: Mapped[User | None] = relationship(lazy="raise_on_sql")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    def __repr__(self) -> str:
        return f"<Problem {self.id} {self.status}>"


class ProblemEvent(Model):
    """The audit trail: one change to a problem, by whom, when, and the value before and after."""

    __tablename__ = "problem_event"
    __table_args__ = (sa.Index("ix_problem_event_problem", "problem_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(sa.ForeignKey("problem.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(sa.String(254))  # the account's address, or "system"
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    what: Mapped[str] = mapped_column(sa.String(60))  # a field's name, or an action such as "merged"
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)


class VerificationRequest(Model):
    """A later shift asked to look at a problem's process once its fix is in place.

    The person sees it on My rotation and in the observation form; an
    observation they file with a verdict (fixed, still broken) answers it.
    """

    __tablename__ = "verification_request"
    __table_args__ = (sa.UniqueConstraint("problem_id", "assignment_id", name="uq_verification_once_per_shift"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(sa.ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_by_observation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("observation.id", ondelete="SET NULL"))
