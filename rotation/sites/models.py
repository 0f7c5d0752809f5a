from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.db import UTCDateTime
from rotation.extensions import Model

CONTACT_CENTER = "contact_center"
WAREHOUSE = "warehouse"
SITE_KINDS = (CONTACT_CENTER, WAREHOUSE)
SITE_KIND_LABELS = {CONTACT_CENTER: "Contact centre", WAREHOUSE: "Warehouse"}

CUSTOMER_SERVICE = "customer_service"
WAREHOUSE_WEEK = "warehouse"
SLOT_KINDS = (CUSTOMER_SERVICE, WAREHOUSE_WEEK)
SLOT_KIND_FOR_SITE = {CONTACT_CENTER: CUSTOMER_SERVICE, WAREHOUSE: WAREHOUSE_WEEK}


class Site(Model):
    """A frontline place with an IANA time zone and the seats it offers per slot."""

    __tablename__ = "site"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('contact_center', 'warehouse')", name="known_kind"),
        sa.CheckConstraint("seats > 0", name="positive_seats"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    region: Mapped[str | None] = mapped_column(sa.String(100))
    seats: Mapped[int]
    # Local customer-service hours of a contact centre.
    shift_start: Mapped[time | None]
    shift_end: Mapped[time | None]
    # Shown in invitations: where the site is and who welcomes visiting managers.
    address: Mapped[str | None] = mapped_column(sa.String(300))
    host_name: Mapped[str | None] = mapped_column(sa.String(200))
    host_email: Mapped[str | None] = mapped_column(sa.String(254))

    slots: Mapped[list[Slot]] = relationship(back_populates="site", cascade="all, delete-orphan",
                                             lazy="raise_on_sql", passive_deletes=True)

    @property
    def kind_label(self) -> str:
        return SITE_KIND_LABELS[self.kind]

    @property
    def slot_kind(self) -> str:
        return SLOT_KIND_FOR_SITE[self.kind]

    def __repr__(self) -> str:
        return f"<Site {self.code}>"


class Slot(Model):
    """One bookable shift at a site: a customer-service day or a Monday–Friday warehouse week.

    ``first_day``/``last_day`` are the site's local calendar days (equal for a day,
    Monday and Friday for a week); ``starts_at``/``ends_at`` are the UTC instants.
    """

    __tablename__ = "slot"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "kind", "first_day", name="uq_slot_site_kind_day"),
        sa.CheckConstraint("kind IN ('customer_service', 'warehouse')", name="known_kind"),
        sa.CheckConstraint("seats > 0", name="positive_seats"),
        sa.CheckConstraint("last_day >= first_day", name="days_in_order"),
        sa.CheckConstraint("ends_at > starts_at", name="instants_in_order"),
        sa.Index("ix_slot_first_day", "first_day"),
        # The slots that have started, in the order they started (HR's attendance list).
        sa.Index("ix_slot_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    first_day: Mapped[date]
    last_day: Mapped[date]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seats: Mapped[int]

    site: Mapped[Site] = relationship(back_populates="slots")
