from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.extensions import Model
from rotation.people.models import Person
from rotation.sites.models import Site

PERSON = "person"
SITE = "site"
COMPANY = "company"
SCOPE_LABELS = {PERSON: "A person", SITE: "A whole site", COMPANY: "The whole company"}


class Blackout(Model):
    """Inclusive dates in which a person, a whole site, or the whole company can't take a shift."""

    __tablename__ = "blackout"
    __table_args__ = (
        sa.CheckConstraint('"end" >= start', name="dates_in_order"),
        sa.CheckConstraint("person_id IS NULL OR site_id IS NULL", name="one_scope"),
        sa.Index("ix_blackout_dates", "start", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    start: Mapped[date]
    end: Mapped[date]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")

    person: Mapped[Person | None] = relationship(lazy="raise_on_sql")
    site: Mapped[Site | None] = relationship(lazy="raise_on_sql")

    @property
    def scope(self) -> str:
        if self.person_id is not None:
            return PERSON
        if self.site_id is not None:
            return SITE
        return COMPANY
