from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.accounts.models import User
from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model


class ProcessArea(Model):
    """A node of the process map (Returns, Refunds, Picking …); ``parent_id`` makes the tree.

    Names are unique among siblings. An area with sub-areas or observations is
    not deleted; it is retired (``is_active`` false) and no longer offered.
    """

    __tablename__ = "process_area"
    __table_args__ = (
        sa.UniqueConstraint("parent_id", "name", name="uq_process_area_sibling_name"),
        sa.CheckConstraint("parent_id IS NULL OR parent_id != id", name="not_its_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("process_area.id", ondelete="RESTRICT"),
                                                  index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[ProcessArea | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<ProcessArea {self.name}>"


class AreaOwner(Model):
    """An account that owns a process area: they triage what is observed there and below."""

    __tablename__ = "area_owner"

    area_id: Mapped[int] = mapped_column(sa.ForeignKey("process_area.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="raise_on_sql")
