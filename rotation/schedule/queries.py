"""What the schedule grid reads: the weeks of a year, and a page of people with their shifts.

The grid reads the page of people in one query (its count kept until the tables it depends on change) and every
shift of those people in one more, whatever the size of the roster. The sites view's reading is in
:mod:`rotation.schedule.seats`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, KIND_LABELS, MOVE, STATUS_LABELS, WITHDRAW, Assignment
from rotation.coverage.scope import organisation
from rotation.data_versions import kept
from rotation.extensions import db
from rotation.pagination import COUNT_LIMIT, count_rows, decode_cursor
from rotation.people.models import Person, in_rotation_clause
from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot

WORKING_DAYS = 5
KIND_LETTERS = {CUSTOMER_SERVICE: "C", "warehouse": "W"}


# Weeks and days ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Week:
    """An ISO week shown as a column: the year's own weeks, and at either end a week of the year before or after
    when one of its working days falls in the year."""

    monday: date

    @property
    def iso_year(self) -> int:
        return self.monday.isocalendar().year

    @property
    def number(self) -> int:
        return self.monday.isocalendar().week

    @property
    def key(self) -> str:
        """``2027-W09``: the address's spelling of the week."""
        return f"{self.iso_year}-W{self.number:02d}"

    @property
    def friday(self) -> date:
        return self.monday + timedelta(days=WORKING_DAYS - 1)


