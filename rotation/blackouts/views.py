from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import joinedload
from wtforms import SelectChoice  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3

from rotation.blackouts import services, signals
from rotation.blackouts.forms import BlackoutForm
from rotation.blackouts.models import COMPANY, PERSON, SCOPE_LABELS, SITE, Blackout
from rotation.db import utc_today
from rotation.extensions import db
from rotation.navigation import ROSTER, menu_entry
from rotation.pagination import paginate
from rotation.people.models import Person
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.signals import answers
from rotation.sites.models import Site

bp = Blueprint("blackouts", __name__)
menu_entry("Blackouts", "blackouts.blackout_list", {HR}, position=40, group=ROSTER)

CURRENT = "current"  # blackouts that have not ended yet: the default
ALL = "all"
PERIODS = {CURRENT: "Current and future", ALL: "All, including past"}
SCOPE_FILTERS = {
    PERSON: Blackout.person_id.is_not(None),
    SITE: Blackout.site_id.is_not(None),
    COMPANY: sa.and_(Blackout.person_id.is_(None), Blackout.site_id.is_(None)),
}


@bp.get("/blackouts")
@roles_required(HR)
def blackout_list():
    scope = request.args.get("scope", "")
    period = request.args.get("period", CURRENT)
    if period not in PERIODS:
        period = CURRENT
    statement = (
        sa.select(Blackout)
        .options(joinedload(Blackout.person).joinedload(Person.home_site), joinedload(Blackout.site))
        .order_by(Blackout.start, Blackout.end, Blackout.id)
    )
    if scope in SCOPE_FILTERS:
        statement = statement.where(SCOPE_FILTERS[scope])
    if period == CURRENT:
        statement = statement.where(Blackout.end >= utc_today())
    page = paginate(statement, per_page=50)
    return render_template("blackouts/list.html", page=page, scope=scope, period=period, periods=PERIODS,
                           scopes=SCOPE_LABELS)


@bp.route("/blackouts/new", methods=["GET", "POST"])
@roles_required(HR)
def blackout_new():
    # The person page links here with the person already chosen.
    form = _form({key: request.args[key] for key in ("scope", "employee_id", "site") if key in request.args})
    if form.validate_on_submit() and form.start.data is not None and form.end.data is not None:
        try:
            with all_or_nothing():
                blackout = services.save_blackout(None, form.scope.data, form.employee_id.data, form.site.data,
                                                  form.start.data, form.end.data, form.reason.data)
                collided = _collisions_unless_confirmed(blackout, form)
        except FieldRefusal as problem:
            form.show_refusal(problem)
        except _Preview as preview:
            return _confirm_page(form, None, preview.collided)
        else:
            flash(f"Added a blackout for {services.describe_blackout(blackout)}.", "success")
            _flash_collisions(collided)
            return redirect(_list_showing(blackout))
    return render_template("blackouts/form.html", form=form, blackout=None)


@bp.route("/blackouts/<int:blackout_id>/edit", methods=["GET", "POST"])
@roles_required(HR)
def blackout_edit(blackout_id: int):
    blackout = _load(blackout_id)
    form = _form({
        "scope": blackout.scope,
        "employee_id": blackout.person.employee_id if blackout.person else "",
        "site": blackout.site.code if blackout.site else "",
        "start": blackout.start,
        "end": blackout.end,
        "reason": blackout.reason,
    })
    if form.validate_on_submit() and form.start.data is not None and form.end.data is not None:
        try:
            with all_or_nothing():
                services.save_blackout(blackout, form.scope.data, form.employee_id.data, form.site.data,
                                       form.start.data, form.end.data, form.reason.data)
                collided = _collisions_unless_confirmed(blackout, form)
        except FieldRefusal as problem:
            form.show_refusal(problem)
        except _Preview as preview:
            db.session.refresh(blackout)  # the savepoint is gone: the page shows the blackout as it still is
            return _confirm_page(form, blackout, preview.collided)
        else:
            flash(f"Saved the blackout for {services.describe_blackout(blackout)}.", "success")
            _flash_collisions(collided)
            return redirect(_list_showing(blackout))
    return render_template("blackouts/form.html", form=form, blackout=blackout)


