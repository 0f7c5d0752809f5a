import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload

from rotation.accounts.links import LIFETIME_WORDS, send_link_to_person
from rotation.accounts.models import User
from rotation.accounts.roles import HR
from rotation.blackouts.models import Blackout
from rotation.extensions import db
from rotation.outbox.models import SET_PASSWORD
from rotation.pagination import COUNT_LIMIT, paginate, search_text
from rotation.people import search
from rotation.people.models import Person, in_rotation_expression
from rotation.refusals import FieldProblem, all_or_nothing
from rotation.security import roles_required

bp = Blueprint("people", __name__)

CHOICES = ("yes", "no")


@bp.get("/people")
@roles_required(HR)
def person_list():
    query = search_text()
    in_rotation = request.args.get("in_rotation", "")
    active = request.args.get("active", "yes")
    in_rotation_column = in_rotation_expression().label("in_rotation")
    statement = (
        sa.select(Person, in_rotation_column)
        .options(joinedload(Person.manager), joinedload(Person.home_site))
        .order_by(Person.full_name, Person.id)
    )
    if query:
        statement = statement.where(search.matching(query))
    if active in CHOICES:
        statement = statement.where(Person.is_active.is_(active == "yes"))
    if in_rotation in CHOICES:
        statement = statement.where(in_rotation_expression() == (in_rotation == "yes"))
    page = paginate(statement, per_page=50, rows=True,
                    count_limit=search.SEARCH_COUNT_LIMIT if query else COUNT_LIMIT)
    return render_template("people/list.html", page=page, query=query, in_rotation=in_rotation, active=active)


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
    blackouts = db.session.scalars(
        sa.select(Blackout).where(Blackout.person_id == person.id).order_by(Blackout.start)
    ).all()
    account = db.session.scalar(sa.select(User).where(User.email == person.email))
    return render_template("people/detail.html", person=person, in_rotation=in_rotation, reports=reports,
                           blackouts=blackouts, account=account)


@bp.post("/people/<int:person_id>/password-link")
@roles_required(HR)
def person_password_link(person_id: int):
    """HR's button: e-mail the person a link to set a password (their first one, or a new one)."""
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    try:
        with all_or_nothing():
            send_link_to_person(person)
    except FieldProblem as refusal:
        flash(refusal.message, "warning")
    else:
        flash(f"A link to set a password is queued for {person.email}; it works once, "
              f"{LIFETIME_WORDS[SET_PASSWORD]}. Older links for the address stop working.", "success")
    return redirect(url_for("people.person_detail", person_id=person.id))
