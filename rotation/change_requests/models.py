from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.assignments.models import Assignment
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.sites.models import Slot


class RequestStatus(StrEnum):
    """Where a manager's change request stands; the column holds the value."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the manager took it back, or the shift changed or ended before HR decided


# The statuses by name, as the rest of the code imports them.
PENDING = RequestStatus.PENDING
APPROVED = RequestStatus.APPROVED
DECLINED = RequestStatus.DECLINED
WITHDRAWN = RequestStatus.WITHDRAWN
REQUEST_STATUSES: tuple[str, ...] = (PENDING, APPROVED, DECLINED, WITHDRAWN)
REQUEST_STATUS_LABELS: dict[str, str] = {PENDING: "Waiting for HR", APPROVED: "Approved", DECLINED: "Declined",
                         WITHDRAWN: "Withdrawn"}


# Where a request came from: the manager's form in Rotation, or their calendar app's answer to the invitation.
FROM_APP = "app"
FROM_DECLINE = "calendar_decline"
FROM_COUNTER = "calendar_counter"
REQUEST_SOURCES = (FROM_APP, FROM_DECLINE, FROM_COUNTER)
REQUEST_SOURCE_LABELS: dict[str, str] = {FROM_APP: "Asked in Rotation",
                                         FROM_DECLINE: "Declined the invitation in their calendar",
                                         FROM_COUNTER: "Proposed a new time in their calendar"}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class ChangeRequest(Model):
    """A manager asks to move one of their announced shifts: to a slot they picked, or HR chooses one.

    ``wanted_slot_id`` is the slot the manager picked, or None when they asked
    HR to choose. At most one request per assignment waits at a time. When HR
    approves, ``moved_to_slot_id`` is where the shift went; when HR declines,
    ``decision_note`` says why.
    """

    __tablename__ = "change_request"
    __table_args__ = (
        sa.CheckConstraint(_in("status", REQUEST_STATUSES), name="known_status"),
        sa.CheckConstraint(_in("source", REQUEST_SOURCES), name="known_source"),
        sa.CheckConstraint("status != 'approved' OR moved_to_slot_id IS NOT NULL", name="approved_has_slot"),
        sa.CheckConstraint("status != 'declined' OR decision_note IS NOT NULL", name="declined_has_reason"),
        sa.Index("uq_change_request_pending", "assignment_id", unique=True,
                 sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_change_request_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"), index=True)
    wanted_slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot.id", ondelete="SET NULL"))
    # The slot the shift was in when the manager asked: what "from" means in the queue.
    from_slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="RESTRICT"))
    reason: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(20), default=FROM_APP, server_default=FROM_APP)
    status: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The HR account's address that decided (kept as text: an account may be removed later).
    decided_by: Mapped[str | None] = mapped_column(sa.String(254))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    moved_to_slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slot.id", ondelete="RESTRICT"))

    assignment: Mapped[Assignment] = relationship(lazy="raise_on_sql")
    wanted_slot: Mapped[Slot | None] = relationship(foreign_keys=[wanted_slot_id], lazy="raise_on_sql")
    from_slot: Mapped[Slot] = relationship(foreign_keys=[from_slot_id], lazy="raise_on_sql")
    moved_to_slot: Mapped[Slot | None] = relationship(foreign_keys=[moved_to_slot_id], lazy="raise_on_sql")

    @property
    def status_label(self) -> str:
        return REQUEST_STATUS_LABELS[self.status]

    @property
    def source_label(self) -> str:
        return REQUEST_SOURCE_LABELS[self.source]

    def __repr__(self) -> str:
        return f"<ChangeRequest {self.id} {self.status}>"
