"""The figures on the home page: HR's, each one query, and an executive's summary of their organisation."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rotation.assignments.models import CONFIRMED, PUBLISHED, Assignment
from rotation.blackouts.models import Blackout
from rotation.change_requests.models import PENDING, ChangeRequest
from rotation.coverage.scope import Scope
from rotation.coverage.standing import Figures, coverage
from rotation.data_versions import kept
from rotation.db import utcnow
from rotation.extensions import db
from rotation.observations.models import SUBMITTED as OBSERVATION_SUBMITTED
from rotation.observations.models import Observation
from rotation.people.models import Person, in_rotation_clause
from rotation.problems.models import CLOSED, Problem
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
    waiting_changes: int = 0       # change requests HR has not decided
    attendance_due: int = 0        # shifts that have started with attendance not recorded
    counted_at: datetime | None = None
    next_start: datetime | None = None  # the first announced shift to start after ``counted_at``

    def still_true(self) -> bool:
        """Whether no announced shift has started since the figures were counted."""
        return self.next_start is None or utcnow() < self.next_start


# The tables the roster overview is counted from: kept until one of them changes.
OVERVIEW_TABLES = ("person", "site", "slot", "blackout", "change_request", "assignment")


def roster_overview(today: date) -> RosterOverview:
    """The roster's figures, counted over the whole company: kept until the roster, the plan, the
    blackouts or the change requests change, or the next announced shift starts."""
    return kept(("roster overview", today), OVERVIEW_TABLES, lambda: _count_roster(today),
                still_true=RosterOverview.still_true)


def _count_roster(today: date) -> RosterOverview:
    now = utcnow()
    years = (today.year, today.year + 1)
    people, left = db.session.execute(sa.select(
        sa.func.count().filter(Person.is_active.is_(True)),
        sa.func.count().filter(Person.is_active.is_(False)),
    )).one()
    in_rotation = db.session.scalar(sa.select(sa.func.count()).where(in_rotation_clause()))
    sites = dict(db.session.execute(sa.select(Site.kind, sa.func.count()).group_by(Site.kind)).tuples().all())
    year = sa.extract("year", Slot.first_day)
    slots = {int(y): n for y, n in db.session.execute(
        sa.select(year, sa.func.count()).where(year.in_(years)).group_by(year)).all()}
    upcoming = db.session.scalar(sa.select(sa.func.count()).where(Blackout.end >= today))
    announced = (sa.select(sa.func.count()).select_from(Assignment).join(Slot, Slot.id == Assignment.slot_id)
                 .where(Assignment.status.in_((PUBLISHED, CONFIRMED))))
    waiting, due, next_start = db.session.execute(sa.select(
        sa.select(sa.func.count()).where(ChangeRequest.status == PENDING).scalar_subquery(),
        announced.where(Slot.starts_at <= now).scalar_subquery(),
        announced.with_only_columns(sa.func.min(Slot.starts_at)).where(Slot.starts_at > now).scalar_subquery(),
    )).one()
    return RosterOverview(people=people or 0, in_rotation=in_rotation or 0, left=left or 0, sites=sites,
                          slots=slots, upcoming_blackouts=upcoming or 0, years=years, waiting_changes=waiting or 0,
                          attendance_due=due or 0, counted_at=now, next_start=_instant(next_start))


def _instant(value) -> datetime | None:
    """A time read by a bare subquery, as an aware UTC instant (SQLite returns text or a naive value)."""
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class RosterEntry:
    person: Person
    reports: int
    blackouts: list[Blackout]


def my_roster_entry(email: str, today: date) -> RosterEntry | None:
    """The signed-in person's roster record, direct reports and coming blackouts (their own,
    their home site's and the company's), or None when no roster person has this address."""
    person = db.session.scalar(
        sa.select(Person).options(joinedload(Person.manager), joinedload(Person.home_site))
        .where(Person.email == email)
    )
    if person is None:
        return None
    reports = db.session.scalar(
        sa.select(sa.func.count()).where(Person.manager_id == person.id, Person.is_active.is_(True)))
    scope = sa.or_(
        Blackout.person_id == person.id,
        sa.and_(Blackout.person_id.is_(None), Blackout.site_id.is_(None)),
        Blackout.site_id == person.home_site_id if person.home_site_id else sa.false(),
    )
    blackouts = list(db.session.scalars(
        sa.select(Blackout).where(scope, Blackout.end >= today).order_by(Blackout.start).limit(5)))
    return RosterEntry(person=person, reports=reports or 0, blackouts=blackouts)


@dataclass(frozen=True)
class Improvement:
    """How triage keeps up, over the whole company or in a process owner's areas: andon alerts and observations
    waiting for triage, the oldest of them, the open problems and those past their due date."""

    andon_waiting: int
    waiting: int
    oldest_waiting: datetime | None
    open_problems: int
    overdue_problems: int

    def waiting_days(self, now: datetime) -> int | None:
        """How many whole days the oldest observation has waited for triage."""
        return None if self.oldest_waiting is None else max((now - self.oldest_waiting).days, 0)


@dataclass(frozen=True)
class OrganisationSummary:
    """An executive's home: this year's coverage of their organisation, and the state of triage."""

    person: Person
    year: int
    coverage: Figures
    improvement: Improvement


def organisation_summary(person: Person, today: date) -> OrganisationSummary:
    """What an executive (a manager with people below them) sees first: their organisation's standing this year
    (coverage's kept tally: two queries when it is not kept) and triage's health across the company."""
    figures = coverage(Scope(person), today.year, today).total
    return OrganisationSummary(person=person, year=today.year, coverage=figures, improvement=improvement(today))


def improvement(today: date, areas: set[int] | None = None, owner_id: int | None = None) -> Improvement:
    """Triage's health in one query: across the company, or with ``areas`` (a process owner's areas and those
    below them) the observations filed in them and the problems in them or owned by ``owner_id``."""
    waiting = sa.select(sa.func.count()).select_from(Observation).where(Observation.status == OBSERVATION_SUBMITTED)
    still_open = sa.select(sa.func.count()).select_from(Problem).where(Problem.status.not_in(CLOSED))
    if areas is not None:
        waiting = waiting.where(Observation.area_id.in_(areas))
        theirs = Problem.area_id.in_(areas)
        still_open = still_open.where(theirs if owner_id is None else sa.or_(theirs, Problem.owner_id == owner_id))
    andon, count, oldest, open_problems, overdue = db.session.execute(sa.select(
        waiting.where(Observation.andon.is_(True)).scalar_subquery(),
        waiting.scalar_subquery(),
        waiting.with_only_columns(sa.func.min(Observation.submitted_at)).scalar_subquery(),
        still_open.scalar_subquery(),
        still_open.where(Problem.due_on < today).scalar_subquery(),
    )).one()
    return Improvement(andon_waiting=andon or 0, waiting=count or 0, oldest_waiting=_instant(oldest),
                       open_problems=open_problems or 0, overdue_problems=overdue or 0)
