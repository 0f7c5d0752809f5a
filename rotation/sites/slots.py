"""Creating a year's slots from each site's settings (``slots generate``).

A contact centre gets one customer-service day per working day (Monday to
Friday) from its local ``shift_start`` to ``shift_end``; a warehouse gets one
Monday–Friday week for every Monday in the year, from local Monday 00:00 to
local Saturday 00:00. Days covered by a company blackout or a blackout of the
site get no slot, and a warehouse week with any such day is left out whole.

``preview_slots`` works out the same without writing anything: the Sites pages
show it before HR creates a year's slots.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
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
MAX_CODE = 32  # a site code's most characters


@dataclass(frozen=True)
class Span:
    """The local days and UTC instants of one slot to be."""

    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime

    def days(self) -> Iterator[date]:
        return _days(self.first_day, self.last_day)


@dataclass
class SiteSlotSummary:
    """What ``generate_slots`` did at one site, or what it would do (``preview_slots``).

    ``first`` and ``last`` are the first and last slot created (or to be), ``skipped`` the first days of
    the slots left out for blackouts, and ``problem`` why no slot can be made at the site (a preview only:
    ``generate_slots`` refuses instead).
    """

    code: str
    name: str
    kind: str
    seats: int = 0
    created: int = 0
    already_there: int = 0
    skipped_for_blackouts: int = 0
    first: Span | None = None
    last: Span | None = None
    skipped: list[date] = field(default_factory=list)
    problem: str | None = None

    def describe(self) -> str:
        return (f"{self.code} {self.name}: {self.created} created, {self.already_there} already there, "
                f"{self.skipped_for_blackouts} skipped for blackouts")


def generate_slots(year: int, site_code: str | None = None, *,
                   site_codes: Collection[str] | None = None) -> list[SiteSlotSummary]:
    """Create ``year``'s missing slots at every site, or only at the site coded ``site_code`` (or those coded
    ``site_codes``).

    Returns one summary per site, in site-code order. Slots that already exist
    are left as they are, so running it again creates nothing new. Every site is
    checked before anything is written; a bad year, an unknown site code, an
    unknown time zone, or a contact centre without valid customer-service hours
    raises ``FieldRefusal``. The new slots are flushed, not committed:
    the caller commits.
    """
    codes = [site_code] if site_code is not None else site_codes
    summaries, new_slots = _work_out(year, codes, refuse_problems=True)
    if new_slots:
        try:
            # One bulk INSERT (an executemany), not one statement per slot.
            db.session.execute(sa.insert(Slot), new_slots)
        except sa.exc.IntegrityError as error:  # another transaction made some of them in the meantime
            raise FieldRefusal(None, f"Some of these slots of {year} were created by someone else a moment ago, "
                                     "so none were added; look at what is there now and try again.") from error
    db.session.flush()
    return summaries


def preview_slots(year: int, site_codes: Collection[str] | None = None) -> list[SiteSlotSummary]:
    """What ``generate_slots(year, site_codes=site_codes)`` would create, writing nothing.

    A site whose slots cannot be made (an unknown time zone, a contact centre
    without valid hours) carries the sentence in ``problem`` rather than
    stopping the preview; a bad year or an unknown site code raises
    ``FieldRefusal`` as ``generate_slots`` does.
    """
    summaries, _ = _work_out(year, site_codes, refuse_problems=False)
    return summaries


def _check_year(year: int) -> None:
    """Raise ``FieldRefusal`` on the field ``year`` unless slots can be made in ``year``."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise FieldRefusal("year", f"The year must be between {FIRST_YEAR} and {LAST_YEAR}; {year} is not.")


