from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model


class Notification(Model):
    """One piece of news for one roster person, shown in the app until they have read it.

    It is written in the transaction of the change it tells about, beside any
    e-mail about the same change. ``link`` is a path inside the app.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_person_created", "person_id", "created_at"),
        sa.Index("ix_notification_unread", "person_id", sqlite_where=sa.text("read_at IS NULL"),
                 postgresql_where=sa.text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.String(500))
    link: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
