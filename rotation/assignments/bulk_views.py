"""HR withdraws several assignments at once from the Assignments list: ticked there, then a page listing what
withdrawing each does (a cancellation e-mailed, a draft simply gone, nothing sent), then all or nothing."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rotation.assignments.bulk import BULK_LIMIT, withdraw_many
from rotation.assignments.changes import problem_with_changing
from rotation.assignments.forms import BulkWithdrawForm
from rotation.assignments.models import Assignment
from rotation.assignments.shift_time import ShiftTime
from rotation.assignments.signals import withdrawal_notice
from rotation.assignments.views import bp
from rotation.extensions import db
from rotation.refusals import Refusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.signals import answers
from rotation.sites.models import Slot


@bp.get("/withdraw-several")
@roles_required(HR)
def bulk_withdraw_confirm():
    """The ticked assignments, each with what withdrawing it does and who is e-mailed, to confirm."""
    ids = sorted({int(value) for value in request.args.getlist("assignment") if value.isdigit() and len(value) < 12})
    if not ids:
        flash("Tick the assignments to withdraw first.", "error")
        return redirect(url_for("assignments.assignment_list", year=request.args.get("year") or None))
    return _bulk_page(chosen_assignments(ids), BulkWithdrawForm(formdata=None))


@bp.post("/withdraw-several")
@roles_required(HR)
def bulk_withdraw():
    """Withdraw the confirmed assignments in one transaction: every one of them, or none."""
    form = BulkWithdrawForm()
    valid = form.validate_on_submit()
    wanted = sorted(set(form.assignment.data or []))
    if not valid or not wanted:
        flash("Nothing was withdrawn: choose at least one assignment.", "error")
        return redirect(url_for("assignments.assignment_list"))
    chosen = chosen_assignments(wanted)
    if len(chosen) != len(wanted):
        flash("Nothing was withdrawn: some of the assignments are no longer there. Check the list and confirm "
              "again.", "error")
        return _bulk_page(chosen, form)
    notices = [_notice(assignment) for assignment in chosen]
    year = chosen[0].year
    try:
        with all_or_nothing():
            withdraw_many(chosen, current_user.id)
    except Refusal as refusal:
        flash(f"Nothing was withdrawn: {len(refusal.reasons)} of the {len(chosen)} assignments cannot be withdrawn "
              "now (listed below with the reason). Leave them out and confirm again.", "error")
        return _bulk_page(chosen_assignments(wanted), form)
    sent = sum(1 for notice in notices if notice["cancellation_sent"])
    what = (f"{sent} {'cancellation' if sent == 1 else 'cancellations'} will be sent" if sent else
            "nothing is sent, as none had reached anyone by e-mail")
    flash(f"Withdrew {len(chosen)} {'assignment' if len(chosen) == 1 else 'assignments'}; {what}.", "success")
    return redirect(url_for("assignments.assignment_list", year=year))


def chosen_assignments(ids: list[int], limit: int = BULK_LIMIT) -> list[Assignment]:
    """The assignments with these ids, by day, with person, slot and site, in one query; at most the limit (+1)."""
    return list(db.session.scalars(
        sa.select(Assignment).where(Assignment.id.in_(ids))
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .join(Slot, Slot.id == Assignment.slot_id).order_by(Slot.first_day, Assignment.id)
        .limit(limit + 1).execution_options(populate_existing=True)).unique())


def _notice(assignment: Assignment) -> dict:
    """Whether withdrawing it e-mails a cancellation, as the outbox sees it, and when not, why."""
    notice: dict = {"cancellation_sent": False, "no_cancellation_because": "it was never announced"}
    for answer in answers(withdrawal_notice, assignment):
        notice.update(answer)
    return notice


def _bulk_page(chosen: list[Assignment], form: BulkWithdrawForm) -> str:
    lines = []
    for assignment in chosen[:BULK_LIMIT]:
        problem = problem_with_changing(assignment)
        lines.append((assignment, ShiftTime.of(assignment.slot, assignment.slot.site), problem,
                      None if problem else _notice(assignment)))
    ready = [assignment for assignment, _, problem, _ in lines if problem is None]
    return render_template("assignments/bulk_withdraw.html", lines=lines, ready=ready, form=form,
                           too_many=len(chosen) > BULK_LIMIT, limit=BULK_LIMIT,
                           year=chosen[0].year if chosen else None)
