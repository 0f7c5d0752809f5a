"""Coverage's other reads: the weekly load per site of a scope's people and the CSV export.

The figures and the overdue people are in :mod:`rotation.coverage.standing`; the scope in
:mod:`rotation.coverage.scope`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.assignments.models import ANNOUNCED, CANCELLED, NO_SHOW, Assignment
from rotation.coverage.scope import Scope, people_of
from rotation.data_versions import kept
from rotation.extensions import db
from rotation.people.models import Person
from rotation.plans.charts import WeekChart, WeekLoad, week_chart
from rotation.sites.models import CUSTOMER_SERVICE, WAREHOUSE_WEEK, Site, Slot

# Weekly load per site ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteWeeks:
    """One site's announced shifts of ``scope`` per ISO week, drawn with the plan page's week chart."""

    code: str
    name: str
    kind: str
    weeks: list[WeekLoad]
    chart: WeekChart

    @property
    def total(self) -> int:
        return sum(week.total for week in self.weeks)

    @property
    def busy_weeks(self) -> list[WeekLoad]:
        return [week for week in self.weeks if week.total]


# The tables the weekly load is counted from.
SITE_WEEK_TABLES = ("person", "assignment", "slot", "site")


def site_weeks(scope: Scope, year: int) -> list[SiteWeeks]:
    """Each site where people of ``scope`` have announced shifts in ``year``, by ISO week: counted in one
    query and kept until the people, shifts, slots or sites change."""
    root = scope.root.id if scope.root is not None else None
    return kept(("coverage site weeks", root, year), SITE_WEEK_TABLES,
                lambda: _count_site_weeks(scope, year))


def _count_site_weeks(scope: Scope, year: int) -> list[SiteWeeks]:
    people = people_of(scope, Person.id).subquery()
    rows = db.session.execute(
        sa.select(Site.code, Site.name, Site.kind, Slot.first_day, Assignment.kind, sa.func.count())
        .select_from(Assignment).join(Slot, Slot.id == Assignment.slot_id).join(Site, Site.id == Slot.site_id)
        .where(Assignment.year == year, Assignment.status.in_(ANNOUNCED),
               Assignment.person_id.in_(sa.select(people.c.id)))
        .group_by(Site.code, Site.name, Site.kind, Slot.first_day, Assignment.kind)
        .order_by(Site.kind, Site.code))
    per_site: dict[tuple[str, str, str], dict[tuple[date, str], int]] = defaultdict(dict)
    for code, name, site_kind, first_day, kind, count in rows:
        counts = per_site[code, name, site_kind]
        monday = date.fromordinal(first_day.toordinal() - first_day.weekday())
        counts[monday, kind] = counts.get((monday, kind), 0) + count
    return [_site_weeks(year, code, name, site_kind, counts) for (code, name, site_kind), counts in per_site.items()]


def _site_weeks(year: int, code: str, name: str, site_kind: str, counts: dict[tuple[date, str], int]) -> SiteWeeks:
    first = date.fromordinal(date(year, 1, 1).toordinal() - date(year, 1, 1).weekday())
    weeks = []
    monday = first
    while monday <= date(year, 12, 31):
        weeks.append(WeekLoad(monday=monday, customer_service=counts.get((monday, CUSTOMER_SERVICE), 0),
                              warehouse=counts.get((monday, WAREHOUSE_WEEK), 0)))
        monday = date.fromordinal(monday.toordinal() + 7)
    return SiteWeeks(code=code, name=name, kind=site_kind, weeks=weeks, chart=week_chart(year, weeks))


# CSV export --------------------------------------------------------------------------------------

EXPORT_HEADER = ("employee_id", "full_name", "department", "manager_employee_id",
                 "customer_service_status", "customer_service_date", "customer_service_site",
                 "warehouse_status", "warehouse_first_day", "warehouse_last_day", "warehouse_site")


# A standing shift: (status, first day, last day, site code).
Standing = tuple[str, date, date, str]


def _standing_shifts(year: int, kind: str) -> dict[int, Standing]:
    """Per person, the shift of ``kind`` in ``year`` that stands: the one still to happen or done (the
    latest), else the latest no-show. One ordered read of the year's shifts of that kind."""
    rows = db.session.execute(
        sa.select(Assignment.person_id, Assignment.status, Slot.first_day, Slot.last_day, Site.code)
        .join(Slot, Slot.id == Assignment.slot_id).join(Site, Site.id == Slot.site_id)
        .where(Assignment.year == year, Assignment.kind == kind, Assignment.status != CANCELLED)
        .order_by(Assignment.person_id, Slot.first_day, Assignment.id))
    standing: dict[int, Standing] = {}
    for person_id, status, first_day, last_day, site in rows:
        held = standing.get(person_id)
        # Later rows are later shifts: they replace what is held, except that a no-show never replaces
        # a shift that stands.
        if held is None or status != NO_SHOW or held[0] == NO_SHOW:
            standing[person_id] = (status, first_day, last_day, site)
    return standing


def export_rows(scope: Scope, year: int) -> Iterator[tuple[str, ...]]:
    """One row per person of ``scope`` in the rotation, by department and name: who they are, their line
    manager and where each kind of shift stands (``unbooked`` when there is none).

    The standing shifts are read now, within the request, and the people's query is made at once while the
    scope's root is still loaded; the people are then read as the response streams. Neither read joins the
    other, so the export takes seconds at 100,000 people on either database."""
    manager = aliased(Person)
    service, warehouse = _standing_shifts(year, CUSTOMER_SERVICE), _standing_shifts(year, WAREHOUSE_WEEK)
    statement = (people_of(scope, Person.id, Person.employee_id, Person.full_name, Person.department,
                           manager.employee_id.label("manager"))
                 .outerjoin(manager, manager.id == Person.manager_id)
                 .order_by(Person.department, Person.full_name, Person.id))
    return _export_lines(statement, service, warehouse)


def _export_lines(statement: sa.Select, service: dict[int, Standing],
                  warehouse: dict[int, Standing]) -> Iterator[tuple[str, ...]]:
    for person_id, employee_id, full_name, department, manager_id, _branch in \
            db.session.execute(statement).yield_per(1000):
        cs = service.get(person_id)
        wh = warehouse.get(person_id)
        yield (employee_id, full_name, department, manager_id or "",
               cs[0] if cs else "unbooked", cs[1].isoformat() if cs else "", cs[3] if cs else "",
               wh[0] if wh else "unbooked", wh[1].isoformat() if wh else "",
               wh[2].isoformat() if wh else "", wh[3] if wh else "")
