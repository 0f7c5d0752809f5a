from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.assignments.models import Assignment
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model


class ReplyKind(StrEnum):
    """What a message in the organizer mailbox turned out to be, as ``replies fetch`` counts it."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    PROPOSED = "proposed"        # a counter-proposal: another date for the shift
    BOUNCED = "bounced"          # a delivery status notification about one of Rotation's messages
    NOT_MATCHED = "not_matched"  # anything Rotation did not act on: unknown, untrusted, out of date, unreadable


REPLY_KIND_LABELS: dict[str, str] = {
    ReplyKind.ACCEPTED: "Accepted", ReplyKind.DECLINED: "Declined", ReplyKind.TENTATIVE: "Tentative",
    ReplyKind.PROPOSED: "Proposed a new time", ReplyKind.BOUNCED: "Bounced", ReplyKind.NOT_MATCHED: "Not matched",
}
# The order ``replies fetch`` prints its counts in (docs/contracts.md).
COUNTED: tuple[ReplyKind, ...] = tuple(ReplyKind)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class CalendarReply(Model):
    """One message read from the organizer mailbox and what Rotation did about it.

    ``message_key`` (the Message-ID, or a digest of the message when it has
    none) is unique: a message is handled once, even when two workers read it
    at once or one stopped after handling it and before moving it away in the
    mailbox. ``outcome`` is the sentence HR reads: what changed, or why nothing did.
    """

    __tablename__ = "calendar_reply"
    __table_args__ = (
        sa.CheckConstraint(_in("kind", tuple(ReplyKind)), name="known_kind"),
        sa.Index("ix_calendar_reply_kind_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(sa.String(300), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    sender: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(300), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment.id", ondelete="SET NULL"),
                                                      index=True)
    # The version of the shift the reply answered (its SEQUENCE), and the person's comment on it.
    sequence: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # A counter-proposal's first day, as the attendee's calendar proposed it.
    proposed_day: Mapped[date | None] = mapped_column(sa.Date)
    change_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("change_request.id", ondelete="SET NULL"))
    # A bounce's outbox message.
    outbox_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_message.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(sa.Text)

    assignment: Mapped[Assignment | None] = relationship(lazy="raise_on_sql")

    @property
    def kind_label(self) -> str:
        return REPLY_KIND_LABELS[self.kind]
