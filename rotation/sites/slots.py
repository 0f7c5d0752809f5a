"""Creating a year's slots from each site's settings (``slots generate``).

A contact centre gets one customer-service day per working day (Monday to
Friday) from its local ``shift_start`` to ``shift_end``; a warehouse gets one
Monday–Friday week for every Monday in the year, from local Monday 00:00 to
local Saturday 00:00. Days covered by a company blackout or a blackout of the
site get no slot, and a warehouse week with any such day is left out whole.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from rotation.extensions import db
from rotation.refusals import FieldRefusal
from rotation.signals import answers
from rotation.sites.models import CONTACT_CENTER, CUSTOMER_SERVICE, WAREHOUSE_WEEK, Site, Slot
from rotation.sites.signals import closed_days

FIRST_YEAR = 2000
LAST_YEAR = 2100
WORKING_DAYS = 5  # Monday to Friday
MIDNIGHT = time(0, 0)


@dataclass
class SiteSlotSummary:
    """What ``generate_slots`` did at one site."""

    code: str
    name: str
    kind: str
    created: int = 0
    already_there: int = 0
    skipped_for_blackouts: int = 0

    def describe(self) -> str:
        return (f"{self.code} {self.name}: {self.created} created, {self.already_there} already there, "
                f"{self.skipped_for_blackouts} skipped for blackouts")


@dataclass(frozen=True)
class _Span:
    """The local days and UTC instants of one slot to be."""

    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime

    def days(self) -> Iterator[date]:
        return _days(self.first_day, self.last_day)


def generate_slots(year: int, site_code: str | None = None) -> list[SiteSlotSummary]:
    """Create ``year``'s missing slots at every site, or only at the site coded ``site_code``.

    Returns one summary per site, in site-code order. Slots that already exist
    are left as they are, so running it again creates nothing new. Every site is
    checked before anything is written; a bad year, an unknown site code, an
    unknown time zone, or a contact centre without valid customer-service hours
    raises ``FieldRefusal``. The new slots are flushed, not committed:
    the caller commits.
    """
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise FieldRefusal("year", f"The year must be between {FIRST_YEAR} and {LAST_YEAR}; {year} is not.")
    sites = _sites(site_code)
    zones = {site.id: _zone_of(site) for site in sites}
    for site in sites:
        _check_hours(site)

    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    # A warehouse week that starts in the last days of the year ends in the next one.
    window_end = last_day + timedelta(days=WORKING_DAYS - 1)
    only_site_id = sites[0].id if site_code is not None else None
    blacked_out = _blacked_out_days(first_day, window_end, only_site_id)
    existing = _existing_slots(first_day, last_day, only_site_id)

    summaries: list[SiteSlotSummary] = []
    new_slots: list[dict[str, object]] = []
    for site in sites:
        summary = SiteSlotSummary(code=site.code, name=site.name, kind=site.kind)
        covered = blacked_out[None] | blacked_out[site.id]
        there = existing[(site.id, site.slot_kind)]
        for span in _spans(site, zones[site.id], year):
            if span.first_day in there:
                summary.already_there += 1
            elif any(day in covered for day in span.days()):
                summary.skipped_for_blackouts += 1
            else:
                summary.created += 1
                new_slots.append({
                    "site_id": site.id, "kind": site.slot_kind, "first_day": span.first_day,
                    "last_day": span.last_day, "starts_at": span.starts_at, "ends_at": span.ends_at,
                    "seats": site.seats,
                })
        summaries.append(summary)
    if new_slots:
        # One bulk INSERT (an executemany), not one statement per slot.
        db.session.execute(sa.insert(Slot), new_slots)
    db.session.flush()
    return summaries


def local_instant(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which clocks in ``zone`` show ``wall_clock`` on ``day``.

    A wall-clock time skipped when clocks go forward is read with the offset
    before the change (02:30 becomes 03:30); a time that occurs twice when
    clocks go back means its first occurrence.
    """
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)


def _sites(site_code: str | None) -> list[Site]:
    if site_code is None:
        return list(db.session.scalars(sa.select(Site).order_by(Site.code)))
    site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
    if site is None:
        raise FieldRefusal("site", f"No site has the code {site_code!r}; check the code on the Sites page.")
    return [site]


def _zone_of(site: Site) -> ZoneInfo:
    try:
        return ZoneInfo(site.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FieldRefusal(
            "site", f"{site.code} {site.name} has an unknown time zone {site.timezone!r}; "
            "import the site again with an IANA name such as Europe/Helsinki."
        ) from None


def _check_hours(site: Site) -> None:
    if site.kind != CONTACT_CENTER:
        return
    if site.shift_start is None or site.shift_end is None:
        raise FieldRefusal(
            "site", f"{site.code} {site.name} is a contact centre without customer-service hours; "
            "import the site again with shift_start and shift_end."
        )
    if site.shift_end <= site.shift_start:
        raise FieldRefusal(
            "site", f"{site.code} {site.name}: customer service ends ({site.shift_end:%H:%M}) before it starts "
            f"({site.shift_start:%H:%M}); import the site again with the right hours."
        )


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _blacked_out_days(first: date, last: date, site_id: int | None) -> dict[int | None, set[date]]:
    """Days between ``first`` and ``last`` blacked out for the company (key None) and per site."""
    covered: dict[int | None, set[date]] = defaultdict(set)
    for answer in answers(closed_days, None, first=first, last=last, site_id=site_id):
        for key, days in answer.items():
            covered[key].update(days)
    return covered


def _existing_slots(first: date, last: date, site_id: int | None) -> dict[tuple[int, str], set[date]]:
    """The first days of the slots already there, by site and slot kind."""
    statement = sa.select(Slot.site_id, Slot.kind, Slot.first_day).where(Slot.first_day.between(first, last))
    if site_id is not None:
        statement = statement.where(Slot.site_id == site_id)
    existing: dict[tuple[int, str], set[date]] = defaultdict(set)
    for slot_site_id, kind, first_day in db.session.execute(statement):
        existing[(slot_site_id, kind)].add(first_day)
    return existing


def _spans(site: Site, zone: ZoneInfo, year: int) -> Iterator[_Span]:
    if site.slot_kind == CUSTOMER_SERVICE:
        return _customer_service_days(site, zone, year)
    assert site.slot_kind == WAREHOUSE_WEEK
    return _warehouse_weeks(zone, year)


def _customer_service_days(site: Site, zone: ZoneInfo, year: int) -> Iterator[_Span]:
    assert site.shift_start is not None and site.shift_end is not None
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        if day.weekday() < WORKING_DAYS:
            yield _Span(day, day, local_instant(day, site.shift_start, zone),
                        local_instant(day, site.shift_end, zone))


def _warehouse_weeks(zone: ZoneInfo, year: int) -> Iterator[_Span]:
    january_first = date(year, 1, 1)
    monday = january_first + timedelta(days=-january_first.weekday() % 7)
    while monday.year == year:
        friday = monday + timedelta(days=WORKING_DAYS - 1)
        saturday = monday + timedelta(days=WORKING_DAYS)
        yield _Span(monday, friday, local_instant(monday, MIDNIGHT, zone), local_instant(saturday, MIDNIGHT, zone))
        monday += timedelta(weeks=1)