def _work_out(year: int, site_codes: Collection[str] | None,
              refuse_problems: bool) -> tuple[list[SiteSlotSummary], list[dict[str, object]]]:
    """One summary per site and the rows of the slots to insert; nothing is written."""
    _check_year(year)
    sites = _sites(site_codes)
    zones: dict[int, ZoneInfo] = {}
    problems: dict[int, str] = {}
    for site in sites:
        try:
            zones[site.id] = _zone_of(site)
            _check_hours(site)
        except FieldRefusal as refusal:
            if refuse_problems:
                raise
            problems[site.id] = refusal.message

    first_day, last_day = date(year, 1, 1), date(year, 12, 31)
    # A warehouse week that starts in the last days of the year ends in the next one.
    window_end = last_day + timedelta(days=WORKING_DAYS - 1)
    only_site_id = sites[0].id if len(sites) == 1 and site_codes is not None else None
    blacked_out = _blacked_out_days(first_day, window_end, only_site_id)
    existing = _existing_slots(first_day, last_day, only_site_id)

    summaries: list[SiteSlotSummary] = []
    new_slots: list[dict[str, object]] = []
    for site in sites:
        summary = SiteSlotSummary(code=site.code, name=site.name, kind=site.kind, seats=site.seats,
                                  problem=problems.get(site.id))
        summaries.append(summary)
        if summary.problem is not None:
            summary.already_there = len(existing[(site.id, site.slot_kind)])
            continue
        covered = blacked_out[None] | blacked_out[site.id]
        there = existing[(site.id, site.slot_kind)]
        for span in _spans(site, zones[site.id], year):
            if span.first_day in there:
                summary.already_there += 1
            elif any(day in covered for day in span.days()):
                summary.skipped_for_blackouts += 1
                summary.skipped.append(span.first_day)
            else:
                summary.created += 1
                summary.first = summary.first or span
                summary.last = span
                new_slots.append({
                    "site_id": site.id, "kind": site.slot_kind, "first_day": span.first_day,
                    "last_day": span.last_day, "starts_at": span.starts_at, "ends_at": span.ends_at,
                    "seats": site.seats,
                })
    return summaries, new_slots


def local_instant(day: date, wall_clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which clocks in ``zone`` show ``wall_clock`` on ``day``.

    A wall-clock time skipped when clocks go forward is read with the offset
    before the change (02:30 becomes 03:30); a time that occurs twice when
    clocks go back means its first occurrence.
    """
    return datetime.combine(day, wall_clock, tzinfo=zone).astimezone(UTC)


def _sites(site_codes: Collection[str] | None) -> list[Site]:
    # A company has tens of sites, hundreds at most: reading them all is as quick as looking a few up.
    sites = list(db.session.scalars(sa.select(Site).order_by(Site.code)))
    if site_codes is None:
        return sites
    wanted = set(site_codes)
    unknown = sorted(wanted - {site.code for site in sites})
    if unknown:
        code = unknown[0] if len(unknown[0]) <= MAX_CODE else unknown[0][:MAX_CODE] + "…"
        raise FieldRefusal("site", f"No site has the code {code!r}; check the code on the Sites page.")
    return [site for site in sites if site.code in wanted]


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


def _spans(site: Site, zone: ZoneInfo, year: int) -> Iterator[Span]:
    if site.slot_kind == CUSTOMER_SERVICE:
        return _customer_service_days(site, zone, year)
    assert site.slot_kind == WAREHOUSE_WEEK
    return _warehouse_weeks(zone, year)


def _customer_service_days(site: Site, zone: ZoneInfo, year: int) -> Iterator[Span]:
    assert site.shift_start is not None and site.shift_end is not None
    for day in _days(date(year, 1, 1), date(year, 12, 31)):
        if day.weekday() < WORKING_DAYS:
            yield Span(day, day, local_instant(day, site.shift_start, zone),
                        local_instant(day, site.shift_end, zone))


def _warehouse_weeks(zone: ZoneInfo, year: int) -> Iterator[Span]:
    january_first = date(year, 1, 1)
    monday = january_first + timedelta(days=-january_first.weekday() % 7)
    while monday.year == year:
        friday = monday + timedelta(days=WORKING_DAYS - 1)
        saturday = monday + timedelta(days=WORKING_DAYS)
        yield Span(monday, friday, local_instant(monday, MIDNIGHT, zone), local_instant(saturday, MIDNIGHT, zone))
        monday += timedelta(weeks=1)