def weeks_of(year: int) -> list[Week]:
    """The ISO weeks with a working day (Monday to Friday) in ``year``, in order: 52 or 53 of the year's own,
    and a week of the year before or after where the year starts or ends in it."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    monday = first - timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        if monday + timedelta(days=WORKING_DAYS - 1) >= first:
            weeks.append(Week(monday))
        monday += timedelta(days=7)
    return weeks


def week_key(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def parse_week(text: str) -> date | None:
    """The Monday of ``YYYY-Www`` (``2027-W09``), or None when the text is not such a week."""
    year, separator, week = text.strip().upper().partition("-W")
    if not separator or not (year.isdigit() and week.isdigit()) or len(year) != 4 or len(week) > 2:
        return None
    try:
        return date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return None


# The grid ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ScheduleFilter:
    """Which people and shifts the grid shows. ``manager`` is the person whose line-manager tree (them and
    everyone below) the rows are narrowed to; empty values do not narrow."""

    year: int
    department: str = ""
    site: str = ""  # a site's code: people with a shift there, and only those shifts
    status: str = ""  # an assignment status: people with a shift in it, and only those shifts
    manager: Person | None = None

    def shift_conditions(self, per_person: bool = False) -> list[sa.ColumnElement[bool]]:
        """SQL over ``Assignment`` joined to its ``Slot`` and ``Site``: the shifts the grid shows. ``per_person``
        when the condition is checked for one person at a time: the status is then compared in a way no index
        serves, so that the database reads the person's own few shifts (by person and year) rather than every
        shift of the year in that status for each person."""
        conditions = [Assignment.year == self.year]
        status = sa.func.coalesce(Assignment.status, "") if per_person else Assignment.status
        conditions.append(status == self.status if self.status in STATUS_LABELS else status != CANCELLED)
        if self.site:
            conditions.append(Site.code == self.site)
        return conditions

    @property
    def narrows_by_shift(self) -> bool:
        return bool(self.site or self.status in STATUS_LABELS)


def people_statement(filters: ScheduleFilter, many: bool = False) -> sa.Select:
    """The grid's rows, for ``paginate``: everyone active and in the rotation whom the filters select, by name.

    A site or status filter is written for how many people it selects (``many``, from :func:`people_count`): for
    a few, the people with such a shift are found first; for many, the roster is read in name order and each
    person checked, which stops after a page instead of sorting thousands."""
    statement = (sa.select(Person.id, Person.full_name, Person.employee_id, Person.department)
                 .where(in_rotation_clause()))
    if filters.department:
        statement = statement.where(Person.department == filters.department)
    if filters.manager is not None:
        tree = organisation(filters.manager.id)
        statement = statement.where(sa.or_(Person.id == filters.manager.id, Person.id.in_(sa.select(tree.c.id))))
    if filters.narrows_by_shift:
        with_shift = (sa.select(Assignment.person_id)
                      .join(Slot, Slot.id == Assignment.slot_id).join(Site, Site.id == Slot.site_id)
                      .where(*filters.shift_conditions(per_person=many)))
        statement = statement.where(
            sa.exists(with_shift.where(Assignment.person_id == Person.id)) if many
            else Person.id.in_(with_shift))
    return statement.order_by(Person.full_name, Person.id)


# Past this many people, a site or status filter reads the roster in name order (see people_statement).
MANY = 2_000


def people_count(filters: ScheduleFilter) -> int:
    """How many people the filters select (counted up to the pager's limit), kept until the roster or, for a
    site or status filter, the shifts change: the pager's total, and which way to read the page."""
    tables = ("person", "assignment", "slot", "site") if filters.narrows_by_shift else ("person",)
    key = ("schedule people", filters.year, filters.department, filters.site, filters.status,
           filters.manager.id if filters.manager is not None else None)
    return kept(key, tables, lambda: count_rows(people_statement(filters)))


def tree_statement(filters: ScheduleFilter, arguments: Mapping[str, str], per_page: int) -> tuple[sa.Select, int]:
    """The grid's rows for a line manager's tree (without a site or status filter), for ``paginate``, and their
    number. The tree's members are read once in name order and kept until the roster changes; each page then
    reads only the people around the page's cursor, instead of walking the tree and sorting it every time."""
    manager = filters.manager
    assert manager is not None
    everyone = ScheduleFilter(filters.year, department=filters.department, manager=manager)
    members: list[int] = kept(("schedule tree", manager.id, filters.department), ("person",), lambda: list(
        db.session.scalars(people_statement(everyone).with_only_columns(Person.id))))
    window = _window(members, arguments, per_page)
    rows = people_statement(ScheduleFilter(filters.year, department=filters.department)).where(Person.id.in_(window))
    return rows, min(len(members), COUNT_LIMIT + 1)


def _window(members: list[int], arguments: Mapping[str, str], per_page: int) -> list[int]:
    """The ids of ``members`` (in the grid's order) that the page the arguments ask for, and its neighbours on
    either side, can show."""
    for name, forward in (("after", True), ("before", False)):
        cursor = decode_cursor(arguments[name], 2) if arguments.get(name) else None
        if cursor is not None:
            try:
                at = members.index(int(cursor[0][1]))
            except (ValueError, TypeError):
                break  # the roster changed under the cursor: the first page
            return members[at + 1: at + per_page + 2] if forward else members[max(0, at - per_page - 1): at]
    if arguments.get("page") == "last":
        return members[-(per_page + 1):]
    return members[:per_page + 1]


@dataclass(frozen=True)
class Shift:
    """One shift in a cell of the grid."""

    assignment_id: int
    kind: str
    status: str
    proposal: str | None
    first_day: date
    last_day: date
    site_code: str
    site_name: str

    @property
    def letter(self) -> str:
        return KIND_LETTERS.get(self.kind, "?")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def pending(self) -> str | None:
        """What the latest draft would do to the shift, in words."""
        return {MOVE: "the draft moves it", WITHDRAW: "the draft withdraws it"}.get(self.proposal or "")

    @property
    def days(self) -> str:
        if self.first_day == self.last_day:
            return f"{self.first_day:%a} {self.first_day.isoformat()}"
        return f"{self.first_day:%a} {self.first_day.isoformat()} to {self.last_day:%a} {self.last_day.isoformat()}"

    @property
    def description(self) -> str:
        """What a screen reader says for the cell: e.g. ``Customer-service day at AMS-CC, Tue 2027-03-09,
        Published``."""
        pending = f"; {self.pending}" if self.pending else ""
        return f"{self.kind_label} at {self.site_code}, {self.days}, {self.status_label}{pending}"


def shifts_of(person_ids: list[int], filters: ScheduleFilter) -> dict[int, dict[str, list[Shift]]]:
    """Person id → ISO week (``2027-W09``) → the shifts the filters show that week: one query for the page."""
    if not person_ids:
        return {}
    found = db.session.execute(
        sa.select(Assignment.id, Assignment.person_id, Assignment.kind, Assignment.status, Assignment.proposal,
                  Slot.first_day, Slot.last_day, Site.code, Site.name)
        .join(Slot, Slot.id == Assignment.slot_id).join(Site, Site.id == Slot.site_id)
        .where(Assignment.person_id.in_(person_ids), *filters.shift_conditions(per_person=True))
        .order_by(Slot.first_day, Assignment.id)).tuples()
    cells: dict[int, dict[str, list[Shift]]] = defaultdict(lambda: defaultdict(list))
    for assignment_id, person_id, kind, status, proposal, first_day, last_day, code, name in found:
        cells[person_id][week_key(first_day)].append(
            Shift(assignment_id, kind, status, proposal, first_day, last_day, code, name))
    return cells


def departments() -> list[str]:
    """Every department on the roster, for the filter: read once and kept until the roster changes."""
    return kept(("schedule departments",), ("person",), lambda: list(db.session.scalars(
        sa.select(Person.department).distinct().order_by(Person.department))))


def department_named(text: str, known: list[str]) -> str | None:
    """The roster's spelling of the department ``text`` names, matched without regard to case; None if none."""
    if text in known:
        return text
    folded = text.casefold()
    return next((name for name in known if name.casefold() == folded), None)


def departments_matching(text: str, limit: int) -> list[str]:
    """Up to ``limit`` departments whose name contains ``text`` (any case): those starting with it first."""
    folded = text.casefold()
    if not folded:
        return []
    found = [name for name in departments() if folded in name.casefold()]
    found.sort(key=lambda name: (not name.casefold().startswith(folded), name))
    return found[:limit]


def site_choices() -> list[tuple[str, str]]:
    """(code, name) of every site, by code: a company has tens of sites."""
    return [tuple(row) for row in db.session.execute(sa.select(Site.code, Site.name).order_by(Site.code))]
