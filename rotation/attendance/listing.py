"""HR's attendance list: the shifts that have started and wait for their attendance, and the recorded ones.

A company has hundreds of thousands of shifts, and those published for the
slots still to come are as unrecorded as those waiting, so the list of those
waiting never reads them all. How many shifts
of each slot wait is counted once, per slot that has started (each reading
its waiting shifts from the partial index ``ix_assignment_waiting``), and kept
(see :mod:`rotation.data_versions`) until a shift, person, slot or site
changes, or until a slot starts that the count did not cover. A page then
walks, in the order of their start (by the index on ``slot.starts_at``), the
slots from the first one with a waiting shift to now, and stops once it has
its rows; the recorded tab is paged as any other list.
"""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.models import KIND_LABELS, Assignment, AssignmentStatus
from rotation.assignments.shift_time import ShiftTime
from rotation.attendance.services import OUTCOME_LABELS, RECORDED, TO_RECORD
from rotation.data_versions import kept
from rotation.db import utcnow
from rotation.extensions import db
from rotation.pagination import Page, paginate
from rotation.people.models import Person
from rotation.people.signals import person_page
from rotation.sites.models import Site, Slot

# Word for word the condition of the partial index on the waiting shifts of a slot (``ix_assignment_waiting``):
# with it in a query, SQLite and PostgreSQL read a slot's waiting shifts from that index.
WAITING = sa.text(f"assignment.status IN ({', '.join(repr(str(status)) for status in TO_RECORD)})")
# The tables the count of waiting shifts is made from (the database deletes a person's shifts with the person).
COUNTED_TABLES = ("assignment", "person", "site", "slot")
# The count also covers the slots that start this long after it is made, so it holds that long without writes.
AHEAD = timedelta(days=1)


def waiting_page(site_code: str, kind: str, per_page: int) -> Page:
    """The requested page of the shifts that have started and wait for their attendance, oldest first (of one
    site and kind when given), with their person, slot and site loaded."""
    now = utcnow()
    counts = kept(("attendance waiting per slot",), COUNTED_TABLES, _count_waiting,
                  still_true=lambda counts: now < counts.until)
    total, first = counts.matching(now, site_code, kind)
    return paginate(waiting(now, site_code, kind, first), per_page=per_page, known_total=total)


def waiting(now: datetime, site_code: str, kind: str, first: datetime | None) -> sa.Select:
    """The shifts of the list, whose slots started from ``first`` (the first slot with a waiting shift) to ``now``.

    The database walks those slots in the order of their start and reads each one's waiting shifts from the
    partial index; the person's name is read for the rows being sorted only (joining the people would let it
    read every waiting shift, those of the slots to come too, first).
    """
    return (
        sa.select(Assignment)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .options(contains_eager(Assignment.slot).contains_eager(Slot.site), joinedload(Assignment.person))
        .where(WAITING, Slot.starts_at <= now, Slot.starts_at >= first if first else sa.false(),
               # Every shift has one of the kinds: naming them all lets SQLite, which keeps no statistics, see
               # that the index on the waiting shifts of a slot serves better than the one on all its shifts.
               Assignment.kind.in_((kind,) if kind else tuple(KIND_LABELS)),
               *([Site.code == site_code] if site_code else []))
        .order_by(Slot.starts_at, Site.code, _person_name(), Assignment.id))


def recorded(site_code: str, kind: str) -> sa.Select:
    """The shifts whose attendance is recorded, newest recording first, with their person, slot and site loaded."""
    statement = (
        sa.select(Assignment)
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .options(contains_eager(Assignment.person), contains_eager(Assignment.slot).contains_eager(Slot.site))
        .where(Assignment.status.in_(RECORDED))
        .order_by(Assignment.attendance_at.desc().nulls_last(), Assignment.id.desc()))
    if site_code:
        statement = statement.where(Site.code == site_code)
    if kind:
        statement = statement.where(Assignment.kind == kind)
    return statement


