"""What roster changes do to assignments, in bulk: leavers' future shifts are withdrawn, and
shifts a new blackout covers are marked for re-planning. The services flush; the caller commits."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.assignments.changes import ANNOUNCED, BY_PERSON, UPCOMING, effective_slot_id
from rotation.assignments.models import CANCELLED, DRAFT, KIND_LABELS, NOTICE_CANCEL, Assignment
from rotation.assignments.signals import notices_set
from rotation.blackouts import signals as blackout_signals
from rotation.blackouts.models import Blackout
from rotation.blackouts.signals import CollidingShift
from rotation.db import rowcount, utc_today, utcnow
from rotation.extensions import db
from rotation.people import signals as roster_signals
from rotation.people.models import Person
from rotation.sites.models import Site, Slot

_BATCH = 1_000


@dataclass(frozen=True)
class Withdrawn:
    """What ``withdraw_future_assignments`` did: drafts deleted, announced assignments cancelled."""

    deleted: int
    cancelled: int


def withdraw_future_assignments(person_ids: Sequence[int], today: date) -> Withdrawn:
    """Withdraw every assignment of these people (leavers) whose slot starts after ``today``; flush.

    Drafts are deleted; announced ones are cancelled with their sequence raised
    and a cancellation to send. What has started or is over stays on record.
    """
    future = sa.exists().where(Slot.id == Assignment.slot_id, Slot.first_day > today)
    deleted = cancelled = 0
    for chunk in _chunks(person_ids):
        theirs = (Assignment.person_id.in_(chunk), BY_PERSON, future)
        deleted += rowcount(db.session.execute(
            sa.delete(Assignment).where(*theirs, Assignment.status == DRAFT),
            execution_options={"synchronize_session": "fetch"}))
        cancelled += rowcount(db.session.execute(
            sa.update(Assignment).where(*theirs, Assignment.status.in_(ANNOUNCED))
            .values(status=CANCELLED, sequence=Assignment.sequence + 1, notice=NOTICE_CANCEL, proposal=None,
                    proposed_slot_id=None, needs_replan=False, updated_at=utcnow()),
            execution_options={"synchronize_session": "fetch"}))
    db.session.flush()
    notices_set.send(None)
    return Withdrawn(deleted=deleted, cancelled=cancelled)


def mark_collisions(blackout: Blackout, today: date | None = None) -> int:
    """Mark for re-planning every upcoming assignment that ``blackout`` now covers; flush.

    Returns how many of them are announced (published or confirmed): the shifts
    people were told about that the next plan run will move.
    """
    return mark_collisions_of([blackout.id], today)


def mark_collisions_of(blackout_ids: Sequence[int], today: date | None = None) -> int:
    """``mark_collisions`` for many blackouts at once, a few statements per thousand blackouts."""
    today = today or utc_today()
    announced = 0
    for chunk in _chunks(blackout_ids):
        statuses = db.session.execute(
            sa.update(Assignment).where(Assignment.id.in_(_colliding(chunk, today)))
            .values(needs_replan=True).returning(Assignment.status),
            execution_options={"synchronize_session": "fetch"}).scalars().all()
        announced += sum(status in ANNOUNCED for status in statuses)
    db.session.flush()
    return announced


def announced_collisions(blackout: Blackout, today: date | None = None) -> int:
    """How many announced (published or confirmed) shifts still to come ``blackout`` covers."""
    return db.session.scalars(
        sa.select(sa.func.count()).select_from(Assignment)
        .where(Assignment.id.in_(_colliding([blackout.id], today or utc_today())),
               Assignment.status.in_(ANNOUNCED))).one()


def announced_collision_list(blackout: Blackout, limit: int, today: date | None = None) -> list[CollidingShift]:
    """The first ``limit`` announced shifts still to come ``blackout`` covers, by person, each where it will be
    once published (a proposed move counts where it goes), in one query."""
    rows = db.session.execute(
        sa.select(Assignment.id, Person.id, Person.full_name, Assignment.kind, Site.code, Slot.first_day)
        .join(Person, Person.id == Assignment.person_id).join(Slot, Slot.id == effective_slot_id())
        .join(Site, Site.id == Slot.site_id)
        .where(Assignment.id.in_(_colliding([blackout.id], today or utc_today())),
               Assignment.status.in_(ANNOUNCED))
        .order_by(Person.full_name, Person.id, Assignment.kind).limit(limit)).tuples().all()
    return [CollidingShift(assignment_id, person_id, name, KIND_LABELS[kind], code, first_day)
            for assignment_id, person_id, name, kind, code, first_day in rows]


def _colliding(blackout_ids: Sequence[int], today: date) -> sa.CompoundSelect:
    """SQL: the upcoming assignments whose slot or proposed slot starts after ``today`` inside one of
    the blackouts: a person's own, a site's (at that site, or of people whose home site it is), the company's.

    One select per scope and slot column, each starting from the blackouts, so every one follows an index.
    """
    selects = []
    for slot_column in (Assignment.slot_id, Assignment.proposed_slot_id):
        slot = aliased(Slot)
        shifts_of_person = sa.and_(Assignment.person_id == Person.id, BY_PERSON)
        in_slot = slot_column == slot.id
        from_blackout = sa.select(Assignment.id).select_from(Blackout)
        scopes = [
            # A person's own blackout.
            from_blackout.join(Person, Person.id == Blackout.person_id).join(Assignment, shifts_of_person)
            .join(slot, in_slot),
            # A site's, at that site ...
            from_blackout.join(slot, slot.site_id == Blackout.site_id).join(Assignment, in_slot),
            # ... and for the people whose home site it is, wherever their shift.
            from_blackout.join(Person, Person.home_site_id == Blackout.site_id).join(Assignment, shifts_of_person)
            .join(slot, in_slot),
            # The whole company's.
            from_blackout.join(slot, slot.first_day > today).join(Assignment, in_slot)
            .where(Blackout.person_id.is_(None), Blackout.site_id.is_(None)),
        ]
        selects += [
            scope.where(Blackout.id.in_(blackout_ids), Assignment.status.in_(UPCOMING), slot.first_day > today,
                        Blackout.start <= slot.last_day, Blackout.end >= slot.first_day).correlate(None)
            for scope in scopes
        ]
    return sa.union(*selects)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    ids = list(ids)
    for start in range(0, len(ids), _BATCH):
        yield ids[start:start + _BATCH]


@blackout_signals.saved.connect
def _mark_collisions(blackout_ids: list[int]) -> None:
    mark_collisions_of(blackout_ids)


@blackout_signals.announced_collisions.connect
def _announced_collisions(blackout: Blackout) -> int:
    return announced_collisions(blackout)


@blackout_signals.colliding_shifts.connect
def _colliding_shifts(blackout: Blackout, limit: int) -> list[CollidingShift]:
    return announced_collision_list(blackout, limit)


@roster_signals.roster_changed.connect
def _withdraw_leavers_shifts(leaver_ids: list[int], today: date) -> None:
    withdraw_future_assignments(leaver_ids, today)


def leavers_shifts(person_ids: Sequence[int], today: date) -> list[roster_signals.LeaverShift]:
    """What ``withdraw_future_assignments`` would withdraw for these people, by person and date, without
    writing anything: a query per thousand people."""
    shifts = []
    for chunk in _chunks(person_ids):
        rows = db.session.execute(
            sa.select(Assignment.person_id, Slot.first_day, Slot.site_id, Assignment.status)
            .join(Slot, Slot.id == Assignment.slot_id)
            .where(Assignment.person_id.in_(chunk), BY_PERSON, Slot.first_day > today,
                   Assignment.status.in_(UPCOMING)))
        shifts += [roster_signals.LeaverShift(person_id, first_day, site_id, status in ANNOUNCED)
                   for person_id, first_day, site_id, status in rows]
    shifts.sort(key=lambda shift: (shift.person_id, shift.first_day))
    return shifts


@roster_signals.leavers_shifts.connect
def _leavers_shifts(leaver_ids: list[int], today: date) -> list[roster_signals.LeaverShift]:
    return leavers_shifts(leaver_ids, today)
