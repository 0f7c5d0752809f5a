"""Coverage figures: how much of a year's rotation is done, booked or still open, for a scope of people.

A scope is the whole company (HR) or one person's organisation: that person and
everyone below them in the line-manager tree, found with a recursive CTE. The
figures count the people of the scope who are active and in the rotation; each
person counts once per kind of shift:

- **completed** — a shift of that kind has status ``completed``;
- **booked** — otherwise, an announced shift still to be attended (``published`` or ``confirmed``);
- **unbooked** — anything else: nothing planned, only a draft, or a no-show awaiting re-booking.

Everything is aggregated in SQL: a page costs the same handful of queries whatever
the size of the company.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.assignments.models import (ANNOUNCED, CANCELLED, COMPLETED, CONFIRMED, NO_SHOW, PUBLISHED,
                                         Assignment)
from rotation.extensions import db
from rotation.people.models import Person, in_rotation_clause
from rotation.plans.charts import WeekChart, WeekLoad, week_chart
from rotation.sites.models import CUSTOMER_SERVICE, SLOT_KINDS, WAREHOUSE_WEEK, Site, Slot

# A person's state for one kind of shift, as a number so SQL can take the best of several shifts.
UNBOOKED, BOOKED, DONE = 0, 1, 2
STILL_TO_ATTEND = (PUBLISHED, CONFIRMED)


@dataclass(frozen=True)
class Scope:
    """Whose figures a page shows: everyone (``root`` None) or ``root``'s organisation."""

    root: Person | None = None

    @property
    def is_company(self) -> bool:
        return self.root is None


@dataclass(frozen=True)
class KindFigures:
    """One kind of shift over ``people`` people: how many completed it, are booked, are not booked."""

    people: int
    completed: int
    booked: int

    @property
    def unbooked(self) -> int:
        return self.people - self.completed - self.booked

    def share(self, count: int) -> float:
        return count / self.people if self.people else 0.0


@dataclass(frozen=True)
class Figures:
    """A group's figures: the whole scope, a department or a direct report's organisation."""

    label: str
    people: int
    kinds: dict[str, KindFigures]
    person_id: int | None = None  # the direct report heading an organisation row
    employee_id: str | None = None


@dataclass
class Coverage:
    """The coverage page's figures: the total, by department and by direct report's organisation."""

    total: Figures
    departments: list[Figures]
    organisations: list[Figures] = field(default_factory=list)


# Scope -------------------------------------------------------------------------------------------


def organisation(root_id: int):
    """CTE ``(id, branch)``: everyone below ``root_id`` in the line-manager tree, with the direct
    report of ``root_id`` whose organisation they belong to. UNION (not UNION ALL) ends even if
    the roster's manager links ever form a loop."""
    anchor = sa.select(Person.id.label("id"), Person.id.label("branch")).where(Person.manager_id == root_id)
    tree = anchor.cte("organisation", recursive=True)
    report = aliased(Person)
    return tree.union(sa.select(report.id, tree.c.branch).where(report.manager_id == tree.c.id))


def is_in_organisation(person_id: int, root_id: int) -> bool:
    """Whether ``person_id`` is ``root_id`` or somewhere below them."""
    if person_id == root_id:
        return True
    tree = organisation(root_id)
    return bool(db.session.scalar(sa.select(sa.exists().where(tree.c.id == person_id))))


def _people(scope: Scope, *columns) -> sa.Select:
    """SELECT ``columns`` over the people of ``scope`` who are active and in the rotation; a column
    ``branch`` names the direct report of the root whose organisation each one is in (None for the
    root and in the company scope)."""
    if scope.root is None:
        return sa.select(*columns, sa.null().label("branch")).select_from(Person).where(in_rotation_clause())
    tree = organisation(scope.root.id)
    return (sa.select(*columns, tree.c.branch.label("branch"))
            .select_from(Person).outerjoin(tree, tree.c.id == Person.id)
            .where(in_rotation_clause(), sa.or_(Person.id == scope.root.id, tree.c.id.is_not(None))))


