from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request

from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.navigation import menu_entry
from rotation.roles import HR
from rotation.security import roles_required
from rotation.signals import answers
from rotation.sites.models import CONTACT_CENTER, Site, Slot
from rotation.sites.signals import SeatHolder, seat_holders, seats_taken
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR

bp = Blueprint("sites", __name__)
menu_entry("Sites", "sites.site_list", {HR}, position=30)


@dataclass
class SlotRow:
    """One slot as the site's page shows it, in the site's local time, with the seats taken and, in the month
    shown, who holds them."""

    slot: Slot
    days: str
    hours: str
    taken: int = 0
    holders: list[SeatHolder] = field(default_factory=list)

    @property
    def free(self) -> int:
        return max(0, self.slot.seats - self.taken)


@dataclass
class Month:
    """A month's slots, in the order of their first day."""

    name: str
    label: str
    anchor: str
    number: int
    slots: list[SlotRow]

    @property
    def free(self) -> int:
        return sum(row.free for row in self.slots)


def requested_year() -> int:
    """``?year=`` when it is a year slots can exist in; otherwise the current year."""
    try:
        year = int(request.args.get("year", ""))
    except ValueError:
        return utc_today().year
    return year if FIRST_YEAR <= year <= LAST_YEAR else utc_today().year


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def customer_service_hours(site: Site) -> str:
    if site.kind != CONTACT_CENTER:
        return "—"
    if site.shift_start is None or site.shift_end is None:
        return "not set"
    return f"{site.shift_start:%H:%M}–{site.shift_end:%H:%M}"


def local_days(slot: Slot) -> str:
    if slot.first_day == slot.last_day:
        return f"{slot.first_day:%a} {slot.first_day.isoformat()}"
    return f"{slot.first_day:%a} {slot.first_day.isoformat()} to {slot.last_day:%a} {slot.last_day.isoformat()}"


def local_hours(slot: Slot, zone: ZoneInfo) -> str:
    """Local start and end with the zone's abbreviation, e.g. ``09:00–17:00 EET``."""
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    if start.date() == end.date():
        start_text, end_text = f"{start:%H:%M}", f"{end:%H:%M}"
    else:
        start_text, end_text = f"{start:%a %H:%M}", f"{end:%a %H:%M}"
    if start.tzname() == end.tzname():
        return f"{start_text}–{end_text} {end.tzname()}"
    return f"{start_text} {start.tzname()}–{end_text} {end.tzname()}"


def site_zone(site: Site) -> ZoneInfo | None:
    try:
        return ZoneInfo(site.timezone)
    except (KeyError, ValueError):
        return None


def slot_hours(slot: Slot, zone: ZoneInfo | None) -> str:
    """The slot's local hours with the zone, or its UTC hours when the site's zone is unknown."""
    return local_hours(slot, zone) if zone else f"{slot.starts_at:%H:%M}–{slot.ends_at:%H:%M} UTC"


def months_of(slots: list[tuple[Slot, int]], zone: ZoneInfo | None) -> list[Month]:
    """``(slot, seats taken)`` pairs, in order, grouped by the month of their first day."""
    def row(slot: Slot, taken: int) -> SlotRow:
        return SlotRow(slot=slot, days=local_days(slot), hours=slot_hours(slot, zone), taken=taken)

    return [
        Month(name=f"{first:%B %Y}", label=f"{first:%B}", anchor=f"{first:%Y-%m}", number=first.month,
              slots=[row(slot, taken) for slot, taken in group])
        for first, group in groupby(slots, key=lambda pair: pair[0].first_day.replace(day=1))
    ]


@bp.get("/sites")
@roles_required(HR)
def site_list():
    year = requested_year()
    first, last = year_bounds(year)
    slot_counts = (
        sa.select(Slot.site_id, sa.func.count().label("slots"))
        .where(Slot.first_day.between(first, last))
        .group_by(Slot.site_id)
        .subquery()
    )
    statement = (
        sa.select(Site, sa.func.coalesce(slot_counts.c.slots, 0).label("slots"))
        .outerjoin(slot_counts, slot_counts.c.site_id == Site.id)
        .order_by(Site.code)
    )
    # A company has tens of sites, not thousands: one page holds them all.
    sites = db.session.execute(statement).all()
    return render_template("sites/list.html", sites=sites, slots_in_year=sum(slots for _, slots in sites), year=year,
                           first_year=FIRST_YEAR, last_year=LAST_YEAR, customer_service_hours=customer_service_hours)


@bp.get("/sites/<code>")
@roles_required(HR)
def site_detail(code: str):
    site = db.session.scalar(sa.select(Site).where(Site.code == code))
    if site is None:
        abort(404)
    year = requested_year()
    first, last = year_bounds(year)
    rows = db.session.scalars(
        sa.select(Slot).where(Slot.site_id == site.id, Slot.first_day.between(first, last))
        .order_by(Slot.first_day, Slot.kind)).all()
    taken: dict[int, int] = {}
    for answer in answers(seats_taken, site.id, year=year, slot_ids=[slot.id for slot in rows]):
        taken.update(answer)
    slots = [(slot, taken.get(slot.id, 0)) for slot in rows]
    zone = site_zone(site)
    now = utcnow().astimezone(zone) if zone else None
    months = months_of(slots, zone)
    month = shown_month(months, year)
    if month is not None and any(row.taken for row in month.slots):
        # Who holds the seats of the month shown, in one query for all its slots.
        holders: dict[int, list[SeatHolder]] = {}
        for answer in answers(seat_holders, site.id, slot_ids=[row.slot.id for row in month.slots]):
            holders.update(answer)
        for row in month.slots:
            row.holders = holders.get(row.slot.id, [])
    return render_template("sites/detail.html", site=site, year=year, months=months, month=month,
                           slot_count=len(slots), zone_now=now, first_year=FIRST_YEAR, last_year=LAST_YEAR,
                           customer_service_hours=customer_service_hours(site),
                           seats_in_use=any(taken_seats for _, taken_seats in slots))


def shown_month(months: list[Month], year: int) -> Month | None:
    """The month of the site's page whose slots are listed: the one ``?month=`` (1–12) names when it has slots;
    otherwise, in the current year, this month or the next one with slots; otherwise the first."""
    if not months:
        return None
    by_number = {month.number: month for month in months}
    asked = request.args.get("month", type=int)
    if asked in by_number:
        return by_number[asked]
    today = utc_today()
    if year == today.year:
        return next((month for month in months if month.number >= today.month), months[-1])
    return months[0]
