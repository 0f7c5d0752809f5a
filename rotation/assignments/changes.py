"""HR's manual changes to one assignment outside a plan run: move it, withdraw it.

Every change keeps the plan's hard rules (docs/contracts.md): no slot over its seats;
nobody inside their own, their home site's, the slot's site's or the company's
blackout; the customer-service day and the warehouse week in different ISO
weeks; at most ``max(1, floor(n / 5))`` of a department's n rotation members on
a shift in any ISO week. A slot away from the person's home site or region is
allowed and only warned about. History (a slot that starts today or earlier) is
never moved into or out of.

A seat is held by an assignment that is neither cancelled nor a no-show, at its
*effective* slot: the proposed slot of a ``move`` proposal, else its own slot;
one with a ``withdraw`` proposal holds none. The services flush; the caller
commits.
"""
from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.assignments.models import (
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    MOVE,
    NO_SHOW,
    NOTICE_CANCEL,
    NOTICE_REQUEST,
    PUBLISHED,
    STATUS_LABELS,
    WITHDRAW,
    Assignment,
)
from rotation.assignments.signals import notices_set
from rotation.blackouts.models import Blackout
from rotation.data_versions import kept
from rotation.db import utc_today
from rotation.extensions import db
from rotation.people.models import Person, in_rotation_clause
from rotation.planning.model import DEFAULT_DEPARTMENT_SHARE, KIND_LABELS
from rotation.refusals import FieldRefusal
from rotation.sites import signals as site_signals
from rotation.sites.models import Site, Slot

log = logging.getLogger(__name__)

# Still to happen: these can be moved, withdrawn, and collide with a new blackout.
UPCOMING = (DRAFT, PUBLISHED, CONFIRMED)
# Told to the attendee and still to happen: changing one raises its sequence and sends a notice.
ANNOUNCED = (PUBLISHED, CONFIRMED)
# Statuses that hold a seat (a cancelled shift and a missed one hold none).
SEATED = (DRAFT, PUBLISHED, CONFIRMED, COMPLETED)
HOME_SITE, HOME_REGION, OUTSIDE_REGION = "home site", "home region", "outside home region"
# Word for word the condition of the partial unique index on (person_id, year, kind): with it in a
# query, SQLite and PostgreSQL use that index to find a person's assignments instead of scanning them all.
BY_PERSON = sa.text("assignment.status NOT IN ('cancelled', 'no_show')")


@dataclass(frozen=True)
class SlotChoice:
    """A slot an assignment can move to, how near it is to the person's home, and the seats left."""

    slot: Slot
    site: Site
    seats_left: int
    where: str  # HOME_SITE, HOME_REGION, OUTSIDE_REGION, or "" when the person has no home site

    @property
    def note(self) -> str:
        """E.g. ``home site · 2 seats left``."""
        seats = f"{self.seats_left} seat{'s' if self.seats_left != 1 else ''} left"
        return f"{self.where} · {seats}" if self.where else seats


def effective_slot_id() -> sa.ColumnElement[int]:
    """SQL: the slot an assignment will be in once the draft is published."""
    return sa.case((Assignment.proposal == MOVE, Assignment.proposed_slot_id), else_=Assignment.slot_id)


def holds_a_seat() -> sa.ColumnElement[bool]:
    """SQL: the assignment takes a seat at its effective slot."""
    return sa.and_(Assignment.status.in_(SEATED), Assignment.proposal.is_distinct_from(WITHDRAW))


def seats_taken(excluding: int | None = None) -> sa.Subquery:
    """SQL: ``(slot_id, taken)``, the seats taken at each slot that has any, leaving out the
    assignment ``excluding`` (the one being moved)."""
    slot_id = effective_slot_id().label("slot_id")
    statement = sa.select(slot_id, sa.func.count().label("taken")).where(holds_a_seat())
    if excluding is not None:
        statement = statement.where(Assignment.id != excluding)
    return statement.group_by(slot_id).subquery("seats_taken")


