"""The figures on HR's home page, each one query."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from rotation.blackouts.models import Blackout
from rotation.extensions import db
from rotation.people.models import Person, in_rotation_clause
from rotation.sites.models import Site, Slot


@dataclass
class RosterOverview:
    people: int
    in_rotation: int
    left: int
    sites: dict[str, int]          # kind → count
    slots: dict[int, int]          # year → count
    upcoming_blackouts: int
    years: tuple[int, int]


def roster_overview(today: date) -> RosterOverview:
    years = (today.year, today.year + 1)
    people, left = db.session.execute(sa.select(
        sa.func.count().filter(Person.is_active.is_(True)),
        sa.func.count().filter(Person.is_active.is_(False)),
    )).one()
    in_rotation = db.session.scalar(sa.select(sa.func.count()).where(in_rotation_clause()))
    sites = dict(db.session.execute(sa.select(Site.kind, sa.func.count()).group_by(Site.kind)).all())
    year = sa.extract("year", Slot.first_day)
    slots = {int(y): n for y, n in db.session.execute(
        sa.select(year, sa.func.count()).where(year.in_(years)).group_by(year)).all()}
    upcoming = db.session.scalar(sa.select(sa.func.count()).where(Blackout.end >= today))
    return RosterOverview(people=people or 0, in_rotation=in_rotation or 0, left=left or 0, sites=sites,
                          slots=slots, upcoming_blackouts=upcoming or 0, years=years)
