"""What the plan pages read: the runs of a year, the proposals and unplaced shifts to review, plan states.

Each function reads a fixed few rows in one to three queries, whatever the size
of the year, so the pages stay fast with hundreds of thousands of assignments.
Figures counted over a whole year (what publishing would change, the shifts
announced, the slots per year) are kept until the tables they count change.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager, joinedload

from rotation.assignments.changes import effective_slot_id, holds_a_seat
from rotation.assignments.models import (
    ANNOUNCED,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    KIND_LABELS,
    NO_SHOW,
    PUBLISHED,
    WITHDRAW,
    Assignment,
)
from rotation.blackouts.models import Blackout
from rotation.data_versions import kept
from rotation.db import utcnow
from rotation.extensions import db
from rotation.people.models import Person, in_rotation_clause
from rotation.people.signals import person_page
from rotation.plans.models import FAILED, FINISHED, QUEUED, RUNNING, PlanRun, UnplacedShift
from rotation.plans.publish import DraftSummary, summary_counts
from rotation.plans.runs import ABANDONED_AFTER
from rotation.sites.models import CUSTOMER_SERVICE, WAREHOUSE_WEEK, Site, Slot


@dataclass(frozen=True)
class YearRuns:
    """The runs a year's page shows: the latest of any status, the latest that finished (its draft is the
    one to review) and the latest that was published."""

    latest: PlanRun | None
    finished: PlanRun | None
    published: PlanRun | None

    @property
    def running(self) -> PlanRun | None:
        """The latest run while it waits for the worker or is still alive (one silent for too long is abandoned)."""
        run = self.latest
        if run is not None and (run.status == QUEUED or
                                (run.status == RUNNING and run.heartbeat_at > utcnow() - ABANDONED_AFTER)):
            return run
        return None

    @property
    def failed(self) -> PlanRun | None:
        return self.latest if self.latest is not None and self.latest.status == FAILED else None


def _latest_run(year: int, *conditions) -> PlanRun | None:
    return db.session.scalar(
        sa.select(PlanRun)
        .options(joinedload(PlanRun.started_by), joinedload(PlanRun.published_by))
        .where(PlanRun.year == year, *conditions).order_by(PlanRun.id.desc()).limit(1))


def year_runs(year: int) -> YearRuns:
    """The latest, latest finished and latest published runs of ``year``, in one to three queries."""
    latest = _latest_run(year)
    finished = latest if latest is None or latest.status == FINISHED else _latest_run(year, PlanRun.status == FINISHED)
    published = (finished if finished is None or finished.published_at is not None
                 else _latest_run(year, PlanRun.published_at.is_not(None)))
    return YearRuns(latest=latest, finished=finished, published=published)


def proposals(year: int) -> sa.Select:
    """The announced assignments of ``year`` that publishing would move or withdraw, by person."""
    return (sa.select(Assignment)
            .join(Assignment.person)
            .options(contains_eager(Assignment.person),
                     joinedload(Assignment.slot).joinedload(Slot.site),
                     joinedload(Assignment.proposed_slot).joinedload(Slot.site))
            .where(Assignment.year == year, Assignment.status != CANCELLED, Assignment.proposal.is_not(None))
            .order_by(Person.full_name, Person.id, Assignment.kind))


def unplaced(run_id: int) -> sa.Select:
    """The shifts run ``run_id`` could not give, with the person, by name."""
    return (sa.select(UnplacedShift)
            .join(UnplacedShift.person)
            .options(contains_eager(UnplacedShift.person))
            .where(UnplacedShift.plan_run_id == run_id)
            .order_by(Person.full_name, Person.id, UnplacedShift.kind))


@dataclass(frozen=True)
class Unplaced:
    """A shift of one year that the latest finished run could not give a person, and why."""

    year: int
    kind: str
    reason: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@person_page.connect
def _unplaced_of(person: Person) -> dict:
    """On HR's page of a person: the shifts the latest finished run of each year could not give them (what the
    year's unplaced list shows), newest year first; one query."""
    newer = aliased(PlanRun)
    latest_finished = (sa.select(sa.func.max(newer.id)).where(newer.year == PlanRun.year, newer.status == FINISHED)
                       .scalar_subquery())
    rows = db.session.execute(
        sa.select(PlanRun.year, UnplacedShift.kind, UnplacedShift.reason)
        .join(PlanRun, PlanRun.id == UnplacedShift.plan_run_id)
        .where(UnplacedShift.person_id == person.id, PlanRun.id == latest_finished)
        .order_by(PlanRun.year.desc(), UnplacedShift.kind)).tuples().all()
    return {"unplaced": [Unplaced(year, kind, reason) for year, kind, reason in rows]}


