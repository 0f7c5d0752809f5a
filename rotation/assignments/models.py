from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.people.models import Person
from rotation.sites.models import CUSTOMER_SERVICE, SLOT_KINDS, WAREHOUSE_WEEK, Slot


class AssignmentStatus(StrEnum):
    """Where a shift stands (the statuses of docs/contracts.md; a shift is active unless cancelled); the column
    holds the value."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


# The statuses by name, as the rest of the code imports them.
DRAFT = AssignmentStatus.DRAFT
PUBLISHED = AssignmentStatus.PUBLISHED
CONFIRMED = AssignmentStatus.CONFIRMED
COMPLETED = AssignmentStatus.COMPLETED
NO_SHOW = AssignmentStatus.NO_SHOW
CANCELLED = AssignmentStatus.CANCELLED
STATUSES: tuple[str, ...] = (DRAFT, PUBLISHED, CONFIRMED, COMPLETED, NO_SHOW, CANCELLED)
STATUS_LABELS: dict[str, str] = {DRAFT: "Draft", PUBLISHED: "Published", CONFIRMED: "Confirmed", COMPLETED: "Completed",
                 NO_SHOW: "No-show", CANCELLED: "Cancelled"}
# Statuses the attendee has been told about and that still hold a seat.
ANNOUNCED = (PUBLISHED, CONFIRMED, COMPLETED, NO_SHOW)
KIND_LABELS = {CUSTOMER_SERVICE: "Customer-service day", WAREHOUSE_WEEK: "Warehouse week"}

# What the latest draft proposes for an announced assignment, applied when HR publishes.
MOVE = "move"
WITHDRAW = "withdraw"
PROPOSALS = (MOVE, WITHDRAW)

# What the attendee must be told next; the invitations outbox picks it up.
NOTICE_REQUEST = "request"
NOTICE_CANCEL = "cancel"
NOTICES = (NOTICE_REQUEST, NOTICE_CANCEL)

# What the attendee answered to the invitation in their calendar app (docs/calendar.md: PARTSTAT).
ANSWER_ACCEPTED = "accepted"
ANSWER_DECLINED = "declined"
ANSWER_TENTATIVE = "tentative"
ANSWERS = (ANSWER_ACCEPTED, ANSWER_DECLINED, ANSWER_TENTATIVE)
ANSWER_LABELS: dict[str, str] = {ANSWER_ACCEPTED: "Accepted in their calendar",
                                 ANSWER_DECLINED: "Declined in their calendar",
                                 ANSWER_TENTATIVE: "Tentative in their calendar"}


def new_uid() -> str:
    """A calendar UID: globally unique and never reused."""
    return f"{uuid.uuid4()}@rotation"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


_OPEN = "status NOT IN ('cancelled', 'no_show')"


class Assignment(Model):
    """A person's customer-service day or warehouse week in one slot.

    ``uid`` is the calendar UID and never changes. ``sequence`` rises with every
    change the attendee would see (time, place, status). A draft assignment has
    never been announced; an announced one that the latest draft would move or
    withdraw carries that as its ``proposal`` until HR publishes.
    """

    __tablename__ = "assignment"
    __table_args__ = (
        sa.CheckConstraint(_in("status", STATUSES), name="known_status"),
        sa.CheckConstraint(_in("kind", SLOT_KINDS), name="known_kind"),
        sa.CheckConstraint(f"proposal IS NULL OR {_in('proposal', PROPOSALS)}", name="known_proposal"),
        sa.CheckConstraint(f"notice IS NULL OR {_in('notice', NOTICES)}", name="known_notice"),
        sa.CheckConstraint("proposed_slot_id IS NULL OR proposal = 'move'", name="move_has_slot"),
        sa.CheckConstraint("sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint(f"answer IS NULL OR {_in('answer', ANSWERS)}", name="known_answer"),
        # One assignment of each kind per person and year that is still to happen or done; a no-show's
        # shift stays on record beside the one that re-books it.
        sa.Index("uq_assignment_person_year_kind", "person_id", "year", "kind", unique=True,
                 sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN)),
        sa.Index("ix_assignment_year_status", "year", "status"),
        sa.Index("ix_assignment_slot", "slot_id"),
        # A person's shifts (My rotation, their feed, their observations), whatever their status.
        sa.Index("ix_assignment_person_year", "person_id", "year"),
        sa.Index("ix_assignment_proposed_slot", "proposed_slot_id"),
        # The moves and withdrawals a draft proposes (HR's plan page): a few among a year's shifts.
        sa.Index("ix_assignment_year_proposal", "year", sqlite_where=sa.text("proposal IS NOT NULL"),
                 postgresql_where=sa.text("proposal IS NOT NULL")),
        # A slot's shifts whose attendance is still to record (HR's attendance list): few but for slots to come.
        sa.Index("ix_assignment_waiting", "slot_id", "kind",
                 sqlite_where=sa.text(_in("status", (PUBLISHED, CONFIRMED))),
                 postgresql_where=sa.text(_in("status", (PUBLISHED, CONFIRMED)))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(80), unique=True, default=new_uid)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="RESTRICT"))
    year: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20), default=DRAFT)
    sequence: Mapped[int] = mapped_column(default=0)
    proposal: Mapped[str | None] = mapped_column(sa.String(20))
    proposed_slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot.id", ondelete="RESTRICT"))
    # A blackout now covers this announced assignment; the next plan run moves it.
    needs_replan: Mapped[bool] = mapped_column(default=False)
    notice: Mapped[str | None] = mapped_column(sa.String(20))
    # Who recorded the attendance (completed or no-show) and when: an HR account's or a site host's address.
    attendance_by: Mapped[str | None] = mapped_column(sa.String(254))
    attendance_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The attendee's last answer from their calendar app, and the version of the shift (sequence) it answered:
    # it stands only while that version does.
    answer: Mapped[str | None] = mapped_column(sa.String(20))
    answer_sequence: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person] = relationship(lazy="raise_on_sql")
    slot: Mapped[Slot] = relationship(foreign_keys=[slot_id], lazy="raise_on_sql")
    proposed_slot: Mapped[Slot | None] = relationship(foreign_keys=[proposed_slot_id], lazy="raise_on_sql")

    @property
    def is_active(self) -> bool:
        return self.status != CANCELLED

    @property
    def is_announced(self) -> bool:
        return self.status in ANNOUNCED

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def current_answer(self) -> str | None:
        """The attendee's answer to the shift as it now is; an answer to an earlier version no longer counts."""
        return self.answer if self.answer_sequence == self.sequence else None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<Assignment {self.uid} {self.kind} {self.status}>"