@bp.post("/blackouts/<int:blackout_id>/delete")
@roles_required(HR)
def blackout_delete(blackout_id: int):
    """First a page asking to confirm; the blackout goes only when that page's button is pressed."""
    blackout = _load(blackout_id)
    if request.form.get("confirmed") != "yes":
        return render_template("blackouts/confirm_delete.html", blackout=blackout,
                               description=services.describe_blackout(blackout))
    description = services.describe_blackout(blackout)
    services.delete_blackout(blackout)
    flash(f"Deleted the blackout for {description}.", "success")
    return redirect(url_for("blackouts.blackout_list"))


NAMED = 10  # colliding shifts named before "and N more"


@dataclass(frozen=True)
class Collided:
    """The published shifts a blackout covers: the first few by name, and how many in all."""

    total: int
    shifts: list[signals.CollidingShift]

    @property
    def more(self) -> int:
        return self.total - len(self.shifts)


class _Preview(Exception):
    """Raised inside the savepoint to undo a blackout HR has not yet confirmed despite its collisions."""

    def __init__(self, collided: Collided) -> None:
        super().__init__("collisions to confirm")
        self.collided = collided


def _collisions_unless_confirmed(blackout: Blackout, form: BlackoutForm) -> Collided:
    """The published shifts the blackout (saved, not yet committed) covers; raises ``_Preview`` when there are
    some and HR has not confirmed these very values, so the savepoint is undone and the page asks first."""
    total = sum(answers(signals.announced_collisions, blackout))
    shifts = [shift for found in answers(signals.colliding_shifts, blackout, limit=NAMED) for shift in found]
    collided = Collided(total, shifts)
    if total and request.form.get("confirmed") != _signature(form):
        raise _Preview(collided)
    return collided


def _signature(form: BlackoutForm) -> str:
    """The values HR confirmed: changing any of them after seeing the collisions asks again."""
    return "|".join(str(value or "") for value in (form.scope.data, form.employee_id.data, form.site.data,
                                                   form.start.data, form.end.data))


def _confirm_page(form: BlackoutForm, blackout: Blackout | None, collided: Collided) -> str:
    return render_template("blackouts/form.html", form=form, blackout=blackout, collided=collided,
                           signature=_signature(form))


def _flash_collisions(collided: Collided) -> None:
    """Name the published shifts the blackout now covers, each linked: the next plan run has to move them."""
    if not collided.total:
        return
    count = collided.total
    shifts = "1 published shift collides" if count == 1 else f"{count} published shifts collide"
    named = Markup(", ").join(
        Markup('<a href="{}">{}\'s {} at {} on {}</a>').format(
            url_for("assignments.assignment_detail", assignment_id=shift.assignment_id), shift.person_name,
            shift.kind_label.lower(), shift.site_code, shift.first_day.isoformat())
        for shift in collided.shifts)
    more = f" and {collided.more} more" if collided.more else ""
    flash(Markup("{} with this blackout and now need{} re-planning: {}{}. Run the plan again before publishing, "
                 "or move them from their assignment pages.").format(shifts, "s" if count == 1 else "", named, more),
          "warning")


def _load(blackout_id: int) -> Blackout:
    blackout = db.session.get(Blackout, blackout_id,
                              options=[joinedload(Blackout.person), joinedload(Blackout.site)])
    if blackout is None:
        abort(404)
    return blackout


def _form(initial: dict) -> BlackoutForm:
    """The blackout form: ``initial`` values on first show, what was sent on a POST."""
    form = BlackoutForm(data=initial if request.method == "GET" else None)
    sites = db.session.execute(sa.select(Site.code, Site.name).order_by(Site.code)).all()
    form.site.choices = [SelectChoice("", "Choose a site")] + [SelectChoice(code, f"{code} — {name}")
                                                               for code, name in sites]
    return form


def _list_showing(blackout: Blackout) -> str:
    """The list page, with past blackouts included when ``blackout`` is already over."""
    if blackout.end < utc_today():
        return url_for("blackouts.blackout_list", period=ALL)
    return url_for("blackouts.blackout_list")
