"""Between the database and the planning engine: load a year into a ``PlanRequest``, write a result as the draft.

The draft lives in the assignments themselves. A new placement is an assignment
in status ``draft``; an announced assignment that the plan would move or
withdraw keeps its slot, uid and sequence and carries the change as its
``proposal`` until HR publishes. Drafts are planned like announced assignments,
so running the plan again keeps them where they are when they still fit.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from rotation.assignments.models import COMPLETED, CONFIRMED, DRAFT, MOVE, PUBLISHED, WITHDRAW, Assignment, new_uid
from rotation.blackouts.models import Blackout
from rotation.data_versions import TOUCHED
from rotation.db import utcnow
from rotation.extensions import db
from rotation.people.models import Person, in_rotation_clause
from rotation.planning.model import (
    DateRange,
    PlannedAssignment,
    PlanPerson,
    PlanRequest,
    PlanResult,
    PlanSlot,
    PublishedAssignment,
)
from rotation.refusals import FieldRefusal
from rotation.sites.models import Site, Slot

# Statuses the engine keeps where they are when they still fit. A no-show is not among them: that
# person is planned again for that kind.
PLANNED_STATUSES = (DRAFT, PUBLISHED, CONFIRMED, COMPLETED)
_BATCH = 5_000
_DRAFT_COLUMNS = ("uid", "person_id", "slot_id", "year", "kind", "status", "sequence", "proposal", "proposed_slot_id",
                  "needs_replan", "notice", "created_at", "updated_at")


class PlanningError(FieldRefusal):
    """A plan that cannot start, finish or be published, with a sentence saying why and what to do.

    A refusal about the plan as a whole; a class of its own because a failed run's record keeps this
    sentence as it is and prefixes anything else the engine raised (``runs._fail``).
    """

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


@dataclass(frozen=True, slots=True)
class ExistingAssignment:
    """What writing the draft needs to know of an assignment already in the year."""

    id: int
    uid: str
    person_id: int
    kind: str
    slot_id: int
    status: str
    proposal: str | None
    proposed_slot_id: int | None
    needs_replan: bool
    first_day: date


@dataclass
class LoadedYear:
    request: PlanRequest
    existing: list[ExistingAssignment]


@dataclass(frozen=True)
class DraftChanges:
    """What writing a result changed: announced assignments kept, moved and withdrawn; new placements."""

    kept: int
    moved: int
    placed: int
    withdrawn: int


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def load_year(year: int, not_before: date | None) -> LoadedYear:
    """Everything the engine needs for ``year``, read with a handful of queries."""
    first, last = year_bounds(year)
    people = [
        PlanPerson(id=row.id, employee_id=row.employee_id, department=row.department,
                   home_site_id=row.home_site_id, region=row.region)
        for row in db.session.execute(
            sa.select(Person.id, Person.employee_id, Person.department, Person.home_site_id, Site.region)
            .outerjoin(Site, Site.id == Person.home_site_id)
            .where(in_rotation_clause()))
    ]
    slots = [
        PlanSlot(id=row.id, site_id=row.site_id, region=row.region, kind=row.kind, first_day=row.first_day,
                 last_day=row.last_day, seats=row.seats)
        for row in db.session.execute(
            sa.select(Slot.id, Slot.site_id, Site.region, Slot.kind, Slot.first_day, Slot.last_day, Slot.seats)
            .join(Site, Site.id == Slot.site_id)
            .where(Slot.first_day.between(first, last)))
    ]
    person_blackouts: dict[int, list[DateRange]] = defaultdict(list)
    site_blackouts: dict[int, list[DateRange]] = defaultdict(list)
    company_blackouts: list[DateRange] = []
    for row in db.session.execute(
            sa.select(Blackout.person_id, Blackout.site_id, Blackout.start, Blackout.end)
            .where(Blackout.start <= last, Blackout.end >= first)):
        days = DateRange(row.start, row.end)
        if row.person_id is not None:
            person_blackouts[row.person_id].append(days)
        elif row.site_id is not None:
            site_blackouts[row.site_id].append(days)
        else:
            company_blackouts.append(days)
    existing = [
        ExistingAssignment(id=row.id, uid=row.uid, person_id=row.person_id, kind=row.kind, slot_id=row.slot_id,
                           status=row.status, proposal=row.proposal, proposed_slot_id=row.proposed_slot_id,
                           needs_replan=row.needs_replan, first_day=row.first_day)
        for row in db.session.execute(
            sa.select(Assignment.id, Assignment.uid, Assignment.person_id, Assignment.kind, Assignment.slot_id,
                      Assignment.status, Assignment.proposal, Assignment.proposed_slot_id, Assignment.needs_replan,
                      Slot.first_day)
            .join(Slot, Slot.id == Assignment.slot_id)
            .where(Assignment.year == year, Assignment.status.in_(PLANNED_STATUSES)))
    ]
    published = [PublishedAssignment(person_id=row.person_id, kind=row.kind, slot_id=row.slot_id, uid=row.uid)
                 for row in existing]
    request = PlanRequest(year=year, people=people, slots=slots, person_blackouts=dict(person_blackouts),
                          site_blackouts=dict(site_blackouts), company_blackouts=company_blackouts,
                          published=published, not_before=not_before)
    return LoadedYear(request=request, existing=existing)


def write_draft(loaded: LoadedYear, result: PlanResult) -> DraftChanges:
    """Write ``result`` as the year's draft and flush.

    Kept assignments lose any earlier proposal; a moved draft simply takes its new
    slot; a moved announced assignment gets a ``move`` proposal; a new placement
    becomes a draft. Assignments the result no longer holds (the person left the
    rotation or can no longer be placed) are withdrawn: a draft is deleted, an
    announced one gets a ``withdraw`` proposal. History (before ``not_before``) is
    never touched.
    """
    request = loaded.request
    by_uid = {row.uid: row for row in loaded.existing}
    matched: set[int] = set()
    updates: list[dict] = []
    inserts: list[dict] = []
    kept = moved = withdrawn = 0
    now = utcnow()

    def change(row: ExistingAssignment, slot_id: int, proposal: str | None, proposed_slot_id: int | None) -> None:
        if (row.slot_id, row.proposal, row.proposed_slot_id, row.needs_replan) != (slot_id, proposal,
                                                                                  proposed_slot_id, False):
            updates.append({"id": row.id, "slot_id": slot_id, "proposal": proposal,
                            "proposed_slot_id": proposed_slot_id, "needs_replan": False})

    for planned in result.assignments:
        row = by_uid.get(planned.uid or planned.replaces_uid or "")
        if row is None:
            inserts.append(_new_draft(request.year, planned, now))
            continue
        matched.add(row.id)
        if planned.kept or row.slot_id == planned.slot_id:
            change(row, row.slot_id, None, None)
            kept += row.status != DRAFT
        elif row.status == DRAFT:
            change(row, planned.slot_id, None, None)
        else:
            change(row, row.slot_id, MOVE, planned.slot_id)
            moved += 1
    deletes: list[int] = []
    for row in loaded.existing:
        if row.id in matched or (request.not_before is not None and row.first_day < request.not_before):
            continue
        if row.status == DRAFT:
            deletes.append(row.id)
        else:
            change(row, row.slot_id, WITHDRAW, None)
            withdrawn += 1

    for start in range(0, len(deletes), _BATCH):
        db.session.execute(sa.delete(Assignment).where(Assignment.id.in_(deletes[start:start + _BATCH])))
    for start in range(0, len(updates), _BATCH):
        db.session.execute(sa.update(Assignment), updates[start:start + _BATCH])
    _insert_drafts(inserts)
    db.session.flush()
    return DraftChanges(kept=kept, moved=moved, placed=len(inserts), withdrawn=withdrawn)


def _new_draft(year: int, planned: PlannedAssignment, now: datetime) -> dict:
    return {"uid": new_uid(), "person_id": planned.person_id, "slot_id": planned.slot_id, "year": year,
            "kind": planned.kind, "status": DRAFT, "sequence": 0, "proposal": None, "proposed_slot_id": None,
            "needs_replan": False, "notice": None, "created_at": now, "updated_at": now}


def _insert_drafts(rows: list[dict]) -> None:
    """Insert new drafts in the session's transaction: with COPY on PostgreSQL (several times faster than
    an INSERT per row for a whole year's plan), with one executemany elsewhere."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(Assignment.__table__), rows)
        return
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None, "a connection in a transaction holds its driver's connection"
    with (driver_connection.cursor() as cursor,
          cursor.copy(f"COPY assignment ({', '.join(_DRAFT_COLUMNS)}) FROM STDIN") as copy):
        for row in rows:
            copy.write_row(tuple(row[column] for column in _DRAFT_COLUMNS))
    # COPY goes around the engine, which versions the tables each transaction writes: name it here, so the
    # figures kept over the assignments (the plan page's counts and charts) are counted again after the commit.
    connection.info.setdefault(TOUCHED, set()).add(Assignment.__tablename__)