def _best(kind: str, today: date):
    """SQL aggregates over a person's shifts of ``kind``: their state (DONE/BOOKED/UNBOOKED), whether
    one ended before ``today`` without attendance recorded, whether one was a no-show."""
    of_kind = Assignment.kind == kind
    state = sa.func.max(sa.case(
        (sa.and_(of_kind, Assignment.status == COMPLETED), DONE),
        (sa.and_(of_kind, Assignment.status.in_(STILL_TO_ATTEND)), BOOKED),
        else_=UNBOOKED))
    unrecorded = sa.func.max(sa.case(
        (sa.and_(of_kind, Assignment.status.in_(STILL_TO_ATTEND), Slot.last_day < today), 1), else_=0))
    no_show = sa.func.max(sa.case((sa.and_(of_kind, Assignment.status == NO_SHOW), 1), else_=0))
    return state, unrecorded, no_show


def person_states(scope: Scope, year: int, today: date):
    """Subquery: one row per person in scope with department, branch and, per kind, ``<kind>_state``,
    ``<kind>_unrecorded`` and ``<kind>_no_show``."""
    columns = []
    for kind in SLOT_KINDS:
        state, unrecorded, no_show = _best(kind, today)
        columns += [state.label(f"{kind}_state"), unrecorded.label(f"{kind}_unrecorded"),
                    no_show.label(f"{kind}_no_show")]
    people = _people(scope, Person.id.label("person_id"), Person.department.label("department"))
    people = (people.add_columns(*columns)
              .outerjoin(Assignment, sa.and_(Assignment.person_id == Person.id, Assignment.year == year,
                                             Assignment.status != CANCELLED))
              .outerjoin(Slot, Slot.id == Assignment.slot_id))
    group = [Person.id, Person.department] + ([people.selected_columns.branch] if scope.root else [])
    return people.group_by(*group).subquery("person_state")


# Figures -----------------------------------------------------------------------------------------


def _tally(states, *group) -> sa.Select:
    columns = [sa.func.count().label("people")]
    for kind in SLOT_KINDS:
        state = states.c[f"{kind}_state"]
        columns += [sa.func.sum(sa.case((state == DONE, 1), else_=0)).label(f"{kind}_completed"),
                    sa.func.sum(sa.case((state == BOOKED, 1), else_=0)).label(f"{kind}_booked")]
    return sa.select(*group, *columns).group_by(*group)


def _figures(label: str, row, **extra) -> Figures:
    kinds = {kind: KindFigures(people=row.people, completed=int(getattr(row, f"{kind}_completed") or 0),
                               booked=int(getattr(row, f"{kind}_booked") or 0))
             for kind in SLOT_KINDS}
    return Figures(label=label, people=row.people, kinds=kinds, **extra)


def _sum(label: str, groups: list[Figures]) -> Figures:
    people = sum(group.people for group in groups)
    kinds = {kind: KindFigures(people=people, completed=sum(group.kinds[kind].completed for group in groups),
                               booked=sum(group.kinds[kind].booked for group in groups))
             for kind in SLOT_KINDS}
    return Figures(label=label, people=people, kinds=kinds)


def coverage(scope: Scope, year: int, today: date) -> Coverage:
    """The figures of ``scope`` in ``year``: by department (one query) and, for an organisation, by
    the direct report heading each part of it (one more)."""
    states = person_states(scope, year, today)
    departments = [_figures(row.department, row) for row in db.session.execute(
        _tally(states, states.c.department).order_by(states.c.department))]
    result = Coverage(total=_sum("Everyone", departments), departments=departments)
    if scope.root is not None:
        head = aliased(Person)
        rows = db.session.execute(
            _tally(states, states.c.branch, head.full_name, head.employee_id)
            .outerjoin(head, head.id == states.c.branch)
            .order_by(states.c.branch.is_not(None), head.full_name))
        result.organisations = [
            _figures(row.full_name, row, person_id=row.branch, employee_id=row.employee_id) if row.branch
            else _figures(f"{scope.root.full_name} (own shifts)", row)
            for row in rows]
    return result


# Overdue -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """Someone whose shift of a kind is behind: attendance unrecorded, a no-show, or not booked."""

    person_id: int
    employee_id: str
    full_name: str
    department: str
    reasons: list[str]


OVERDUE_WORDS = {"unrecorded": "attendance not recorded", "no_show": "no-show, not re-booked",
                 "unbooked": "not booked"}


def _overdue_reason(row, kind: str, open_year: bool) -> str | None:
    if row._mapping[f"{kind}_unrecorded"]:
        return "unrecorded"
    if row._mapping[f"{kind}_state"] == UNBOOKED:
        if row._mapping[f"{kind}_no_show"]:
            return "no_show"
        if open_year:
            return "unbooked"
    return None


