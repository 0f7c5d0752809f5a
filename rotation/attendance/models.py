from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.sites.models import Slot


class AttendanceLink(Model):
    """The link e-mailed to a site's host after a slot ends, to record who of its attendees came.

    One per slot, ever: the host is asked once. The link is signed with the
    app's secret key and carries a secret of which only the SHA-256 hash is
    stored; it works once, until ``expires_at``.
    """

    __tablename__ = "attendance_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slot.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    slot: Mapped[Slot] = relationship(lazy="raise_on_sql")