@dataclass(frozen=True)
class YearFigures:
    """What publishing ``year`` would change, and how many of its shifts have been announced (published, or
    since confirmed, done or missed)."""

    summary: DraftSummary
    announced: int


def year_figures(year: int) -> YearFigures:
    """The year page's counts over all of ``year``'s shifts, in one query, kept until a shift changes."""
    return kept(("plan year figures", year), ("assignment",), lambda: _year_figures(year))


def _year_figures(year: int) -> YearFigures:
    row = db.session.execute(
        sa.select(*summary_counts(), sa.func.count().filter(Assignment.status.in_(ANNOUNCED)))
        .where(Assignment.year == year, Assignment.status != CANCELLED)).one()
    return YearFigures(summary=DraftSummary(year, *row[:4]), announced=row[4])


def slots_per_year(years: tuple[int, ...]) -> dict[int, int]:
    """How many slots each of ``years`` has (years without any are left out), kept until a slot changes."""
    return kept(("plan slots per year", years), ("slot",), lambda: _slots_per_year(years))


def _slots_per_year(years: tuple[int, ...]) -> dict[int, int]:
    year = sa.extract("year", Slot.first_day)
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    rows = db.session.execute(
        sa.select(year, sa.func.count()).where(Slot.first_day.between(first, last)).group_by(year))
    return {int(found): count for found, count in rows if int(found) in years}


@dataclass(frozen=True)
class PlanState:
    """A year's plan in a phrase for HR's home page."""

    year: int
    run_status: str | None = None
    alive: bool = False
    step: int = 0
    steps: int = 0
    pending: int = 0
    collisions: int = 0
    published: bool = False

    @property
    def phrase(self) -> str:
        if self.run_status is None:
            return "not planned yet"
        if self.run_status == QUEUED:
            return "waiting for the background worker to plan it"
        if self.run_status == RUNNING and self.alive:
            return f"running, step {min(self.step + 1, self.steps)} of {self.steps}"
        if self.collisions:
            return "blackouts collide: run the plan again"
        if self.pending:
            changes = "change" if self.pending == 1 else "changes"
            return f"draft with {self.pending} {changes} to publish"
        if self.run_status != FINISHED:
            return "the last run failed"
        return "published" if self.published else "planned, nothing to publish"


def plan_states(years: tuple[int, ...]) -> list[PlanState]:
    """The state of each year's plan: its latest run (read each time) and what is left to publish (counted
    over the year's shifts, kept until a shift changes)."""
    latest = (sa.select(sa.func.max(PlanRun.id)).where(PlanRun.year.in_(years)).group_by(PlanRun.year)
              .scalar_subquery())
    runs = db.session.execute(
        sa.select(PlanRun.year, PlanRun.status, PlanRun.heartbeat_at, PlanRun.step, PlanRun.steps)
        .where(PlanRun.id.in_(latest))).all()
    counts = kept(("plan states", tuple(sorted(row.year for row in runs))), ("assignment",),
                  lambda: _left_to_publish([row.year for row in runs]))
    alive_since = utcnow() - ABANDONED_AFTER
    found = {row.year: PlanState(year=row.year, run_status=row.status, alive=row.heartbeat_at > alive_since,
                                 step=row.step, steps=row.steps, **counts[row.year])
             for row in runs}
    return [found.get(year, PlanState(year=year)) for year in years]


