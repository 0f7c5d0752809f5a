"""Coverage: how far the year's rotation has got, for HR (the company) and executives (their organisation).

HR sees the whole company, or one line manager's organisation by employee ID. A
manager sees their own organisation — themself and everyone below them — and may
narrow it to a direct report's part of it, never beyond.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_login import current_user
from markupsafe import Markup

from rotation import exports
from rotation.assignments.models import KIND_LABELS
from rotation.coverage import queries, standing
from rotation.coverage.scope import Scope, is_in_organisation
from rotation.data_versions import kept
from rotation.db import utc_today
from rotation.extensions import db
from rotation.navigation import FOLLOW_UP, menu_entry
from rotation.pagination import paginate_sequence
from rotation.people.lookup import look_up
from rotation.people.models import Person
from rotation.roles import HR, MANAGER
from rotation.security import roles_required
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR

bp = Blueprint("coverage", __name__, url_prefix="/coverage")
# Executives see their organisation; the page scopes it (and says so to a manager without reports).
menu_entry("Coverage", "coverage.overview", {HR, MANAGER}, position=180, group=FOLLOW_UP)

OVERDUE_PER_PAGE = 25
# Departments and organisations shown on the overview; more are listed, furthest behind first, on their own page.
GROUPS_SHOWN = 20
GROUPS_PER_PAGE = 50
GROUP_WORDS = {"departments": ("Department", "department"), "organisations": ("Organisation", "organisation")}


@dataclass
class Viewer:
    """Who is looking and at what: the scope, or why there is nothing to show."""

    scope: Scope | None
    own: Person | None = None          # a manager's roster person; None for HR
    root_error: str | None = None      # why what HR typed names nobody, or several people
    sentence: str | None = None        # why a manager sees no figures


def _year() -> int:
    """The year asked for; this year when it is missing or makes no sense."""
    year = request.args.get("year", type=int)
    return year if year is not None and FIRST_YEAR <= year <= LAST_YEAR else utc_today().year


def _person_by_employee_id(employee_id: str) -> Person | None:
    return db.session.scalar(sa.select(Person).where(Person.employee_id == employee_id))


def _viewer() -> Viewer:
    """The scope the signed-in account may see, narrowed by ``?root=EMPLOYEE_ID`` where allowed (HR may also
    give a name or an e-mail address)."""
    wanted = request.args.get("root", "").strip()[:254]
    if current_user.has_role(HR):
        if not wanted:
            return Viewer(scope=Scope())
        found = look_up(wanted)  # a name, an e-mail address or an employee ID
        if found.person is None:
            return Viewer(scope=Scope(), root_error=found.problem)
        return Viewer(scope=Scope(found.person))
    own = db.session.scalar(sa.select(Person).where(Person.email == current_user.email, Person.is_active.is_(True)))
    if own is None:
        return Viewer(scope=None, sentence="Your account is not linked to anyone on the roster, "
                                           "so there is no organisation to show.")
    if not wanted or wanted == own.employee_id:
        return Viewer(scope=Scope(own), own=own)
    root = _person_by_employee_id(wanted)
    if root is None or not is_in_organisation(root.id, own.id):
        abort(404)  # outside the manager's organisation: as if it did not exist
    return Viewer(scope=Scope(root), own=own)


@bp.get("/")
@roles_required(HR, MANAGER)
def overview():
    """The year's coverage for the viewer's scope: figures per kind, by department and by direct
    report's organisation, the overdue people and the weekly load per site."""
    year, today = _year(), utc_today()
    viewer = _viewer()
    if viewer.scope is None:
        return render_template("coverage/overview.html", year=year, viewer=viewer, kind_labels=KIND_LABELS)
    scope = viewer.scope
    tally = standing.standing(scope, year, today)
    figures = tally.coverage
    page = paginate_sequence(tally.overdue_ids, per_page=OVERDUE_PER_PAGE)
    start = (page.start or 1) - 1
    overdue = tally.overdue(start, start + len(page.items))
    return render_template(
        "coverage/overview.html", year=year, years=_years(year), viewer=viewer, scope=scope, figures=figures,
        departments=_shown(figures.departments), organisations=_shown(figures.organisations), shown=GROUPS_SHOWN,
        page=page, overdue=overdue, load=_load(scope, year), kind_labels=KIND_LABELS,
        alone=scope.root is not None and _only_root(figures),
        today=today, is_hr=current_user.has_role(HR))


def _load(scope: Scope, year: int) -> Markup:
    """The weekly load per site as HTML: a chart and a table for each of dozens of sites. The whole company's
    (half a megabyte at 33 sites) is rendered once and kept as long as the counts it shows; an organisation's
    is rendered from its kept counts, so the memory kept stays bounded however many managers look."""
    def render() -> Markup:
        return Markup(render_template("coverage/_load.html", sites=queries.site_weeks(scope, year), year=year))
    if scope.root is not None:
        return render()
    return kept(("coverage load", year), queries.SITE_WEEK_TABLES, render)


def _shown(groups: list[standing.Figures]) -> list[standing.Figures]:
    """All the groups when they are few; else the ones furthest behind (most people unbooked)."""
    if len(groups) <= GROUPS_SHOWN:
        return groups
    return sorted(groups, key=_behind)[:GROUPS_SHOWN]


def _behind(group: standing.Figures) -> tuple[int, str]:
    return -sum(figures.unbooked for figures in group.kinds.values()), group.label


@bp.get("/<any(departments, organisations):groups>")
@roles_required(HR, MANAGER)
def group_list(groups: str):
    """Every department (or direct report's organisation) of the viewer's scope, furthest behind first."""
    year, today = _year(), utc_today()
    viewer = _viewer()
    if viewer.scope is None or (groups == "organisations" and viewer.scope.root is None):
        abort(404)
    figures = standing.coverage(viewer.scope, year, today)
    listed = sorted(getattr(figures, groups), key=_behind)
    page = paginate_sequence(listed, per_page=GROUPS_PER_PAGE)
    heading, word = GROUP_WORDS[groups]
    return render_template("coverage/groups.html", year=year, viewer=viewer, scope=viewer.scope, groups=groups,
                           heading=heading, word=word, page=page, kind_labels=KIND_LABELS)


def _only_root(figures: standing.Coverage) -> bool:
    """Whether the organisation is its root alone: nobody below them is in the rotation."""
    return all(group.person_id is None for group in figures.organisations)


def _years(year: int) -> list[int]:
    this = utc_today().year
    return sorted({this - 1, this, this + 1, year})


@bp.get("/export.csv")
@roles_required(HR, MANAGER)
def export():
    """The viewer's scope as CSV, one row per person in the rotation, streamed."""
    year = _year()
    viewer = _viewer()
    if viewer.scope is None:
        abort(404)
    rows = queries.export_rows(viewer.scope, year)
    name = f"coverage-{year}" + (f"-{viewer.scope.root.employee_id}" if viewer.scope.root else "") + ".csv"
    safe_name = "".join(character if character.isalnum() or character in "-_." else "_" for character in name)
    return Response(stream_with_context(_csv(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}"'})


def _csv(rows: Iterator[tuple[str, ...]]) -> Iterator[str]:
    """CSV text a line at a time; cells a spreadsheet would run as a formula are defused."""
    buffer = io.StringIO()
    writer = exports.Writer(buffer, lineterminator="\r\n")
    writer.header(queries.EXPORT_HEADER)
    for row in rows:
        writer.row(row)
        yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text