def seats_taken_in(year: int, kind: str) -> dict[int, int]:
    """Slot id → seats taken, over the slots of one year and kind: counted in one query and kept until
    an assignment changes."""
    def count() -> dict[int, int]:
        slot_id = effective_slot_id()
        return dict(db.session.execute(
            sa.select(slot_id, sa.func.count())
            .where(Assignment.year == year, Assignment.kind == kind, holds_a_seat()).group_by(slot_id)).tuples().all())
    return kept(("seats taken", year, kind), ("assignment",), count)


# --- Moving and withdrawing one assignment -------------------------------------------------------

def move_assignment(assignment: Assignment, slot: Slot, acting_user_id: int | None,
                    today: date | None = None) -> list[str]:
    """Move ``assignment`` to ``slot`` and flush; return warnings about the person's soft preferences.

    A draft simply takes the slot. An announced assignment takes it too, goes
    back to ``published`` (a confirmed one must confirm again), raises its
    sequence and is marked to send the updated invitation; any proposal the last
    plan run made for it is dropped. Raises ``FieldRefusal`` and changes
    nothing when a hard rule would break or the slot is full.
    """
    today = today or utc_today()
    _lock(assignment)
    _check_changeable(assignment, today)
    if slot.id == assignment.slot_id:
        raise FieldRefusal("slot", "It is already in this slot; choose another one.")
    if slot.kind != assignment.kind:
        raise FieldRefusal("slot", f"That slot is a {_kind_phrase(slot.kind)}, "
                                   f"not a {_kind_phrase(assignment.kind)}.")
    if slot.first_day.year != assignment.year:
        raise FieldRefusal("slot", f"That slot is in {slot.first_day.year}; this assignment belongs to "
                                   f"{assignment.year}.")
    if slot.first_day <= today:
        raise FieldRefusal("slot", f"That slot starts on {slot.first_day.isoformat()}, which is not in the "
                                   "future; choose a later one.")
    site = db.session.get_one(Site, slot.site_id)
    limits = _limits_for(assignment, site_ids=[slot.site_id])
    broken = limits.broken_rule(slot, site)
    if broken:
        raise FieldRefusal("slot", broken)
    # Lock the slot, then count, so two people moving others into it at once cannot overfill it.
    db.session.execute(sa.select(Slot.id).where(Slot.id == slot.id).with_for_update())
    taken = db.session.scalars(sa.select(sa.func.count()).where(
        effective_slot_id() == slot.id, holds_a_seat(), Assignment.id != assignment.id)).one()
    if taken >= slot.seats:
        seats = f"all {slot.seats} seats are" if slot.seats != 1 else "its one seat is"
        raise FieldRefusal("slot", f"That slot is full: {seats} taken.")

    before = assignment.slot_id
    assignment.slot_id = slot.id
    assignment.proposal = None
    assignment.proposed_slot_id = None
    assignment.needs_replan = False
    if assignment.status in ANNOUNCED:
        assignment.status = PUBLISHED
        assignment.sequence += 1
        assignment.notice = NOTICE_REQUEST
    db.session.flush()
    notices_set.send(None)
    log.info("User %s moved assignment %s from slot %s to slot %s", acting_user_id, assignment.uid, before, slot.id)
    return limits.warnings(site)


def withdraw_assignment(assignment: Assignment, acting_user_id: int | None, today: date | None = None) -> None:
    """Take ``assignment`` out of the plan and flush.

    A draft was never announced and is deleted. An announced one is cancelled: its
    sequence rises and it is marked to send a cancellation. Raises
    ``FieldRefusal`` for a shift that has started, is over or is already cancelled.
    """
    today = today or utc_today()
    _lock(assignment)
    _check_changeable(assignment, today)
    if assignment.status == DRAFT:
        db.session.delete(assignment)
    else:
        assignment.status = CANCELLED
        assignment.sequence += 1
        assignment.notice = NOTICE_CANCEL
        assignment.proposal = None
        assignment.proposed_slot_id = None
        assignment.needs_replan = False
    db.session.flush()
    notices_set.send(None)
    log.info("User %s withdrew assignment %s", acting_user_id, assignment.uid)


def problem_with_changing(assignment: Assignment, today: date | None = None) -> str | None:
    """Why ``assignment`` can be neither moved nor withdrawn, or None when it can."""
    try:
        _check_changeable(assignment, today or utc_today())
    except FieldRefusal as problem:
        return problem.message
    return None


