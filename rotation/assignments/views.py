"""Assignments for HR: the list, one assignment, moving and withdrawing it."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.changes import (
    move_assignment,
    problem_with_changing,
    withdraw_assignment,
)
from rotation.assignments.export import COLUMNS, STATUS_FILTERS, AssignmentFilter, export_rows
from rotation.assignments.finder import find_slots, preview, search_from
from rotation.assignments.forms import MoveForm, UndoForm, WithdrawForm
from rotation.assignments.models import (
    ANSWER_LABELS,
    DRAFT,
    KIND_LABELS,
    MOVE,
    WITHDRAW,
    Assignment,
)
from rotation.assignments.queries import with_slot_and_site
from rotation.assignments.shift_time import ShiftTime, slot_when
from rotation.assignments.signals import shift_page, withdrawal_notice
from rotation.assignments.undo import MOVED, WITHDRAWN, before, made
from rotation.assignments.undo_offer import remember, undo_offer
from rotation.db import utc_today
from rotation.exports import download
from rotation.extensions import db
from rotation.navigation import PLAN, menu_entry
from rotation.pagination import COUNT_LIMIT, paginate, search_text
from rotation.people import search
from rotation.people.models import Person
from rotation.people.signals import person_page
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.signals import answers
from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot
from rotation.sites.views import requested_year

bp = Blueprint("assignments", __name__, url_prefix="/assignments")
menu_entry("Assignments", "assignments.assignment_list", {HR}, position=70, group=PLAN)


@dataclass(frozen=True)
class PersonShift:
    """One of a person's shifts as HR's page of the person lists it: when, and where the draft would take it."""

    assignment: Assignment
    when: ShiftTime
    proposed_when: ShiftTime | None

    @property
    def answer(self) -> str | None:
        """What the attendee answered in their calendar to the shift as it now is, in words."""
        answer = self.assignment.current_answer
        return ANSWER_LABELS[answer] if answer else None


@person_page.connect
def _shifts_of(person: Person) -> dict:
    """On HR's page of a person: their shifts of this year and later (``shifts``) and of the years before
    (``earlier_shifts``), cancelled ones too, in the order of their days; read in one query (index
    ``ix_assignment_person_year``), with their slots and sites and the slot a draft would move them to."""
    found = db.session.scalars(
        with_slot_and_site()
        .options(joinedload(Assignment.proposed_slot).joinedload(Slot.site))
        .where(Assignment.person_id == person.id)
        .order_by(Slot.first_day, Assignment.id)).all()
    this_year = utc_today().year
    shifts = [PersonShift(assignment, ShiftTime.of(assignment.slot, assignment.slot.site),
                          ShiftTime.of(assignment.proposed_slot, assignment.proposed_slot.site)
                          if assignment.proposal == MOVE and assignment.proposed_slot else None)
              for assignment in found]
    return {"shifts": [shift for shift in shifts if shift.assignment.year >= this_year],
            "earlier_shifts": [shift for shift in shifts if shift.assignment.year < this_year]}


@bp.get("/")
@roles_required(HR)
def assignment_list():
    """Every assignment of a year, filtered by status, kind, site and person; 50 a page."""
    filters = _filters()
    statement = (
        sa.select(Assignment)
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .options(contains_eager(Assignment.person), contains_eager(Assignment.slot).contains_eager(Slot.site),
                 joinedload(Assignment.proposed_slot).joinedload(Slot.site))
        .where(*filters.conditions())
        .order_by(Slot.first_day, Site.code, Person.full_name, Assignment.id)
    )
    page = paginate(statement, per_page=50, count_limit=search.SEARCH_COUNT_LIMIT if filters.search else COUNT_LIMIT)
    sites = db.session.execute(sa.select(Site.code, Site.name).order_by(Site.code)).all()
    return render_template("assignments/list.html", page=page, year=filters.year, status=filters.status,
                           kind=filters.kind, site_code=filters.site, query=filters.search, sites=sites,
                           statuses=STATUS_FILTERS, kinds=KIND_LABELS, shift_time=ShiftTime.of)


@bp.get("/export.csv")
@roles_required(HR)
def export():
    """Every assignment the list's filters select, on every page, as ``assignments export`` writes them."""
    filters = _filters()
    return download(COLUMNS, export_rows(filters), f"assignments-{filters.year}.csv")


