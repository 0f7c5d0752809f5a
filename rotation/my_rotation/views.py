"""My rotation: the signed-in person's own shifts, confirming one, and their own blackouts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rotation.assignments.models import CONFIRMED, PUBLISHED, Assignment
from rotation.assignments.queries import shift_of
from rotation.blackouts.services import describe_days
from rotation.change_requests.models import PENDING, ChangeRequest
from rotation.change_requests.services import latest_requests
from rotation.db import utc_today, utcnow
from rotation.my_rotation import services
from rotation.my_rotation.forms import MyBlackoutForm
from rotation.navigation import menu_entry
from rotation.outbox.texts import when_text
from rotation.people.models import Person, active_person
from rotation.problems.services import open_verifications
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import MANAGER
from rotation.security import signed_in

bp = Blueprint("my_rotation", __name__, url_prefix="/my")
menu_entry("My rotation", "my_rotation.index", {MANAGER}, position=110)

# How long the answer to a change request stays shown under the shift.
ANSWER_SHOWN_FOR = timedelta(days=30)


@dataclass(frozen=True)
class MyShift:
    """One shift as its owner sees it: when, what they can do, and their latest change request."""

    shift: Assignment
    when: str
    can_confirm: bool
    can_ask: bool
    request: ChangeRequest | None

    @property
    def recent_answer(self) -> ChangeRequest | None:
        """The latest request when HR answered it within the last month (shown until then)."""
        request = self.request
        if request is None or request.status == PENDING or request.decided_by is None:
            return None
        return request if request.decided_at and request.decided_at >= utcnow() - ANSWER_SHOWN_FOR else None


def can_ask_for_change(shift: Assignment, request: ChangeRequest | None, today: date) -> bool:
    """Whether the page offers "Ask for a change": announced, still to come, not being moved, nothing waiting."""
    return (shift.status in (PUBLISHED, CONFIRMED) and shift.slot.first_day > today and not shift.needs_replan
            and (request is None or request.status != PENDING))


@bp.get("/")
@signed_in
def index():
    """This year's and next year's announced shifts, and the person's own coming blackouts."""
    return _page(active_person(current_user.email), MyBlackoutForm())


@bp.post("/shifts/<uid>/confirm")
@signed_in
def confirm(uid: str):
    """Confirm one of one's own published shifts; 404 for a shift that is not one's own."""
    person = active_person(current_user.email)
    shift = shift_of(person, uid) if person is not None else None
    if shift is None:
        abort(404)
    try:
        with all_or_nothing():
            services.confirm_shift(shift, utc_today())
    except FieldRefusal as problem:
        flash(problem.message, "error")
    else:
        flash(f"Confirmed: {shift.kind_label.lower()} at {shift.slot.site.name}, {when_text(shift)}.", "success")
    return redirect(url_for("my_rotation.index"))


@bp.post("/blackouts")
@signed_in
def add_blackout():
    """Add a blackout for oneself; warn about the published shifts it sends back to HR for re-planning."""
    person = active_person(current_user.email)
    if person is None:
        abort(404)
    form = MyBlackoutForm()
    if form.validate_on_submit() and form.start.data is not None and form.end.data is not None:
        try:
            with all_or_nothing():
                added = services.add_my_blackout(person, form.start.data, form.end.data, form.reason.data,
                                                 utc_today())
        except FieldRefusal as problem:
            form.show_refusal(problem)
        else:
            flash(f"Added your blackout: {describe_days(added.blackout.start, added.blackout.end)}.", "success")
            _warn_collisions(added.collisions)
            return redirect(url_for("my_rotation.index"))
    return _page(person, form)


@bp.post("/blackouts/<int:blackout_id>/delete")
@signed_in
def delete_blackout(blackout_id: int):
    """First a page asking to confirm; the blackout goes only when that page's button is pressed."""
    person = active_person(current_user.email)
    blackout = services.my_blackout(person, blackout_id, utc_today()) if person is not None else None
    if blackout is None:
        abort(404)
    days = describe_days(blackout.start, blackout.end)
    if request.form.get("confirmed") != "yes":
        return render_template("my_rotation/confirm_delete.html", blackout=blackout, days=days)
    services.remove_my_blackout(blackout)
    flash(f"Removed your blackout: {days}. Shifts may be planned on those days again.", "success")
    return redirect(url_for("my_rotation.index"))


def _warn_collisions(collisions: list[Assignment]) -> None:
    """Name the published shifts the new blackout covers: HR will re-plan them and send a new invitation."""
    if not collisions:
        return
    names = "; ".join(f"{shift.kind_label.lower()} at {shift.slot.site.name}, {when_text(shift)}"
                      for shift in collisions)
    one = len(collisions) == 1
    flash(f"This blackout collides with your published {'shift' if one else 'shifts'}: {names}. "
          f"HR will re-plan {'it' if one else 'them'} and you will get an updated invitation.", "warning")


def _page(person: Person | None, form: MyBlackoutForm) -> str:
    today = utc_today()
    if person is None:
        return render_template("my_rotation/index.html", person=None, form=form)
    shifts = services.my_shifts(person, today)
    parts = services.timeline(shifts, utcnow())
    requests = latest_requests([shift.id for shift in shifts])
    checks: dict[int, list] = {}
    for _request, problem, shift in open_verifications(person.id):
        checks.setdefault(shift.id, []).append(problem)
    items = {shift.id: MyShift(shift, when_text(shift), services.can_confirm(shift, today),
                               can_ask_for_change(shift, requests.get(shift.id), today), requests.get(shift.id))
             for shift in shifts}
    return render_template(
        "my_rotation/index.html", person=person, form=form, today=today, shifts=shifts,
        next_shift=parts.next, next_item=items[parts.next.shift.id] if parts.next else None,
        upcoming=[items[shift.id] for shift in parts.upcoming], past=[items[shift.id] for shift in parts.past],
        filing=parts.filing, status_words=services.STATUS_WORDS, checks=checks,
        blackouts=services.my_blackouts(person, today), describe_days=describe_days,
    )
