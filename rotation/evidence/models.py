from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import db


class Evidence(db.Model):
    """One photo or file attached to an observation, or to a "me too" second of it.

    The bytes live in the evidence folder (``ROTATION_EVIDENCE_DIR``, outside the
    web root) under ``storage_key``, a random name; photos are stored re-encoded,
    without their metadata (location, camera, time). ``filename`` is the
    uploader's name for it, shown and used for downloads only.
    """

    __tablename__ = "evidence"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(sa.ForeignKey("observation.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[int | None] = mapped_column(sa.ForeignKey("observation_second.id", ondelete="CASCADE"))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