def _filters() -> AssignmentFilter:
    """The list's filters as the address gives them."""
    return AssignmentFilter(year=requested_year(), status=request.args.get("status", ""),
                            kind=request.args.get("kind", ""), site=request.args.get("site", ""),
                            search=search_text())


@bp.get("/<int:assignment_id>")
@roles_required(HR)
def assignment_detail(assignment_id: int):
    """One assignment with the forms to move and withdraw it."""
    assignment = load_assignment(assignment_id)
    return detail_page(assignment, MoveForm())


@bp.get("/<int:assignment_id>/find")
@roles_required(HR)
def assignment_find(assignment_id: int):
    """The slot finder for moving one assignment: slots by days and site, best first, each with its checks."""
    return _finder_page(load_assignment(assignment_id), MoveForm(formdata=None))


def _finder_page(assignment: Assignment, form: MoveForm) -> str:
    search, errors = search_from(request.args, assignment)
    found = find_slots(assignment, search, errors)
    return render_template("assignments/find.html", assignment=assignment, found=found, form=form,
                           when=ShiftTime.of(assignment.slot, assignment.slot.site), slot_when=slot_when,
                           change_problem=problem_with_changing(assignment))


@bp.post("/<int:assignment_id>/move")
@roles_required(HR)
def assignment_move(assignment_id: int):
    """Without ``confirmed``: the page saying what moving to the chosen slot will do. With it: the move, then the
    assignment's page saying what happened (with an undo for a draft, which nobody was told about). On any problem
    the slot finder again, with the sentence beside the slots."""
    assignment = load_assignment(assignment_id)
    form = MoveForm()
    if form.validate_on_submit():
        slot = _chosen_slot(form)
        if slot is not None and not form.is_confirmed:
            return _confirm_page(assignment, slot, form)
        if slot is not None:
            announced = assignment.status != DRAFT
            was = before(assignment)
            try:
                with all_or_nothing():
                    warnings = move_assignment(assignment, slot, current_user.id)
            except FieldRefusal as problem:
                form.show_refusal(problem)
            else:
                remember(made(MOVED, assignment, was))
                sent = (f" An updated invitation will be sent to {assignment.person.email}." if announced
                        else " It is a draft, so nobody was told.")
                flash(f"Moved {whose_shift(assignment)} to {slot.site.code}, {ShiftTime.of(slot, slot.site)}.{sent}",
                      "success")
                for warning in warnings:
                    flash(warning, "warning")
                return redirect(url_for("assignments.assignment_detail", assignment_id=assignment.id))
    return _finder_page(assignment, form)


def _confirm_page(assignment: Assignment, slot: Slot, form: MoveForm) -> str:
    """What moving ``assignment`` to ``slot`` will do, to whom, with the button that does it (none when it may not)."""
    shown, now = preview(assignment, slot), assignment.slot
    return render_template("assignments/confirm_move.html", assignment=assignment, slot=slot, preview=shown,
                           form=form, from_text=f"{now.site.code}, {ShiftTime.of(now, now.site)}",
                           to_text=f"{slot.site.code}, {ShiftTime.of(slot, slot.site)}")


