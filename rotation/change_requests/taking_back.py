"""HR takes back an approval just given, while the person has heard of it from nobody.

The approval moved the shift and answered the person (an e-mail and News). Undoing it puts the shift back
exactly as it was (:mod:`rotation.assignments.undo`), returns the request to the waiting queue and drops HR's
answer: refused with a sentence, changing nothing, once the answer or the updated invitation has gone out,
or the request or the shift changed since.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from rotation.assignments.models import Assignment
from rotation.assignments.undo import Change, undo
from rotation.change_requests.models import APPROVED, PENDING, ChangeRequest
from rotation.change_requests.services import APPROVED_NEWS
from rotation.extensions import db
from rotation.notifications.withdrawal import take_back
from rotation.outbox.models import CHANGE_OUTCOME, QUEUED, SENT, SUPERSEDED, OutboxMessage
from rotation.refusals import FieldRefusal

log = logging.getLogger(__name__)


def take_back_approval(request: ChangeRequest, change: Change, undone_by: str) -> None:
    """Undo the approval of ``request`` that made ``change`` to its shift; flush (see the module's description)."""
    db.session.refresh(request, ["status", "decided_at"], with_for_update=True)
    if request.status != APPROVED or change.assignment_id != request.assignment_id or request.decided_at is None:
        raise FieldRefusal("undo", "This request has changed since; nothing was undone.")
    answers = sa.and_(OutboxMessage.assignment_id == request.assignment_id, OutboxMessage.purpose == CHANGE_OUTCOME,
                      OutboxMessage.created_at >= request.decided_at)
    db.session.execute(sa.update(OutboxMessage).where(answers, OutboxMessage.status == QUEUED)
                       .values(status=SUPERSEDED).execution_options(synchronize_session=False))
    if db.session.scalar(sa.select(sa.exists().where(answers, OutboxMessage.status == SENT))):
        raise FieldRefusal("undo", "HR's answer has reached them already; move the shift back from its page, "
                                   "which tells them.")
    assignment = db.session.get_one(Assignment, request.assignment_id)
    undo(assignment, change, None)
    take_back(assignment.person_id, APPROVED_NEWS, request.decided_at)
    request.status = PENDING
    request.decided_at = request.decided_by = request.decision_note = None
    request.moved_to_slot_id = None
    db.session.flush()
    log.info("%s took back the approval of change request %s", undone_by, request.id)
