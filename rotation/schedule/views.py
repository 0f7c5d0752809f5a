"""The schedule for HR: everyone in the rotation by ISO week, and every site's seats day by day.

The grid is paged by people (50 a page, the next ones brought in as the grid scrolls) and narrowed by
department, site, status and line-manager tree; each cell links to its assignment's page, where HR moves it. The
sites view shows a week (50 sites a page) or a month (10 sites a page) of the sites' slots, with the seats used
and free and who sits in them. Administrators may read both; only HR's cells link to
the assignment pages, which are HR's.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from rotation.assignments.models import KIND_LABELS, STATUS_LABELS
from rotation.db import utc_today
from rotation.navigation import PLAN, menu_entry
from rotation.pagination import paginate
from rotation.people.lookup import look_up
from rotation.roles import ADMIN, HR
from rotation.schedule import queries, seats
from rotation.schedule.grid import empty_cells, row_pieces
from rotation.schedule.queries import ScheduleFilter, parse_week, weeks_of
from rotation.security import roles_required
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR

bp = Blueprint("schedule", __name__, url_prefix="/schedule")
menu_entry("Schedule", "schedule.index", {HR, ADMIN}, position=75, group=PLAN)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
PEOPLE_PER_PAGE = 50
SUGGESTED_DEPARTMENTS = 20
SITES_PER_WEEK = 50  # a week of a site is one column of five days; a month is four times as wide
SITES_PER_MONTH = 10
TEXT_LENGTH = 254  # the longest e-mail address; longer filter text is cut


def _year_or_404(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)


def _typed(name: str) -> str:
    """A filter's value as typed: control characters made spaces, trimmed, at most ``TEXT_LENGTH`` characters."""
    return " ".join(_CONTROL_CHARACTERS.sub(" ", request.args.get(name, "")[:TEXT_LENGTH * 4]).split())[:TEXT_LENGTH]


@bp.get("/")
@roles_required(HR, ADMIN)
def index():
    """This year's grid."""
    return redirect(url_for("schedule.grid", year=utc_today().year))


@bp.get("/<int:year>")
@roles_required(HR, ADMIN)
def grid(year: int):
    """People by ISO week: each person's shifts of ``year`` in the week they start, 50 people a page."""
    _year_or_404(year)
    department, site, status, manager_text = _typed("department"), _typed("site"), _typed("status"), _typed("manager")
    errors: dict[str, str] = {}
    found = look_up(manager_text)  # a name, an e-mail address or an employee ID
    manager = found.person
    if found.problem:
        errors["manager"] = found.problem
    departments = queries.departments()
    if department:
        known = queries.department_named(department, departments)
        if known is None:
            errors["department"] = f"Nobody on the roster is in a department called {department}."
        department = known or department
    sites = queries.site_choices()
    if site and site not in {code for code, _ in sites}:
        errors["site"] = f"There is no site with the code {site}."
    if status and status not in STATUS_LABELS:
        errors["status"] = "Choose a status from the list."
    filters = ScheduleFilter(year=year, department=department, site=site, status=status, manager=manager)
    if errors:
        page, cells = None, {}
    else:
        if filters.manager is not None and not filters.narrows_by_shift:
            statement, counted = queries.tree_statement(filters, request.args, PEOPLE_PER_PAGE)
        else:
            counted = queries.people_count(filters)
            statement = queries.people_statement(filters, many=counted > queries.MANY)
        page = paginate(statement, per_page=PEOPLE_PER_PAGE, rows=True, known_total=counted)
        cells = queries.shifts_of([row.id for row in page.items], filters)
    weeks = weeks_of(year)
    keys, blanks = [week.key for week in weeks], empty_cells(weeks)
    rows = {person.id: row_pieces(keys, blanks, cells.get(person.id, {})) for person in page.items} if page else {}
    return render_template(
        "schedule/grid.html", year=year, weeks=weeks, page=page, rows=rows, errors=errors,
        department=department, site=site, status=status, manager_text=manager_text, manager=manager,
        sites=sites, statuses=STATUS_LABELS, kinds=KIND_LABELS,
        letters=queries.KIND_LETTERS, links=current_user.has_role(HR), first_year=FIRST_YEAR, last_year=LAST_YEAR)


