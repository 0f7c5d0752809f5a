"""Change requests: a manager asks to move their shift; HR's queue approves or declines."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.finder import find_slots, preview, search_from
from rotation.assignments.forms import UndoForm
from rotation.assignments.models import Assignment
from rotation.assignments.queries import shift_of
from rotation.assignments.shift_time import ShiftTime, slot_when
from rotation.assignments.undo import MOVED, before, made
from rotation.change_requests import services
from rotation.change_requests.approval_undo import (
    approval_undo_offer,
    forget_approval,
    remember_approval,
    remembered_approval,
)
from rotation.change_requests.forms import HR_CHOOSES, ApproveForm, AskForChangeForm, BulkDeclineForm, DeclineForm
from rotation.change_requests.models import FROM_DECLINE, PENDING, REQUEST_STATUS_LABELS, ChangeRequest
from rotation.change_requests.taking_back import take_back_approval
from rotation.db import utc_today
from rotation.extensions import db
from rotation.navigation import FOLLOW_UP, menu_entry
from rotation.outbox.texts import when_text
from rotation.pagination import paginate
from rotation.people.models import Person, active_person
from rotation.people.signals import person_page
from rotation.refusals import FieldRefusal, Refusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required, signed_in
from rotation.sites.models import Slot

bp = Blueprint("change_requests", __name__, url_prefix="/changes")
menu_entry("Change requests", "change_requests.queue", {HR}, position=80, group=FOLLOW_UP)


# --- The manager asks -------------------------------------------------------------------------------

@bp.route("/ask/<uid>", methods=["GET", "POST"])
@signed_in
def ask(uid: str):
    """Ask to move one of one's own shifts: to a slot the finder lists, or HR chooses. 404 for anyone else's
    shift."""
    person = active_person(current_user.email)
    shift = shift_of(person, uid) if person is not None else None
    if shift is None:
        abort(404)
    today = utc_today()
    problem = services.problem_with_asking(shift, today)
    search, errors = search_from(request.args, shift)
    found = find_slots(shift, search, errors, today) if problem is None else None
    form = AskForChangeForm()
    if form.slot.data is None:
        form.slot.data = HR_CHOOSES
    if problem is None and form.validate_on_submit():
        slot_id = form.chosen_slot_id()
        if not form.slot.errors:
            try:
                with all_or_nothing():
                    services.ask_for_change(shift, slot_id, form.reason.data or "", today)
            except FieldRefusal as error:
                form.show_refusal(error)
            else:
                flash("Your request is with HR. You will get an e-mail and a notification when they decide; "
                      "until then your shift stays as it is.", "success")
                return redirect(url_for("my_rotation.index"))
    return render_template("change_requests/ask.html", shift=shift, when=when_text(shift), form=form,
                           problem=problem, found=found, slot_when=slot_when, HR_CHOOSES=HR_CHOOSES)


@bp.post("/<int:request_id>/withdraw")
@signed_in
def withdraw(request_id: int):
    """Take back one's own request while HR has not decided it."""
    person = active_person(current_user.email)
    change = db.session.get(ChangeRequest, request_id)
    if person is None or change is None or db.session.scalar(
            sa.select(Assignment.person_id).where(Assignment.id == change.assignment_id)) != person.id:
        abort(404)
    try:
        with all_or_nothing():
            services.withdraw_request(change)
    except FieldRefusal as problem:
        flash(problem.message, "error")
    else:
        flash("You withdrew your change request; your shift stays as it is.", "success")
    return redirect(url_for("my_rotation.index"))


# --- HR decides -----------------------------------------------------------------------------------------

@bp.get("/")
@roles_required(HR)
def queue():
    """Requests by status: waiting ones oldest first (the longest wait on top), decided ones newest first."""
    status = request.args.get("status", PENDING)
    if status not in REQUEST_STATUS_LABELS:
        status = PENDING
    statement = _with_everything(sa.select(ChangeRequest)).where(ChangeRequest.status == status)
    statement = statement.order_by(ChangeRequest.created_at.asc() if status == PENDING
                                   else ChangeRequest.decided_at.desc(), ChangeRequest.id)
    page = paginate(statement, per_page=25)
    counts = dict(db.session.execute(
        sa.select(ChangeRequest.status, sa.func.count()).group_by(ChangeRequest.status)).tuples().all())
    return render_template("change_requests/queue.html", page=page, status=status, counts=counts,
                           statuses=REQUEST_STATUS_LABELS, shift_time=_shift_time, **approval_undo_offer())


@bp.get("/<int:request_id>")
@roles_required(HR)
def detail(request_id: int):
    change = _load(request_id)
    return _detail_page(change, ApproveForm(formdata=None), DeclineForm(formdata=None))