def valid_slots(assignment: Assignment, today: date | None = None) -> list[SlotChoice]:
    """Every slot ``assignment`` can move to with every hard rule kept and a seat free.

    Ordered home site first, then the home region, then elsewhere; by site and day within each.
    Runs a fixed handful of queries, however many slots the year has.
    """
    today = today or utc_today()
    if problem_with_changing(assignment, today):
        return []
    limits = _limits_for(assignment, site_ids=None)
    taken = seats_taken_in(assignment.year, assignment.kind)
    # The assignment's own seat is free to it: where a proposed move holds it, it is not taken.
    own = assignment.proposed_slot_id if assignment.proposal == MOVE else assignment.slot_id
    slots = db.session.scalars(
        sa.select(Slot)
        .where(Slot.kind == assignment.kind, Slot.first_day > today,
               Slot.first_day.between(date(assignment.year, 1, 1), date(assignment.year, 12, 31)),
               Slot.id != assignment.slot_id)
        .order_by(Slot.first_day, Slot.site_id)).all()
    sites = {site.id: site for site in db.session.scalars(sa.select(Site))}
    choices = []
    for slot in slots:
        taken_seats = taken.get(slot.id, 0) - (1 if slot.id == own and _holds_a_seat(assignment) else 0)
        site = sites[slot.site_id]
        if taken_seats < slot.seats and limits.broken_rule(slot, site) is None:
            choices.append(SlotChoice(slot, site, slot.seats - taken_seats, limits.where(site)))
    order = {HOME_SITE: 0, HOME_REGION: 1, OUTSIDE_REGION: 2, "": 2}
    return sorted(choices, key=lambda choice: (order[choice.where], choice.site.code, choice.slot.first_day))


def _holds_a_seat(assignment: Assignment) -> bool:
    return assignment.status in SEATED and assignment.proposal != WITHDRAW


# --- The rules, loaded once per assignment --------------------------------------------------------

@dataclass
class _Limits:
    """What limits where one person's assignment may go, read in a few queries."""

    person: Person
    home: Site | None
    blackouts: list[sa.Row]
    other_shift: dict[tuple[int, int], str] = field(default_factory=dict)  # ISO week → the other shift
    department_size: int = 0
    department_weeks: Counter = field(default_factory=Counter)  # ISO week → colleagues on a shift
    cap: int = 1  # at most this many of the department on a shift in any ISO week

    def where(self, site: Site) -> str:
        if self.home is None:
            return ""
        if site.id == self.home.id:
            return HOME_SITE
        if self.home.region is not None and site.region == self.home.region:
            return HOME_REGION
        return OUTSIDE_REGION

    def broken_rule(self, slot: Slot, site: Site) -> str | None:
        """The first hard rule ``slot`` breaks for this person, as a sentence; seats aside."""
        for blackout in self.blackouts:
            if blackout.start <= slot.last_day and slot.first_day <= blackout.end:
                subject = self._blackout_subject(blackout, site)
                if subject:
                    return f"{subject} {_days(blackout.start, blackout.end)}{_reason(blackout.reason)}."
        week = slot.first_day.isocalendar()[:2]
        if week in self.other_shift:
            return (f"That is ISO week {week[1]} of {week[0]}, the week of {self.person.full_name}'s "
                    f"{self.other_shift[week]}; the day and the week must fall in different weeks.")
        used = self.department_weeks[week]
        if used >= self.cap:
            return (f"{self.person.department} already has {used} of its {self.department_size} rotation members "
                    f"on a shift in ISO week {week[1]} of {week[0]}; at most {self.cap} may be away at once.")
        return None

    def _blackout_subject(self, blackout: sa.Row, site: Site) -> str | None:
        if blackout.person_id is not None:
            return f"{self.person.full_name} has a blackout" if blackout.person_id == self.person.id else None
        if blackout.site_id is None:
            return "The whole company is blacked out"
        if blackout.site_id == site.id:
            return f"{site.code} is blacked out"
        if self.home is not None and blackout.site_id == self.home.id:
            return f"{self.person.full_name}'s home site {self.home.code} is blacked out"
        return None

    def warnings(self, site: Site) -> list[str]:
        """Sentences about the person's soft preferences that ``site`` does not meet."""
        where, home = self.where(site), self.home
        if where in ("", HOME_SITE) or home is None:  # no home site: where() is ""
            return []
        name = self.person.full_name
        messages = []
        if home.kind == site.kind:
            messages.append(f"{name} is not at their home site {home.code}.")
        if where == OUTSIDE_REGION and home.region:
            messages.append(f"{site.code} is outside {name}'s home region {home.region}.")
        elif where == OUTSIDE_REGION:
            messages.append(f"{site.code} is not near {name}'s home site {home.code}, which belongs to no region.")
        return messages


