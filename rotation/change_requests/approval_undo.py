"""The approval HR just gave, kept in their signed session, and the undo the queue offers for it."""
from __future__ import annotations

from flask import session
from sqlalchemy.orm import joinedload

from rotation.assignments.forms import UndoForm
from rotation.assignments.models import Assignment
from rotation.assignments.shift_time import ShiftTime
from rotation.assignments.undo import Change, problem_with_undoing
from rotation.change_requests.models import APPROVED, ChangeRequest
from rotation.extensions import db
from rotation.sites.models import Slot

UNDO_KEY = "undo_approval"  # the session's record of the approval just given: the request and its shift's change


def remember_approval(request: ChangeRequest, change: Change) -> None:
    session[UNDO_KEY] = {"request": request.id, "change": change.as_dict()}


def forget_approval() -> None:
    session.pop(UNDO_KEY, None)


def remembered_approval() -> tuple[int, Change] | None:
    record = session.get(UNDO_KEY)
    if not isinstance(record, dict) or not isinstance(record.get("request"), int):
        return None
    change = Change.from_dict(record.get("change"))
    return (record["request"], change) if change is not None else None


def approval_undo_offer() -> dict:
    """The approval just given that can still be taken back, as the queue offers it on top."""
    remembered = remembered_approval()
    if remembered is None:
        return {"undo_request": None}
    change = db.session.get(ChangeRequest, remembered[0])
    if change is None or change.status != APPROVED:
        return {"undo_request": None}
    shift = db.session.get_one(Assignment, change.assignment_id, options=[joinedload(Assignment.person)])
    if problem_with_undoing(shift, remembered[1]):
        return {"undo_request": None}
    old = db.session.get_one(Slot, remembered[1].slot_before, options=[joinedload(Slot.site)])
    return {"undo_request": change, "undo_form": UndoForm(formdata=None),
            "undo_label": f"Undo the approval: {shift.person.full_name}'s shift back to {old.site.code}, "
                          f"{ShiftTime.of(old, old.site).days}"}