@bp.get("/departments")
@roles_required(HR, ADMIN)
def department_suggestions():
    """Up to twenty departments whose name contains ``q``, for the grid's department field as HR types."""
    found = queries.departments_matching(_typed("q"), SUGGESTED_DEPARTMENTS + 1)
    response = jsonify({"departments": found[:SUGGESTED_DEPARTMENTS], "more": len(found) > SUGGESTED_DEPARTMENTS})
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Period:
    """The days the sites view shows: an ISO week or a calendar month."""

    key: str  # ``2027-W09`` or ``2027-03``
    label: str
    first: date
    last: date
    previous: str | None
    next: str | None

    @property
    def is_month(self) -> bool:
        return "-W" not in self.key


def _week_period(monday: date, year: int) -> Period:
    keys = [week.key for week in weeks_of(year)]
    key = queries.week_key(monday)
    at = keys.index(key)
    friday = monday + timedelta(days=queries.WORKING_DAYS - 1)
    label = f"week {monday.isocalendar().week}, {monday:%a} {monday.isoformat()} to {friday:%a} {friday.isoformat()}"
    return Period(key, label, monday, monday + timedelta(days=6), keys[at - 1] if at > 0 else None,
                  keys[at + 1] if at + 1 < len(keys) else None)


def _month_period(year: int, month: int) -> Period:
    last_day = calendar.monthrange(year, month)[1]
    return Period(f"{year}-{month:02d}", f"{calendar.month_name[month]} {year}", date(year, month, 1),
                  date(year, month, last_day), f"{year}-{month - 1:02d}" if month > 1 else None,
                  f"{year}-{month + 1:02d}" if month < 12 else None)


def _short_label(key: str) -> str:
    """``Week 9`` for ``2027-W09``, ``March 2027`` for ``2027-03``: the period a neighbouring link leads to."""
    _, separator, week = key.partition("-W")
    if separator:
        return f"Week {int(week)}"
    head, _, month = key.partition("-")
    return f"{calendar.month_name[int(month)]} {head}"


def _period(year: int, text: str) -> Period | None:
    """The week (``2027-W09``) or month (``2027-03``) of ``year`` that ``text`` names, or None."""
    monday = parse_week(text)
    if monday is not None:
        return _week_period(monday, year) if queries.week_key(monday) in {w.key for w in weeks_of(year)} else None
    head, separator, month = text.partition("-")
    if separator and head == str(year) and month.isdigit() and 1 <= int(month) <= 12:
        return _month_period(year, int(month))
    return None


def _default_period(year: int) -> Period:
    """This week in the current year; otherwise the year's first week."""
    today = utc_today()
    weeks = weeks_of(year)
    if today.year == year:
        monday = today - timedelta(days=today.weekday())
        if queries.week_key(monday) in {week.key for week in weeks}:
            return _week_period(monday, year)
    return _week_period(weeks[0].monday, year)


@bp.get("/<int:year>/sites")
@roles_required(HR, ADMIN)
def sites(year: int):
    """Every site by day for a week or a month: each slot's seats used and free, and who sits in them."""
    _year_or_404(year)
    asked = _typed("period")
    period = _period(year, asked) if asked else None
    error = f"Choose a week or a month of {year} from the list." if asked and period is None else None
    period = period or _default_period(year)
    per_page = SITES_PER_MONTH if period.is_month else SITES_PER_WEEK
    page = paginate(seats.sites_statement(), per_page=per_page)
    # A month says how many seats are used each day, each day's count opening its week, which names who.
    days, rows = seats.seats_by_site(period.first, period.last, page.items,
                                     names=0 if period.is_month else seats.NAMES_SHOWN)
    months = [_month_period(year, month) for month in range(1, 13)]
    return render_template("schedule/sites.html", year=year, period=period, error=error, days=days, rows=rows,
                           page=page, weeks=weeks_of(year), months=months, links=current_user.has_role(HR),
                           short_label=_short_label, week_key=queries.week_key, kinds=KIND_LABELS,
                           first_year=FIRST_YEAR, last_year=LAST_YEAR)
