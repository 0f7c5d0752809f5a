from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model
from rotation.people.models import Person


class FeedToken(Model):
    """The secret in a person's calendar-feed link, stored only as its SHA-256 hash.

    A person has at most one token that works; issuing a new one revokes the old. ``shown_etag`` is the
    ETag of the feed as this link last served it, and ``shown_changed_at`` when a poll first found it
    different from the one served before: the feed's Last-Modified covers changes no row dates (a site
    renamed, a shift leaving the feed) that way (see rotation.feeds.polls).
    """

    __tablename__ = "feed_token"
    __table_args__ = (
        sa.Index("uq_feed_token_person_live", "person_id", unique=True,
                 sqlite_where=sa.text("revoked_at IS NULL"), postgresql_where=sa.text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shown_etag: Mapped[str | None] = mapped_column(sa.String(64))
    shown_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(lazy="raise_on_sql")