def _left_to_publish(years: list[int]) -> dict[int, dict]:
    """Per year: shifts left to publish, shifts a blackout collides with, whether any was ever announced."""
    counts = {}
    for year in years:
        of_year = sa.and_(Assignment.year == year, Assignment.status != CANCELLED)
        pending, collisions, published = db.session.execute(sa.select(
            sa.select(sa.func.count()).where(
                of_year, sa.or_(Assignment.status == DRAFT, Assignment.proposal.is_not(None))).scalar_subquery(),
            sa.select(sa.func.count()).where(of_year, Assignment.needs_replan.is_(True)).scalar_subquery(),
            sa.exists().where(of_year, Assignment.status.in_(ANNOUNCED)))).one()
        counts[year] = {"pending": pending or 0, "collisions": collisions or 0, "published": bool(published)}
    return counts


# --- Names, not counts: who the draft places, moves, withdraws, and what changed since the run ---------------

def _by_name(statement: sa.Select) -> sa.Select:
    return (statement.join(Assignment.person)
            .options(contains_eager(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
            .order_by(Person.full_name, Person.id, Assignment.kind))


def new_placements(year: int) -> sa.Select:
    """The drafts of ``year``: shifts publishing would announce for the first time, by person."""
    return _by_name(sa.select(Assignment).where(Assignment.year == year, Assignment.status == DRAFT))


def colliding(year: int) -> sa.Select:
    """The shifts of ``year`` a blackout added since the last run now covers, by person."""
    return _by_name(sa.select(Assignment).where(Assignment.year == year, Assignment.status != CANCELLED,
                                                Assignment.needs_replan.is_(True)))


def withdrawn_since(year: int, run: PlanRun | None) -> sa.Select | None:
    """The shifts of ``year`` withdrawn by hand since ``run`` finished, of people still active and without
    another shift of that kind: the plan no longer gives them one, so it needs to run again. None without a run.

    A withdrawal the run itself proposed is applied when HR publishes, at the very moment the run (or any
    run of the year) records its publication; those are left out."""
    if run is None or run.finished_at is None:
        return None
    other = aliased(Assignment)
    publications = sa.select(PlanRun.published_at).where(PlanRun.year == year, PlanRun.published_at.is_not(None))
    return _by_name(sa.select(Assignment).where(
        Assignment.year == year, Assignment.status == CANCELLED, Assignment.updated_at > run.finished_at,
        Assignment.updated_at.not_in(publications), Person.is_active.is_(True),
        ~sa.exists().where(other.person_id == Assignment.person_id, other.year == year, other.kind == Assignment.kind,
                           other.status.not_in((CANCELLED,)))))


@dataclass(frozen=True)
class Nearness:
    """Where the year's shifts are, seen from each person's home: the plan's quality in HR's words."""

    home_site: int = 0
    home_region: int = 0
    elsewhere: int = 0
    no_home: int = 0  # people without a home site: any site is as good as another

    @property
    def total(self) -> int:
        return self.home_site + self.home_region + self.elsewhere + self.no_home


def nearness(year: int) -> Nearness:
    """How many of ``year``'s shifts (once published) are at the person's home site, in their home region, or
    elsewhere; one query, kept until a shift, a person or a site changes."""
    return kept(("plan nearness", year), ("assignment", "person", "site"), lambda: _nearness(year))


def _nearness(year: int) -> Nearness:
    home = aliased(Site)
    where = sa.case((Person.home_site_id.is_(None), "no_home"),
                    (Site.id == Person.home_site_id, "home_site"),
                    (sa.and_(Site.region.is_not(None), Site.region == home.region), "home_region"),
                    else_="elsewhere")
    rows = db.session.execute(
        sa.select(where, sa.func.count())
        .select_from(Assignment)
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == effective_slot_id())
        .join(Site, Site.id == Slot.site_id)
        .outerjoin(home, home.id == Person.home_site_id)
        .where(Assignment.year == year, holds_a_seat())
        .group_by(where)).tuples().all()
    return Nearness(**dict(rows))


# --- The people of a year still without a booked shift ----------------------------------------------------

# How a person stands for one kind of shift in a year, worst first.
NOTHING, NO_SHOW_TO_REBOOK, DRAFT_ONLY, BOOKED = 0, 1, 2, 3
STANDING_WORDS = {NOTHING: "nothing planned", NO_SHOW_TO_REBOOK: "no-show, to re-book",
                  DRAFT_ONLY: "in the draft, not yet published"}
BOOKING = (PUBLISHED, CONFIRMED, COMPLETED)


def _standing(year: int, kind: str) -> sa.ColumnElement[int]:
    """SQL: how the person (``Person``) stands for ``kind`` in ``year``: booked (announced or done), only a
    draft, a no-show not yet re-booked, or nothing."""
    def having(*statuses: str) -> sa.Exists:
        return sa.exists().where(Assignment.person_id == Person.id, Assignment.year == year,
                                 Assignment.kind == kind, Assignment.status.in_(statuses))
    return sa.case((having(*BOOKING), BOOKED), (having(DRAFT), DRAFT_ONLY), (having(NO_SHOW), NO_SHOW_TO_REBOOK),
                   else_=NOTHING)


def unbooked_people(year: int) -> sa.Select:
    """Rows (person, customer-service standing, warehouse standing) of everyone in the rotation without both
    shifts of ``year`` booked, by name."""
    customer_service, warehouse = _standing(year, CUSTOMER_SERVICE), _standing(year, WAREHOUSE_WEEK)
    return (sa.select(Person, customer_service.label("customer_service"), warehouse.label("warehouse"))
            .where(in_rotation_clause(), sa.or_(customer_service != BOOKED, warehouse != BOOKED))
            .order_by(Person.full_name, Person.id))


def unbooked_counts(years: tuple[int, ...]) -> dict[int, int]:
    """How many people in the rotation lack a booked shift in each of ``years``; kept until a shift or a person
    changes."""
    def count() -> dict[int, int]:
        counts = [sa.select(sa.func.count()).select_from(
                      unbooked_people(year).with_only_columns(Person.id).order_by(None).subquery()).scalar_subquery()
                  for year in years]
        return dict(zip(years, (number or 0 for number in db.session.execute(sa.select(*counts)).one()),
                        strict=True))
    return kept(("unbooked people", years), ("assignment", "person"), count)


def proposal_reasons(assignments: Sequence[Assignment], run: PlanRun | None) -> dict[int, str]:
    """Why the draft moves or withdraws each of ``assignments`` (a page of them), in two queries: a blackout
    now covering its slot, the person no longer in the rotation or gone, or the reason ``run`` could not place
    them again."""
    if not assignments:
        return {}
    ids = [assignment.id for assignment in assignments]
    blackout_covers = sa.exists().where(
        Blackout.start <= Slot.last_day, Blackout.end >= Slot.first_day,
        sa.or_(Blackout.person_id == Person.id, Blackout.site_id == Slot.site_id,
               Blackout.site_id == Person.home_site_id,
               sa.and_(Blackout.person_id.is_(None), Blackout.site_id.is_(None))))
    facts = {row.id: row for row in db.session.execute(
        sa.select(Assignment.id, blackout_covers.label("covered"), Person.is_active.label("active"),
                  sa.case((in_rotation_clause(), True), else_=False).label("in_rotation"))
        .join(Person, Person.id == Assignment.person_id).join(Slot, Slot.id == Assignment.slot_id)
        .where(Assignment.id.in_(ids)))}
    unplaced_because = {} if run is None else {
        (person_id, kind): reason for person_id, kind, reason in db.session.execute(
            sa.select(UnplacedShift.person_id, UnplacedShift.kind, UnplacedShift.reason)
            .where(UnplacedShift.plan_run_id == run.id,
                   UnplacedShift.person_id.in_({assignment.person_id for assignment in assignments})))}
    reasons = {}
    for assignment in assignments:
        fact = facts.get(assignment.id)
        if fact is None:
            continue
        if assignment.proposal == WITHDRAW:
            reasons[assignment.id] = (
                "left the company" if not fact.active else
                "no longer in the rotation" if not fact.in_rotation else
                unplaced_because.get((assignment.person_id, assignment.kind), "no longer fits anywhere"))
        else:
            reasons[assignment.id] = ("a blackout now covers its day" if fact.covered else
                                      "its slot no longer fits (fewer seats, or the department's weekly cap)")
    return reasons
