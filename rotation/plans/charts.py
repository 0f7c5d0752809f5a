"""The draft's load as HR sees it on the plan page: by ISO week and by site, ready to draw as SVG.

The numbers are aggregated in SQL, in one pass over the year's assignments (a
few thousand rows come back, one per slot in use and kind, whatever the number
of assignments). Each assignment counts at its effective slot: where the draft
puts it, or for an announced assignment with a ``move`` proposal, where the move
would take it. Cancelled assignments and ``withdraw`` proposals do not count.
The drawn charts are kept until an assignment, a slot or a site changes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, MOVE, WITHDRAW, Assignment
from rotation.data_versions import kept
from rotation.extensions import db
from rotation.sites.models import CUSTOMER_SERVICE, WAREHOUSE_WEEK, Site, Slot

# The charts' coordinate system; the browser scales it to the width it has (viewBox).
WIDTH = 400
WEEK_HEIGHT = 210
WEEK_MARGIN = {"left": 34, "right": 6, "top": 10, "bottom": 26}
SITE_ROW = 30
SITE_LABEL = 92
SITE_VALUE = 78
SITE_LABEL_CHARACTERS = 12
# The tables the charts count: a shift, a slot's day or seats, or a site's name changes them.
CHART_TABLES = ("assignment", "site", "slot")


@dataclass(frozen=True)
class WeekLoad:
    """The shifts that fall in one ISO week (Monday ``monday``)."""

    monday: date
    customer_service: int
    warehouse: int

    @property
    def week(self) -> int:
        return self.monday.isocalendar().week

    @property
    def total(self) -> int:
        return self.customer_service + self.warehouse

    @property
    def label(self) -> str:
        iso = self.monday.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"


@dataclass(frozen=True)
class SiteLoad:
    """Seats used and offered over the year at one site."""

    code: str
    name: str
    kind: str
    used: int
    offered: int

    @property
    def share(self) -> float:
        return self.used / self.offered if self.offered else 0.0


def _effective_slot_id():
    """SQL: the slot an assignment holds once the draft is published."""
    return sa.case((Assignment.proposal == MOVE, Assignment.proposed_slot_id), else_=Assignment.slot_id)


def _counted(year: int):
    """SQL: the assignments of ``year`` that will hold a seat once the draft is published."""
    return sa.and_(Assignment.year == year, Assignment.status != CANCELLED,
                   sa.or_(Assignment.proposal.is_(None), Assignment.proposal != WITHDRAW))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class SlotLoad:
    """The shifts of one kind that the draft puts in one slot."""

    first_day: date
    site_id: int
    kind: str
    count: int


def slot_load(year: int) -> list[SlotLoad]:
    """The counted shifts of ``year`` per effective slot and kind: grouped by slot id first, then joined to
    the few thousand slots in use, so the assignments are read once for both charts."""
    effective = _effective_slot_id().label("effective_slot_id")  # grouped by name: its CASE has parameters
    per_slot = (sa.select(effective, Assignment.kind, sa.func.count().label("count"))
                .where(_counted(year))
                .group_by(effective, Assignment.kind)
                .subquery())
    rows = db.session.execute(
        sa.select(Slot.first_day, Slot.site_id, per_slot.c.kind, per_slot.c.count)
        .join(per_slot, per_slot.c.effective_slot_id == Slot.id))
    return [SlotLoad(first_day, site_id, kind, count) for first_day, site_id, kind, count in rows]


def week_load(year: int, slots: list[SlotLoad]) -> list[WeekLoad]:
    """Every ISO week that touches ``year``, in order, with its customer-service days and warehouse weeks."""
    counts: Counter[tuple[date, str]] = Counter()
    for slot in slots:
        counts[_monday(slot.first_day), slot.kind] += slot.count
    weeks = []
    monday = _monday(date(year, 1, 1))
    while monday <= date(year, 12, 31):
        weeks.append(WeekLoad(monday=monday, customer_service=counts[monday, CUSTOMER_SERVICE],
                              warehouse=counts[monday, WAREHOUSE_WEEK]))
        monday += timedelta(days=7)
    return weeks


def site_load(year: int, slots: list[SlotLoad]) -> list[SiteLoad]:
    """Each site with slots in ``year``: the seats its slots offer and how many the draft uses."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    offered = db.session.execute(
        sa.select(Site.id, Site.code, Site.name, Site.kind, sa.func.sum(Slot.seats))
        .join(Slot, Slot.site_id == Site.id)
        .where(Slot.first_day.between(first, last))
        .group_by(Site.id, Site.code, Site.name, Site.kind)
        .order_by(Site.kind, Site.code)).all()
    used: Counter[int] = Counter()
    for slot in slots:
        used[slot.site_id] += slot.count
    return [SiteLoad(code=code, name=name, kind=kind, used=used[site_id], offered=int(seats))
            for site_id, code, name, kind, seats in offered]