@bp.post("/<int:request_id>/approve")
@roles_required(HR)
def approve(request_id: int):
    """Without ``confirmed``: the page saying what approving with the chosen slot will do, and whether a better free
    slot exists that week. With it: the approval."""
    change = _load(request_id)
    form = ApproveForm()
    if form.validate_on_submit():
        slot_id = form.chosen_slot_id()
        slot = db.session.get(Slot, slot_id, options=[joinedload(Slot.site)]) if slot_id is not None else None
        if slot is None and not form.slot.errors:
            form.slot.errors = ["Choose the slot to move the shift to."]
        if slot is not None and not form.is_confirmed and change.status == PENDING:
            return _confirm_page(change, slot, form)
        if slot is not None:
            was = before(change.assignment)
            try:
                with all_or_nothing():
                    approval = services.approve(change, slot, current_user.email, form.note.data)
            except FieldRefusal as problem:
                change = _load(request_id)
                form.show_refusal(problem)
            else:
                remember_approval(change, made(MOVED, db.session.get_one(Assignment, change.assignment_id), was))
                flash(f"Approved: {change.assignment.person.full_name}'s {change.assignment.kind_label.lower()} "
                      f"moves to {slot.site.code}, {_shift_time(slot)}. The updated invitation and the answer "
                      f"are on their way to {change.assignment.person.email}.", "success")
                for warning in approval.warnings:
                    flash(warning, "warning")
                return redirect(url_for("change_requests.queue"))
    return _detail_page(change, form, DeclineForm(formdata=None))


@bp.post("/<int:request_id>/undo-approval")
@roles_required(HR)
def undo_approval(request_id: int):
    """Take back the approval just given (kept in the session): the shift back, the request waiting again."""
    change = _load(request_id)
    form = UndoForm()
    remembered = remembered_approval()
    if form.validate_on_submit():
        if remembered is None or remembered[0] != change.id:
            flash("There is no approval of yours to undo for this request.", "error")
            return redirect(url_for("change_requests.queue"))
        try:
            with all_or_nothing():
                take_back_approval(change, remembered[1], current_user.email)
        except FieldRefusal as problem:
            flash(f"Not undone: {problem.message}", "error")
        else:
            flash(f"Undone: {change.assignment.person.full_name}'s shift is back where it was and the request "
                  "waits again; nothing is sent about the approval.", "success")
        forget_approval()
    return redirect(url_for("change_requests.queue"))


def _confirm_page(change: ChangeRequest, slot: Slot, form: ApproveForm) -> str:
    """What approving with ``slot`` will do, to whom, and a cheaper free slot of that week when there is one."""
    shift = change.assignment
    shown = preview(shift, slot, compare=True)
    return render_template("change_requests/confirm_approve.html", change=change, shift=shift, slot=slot,
                           preview=shown, form=form, shift_time=_shift_time,
                           from_text=f"{shift.slot.site.code}, {_shift_time(shift.slot)}",
                           to_text=f"{slot.site.code}, {_shift_time(slot)}",
                           asked_for=slot.id == change.wanted_slot_id)


