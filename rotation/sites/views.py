"""HR's Sites pages: every site with a year's slot count, one site's slots month by month, and creating a
year's slots (at every site, at the ticked ones, or at one site from its page) after a preview."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.navigation import ROSTER, menu_entry
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.signals import answers
from rotation.sites.forms import CreateSlotsForm, SiteSlotsForm, YearForm
from rotation.sites.models import CONTACT_CENTER, WAREHOUSE_WEEK, Site, Slot
from rotation.sites.signals import SeatHolder, seat_holders, seats_taken
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR, SiteSlotSummary, generate_slots, preview_slots

bp = Blueprint("sites", __name__)
menu_entry("Sites", "sites.site_list", {HR}, position=30, group=ROSTER)


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


# How a warehouse week's hours read, as on My rotation: its calendar events are all-day, Monday to Friday.
WHOLE_WORKING_DAYS = "all day"


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
    """The slot's local hours with the zone, or its UTC hours when the site's zone is unknown.

    A warehouse week is whole working days (all-day events in calendars), not midnight to midnight.
    """
    if slot.kind == WAREHOUSE_WEEK:
        return WHOLE_WORKING_DAYS
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
    # A year without slots here: what creating them would make, and the button that does.
    [preview] = preview_slots(year, [site.code]) if not slots else [None]
    return render_template("sites/detail.html", site=site, year=year, months=months, month=month,
                           slot_count=len(slots), zone_now=now, first_year=FIRST_YEAR, last_year=LAST_YEAR,
                           customer_service_hours=customer_service_hours(site),
                           seats_in_use=any(taken_seats for _, taken_seats in slots),
                           preview=preview, create_form=SiteSlotsForm(), slot_words=slot_words,
                           skipped_shown=SKIPPED_SHOWN)


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


# Creating a year's slots ------------------------------------------------------------------------------------

SKIPPED_SHOWN = 6  # days left out for blackouts named in a preview; the rest are counted
SITES_NAMED = 6  # sites named with their counts in what creating made; more are counted


def slot_words(kind: str, count: int) -> str:
    """"261 customer-service days", "1 warehouse week"."""
    noun = "customer-service day" if kind == CONTACT_CENTER else "warehouse week"
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def created_sentence(year: int, summaries: Sequence[SiteSlotSummary]) -> str:
    """What creating made: "Created 313 slots of 2028: 261 at HEL-CC, 52 at TMP-WH."."""
    made = [summary for summary in summaries if summary.created]
    if not made:
        return f"Nothing was added: {'this site has' if len(summaries) == 1 else 'these sites have'} every slot " \
               f"of {year} already."
    total = sum(summary.created for summary in made)
    head = f"Created {total:,} slot{'' if total == 1 else 's'} of {year}"
    if len(made) == 1:
        return f"{head} at {made[0].code} {made[0].name}."
    if len(made) <= SITES_NAMED:
        return f"{head}: " + ", ".join(f"{summary.created:,} at {summary.code}" for summary in made) + "."
    return f"{head} at {len(made)} sites."


def default_year() -> int:
    """This year when no site has slots in it yet, otherwise next year."""
    this_year = utc_today().year
    first, last = year_bounds(this_year)
    has_slots = db.session.scalar(sa.select(Slot.id).where(Slot.first_day.between(first, last)).limit(1))
    return this_year if has_slots is None else this_year + 1


@bp.route("/sites/slots/new", methods=["GET", "POST"])
@roles_required(HR)
def year_slots():
    """What creating a year's slots would make at each site; the button creates them at the ticked sites."""
    typed = "year" in request.args
    year_form = YearForm(formdata=request.args if typed else None, year=None if typed else default_year())
    year = year_form.year.data if not typed or year_form.validate() else None
    create_form = CreateSlotsForm()
    chosen: list[str] | None = None
    if request.method == "POST":
        if not create_form.validate_on_submit() and create_form.csrf_token.errors:
            abort(400)
        chosen = create_form.sites.data or []
        if year is not None and not create_form.errors:
            try:
                with all_or_nothing():
                    summaries = generate_slots(year, site_codes=chosen)
            except FieldRefusal as refusal:
                (year_form if refusal.field == "year" else create_form).show_refusal(refusal)
            else:
                created = sum(summary.created for summary in summaries)
                flash(created_sentence(year, summaries), "success" if created else "info")
                return redirect(url_for(".year_slots", year=year))
    summaries = []
    if year is not None and not year_form.errors:
        try:
            summaries = preview_slots(year)
        except FieldRefusal as refusal:
            year_form.show_refusal(refusal)
    shown = year if year is not None and not year_form.errors else None
    return render_template(
        "sites/year.html", year=shown, year_form=year_form, create_form=create_form, summaries=summaries,
        chosen=chosen, first_year=FIRST_YEAR, last_year=LAST_YEAR,
        to_create=sum(summary.created for summary in summaries),
        already_there=sum(summary.already_there for summary in summaries),
        slot_words=slot_words, skipped_shown=SKIPPED_SHOWN)


@bp.post("/sites/<code>/slots")
@roles_required(HR)
def create_site_slots(code: str):
    """Create the year's slots (``?year=``) at this site; back to its page, which lists them."""
    site = db.session.scalar(sa.select(Site).where(Site.code == code))
    if site is None:
        abort(404)
    if not SiteSlotsForm().validate_on_submit():
        abort(400)
    year_form = YearForm(formdata=request.args)
    if not year_form.validate():
        flash(" ".join(year_form.year.errors), "error")
        return redirect(url_for(".site_detail", code=site.code))
    year = year_form.year.data
    assert year is not None
    try:
        with all_or_nothing():
            summaries = generate_slots(year, site.code)
    except FieldRefusal as refusal:
        flash(refusal.message, "error")
    else:
        flash(created_sentence(year, summaries), "success" if summaries[0].created else "info")
    return redirect(url_for(".site_detail", code=site.code, year=year))
