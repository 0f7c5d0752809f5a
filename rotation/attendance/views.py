"""Attendance: HR records who came to shifts that have started; a site's host does it through an e-mailed link."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.models import ANNOUNCED, COMPLETED, KIND_LABELS, NO_SHOW, Assignment
from rotation.assignments.shift_time import ShiftTime
from rotation.attendance import listing
from rotation.attendance.forms import BulkForm, RecordForm, field_name, host_form
from rotation.attendance.links import EXPIRED, INVALID, LIFETIME, USED, open_link, spend_link
from rotation.attendance.services import (
    BULK_LIMIT,
    OUTCOME_LABELS,
    OUTCOMES,
    RECORDED,
    TO_RECORD,
    bulk_preview,
    line_manager,
    load_assignment,
    record_attendance,
    record_bulk,
    record_many,
)
from rotation.db import utcnow
from rotation.extensions import db
from rotation.navigation import FOLLOW_UP, menu_entry
from rotation.pagination import paginate
from rotation.people.models import Person
from rotation.refusals import FieldRefusal, Refusal, all_or_nothing
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
                           kind=kind, kinds=KIND_LABELS, sites=sites, shift_time=ShiftTime.of, today=utcnow().date(),
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


@dataclass
class BulkChoice:
    """The shifts HR chose to mark at once (ticked on the list, or a site's day), and what is wrong with the
    choice, beside its field (``outcome``, ``day_site``, ``day``)."""

    outcome: str
    shifts: list[Assignment] = field(default_factory=list)
    day_site: str = ""
    day: str = ""
    by_day: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    too_many: bool = False


@bp.get("/bulk")
@roles_required(HR)
def bulk_confirm():
    """What marking the ticked shifts (or a site's day) as came or no-show would do, for HR to confirm."""
    choice = _bulk_choice()
    if not choice.by_day and not choice.shifts and not choice.errors:
        flash("Tick the shifts to mark first, or choose a site's day.", "error")
        return redirect(url_for("attendance.attendance_list", **_kept()))
    return _bulk_page(choice)


@bp.post("/bulk")
@roles_required(HR)
def bulk_record():
    """Mark the confirmed shifts in one transaction: every one of them, or none, saying which could not be."""
    form = BulkForm()
    if not form.validate_on_submit():
        flash("Nothing was marked: " + " ".join(error for errors in form.errors.values() for error in errors),
              "error")
        return redirect(url_for("attendance.attendance_list", **_kept()))
    wanted = set(form.shift.data or [])
    shifts = listing.chosen(sorted(wanted), BULK_LIMIT)
    outcome = form.outcome.data
    choice = BulkChoice(outcome=outcome, shifts=shifts[:BULK_LIMIT], too_many=len(shifts) > BULK_LIMIT)
    if choice.too_many:
        flash(f"Nothing was marked: mark at most {BULK_LIMIT} shifts at once.", "error")
        return _bulk_page(choice)
    if len(shifts) != len(wanted):
        flash("Nothing was marked: some of the shifts are no longer in the plan. Check the list and confirm again.",
              "error")
        return _bulk_page(choice)
    try:
        with all_or_nothing():
            record_bulk(shifts, outcome, current_user.email, utcnow())
    except Refusal as refusal:
        count = len(refusal.reasons)
        if None in refusal.reasons:
            flash(f"Nothing was marked: {refusal.message}", "error")
            return _bulk_page(choice)
        flash(f"Nothing was marked: {count} of the {len(shifts)} shifts cannot be marked "
              f"{OUTCOME_LABELS[outcome].lower()} now (listed below with the reason). Leave them out and "
              "confirm again.", "error")
        return _bulk_page(choice)
    names = ", ".join(assignment.person.full_name for assignment in shifts)
    noun = "shift" if len(shifts) == 1 else "shifts"
    told = " Their line managers are e-mailed." if outcome == NO_SHOW else ""
    flash(f"Marked {len(shifts)} {noun} as {OUTCOME_LABELS[outcome].lower()}: {names}.{told}", "success")
    return redirect(url_for("attendance.attendance_list", **_kept()))


def _bulk_choice() -> BulkChoice:
    """The choice the address gives: ``outcome`` and either ``shift`` ids or ``day_site`` and ``day``."""
    args = request.args
    choice = BulkChoice(outcome=args.get("outcome", ""))
    if choice.outcome not in OUTCOMES:
        choice.errors["outcome"] = "Choose came or no-show."
    choice.by_day = "day_site" in args or "day" in args
    if choice.by_day:
        choice.day_site, choice.day = args.get("day_site", "").strip(), args.get("day", "").strip()
        if not choice.day_site:
            choice.errors["day_site"] = "Choose the site."
        elif db.session.scalar(sa.select(Site.id).where(Site.code == choice.day_site)) is None:
            choice.errors["day_site"] = f"There is no site with the code {choice.day_site[:40]}."
        try:
            day = date.fromisoformat(choice.day)
        except ValueError:
            choice.errors["day"] = "Enter the day as YYYY-MM-DD."
        if "day_site" not in choice.errors and "day" not in choice.errors:
            found = listing.site_day(choice.day_site, day, utcnow(), BULK_LIMIT)
            choice.shifts, choice.too_many = found[:BULK_LIMIT], len(found) > BULK_LIMIT
        return choice
    ids = sorted({int(value) for value in args.getlist("shift") if value.isdigit() and len(value) < 12})
    if ids:
        found = listing.chosen(ids, BULK_LIMIT)
        choice.shifts, choice.too_many = found[:BULK_LIMIT], len(found) > BULK_LIMIT
    return choice


def _bulk_page(choice: BulkChoice):
    lines = bulk_preview(choice.shifts, choice.outcome, utcnow()) if choice.outcome in OUTCOMES else []
    ready = [line for line in lines if line.problem is None]
    sites = db.session.execute(sa.select(Site.code, Site.name).order_by(Site.code)).all()
    return render_template("attendance/bulk.html", choice=choice, lines=lines, ready=ready,
                           outcome_labels=OUTCOME_LABELS, outcomes=OUTCOMES, shift_time=ShiftTime.of, sites=sites,
                           kept=_kept(), limit=BULK_LIMIT, NO_SHOW=NO_SHOW)


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