def limits_for(assignment: Assignment) -> _Limits:
    """The hard rules and home preferences that limit where ``assignment`` may go, every site's blackouts
    included; a fixed handful of queries. The slot finder checks each slot it lists against these."""
    return _limits_for(assignment, site_ids=None)


def seat_taken_by(assignment: Assignment, slot_id: int) -> int:
    """1 when ``assignment`` itself holds a seat at ``slot_id`` (its effective slot), else 0."""
    own = assignment.proposed_slot_id if assignment.proposal == MOVE else assignment.slot_id
    return 1 if slot_id == own and _holds_a_seat(assignment) else 0


def _limits_for(assignment: Assignment, site_ids: Collection[int] | None) -> _Limits:
    """The blackouts, other shift and department load that limit ``assignment``'s person this year;
    site blackouts only of ``site_ids`` (and the home site) when given."""
    person = db.session.get_one(Person, assignment.person_id)
    home = db.session.get(Site, person.home_site_id) if person.home_site_id is not None else None
    first, last = date(assignment.year, 1, 1), date(assignment.year, 12, 31) + timedelta(days=7)
    sites = [*(site_ids or ()), *([home.id] if home else [])]
    blackouts = db.session.execute(
        sa.select(Blackout.person_id, Blackout.site_id, Blackout.start, Blackout.end, Blackout.reason)
        .where(Blackout.start <= last, Blackout.end >= first,
               sa.or_(Blackout.person_id == person.id,
                      Blackout.site_id.is_not(None) if site_ids is None else Blackout.site_id.in_(sites),
                      sa.and_(Blackout.person_id.is_(None), Blackout.site_id.is_(None))))
        .order_by(Blackout.start)).all()
    limits = _Limits(person=person, home=home, blackouts=list(blackouts))
    for kind, first_day, last_day in _other_shifts(assignment):
        week = first_day.isocalendar()[:2]
        limits.other_shift[week] = f"{_kind_phrase(kind)} ({_days(first_day, last_day, bare=True)})"
    limits.department_size = db.session.scalars(
        sa.select(sa.func.count()).select_from(Person).where(in_rotation_clause(),
                                                             Person.department == person.department)).one()
    limits.cap = max(1, math.floor(DEFAULT_DEPARTMENT_SHARE * limits.department_size))
    colleague_days = db.session.scalars(
        sa.select(Slot.first_day).select_from(Person)
        .join(Assignment, sa.and_(Assignment.person_id == Person.id, BY_PERSON))
        .join(Slot, Slot.id == effective_slot_id())
        .where(holds_a_seat(), Assignment.id != assignment.id, Person.department == person.department,
               in_rotation_clause(), Slot.first_day.between(first - timedelta(days=7), last)))
    limits.department_weeks.update(day.isocalendar()[:2] for day in colleague_days)
    return limits


def _other_shifts(assignment: Assignment) -> list[tuple[str, date, date]]:
    """The person's other shifts of the year, where they are now and where a proposal would put them."""
    proposed = aliased(Slot)
    rows = db.session.execute(
        sa.select(Assignment.kind, Slot.first_day, Slot.last_day, proposed.first_day, proposed.last_day)
        .join(Slot, Slot.id == Assignment.slot_id)
        .outerjoin(proposed, sa.and_(proposed.id == Assignment.proposed_slot_id, Assignment.proposal == MOVE))
        .where(Assignment.person_id == assignment.person_id, BY_PERSON, Assignment.year == assignment.year,
               Assignment.id != assignment.id, Assignment.kind != assignment.kind,
               Assignment.status.in_(SEATED))).all()
    shifts = []
    for kind, first_day, last_day, proposed_first, proposed_last in rows:
        shifts.append((kind, first_day, last_day))
        if proposed_first is not None:
            shifts.append((kind, proposed_first, proposed_last))
    return shifts