@bp.post("/<int:request_id>/decline")
@roles_required(HR)
def decline(request_id: int):
    change = _load(request_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                services.decline(change, current_user.email, form.note.data or "")
        except FieldRefusal as problem:
            form.show_refusal(problem)
        else:
            name = change.assignment.person.full_name
            flash(f"{name}'s shift stays as planned and its reminders resume; they are told why." if change.source ==
                  FROM_DECLINE else f"Declined {name}'s request; they are told why.", "success")
            return redirect(url_for("change_requests.queue"))
    return _detail_page(change, ApproveForm(formdata=None), form)


@bp.get("/keep-as-planned")
@roles_required(HR)
def bulk_confirm():
    """The ticked requests, each with what keeping its shift as planned does and who is e-mailed, to confirm."""
    ids = sorted({int(value) for value in request.args.getlist("request") if value.isdigit() and len(value) < 12})
    if not ids:
        flash("Tick the requests to keep as planned first.", "error")
        return redirect(url_for("change_requests.queue"))
    return _bulk_page(_chosen(ids), BulkDeclineForm(formdata=None))


@bp.post("/keep-as-planned")
@roles_required(HR)
def bulk_decline():
    """Keep the confirmed requests' shifts as planned in one transaction: every one of them, or none."""
    form = BulkDeclineForm()
    valid = form.validate_on_submit()
    wanted = sorted(set(form.request.data or []))
    if not wanted or form.request.errors:
        flash("Nothing was decided: choose at least one request to keep as planned.", "error")
        return redirect(url_for("change_requests.queue"))
    changes = _chosen(wanted)
    if not valid:  # the note: shown beside it
        return _bulk_page(changes, form)
    if len(changes) != len(wanted):
        flash("Nothing was decided: some of the requests are no longer there. Check the list and confirm again.",
              "error")
        return _bulk_page(changes, form)
    try:
        with all_or_nothing():
            services.decline_many(changes, current_user.email, form.note.data or "")
    except FieldRefusal as refusal:
        form.show_refusal(refusal)
        return _bulk_page(changes, form)
    except Refusal as refusal:
        flash(f"Nothing was decided: {len(refusal.reasons)} of the {len(changes)} requests cannot be kept as "
              "planned now (listed below with the reason). Leave them out and confirm again.", "error")
        return _bulk_page(_chosen(wanted), form)
    names = ", ".join(change.assignment.person.full_name for change in changes)
    flash(f"Kept {len(changes)} {'shift' if len(changes) == 1 else 'shifts'} as planned: {names}. Each manager is "
          "e-mailed why.", "success")
    return redirect(url_for("change_requests.queue"))


def _chosen(ids: list[int]) -> list[ChangeRequest]:
    """The requests with these ids, oldest first, everything loaded, in one query; at most the bulk limit (+1)."""
    return list(db.session.scalars(
        _with_everything(sa.select(ChangeRequest)).where(ChangeRequest.id.in_(ids))
        .order_by(ChangeRequest.created_at, ChangeRequest.id).limit(services.BULK_LIMIT + 1)
        .execution_options(populate_existing=True)).unique())


def _bulk_page(changes: list[ChangeRequest], form: BulkDeclineForm) -> str:
    lines = [(change, services.problem_with_declining(change)) for change in changes[:services.BULK_LIMIT]]
    ready = [change for change, problem in lines if problem is None]
    return render_template("change_requests/bulk.html", lines=lines, ready=ready, form=form,
                           too_many=len(changes) > services.BULK_LIMIT, limit=services.BULK_LIMIT,
                           shift_time=_shift_time, FROM_DECLINE=FROM_DECLINE)


def _with_everything(statement: sa.Select) -> sa.Select:
    """Load each request's shift, person and slots (with sites) in the same query."""
    return statement.options(
        joinedload(ChangeRequest.assignment).joinedload(Assignment.person),
        joinedload(ChangeRequest.assignment).joinedload(Assignment.slot).joinedload(Slot.site),
        joinedload(ChangeRequest.from_slot).joinedload(Slot.site),
        joinedload(ChangeRequest.wanted_slot).joinedload(Slot.site),
        joinedload(ChangeRequest.moved_to_slot).joinedload(Slot.site))


def _load(request_id: int) -> ChangeRequest:
    change = db.session.scalar(_with_everything(sa.select(ChangeRequest)).where(ChangeRequest.id == request_id)
                               .execution_options(populate_existing=True))
    if change is None:
        abort(404)
    return change


def _shift_time(slot: Slot) -> str:
    return ShiftTime.of(slot, slot.site).days if slot.first_day != slot.last_day else str(ShiftTime.of(slot, slot.site))


def _detail_page(change: ChangeRequest, approve_form: ApproveForm, decline_form: DeclineForm) -> str:
    person = db.session.get(Person, change.assignment.person_id)
    found = wanted = None
    if change.status == PENDING:
        shift = change.assignment
        around = change.wanted_slot.first_day if change.wanted_slot is not None else None
        search, errors = search_from(request.args, shift, around=around)
        found = find_slots(shift, search, errors)
        if change.wanted_slot is not None:
            wanted = preview(shift, change.wanted_slot, compare=True)
        if approve_form.slot.data is None:
            approve_form.slot.data = str(change.wanted_slot_id) if wanted and not wanted.problem else None
    return render_template(
        "change_requests/detail.html", change=change, person=person, approve_form=approve_form,
        decline_form=decline_form, found=found, wanted=wanted, wanted_fits=wanted is not None and not wanted.problem,
        shift_time=_shift_time, slot_when=slot_when, shift_moved=change.assignment.slot_id != change.from_slot_id)


@person_page.connect
def _requests_of(person: Person) -> dict:
    """On HR's page of a person: the changes they asked for, newest first, each with the shift it was about and
    the slot it was in then; one query."""
    found = db.session.scalars(
        sa.select(ChangeRequest).join(Assignment, Assignment.id == ChangeRequest.assignment_id)
        .options(contains_eager(ChangeRequest.assignment), joinedload(ChangeRequest.from_slot).joinedload(Slot.site))
        .where(Assignment.person_id == person.id)
        .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc())).all()
    return {"change_requests": [(change, _shift_time(change.from_slot)) for change in found]}
