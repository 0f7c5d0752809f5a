"""Attendance: HR records who came to shifts that have started; a site's host does it through an e-mailed link."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.models import ANNOUNCED, COMPLETED, KIND_LABELS, NO_SHOW, Assignment
from rotation.assignments.views import ShiftTime
from rotation.attendance import listing
from rotation.attendance.forms import RecordForm, field_name, host_form
from rotation.attendance.links import EXPIRED, INVALID, LIFETIME, USED, open_link, spend_link
from rotation.attendance.services import (
    OUTCOME_LABELS,
    RECORDED,
    TO_RECORD,
    line_manager,
    load_assignment,
    record_attendance,
    record_many,
)
from rotation.db import utcnow
from rotation.extensions import db
from rotation.navigation import FOLLOW_UP, menu_entry
from rotation.pagination import paginate
from rotation.people.models import Person
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import HR
from rotation.security import public, roles_required
from rotation.sites.models import Site, Slot

bp = Blueprint("attendance", __name__, url_prefix="/attendance")
menu_entry("Attendance", "attendance.attendance_list", {HR}, position=90, group=FOLLOW_UP)

TO_DO = "open"
DONE = "recorded"
TABS = {TO_DO: "To record", DONE: "Recorded"}
# The list's query-string settings that a recording keeps when it sends HR back.
KEPT = ("tab", "site", "kind", "page")
PER_PAGE = 50


@bp.get("/")
@roles_required(HR)
def attendance_list():
    """Shifts that have started and wait for their attendance, oldest first; or the recorded ones, newest first."""
    tab = request.args.get("tab", TO_DO)
    tab = tab if tab in TABS else TO_DO
    site_code = request.args.get("site", "")
    kind = request.args.get("kind", "")
    kind_shown = kind if kind in KIND_LABELS else ""
    if tab == TO_DO:
        page = listing.waiting_page(site_code, kind_shown, per_page=PER_PAGE)
    else:
        page = paginate(listing.recorded(site_code, kind_shown), per_page=PER_PAGE)
    sites = db.session.execute(sa.select(Site.code, Site.name).order_by(Site.code)).all()
    return render_template("attendance/list.html", page=page, tab=tab, tabs=TABS, site_code=site_code,
                           kind=kind, kinds=KIND_LABELS, sites=sites, shift_time=ShiftTime.of,
                           outcome_labels=OUTCOME_LABELS, kept=_kept(), COMPLETED=COMPLETED, NO_SHOW=NO_SHOW)


@bp.post("/<int:assignment_id>")
@roles_required(HR)
def record(assignment_id: int):
    """HR's Came / No-show (or a correction) on one shift; back to the list with what happened."""
    assignment = load_assignment(assignment_id)
    if assignment is None:
        abort(404)
    back = redirect(url_for("attendance.attendance_list", **_kept()))
    form = RecordForm()
    if not form.validate_on_submit():
        flash("Press Came or No-show to record the attendance.", "error")
        return back
    was, outcome = assignment.status, form.outcome.data
    try:
        with all_or_nothing():
            record_attendance(assignment, outcome, current_user.email, utcnow())
    except FieldRefusal as problem:
        flash(problem.message, "error")
        return back
    flash(_recorded_message(assignment, was, outcome), "success")
    return back


@bp.route("/host/<token>", methods=["GET", "POST"])
@public
def host_page(token: str):
    """The host's page behind the e-mailed link: each attendee came or not, saved once for all."""
    now = utcnow()
    opened = open_link(token, now)
    if not opened.usable or opened.link is None:  # a usable token always has its link
        return _unusable(opened.state, opened.link)
    link = opened.link
    slot = db.session.get_one(Slot, link.slot_id, options=[joinedload(Slot.site)])
    attendees = _attendees(link.slot_id)
    waiting = [assignment for assignment in attendees if assignment.status in TO_RECORD]
    already = [assignment for assignment in attendees if assignment.status in RECORDED]
    form = host_form(waiting)
    when, kind_label = ShiftTime.of(slot, slot.site), KIND_LABELS[slot.kind]
    if waiting and form.validate_on_submit():
        choices = form.choices_made()
        try:
            with all_or_nothing():  # a refusal leaves the link unspent, to save again
                spent = spend_link(link, now)
                if spent:
                    record_many(choices, link.email, now)
        except FieldRefusal as problem:
            flash(f"{problem.message} Nothing was saved yet; check the list and save again.", "error")
            return redirect(url_for("attendance.host_page", token=token))
        if not spent:  # saved from another tab a moment ago, or just expired
            db.session.refresh(link)
            return _unusable(USED if link.used_at else EXPIRED, link)
        return render_template("attendance/host_done.html", slot=slot, when=when, kind_label=kind_label,
                               choices=choices, already=already, labels=OUTCOME_LABELS, NO_SHOW=NO_SHOW)
    return render_template("attendance/host.html", slot=slot, when=when, kind_label=kind_label, form=form,
                           attendees=attendees, field_name=field_name, labels=OUTCOME_LABELS,
                           expires_at=link.expires_at, TO_RECORD=TO_RECORD)


@bp.after_request
def _keep_the_link_private(response):
    """The host page's address holds a secret: never cache it, never send it on as a referrer."""
    if request.endpoint == "attendance.host_page":
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _kept() -> dict[str, Any]:
    return {key: request.args[key] for key in KEPT if request.args.get(key)}


def _attendees(slot_id: int) -> list[Assignment]:
    """The slot's announced attendees, recorded or not, by name."""
    return list(db.session.scalars(
        sa.select(Assignment).join(Person, Person.id == Assignment.person_id)
        .options(contains_eager(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .where(Assignment.slot_id == slot_id, Assignment.status.in_(ANNOUNCED))
        .order_by(Person.full_name, Assignment.id)))


def _unusable(state: str, link):
    """A friendly page for a link that does not work: 404 when it never did, 410 when used or expired."""
    status = 404 if state == INVALID else 410
    return make_response(render_template("attendance/link_unusable.html", state=state, link=link,
                                         INVALID=INVALID, USED=USED, EXPIRED=EXPIRED,
                                         lifetime_days=LIFETIME.days), status)


def _recorded_message(assignment: Assignment, was: str, outcome: str) -> str:
    slot = assignment.slot
    where = f"{slot.site.code}, {ShiftTime.of(slot, slot.site).days}"
    name, kind = assignment.person.full_name, assignment.kind_label.lower()
    if outcome == COMPLETED:
        corrected = "Corrected: " if was == NO_SHOW else "Recorded: "
        return f"{corrected}{name} came to the {kind} at {where}."
    manager = line_manager(assignment.person)
    told = (f"{manager.full_name}, the line manager, is told" if manager is not None
            else "No active line manager is in the roster to tell")
    return (f"Recorded {name} as a no-show at the {kind} at {where}. {told}, and the next plan run books a "
            f"new {kind}.")