@bp.post("/<int:assignment_id>/withdraw")
@roles_required(HR)
def assignment_withdraw(assignment_id: int):
    """First a page asking to confirm; the assignment is withdrawn only when that page's button is pressed."""
    assignment = load_assignment(assignment_id)
    form = WithdrawForm()
    problem = problem_with_changing(assignment)
    if form.validate_on_submit() and problem is None:
        notice = _withdrawal_notice(assignment)
        if not form.is_confirmed:
            return render_template("assignments/confirm_withdraw.html", assignment=assignment, form=form,
                                   when=ShiftTime.of(assignment.slot, assignment.slot.site), **notice)
        was_draft, whose, year = assignment.status == DRAFT, whose_shift(assignment), assignment.year
        was = before(assignment)
        try:
            with all_or_nothing():
                withdraw_assignment(assignment, current_user.id)
        except FieldRefusal as error:
            problem = error.message
        else:
            if not was_draft:
                remember(made(WITHDRAWN, assignment, was))
            if was_draft:
                flash(f"Withdrew {whose}; the draft is gone from the plan.", "success")
                return redirect(url_for("assignments.assignment_list", year=year))
            if notice["cancellation_sent"]:
                flash(f"Withdrew {whose}; a cancellation will be sent.", "success")
            else:
                flash(f"Withdrew {whose}; {notice['no_cancellation_because']}, so nothing is sent.", "success")
            return redirect(url_for("assignments.assignment_detail", assignment_id=assignment.id))
    return detail_page(assignment, MoveForm(formdata=None), withdraw_problem=problem)


def load_assignment(assignment_id: int) -> Assignment:
    assignment = db.session.scalar(
        sa.select(Assignment)
        .options(joinedload(Assignment.person).joinedload(Person.home_site),
                 joinedload(Assignment.slot).joinedload(Slot.site),
                 joinedload(Assignment.proposed_slot).joinedload(Slot.site))
        .where(Assignment.id == assignment_id))
    if assignment is None:
        abort(404)
    return assignment


def _chosen_slot(form: MoveForm) -> Slot | None:
    slot_id = form.chosen_slot_id()
    if slot_id is None:
        return None
    slot = db.session.get(Slot, slot_id, options=[joinedload(Slot.site)])
    if slot is None:
        form.show_refusal(FieldRefusal("slot", "That slot does not exist any more; choose one from the list."))
    return slot


def whose_shift(assignment: Assignment) -> str:
    """E.g. ``Ann Example's customer-service day``."""
    return f"{assignment.person.full_name}'s {assignment.kind_label.lower()}"


def detail_page(assignment: Assignment, form: MoveForm, withdraw_problem: str | None = None,
                 undo_problem: str | None = None) -> str:
    return render_template(
        "assignments/detail.html", assignment=assignment, form=form, withdraw_form=WithdrawForm(formdata=None),
        undo_form=UndoForm(formdata=None), undo_problem=undo_problem, **undo_offer(assignment),
        change_problem=problem_with_changing(assignment), withdraw_problem=withdraw_problem,
        when=ShiftTime.of(assignment.slot, assignment.slot.site),
        proposed_when=(ShiftTime.of(assignment.proposed_slot, assignment.proposed_slot.site)
                       if assignment.proposal == MOVE and assignment.proposed_slot else None),
        MOVE=MOVE, WITHDRAW=WITHDRAW, CUSTOMER_SERVICE=CUSTOMER_SERVICE, answer_labels=ANSWER_LABELS,
        **_from_other_areas(assignment))


def _withdrawal_notice(assignment: Assignment) -> dict:
    """Whether withdrawing ``assignment`` e-mails a cancellation, as the outbox sees it."""
    notice: dict = {"cancellation_sent": False, "no_cancellation_because": "it was never announced"}
    for answer in answers(withdrawal_notice, assignment):
        notice.update(answer)
    return notice


def _from_other_areas(assignment: Assignment) -> dict:
    """What the outbox (the latest calendar message) and observations (their window) show on the page."""
    shown: dict = {"latest_message": None, "observation_window": None, "window_form": None}
    for answer in answers(shift_page, assignment):
        shown.update(answer)
    return shown
