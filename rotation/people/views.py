import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import joinedload

from rotation.exports import download
from rotation.extensions import db
from rotation.navigation import ROSTER, menu_entry
from rotation.pagination import COUNT_LIMIT, paginate, search_text
from rotation.people import search
from rotation.people.export import COLUMNS, PeopleFilter, export_rows
from rotation.people.models import Person, in_rotation_expression
from rotation.people.signals import person_page
from rotation.roles import HR
from rotation.security import roles_required
from rotation.signals import answers

bp = Blueprint("people", __name__)
menu_entry("People", "people.person_list", {HR}, position=20, group=ROSTER)


@bp.get("/people")
@roles_required(HR)
def person_list():
    filters = _filters()
    in_rotation_column = in_rotation_expression().label("in_rotation")
    statement = (
        sa.select(Person, in_rotation_column)
        .options(joinedload(Person.manager), joinedload(Person.home_site))
        .where(*filters.conditions())
        .order_by(Person.full_name, Person.id)
    )
    page = paginate(statement, per_page=50, rows=True,
                    count_limit=search.SEARCH_COUNT_LIMIT if filters.search else COUNT_LIMIT)
    return render_template("people/list.html", page=page, query=filters.search, in_rotation=filters.in_rotation,
                           active=filters.active)


@bp.get("/people/export.csv")
@roles_required(HR)
def export():
    """Everyone the list's filters select, on every page, as ``people export`` writes them."""
    return download(COLUMNS, export_rows(_filters()), "people.csv")


def _filters() -> PeopleFilter:
    """The list's filters as the address gives them; without one, the active people."""
    return PeopleFilter(search=search_text(), active=request.args.get("active", "yes"),
                        in_rotation=request.args.get("in_rotation", ""))


@bp.get("/people/<int:person_id>")
@roles_required(HR)
def person_detail(person_id: int):
    row = db.session.execute(
        sa.select(Person, in_rotation_expression().label("in_rotation"))
        .options(joinedload(Person.manager), joinedload(Person.home_site))
        .where(Person.id == person_id)
    ).first()
    if row is None:
        abort(404)
    person, in_rotation = row
    report = sa.orm.aliased(Person)
    reports = db.session.execute(
        sa.select(report.id, report.full_name, report.employee_id, report.department, report.is_active)
        .where(report.manager_id == person.id).order_by(report.full_name)
    ).all()
    # What the areas above answer (rotation.people.signals.person_page), each in one query of its own.
    shown: dict = {"blackouts": [], "account": None, "returned_messages": [], "shifts": [], "earlier_shifts": [],
                   "attendance": [], "change_requests": [], "observations": None, "unplaced": []}
    for answer in answers(person_page, person):
        shown.update(answer)
    return render_template("people/detail.html", person=person, in_rotation=in_rotation, reports=reports, **shown)
