"""The change HR just made to a shift, kept in their signed session, and the undo its page offers for it."""
from __future__ import annotations

from flask import session
from sqlalchemy.orm import joinedload

from rotation.assignments.models import DRAFT, Assignment
from rotation.assignments.shift_time import ShiftTime
from rotation.assignments.undo import Change, problem_with_undoing, undo_label
from rotation.extensions import db
from rotation.sites.models import Slot

UNDO_KEY = "undo"  # the session's record of the change just made (rotation.assignments.undo.Change)


def remember(change: Change) -> None:
    """Keep the change just made in the signed session, for its page to offer taking it back."""
    session[UNDO_KEY] = change.as_dict()


def remembered(assignment: Assignment) -> Change | None:
    """The change kept for ``assignment``, or None."""
    change = Change.from_dict(session.get(UNDO_KEY))
    return change if change is not None and change.assignment_id == assignment.id else None


def forget() -> None:
    session.pop(UNDO_KEY, None)


def undo_offer(assignment: Assignment) -> dict:
    """The change just made to ``assignment`` that can still be taken back, as its page offers it."""
    change = remembered(assignment)
    if change is None or problem_with_undoing(assignment, change):
        return {"undo_change": None}
    old = db.session.get_one(Slot, change.slot_before, options=[joinedload(Slot.site)])
    place = f"{old.site.code}, {ShiftTime.of(old, old.site).days}"
    told = change.status_before != DRAFT and change.sequence_after != change.sequence_before
    return {"undo_change": change, "undo_label": undo_label(change, place),
            "undo_says": (f"Undoing puts it back exactly as it was ({change.status_before}) if no message about "
                          "this change has gone out yet; then none will." if told
                          else "Nobody was told, so it simply goes back.")}
