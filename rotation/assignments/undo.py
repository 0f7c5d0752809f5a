"""Taking back a move or a withdrawal HR has just made, while nobody has heard of it.

Right after moving or withdrawing a shift, its page offers to undo the change. What the change was (the slot,
status and sequence before and after) is kept in the HR user's signed session, never taken from the form, so
a forged request cannot set a status nobody chose. The undo is refused with a sentence, changing nothing, when
the shift has changed since, has started, its old slot has no free seat any more, or the calendar message the
change caused has gone out (then the shift is moved back through the slot finder, which tells the attendee).
Otherwise the shift is put back exactly as it was, the queued message superseded, and, when the attendee had
never received the invitation the change replaced, that invitation queued again.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa

from rotation.assignments.changes import ANNOUNCED, effective_slot_id, holds_a_seat
from rotation.assignments.models import CANCELLED, NOTICE_REQUEST, Assignment
from rotation.assignments.signals import news_taken_back, notices_set
from rotation.db import utc_today
from rotation.extensions import db
from rotation.refusals import FieldRefusal
from rotation.signals import answers
from rotation.sites.models import Slot

log = logging.getLogger(__name__)

MOVED, WITHDRAWN = "moved", "withdrawn"


@dataclass(frozen=True)
class Change:
    """A change just made to one assignment, as much as putting it back needs."""

    what: str  # MOVED or WITHDRAWN
    assignment_id: int
    slot_before: int
    status_before: str
    sequence_before: int
    slot_after: int
    status_after: str
    sequence_after: int

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Change | None:
        """The change kept in the session, or None when there is none or it is not one."""
        try:
            return cls(**data)  # type: ignore[arg-type]
        except TypeError:
            return None


def before(assignment: Assignment) -> tuple[int, str, int]:
    """What ``assignment`` is now, to record before changing it: its slot, status and sequence."""
    return assignment.slot_id, str(assignment.status), assignment.sequence


def made(what: str, assignment: Assignment, was: tuple[int, str, int]) -> Change:
    """The change ``what`` that took ``assignment`` from ``was`` (see :func:`before`) to what it is now."""
    return Change(what, assignment.id, *was, assignment.slot_id, str(assignment.status), assignment.sequence)


def problem_with_undoing(assignment: Assignment, change: Change, today: date | None = None) -> str | None:
    """Why ``change`` cannot be taken back now, or None when it can (the outbox's part is checked on undoing)."""
    today = today or utc_today()
    if (assignment.id != change.assignment_id or assignment.slot_id != change.slot_after
            or assignment.status != change.status_after or assignment.sequence != change.sequence_after):
        return "It has changed since; nothing was undone."
    old = db.session.get_one(Slot, change.slot_before)
    if old.first_day <= today:
        return f"Its old slot started on {old.first_day.isoformat()}; history is not changed."
    if change.what == MOVED or change.status_before != CANCELLED:
        taken = db.session.scalar(sa.select(sa.func.count()).where(
            effective_slot_id() == old.id, holds_a_seat(), Assignment.id != assignment.id)) or 0
        if taken >= old.seats:
            return "Its old slot is full now; nothing was undone."
    return None


def undo(assignment: Assignment, change: Change, acting_user_id: int | None, today: date | None = None) -> bool:
    """Put ``assignment`` back as it was before ``change``; flush. Returns whether the attendee is sent the
    invitation again (they had not received it before the change). Raises ``FieldRefusal`` (nothing changed)
    when it cannot be undone; see the module's description."""
    db.session.refresh(assignment, ["status", "slot_id", "sequence", "proposal", "proposed_slot_id", "notice"],
                       with_for_update=True)
    # Lock the old slot, then count, so two people putting shifts back at once cannot overfill it.
    db.session.execute(sa.select(Slot.id).where(Slot.id == change.slot_before).with_for_update())
    problem = problem_with_undoing(assignment, change, today)
    if problem:
        raise FieldRefusal("undo", problem)
    news = {"gone": False, "told_before": False}
    if change.sequence_after != change.sequence_before:
        for answer in answers(news_taken_back, assignment, sequence=change.sequence_after,
                              back_to=change.sequence_before):
            news.update(answer)
    if news["gone"]:
        message = ("The cancellation has gone out already; book the shift again from the plan."
                   if change.what == WITHDRAWN else
                   "The updated invitation has gone out already; move it back with “Find a slot…”, which tells "
                   "the attendee.")
        raise FieldRefusal("undo", message)
    assignment.slot_id = change.slot_before
    assignment.status = change.status_before
    assignment.sequence = change.sequence_before
    assignment.notice = None
    invite_again = change.status_before in ANNOUNCED and not news["told_before"]
    if invite_again:
        assignment.notice = NOTICE_REQUEST
    db.session.flush()
    if invite_again:
        notices_set.send(None)
    log.info("User %s took back %s assignment %s", acting_user_id, change.what, assignment.uid)
    return invite_again


def undo_label(change: Change, place: str) -> str:
    """The undo button's words: what it will do."""
    if change.what == WITHDRAWN:
        return f"Undo: put it back in {place}"
    return f"Undo: move it back to {place}"
