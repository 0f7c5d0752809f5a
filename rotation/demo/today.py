"""Something to do today for every demo log-in in the rotation, whatever the date the demo is loaded on.

Each of them gets a warehouse week that has just been worked, so their window for observations is open, and a
customer-service day tomorrow, published and waiting for them to confirm. The dates come from the app's clock
(``utc_today``, ``utcnow``), so My rotation and the home page show both actions on any day.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from rotation.assignments.changes import holds_a_seat
from rotation.assignments.models import COMPLETED, CONFIRMED, PUBLISHED, Assignment
from rotation.demo.accounts import DEMO_ACCOUNTS
from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.models import CONTACT_CENTER, CUSTOMER_SERVICE, WAREHOUSE, WAREHOUSE_WEEK, Site, Slot
from rotation.sites.slots import local_instant


def give_demo_logins_their_next_shifts(now: datetime) -> None:
    """Move each demo log-in's warehouse week of this year to the latest week that has started, and their
    customer-service day to tomorrow, unconfirmed; flush. Log-ins without such shifts are left alone."""
    today = now.date()
    emails = [email for email, _name, _roles in DEMO_ACCOUNTS]
    for person in db.session.scalars(sa.select(Person).where(Person.email.in_(emails)).order_by(Person.id)):
        week = _shift_of(person, today.year, WAREHOUSE_WEEK)
        week_site = _site(person, WAREHOUSE)
        if week is not None and week_site is not None:
            _move(week, _worked_week(week_site, now), CONFIRMED)
        day_site = _site(person, CONTACT_CENTER)
        if day_site is None:
            continue
        # Tomorrow at the site: in Sydney, UTC's tomorrow may have begun already.
        tomorrow = now.astimezone(ZoneInfo(day_site.timezone)).date() + timedelta(days=1)
        day = _shift_of(person, tomorrow.year, CUSTOMER_SERVICE)
        if day is not None:
            _move(day, _day_slot(day_site, tomorrow), PUBLISHED)
    db.session.flush()


def _shift_of(person: Person, year: int, kind: str) -> Assignment | None:
    """The person's one shift of ``kind`` in ``year`` that is to happen or done (a no-show stays on record)."""
    return db.session.scalar(sa.select(Assignment).where(
        Assignment.person_id == person.id, Assignment.year == year, Assignment.kind == kind,
        Assignment.status.in_((PUBLISHED, CONFIRMED, COMPLETED))))


def _move(shift: Assignment, slot: Slot, status: str) -> None:
    """Put the shift in ``slot`` with ``status``, attendance not recorded, a seat made for it if the slot is full."""
    taken = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(
        Assignment.slot_id == slot.id, holds_a_seat(), Assignment.id != shift.id)) or 0
    if taken >= slot.seats:
        slot.seats = taken + 1
    shift.slot_id, shift.status, shift.needs_replan = slot.id, status, False
    shift.attendance_by = shift.attendance_at = None
    shift.sequence += 1


def _site(person: Person, kind: str) -> Site | None:
    """The person's home site when it is of ``kind``, else the first such site by code."""
    home = db.session.get(Site, person.home_site_id) if person.home_site_id else None
    if home is not None and home.kind == kind:
        return home
    return db.session.scalars(sa.select(Site).where(Site.kind == kind).order_by(Site.code)).first()


def _worked_week(site: Site, now: datetime) -> Slot:
    """The latest warehouse week of this year at ``site`` that has started (its window for observations is open
    for days after it ends); in the first days of January, a week starting today."""
    slot = db.session.scalars(
        sa.select(Slot).where(Slot.site_id == site.id, Slot.kind == WAREHOUSE_WEEK, Slot.starts_at <= now,
                              Slot.first_day >= date(now.year, 1, 1))
        .order_by(Slot.starts_at.desc())).first()
    if slot is not None:
        return slot
    midnight = datetime.combine(now.date(), time(), tzinfo=UTC)
    return _slot(site, WAREHOUSE_WEEK, now.date(), now.date() + timedelta(days=4), midnight,
                 midnight + timedelta(days=5))


def _day_slot(site: Site, day: date) -> Slot:
    """The customer-service slot on ``day`` at ``site``, made for the demo on a weekend."""
    slot = db.session.scalar(sa.select(Slot).where(Slot.site_id == site.id, Slot.kind == CUSTOMER_SERVICE,
                                                   Slot.first_day == day))
    if slot is not None:
        return slot
    zone = ZoneInfo(site.timezone)
    return _slot(site, CUSTOMER_SERVICE, day, day, local_instant(day, site.shift_start or time(9), zone),
                 local_instant(day, site.shift_end or time(17), zone))


def _slot(site: Site, kind: str, first: date, last: date, starts: datetime, ends: datetime) -> Slot:
    slot = Slot(site_id=site.id, kind=kind, first_day=first, last_day=last, starts_at=starts, ends_at=ends,
                seats=1)
    db.session.add(slot)
    db.session.flush()
    return slot