def overdue_people(scope: Scope, year: int, today: date) -> sa.Select:
    """SELECT the overdue people of ``scope`` with their states, by name: someone with a shift of a
    kind that ended before ``today`` still unrecorded, a no-show not re-booked, or — in a year that has
    begun — nobody booked for a kind at all."""
    states = person_states(scope, year, today)
    open_year = year <= today.year
    behind = []
    for kind in SLOT_KINDS:
        unbooked = states.c[f"{kind}_state"] == UNBOOKED
        behind += [states.c[f"{kind}_unrecorded"] == 1,
                   sa.and_(unbooked, states.c[f"{kind}_no_show"] == 1)]
        if open_year:
            behind.append(unbooked)
    flags = [column for column in states.c if column.name.startswith(SLOT_KINDS)]
    return (sa.select(Person.id, Person.employee_id, Person.full_name, Person.department, *flags)
            .join(states, states.c.person_id == Person.id)
            .where(sa.or_(*behind)).order_by(Person.full_name, Person.id))


def overdue_rows(rows, year: int, today: date) -> list[Overdue]:
    """The page's rows of :func:`overdue_people`, with each late kind in words."""
    from rotation.assignments.models import KIND_LABELS

    result = []
    for row in rows:
        reasons = []
        for kind in SLOT_KINDS:
            reason = _overdue_reason(row, kind, year <= today.year)
            if reason:
                reasons.append(f"{KIND_LABELS[kind]}: {OVERDUE_WORDS[reason]}")
        result.append(Overdue(person_id=row.id, employee_id=row.employee_id, full_name=row.full_name,
                              department=row.department, reasons=reasons))
    return result


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


def site_weeks(scope: Scope, year: int) -> list[SiteWeeks]:
    """Each site where people of ``scope`` have announced shifts in ``year`` (one query), by ISO week."""
    people = _people(scope, Person.id).subquery()
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


def _latest_shift(year: int, kind: str):
    """Subquery: per person, the shift of ``kind`` in ``year`` that stands — the one still to happen or
    done, else the latest no-show."""
    rank = sa.func.row_number().over(
        partition_by=Assignment.person_id,
        order_by=(sa.case((Assignment.status == NO_SHOW, 1), else_=0), Slot.first_day.desc(), Assignment.id.desc()))
    ranked = (sa.select(Assignment.person_id, Assignment.status, Slot.first_day, Slot.last_day,
                        Site.code.label("site"), rank.label("rank"))
              .join(Slot, Slot.id == Assignment.slot_id).join(Site, Site.id == Slot.site_id)
              .where(Assignment.year == year, Assignment.kind == kind, Assignment.status != CANCELLED)
              .subquery(f"ranked_{kind}"))
    return sa.select(ranked).where(ranked.c.rank == 1).subquery(f"latest_{kind}")


def export_rows(scope: Scope, year: int) -> Iterator[tuple[str, ...]]:
    """One row per person of ``scope`` in the rotation, by department and name, streamed from one
    query: who they are, their line manager and where each kind of shift stands (``unbooked`` when
    there is none)."""
    manager = aliased(Person)
    service, warehouse = _latest_shift(year, CUSTOMER_SERVICE), _latest_shift(year, WAREHOUSE_WEEK)
    statement = (_people(scope, Person.employee_id, Person.full_name, Person.department,
                         manager.employee_id.label("manager"),
                         service.c.status, service.c.first_day, service.c.site,
                         warehouse.c.status, warehouse.c.first_day, warehouse.c.last_day, warehouse.c.site)
                 .outerjoin(manager, manager.id == Person.manager_id)
                 .outerjoin(service, service.c.person_id == Person.id)
                 .outerjoin(warehouse, warehouse.c.person_id == Person.id)
                 .order_by(Person.department, Person.full_name, Person.id))
    for row in db.session.execute(statement).yield_per(500):
        (employee_id, full_name, department, manager_id, cs_status, cs_day, cs_site,
         wh_status, wh_first, wh_last, wh_site, _branch) = row
        yield (employee_id, full_name, department, manager_id or "",
               cs_status or "unbooked", cs_day.isoformat() if cs_day else "", cs_site or "",
               wh_status or "unbooked", wh_first.isoformat() if wh_first else "",
               wh_last.isoformat() if wh_last else "", wh_site or "")
