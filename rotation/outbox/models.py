from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.assignments.models import Assignment
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model


class MessageStatus(StrEnum):
    """Where an outbox message stands; the column holds the value."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


# The statuses by name, as the rest of the code imports them.
QUEUED = MessageStatus.QUEUED
SENT = MessageStatus.SENT
FAILED = MessageStatus.FAILED
SUPERSEDED = MessageStatus.SUPERSEDED
MESSAGE_STATUSES: tuple[str, ...] = (QUEUED, SENT, FAILED, SUPERSEDED)
MESSAGE_STATUS_LABELS: dict[str, str] = {QUEUED: "Queued", SENT: "Sent", FAILED: "Failed", SUPERSEDED: "Superseded"}

# What a message is for.
INVITATION = "invitation"          # a calendar REQUEST: a new or changed shift
CANCELLATION = "cancellation"      # a calendar CANCEL: a withdrawn shift
SET_PASSWORD = "set_password"      # a link for a new account to choose its password
RESET_PASSWORD = "reset_password"  # a forgotten-password link
REMINDER = "reminder"              # a shift is coming up (a week, a day before)
CHANGE_OUTCOME = "change_outcome"  # HR approved or declined a change request
ATTENDANCE = "attendance"          # a site host's link to record who came
NO_SHOW_NOTICE = "no_show"         # a line manager hears that someone missed their shift
ANDON = "andon"                    # a process area's owner hears of a severity-5 or safety observation at once
PROBLEM_NEWS = "problem_news"      # a problem's status changed, told to everyone subscribed to it
OBSERVATION_DECLINED = "observation_declined"  # an owner declined an observation, told to its author
PURPOSES = (INVITATION, CANCELLATION, SET_PASSWORD, RESET_PASSWORD, REMINDER, CHANGE_OUTCOME, ATTENDANCE,
            NO_SHOW_NOTICE, ANDON, PROBLEM_NEWS, OBSERVATION_DECLINED)
CALENDAR_PURPOSES = (INVITATION, CANCELLATION)
# Messages about the shift as it is now: a newer change of the shift supersedes them while still queued.
SHIFT_NEWS_PURPOSES = (INVITATION, CANCELLATION, REMINDER)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class OutboxMessage(Model):
    """One e-mail to one recipient, queued in the transaction of the change that causes it.

    A calendar message refers to its assignment and the ``sequence`` it
    announces; its text and iCalendar body are made when it is sent, from the
    assignment as it then is (an older queued message for the same assignment is
    superseded by the newer one); once sent, an invitation keeps in ``announced``
    the shift it told of, in words, so that the next update can say what moved.
    Every other message (password and attendance
    links, reminders, the outcome of a change request, a no-show notice)
    carries its subject and text, made when it was queued: a link in it holds a
    secret that is stored nowhere else, and the rest say what happened then. A
    reminder still queued when its shift changes is superseded like an invitation.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'sent', 'failed', 'superseded')", name="known_status"),
        sa.CheckConstraint(_in("purpose", PURPOSES), name="known_purpose"),
        sa.CheckConstraint("purpose NOT IN ('invitation', 'cancellation') OR assignment_id IS NOT NULL",
                           name="calendar_has_assignment"),
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        sa.CheckConstraint("reminder_days IS NULL OR (purpose = 'reminder' AND reminder_days > 0)",
                           name="reminder_has_days"),
        sa.Index("ix_outbox_message_assignment", "assignment_id", "status"),
        # HR's outbox list: a status tab newest first, and the counts per status.
        sa.Index("ix_outbox_message_status_id", "status", "id"),
        # A shift's reminder for each lead time goes out once for each version of the shift (its sequence).
        sa.Index("uq_outbox_message_reminder", "assignment_id", "sequence", "reminder_days", unique=True,
                 sqlite_where=sa.text("reminder_days IS NOT NULL"),
                 postgresql_where=sa.text("reminder_days IS NOT NULL")),
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
    # For a reminder: how many days before the shift it is meant to arrive.
    reminder_days: Mapped[int | None]
    # For a sent invitation: when and where the shift it announced was, as the update after it words the shift
    # (texts.announcement), e.g. "Tuesday 9 March 2027, 09:00–17:00 at Rotterdam contact centre".
    announced: Mapped[str | None] = mapped_column(sa.Text)

    assignment: Mapped[Assignment | None] = relationship(lazy="raise_on_sql")

    @property
    def status_label(self) -> str:
        return MESSAGE_STATUS_LABELS[self.status]
