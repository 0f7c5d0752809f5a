"""HR takes back the move or withdrawal just made to a shift, from the shift's page."""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rotation.assignments.forms import MoveForm, UndoForm
from rotation.assignments.models import DRAFT
from rotation.assignments.shift_time import ShiftTime
from rotation.assignments.undo import undo
from rotation.assignments.undo_offer import forget, remembered
from rotation.assignments.views import bp, detail_page, load_assignment, whose_shift
from rotation.extensions import db
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.sites.models import Slot


@bp.post("/<int:assignment_id>/undo")
@roles_required(HR)
def assignment_undo(assignment_id: int):
    """Take back the move or withdrawal just made to this assignment (kept in the session), or say why not."""
    assignment = load_assignment(assignment_id)
    form = UndoForm()
    change = remembered(assignment)
    if not form.validate_on_submit():
        return detail_page(assignment, MoveForm(formdata=None))
    if change is None:
        return detail_page(assignment, MoveForm(formdata=None),
                            undo_problem="There is no change of yours to this shift to undo.")
    try:
        with all_or_nothing():
            invited_again = undo(assignment, change, current_user.id)
    except FieldRefusal as problem:
        forget()
        return detail_page(load_assignment(assignment_id), MoveForm(formdata=None), undo_problem=problem.message)
    forget()
    slot = db.session.get_one(Slot, assignment.slot_id, options=[joinedload(Slot.site)])
    if invited_again:
        told = f" The invitation {assignment.person.email} never received is sent again."
    elif change.status_before == DRAFT:
        told = " It is a draft, so nobody was told."
    else:
        told = f" Nothing is sent: {assignment.person.full_name}'s calendar already shows it there."
    flash(f"Undone: {whose_shift(assignment)} is {assignment.status_label.lower()} at {slot.site.code}, "
          f"{ShiftTime.of(slot, slot.site)} again.{told}", "success")
    return redirect(url_for("assignments.assignment_detail", assignment_id=assignment.id))