# --- Small helpers ---------------------------------------------------------------------------------

def _lock(assignment: Assignment) -> None:
    """Re-read the assignment's state under a row lock (PostgreSQL), so two HR users cannot both change it."""
    db.session.refresh(assignment, ["status", "slot_id", "sequence", "proposal", "proposed_slot_id",
                                    "needs_replan", "notice"], with_for_update=True)


_FINAL: dict[str, str] = {CANCELLED: "It is cancelled", COMPLETED: "It is completed", NO_SHOW: "It was a no-show"}


def _check_changeable(assignment: Assignment, today: date) -> None:
    if assignment.status in _FINAL:
        raise FieldRefusal("assignment", f"{_FINAL[assignment.status]}; only a shift still to come can be "
                                         "moved or withdrawn.")
    current = db.session.get_one(Slot, assignment.slot_id)
    if current.first_day <= today:
        raise FieldRefusal("assignment", f"Its shift started on {current.first_day.isoformat()}; history is "
                                         "not moved or withdrawn.")


def _kind_phrase(kind: str) -> str:
    return KIND_LABELS[kind]


def _days(start: date, end: date, bare: bool = False) -> str:
    if start == end:
        return start.isoformat() if bare else f"on {start.isoformat()}"
    return f"{start.isoformat()} to {end.isoformat()}" if bare else f"from {start.isoformat()} to {end.isoformat()}"


def _reason(reason: str | None) -> str:
    return f" ({reason})" if reason else ""


@site_signals.seats_taken.connect
def seats_taken_at(site_id: int, year: int, slot_ids: list[int]) -> dict[int, int]:
    """Slot id → seats taken (drafts included, at the slot a draft moves a shift to), for ``slot_ids``: the
    slots of one site and year, for the site's page. Counted from the indexes on the shifts of a slot and the
    shifts a draft moves there, and kept until a shift, person or slot changes."""
    def count() -> dict[int, int]:
        wanted = set(slot_ids)
        slot_id = effective_slot_id()
        found = db.session.execute(
            sa.select(slot_id, sa.func.count())
            .where(holds_a_seat(),
                   sa.or_(Assignment.slot_id.in_(slot_ids), Assignment.proposed_slot_id.in_(slot_ids)))
            .group_by(slot_id)).tuples()
        return {slot: taken for slot, taken in found if slot in wanted}

    if not slot_ids:
        return {}
    # The database deletes a person's shifts with the person.
    return kept(("site seats taken", site_id, year), ("assignment", "person", "slot"), count)


@site_signals.seat_holders.connect
def seat_holders_at(site_id: int, slot_ids: list[int]) -> dict[int, list[site_signals.SeatHolder]]:
    """Slot id → who holds its seats, by name: the shifts ``seats_taken_at`` counts there, for the slots of a
    site's page. One query, from the same indexes."""
    if not slot_ids:
        return {}
    wanted = set(slot_ids)
    slot_id = effective_slot_id().label("slot_id")
    found = db.session.execute(
        sa.select(slot_id, Person.id, Person.full_name, Assignment.id, Assignment.status, Assignment.proposal)
        .join(Person, Person.id == Assignment.person_id)
        .where(holds_a_seat(), sa.or_(Assignment.slot_id.in_(slot_ids), Assignment.proposed_slot_id.in_(slot_ids)))
        .order_by(Person.full_name, Assignment.id)).tuples()
    holders: dict[int, list[site_signals.SeatHolder]] = {}
    for slot, person_id, name, assignment_id, status, proposal in found:
        if slot in wanted:
            holders.setdefault(slot, []).append(site_signals.SeatHolder(
                person_id=person_id, name=name, assignment_id=assignment_id, status=STATUS_LABELS[status],
                moving_in=proposal == MOVE))
    return holders