def chosen(ids: list[int], limit: int) -> list[Assignment]:
    """The shifts HR ticked, by start and name, with their person, slot and site loaded: one query, at most
    ``limit`` (plus one, so the caller sees there were too many)."""
    return _shifts(Assignment.id.in_(ids), limit)


def site_day(site_code: str, day: date, now: datetime, limit: int) -> list[Assignment]:
    """A site's shifts on ``day`` (a warehouse week covering it) that have started and wait for their
    attendance, by name: one query, at most ``limit`` (plus one)."""
    return _shifts(sa.and_(WAITING, Site.code == site_code, Slot.first_day <= day, Slot.last_day >= day,
                           Slot.starts_at <= now), limit)


def _shifts(condition: sa.ColumnElement[bool], limit: int) -> list[Assignment]:
    return list(db.session.scalars(
        sa.select(Assignment)
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .options(contains_eager(Assignment.person), contains_eager(Assignment.slot).contains_eager(Slot.site))
        .where(condition)
        .order_by(Slot.starts_at, Site.code, Person.full_name, Assignment.id)
        .limit(limit + 1)))


def _person_name() -> sa.ScalarSelect:
    return sa.select(Person.full_name).where(Person.id == Assignment.person_id).scalar_subquery()


# How many are waiting -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitingCounts:
    """The waiting shifts of each slot starting before ``until`` that has any, in the order of their start."""

    until: datetime
    starts: tuple[datetime, ...]
    slots: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # (site code, ((kind, waiting), ...)) per slot

    def matching(self, now: datetime, site_code: str, kind: str) -> tuple[int, datetime | None]:
        """How many shifts of the slots started by ``now`` wait (of one site and kind when given), and when the
        first slot with one of them started (None when none waits)."""
        total, first = 0, None
        for starts_at, (code, kinds) in zip(self.starts, self.slots[:bisect_right(self.starts, now)], strict=False):
            number = sum(waiting for each, waiting in kinds if not kind or each == kind)
            if number and (not site_code or code == site_code):
                total += number
                first = first or starts_at
        return total, first


def _count_waiting() -> WaitingCounts:
    """One pass over the slots starting before tomorrow, each counting its waiting shifts of each kind from the
    partial index: a correlated count per slot, so neither database reads the waiting shifts of the slots
    still to come (next year's published shifts, hundreds of thousands of them)."""
    until = utcnow() + AHEAD
    kinds = tuple(KIND_LABELS)
    per_kind = [sa.select(sa.func.count()).where(Assignment.slot_id == Slot.id, WAITING, Assignment.kind == each)
                .correlate(Slot).scalar_subquery() for each in kinds]
    starts, slots = [], []
    for starts_at, code, *numbers in db.session.execute(
            sa.select(Slot.starts_at, Site.code, *per_kind).join(Site, Site.id == Slot.site_id)
            .where(Slot.starts_at <= until).order_by(Slot.starts_at, Slot.id)):
        if any(numbers):
            starts.append(starts_at)
            slots.append((code, tuple((each, number) for each, number in zip(kinds, numbers, strict=True) if number)))
    return WaitingCounts(until=until, starts=tuple(starts), slots=tuple(slots))


# On HR's page of a person ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attended:
    """One of a person's shifts whose attendance is recorded: when it was, whether they came, and who said so."""

    assignment: Assignment
    when: ShiftTime

    @property
    def outcome(self) -> str:
        return OUTCOME_LABELS[AssignmentStatus(self.assignment.status)]


@person_page.connect
def _attendance_of(person: Person) -> dict:
    """On HR's page of a person: their shifts whose attendance is recorded (came or no-show), newest first, with
    who recorded it; one query (index ``ix_assignment_person_year``), slots and sites loaded."""
    found = db.session.scalars(
        sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id)
        .options(contains_eager(Assignment.slot).joinedload(Slot.site))
        .where(Assignment.person_id == person.id, Assignment.status.in_(RECORDED))
        .order_by(Slot.first_day.desc(), Assignment.id.desc())).all()
    return {"attendance": [Attended(assignment, ShiftTime.of(assignment.slot, assignment.slot.site))
                           for assignment in found]}