@dataclass(frozen=True)
class YearCharts:
    weeks: WeekChart
    sites: SiteChart


def year_charts(year: int) -> YearCharts:
    """The plan page's two charts of ``year``, drawn once and kept until their counts may have changed."""
    def draw() -> YearCharts:
        slots = slot_load(year)
        return YearCharts(weeks=week_chart(year, week_load(year, slots)), sites=site_chart(site_load(year, slots)))
    return kept(("plan charts", year), CHART_TABLES, draw)


# Drawing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class WeekBar:
    load: WeekLoad
    x: float
    width: float
    warehouse_y: float
    warehouse_height: float
    customer_service_y: float
    customer_service_height: float


@dataclass(frozen=True)
class MonthLabel:
    text: str
    x: float
    minor: bool  # every other month, left out where the chart is narrow


@dataclass(frozen=True)
class WeekChart:
    width: int
    height: int
    left: float
    right: float
    baseline: float
    bars: list[WeekBar]
    ticks: list[Tick]
    months: list[MonthLabel]
    peak: WeekLoad | None


def nice_ticks(maximum: int, most: int = 4) -> list[int]:
    """Round axis values from 0 up to at least ``maximum``: steps of 1, 2 or 5 times a power of ten."""
    if maximum <= 0:
        return [0, 1]
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            count = -(-maximum // step)
            if count <= most:
                return [step * n for n in range(count + 1)]
        scale *= 10


def week_chart(year: int, weeks: list[WeekLoad]) -> WeekChart:
    """Stacked bars: warehouse weeks below, customer-service days on top, one bar per ISO week of ``year``;
    the months of ``year`` label the weeks they begin in."""
    left, right = WEEK_MARGIN["left"], WIDTH - WEEK_MARGIN["right"]
    top, baseline = WEEK_MARGIN["top"], WEEK_HEIGHT - WEEK_MARGIN["bottom"]
    ticks = nice_ticks(max((week.total for week in weeks), default=0))
    per_unit = (baseline - top) / ticks[-1]
    slot = (right - left) / max(1, len(weeks))
    bars = []
    months: list[MonthLabel] = []
    for index, week in enumerate(weeks):
        x = left + index * slot
        warehouse = week.warehouse * per_unit
        customer_service = week.customer_service * per_unit
        bars.append(WeekBar(load=week, x=round(x + slot * 0.1, 2), width=round(slot * 0.8, 2),
                            warehouse_y=round(baseline - warehouse, 2), warehouse_height=round(warehouse, 2),
                            customer_service_y=round(baseline - warehouse - customer_service, 2),
                            customer_service_height=round(customer_service, 2)))
        first_of_month = _first_of_month_in(week.monday)
        if first_of_month is not None and first_of_month.year == year:
            months.append(MonthLabel(text=first_of_month.strftime("%b"), x=round(x + slot / 2, 2),
                                      minor=first_of_month.month % 2 == 0))
    peak = max(weeks, key=lambda week: week.total) if weeks and any(week.total for week in weeks) else None
    return WeekChart(width=WIDTH, height=WEEK_HEIGHT, left=left, right=right, baseline=baseline, bars=bars,
                     ticks=[Tick(value, round(baseline - value * per_unit, 2)) for value in ticks],
                     months=months, peak=peak)


def _first_of_month_in(monday: date) -> date | None:
    """The first day of a month within the week of ``monday``, if one falls in it."""
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if day.day == 1:
            return day
    return None


@dataclass(frozen=True)
class SiteBar:
    load: SiteLoad
    label: str
    y: float
    used_width: float


@dataclass(frozen=True)
class SiteChart:
    width: int
    height: int
    bar_x: float
    bar_width: float
    bar_height: float
    value_x: float
    bars: list[SiteBar]


def site_chart(sites: list[SiteLoad]) -> SiteChart:
    """One row per site: the seats its slots offer as a track, the seats used filled in."""
    bar_width = WIDTH - SITE_LABEL - SITE_VALUE
    bars = [SiteBar(load=site, label=_short(site.code), y=index * SITE_ROW + 6,
                    used_width=round(bar_width * min(1.0, site.share), 2))
            for index, site in enumerate(sites)]
    return SiteChart(width=WIDTH, height=max(1, len(sites)) * SITE_ROW + 6, bar_x=SITE_LABEL, bar_width=bar_width,
                     bar_height=SITE_ROW - 12, value_x=WIDTH - 2, bars=bars)


def _short(code: str) -> str:
    return code if len(code) <= SITE_LABEL_CHARACTERS else code[:SITE_LABEL_CHARACTERS - 1] + "…"
