from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.assignments.models import Assignment
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import db

QUEUED = "queued"
SENT = "sent"
FAILED = "failed"
SUPERSEDED = "superseded"
MESSAGE_STATUSES = (QUEUED, SENT, FAILED, SUPERSEDED)
MESSAGE_STATUS_LABELS = {QUEUED: "Queued", SENT: "Sent", FAILED: "Failed", SUPERSEDED: "Superseded"}

# What a message is for.
INVITATION = "invitation"          # a calendar REQUEST: a new or changed shift
CANCELLATION = "cancellation"      # a calendar CANCEL: a withdrawn shift
SET_PASSWORD = "set_password"      # a link for a new account to choose its password
RESET_PASSWORD = "reset_password"  # a forgotten-password link
PURPOSES = (INVITATION, CANCELLATION, SET_PASSWORD, RESET_PASSWORD)
CALENDAR_PURPOSES = (INVITATION, CANCELLATION)


class OutboxMessage(db.Model):
    """One e-mail to one recipient, queued in the transaction of the change that causes it.

    A calendar message refers to its assignment and the ``sequence`` it
    announces; its text and iCalendar body are made when it is sent, from the
    assignment as it then is (an older queued message for the same assignment is
    superseded by the newer one). An account message carries its text, made
    when it was queued, because its link holds a secret that is stored nowhere
    else.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'superseded')", name="known_status"),
        sa.CheckConstraint(
            "purpose IN ('invitation', 'cancellation', 'set_password', 'reset_password')", name="known_purpose"),
        sa.CheckConstraint("purpose NOT IN ('invitation', 'cancellation') OR assignment_id IS NOT NULL",
                           name="calendar_has_assignment"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_message_assignment", "assignment_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    recipient: Mapped[str] = mapped_column(sa.String(254))
    recipient_name: Mapped[str] = mapped_column(sa.String(200), default="")
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment.id", ondelete="CASCADE"))
    sequence: Mapped[int | None]
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The server's reply to the last failed attempt, shown to HR.
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    assignment: Mapped[Assignment | None] = relationship(lazy="raise_on_sql")

    @property
    def status_label(self) -> str:
        return MESSAGE_STATUS_LABELS[self.status]
