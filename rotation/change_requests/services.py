"""Change requests: a manager asks to move a shift, HR approves or declines.

Approving moves the shift through ``move_assignment``, which keeps every hard
rule and locks the slot's row before counting its seats: two approvals can
never overfill a slot, however many HR users press the button at once. The
request is locked too, so it is decided once. The move, the updated
invitation, the e-mail about the outcome and the in-app notification are
written in one transaction. The services flush; the request commits.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from rotation.assignments.changes import move_assignment, valid_slots
from rotation.assignments.models import CONFIRMED, PUBLISHED, Assignment
from rotation.change_requests.models import (
    APPROVED,
    DECLINED,
    FROM_APP,
    FROM_DECLINE,
    PENDING,
    WITHDRAWN,
    ChangeRequest,
)
from rotation.db import utcnow
from rotation.extensions import db
from rotation.notifications.services import notify
from rotation.outbox.models import CHANGE_OUTCOME
from rotation.outbox.queue import queue_text_message
from rotation.outbox.texts import summary, when_text
from rotation.people.models import Person
from rotation.refusals import FieldRefusal, Refusal
from rotation.sites.models import Slot

MAX_REASON = 1000
# Where a manager reads about their shifts and requests (a path inside the app).
MY_ROTATION = "/my/"


@dataclass(frozen=True)
class Approval:
    """What approving did: where the shift went, and warnings about the person's home site or region."""

    slot: Slot
    warnings: list[str]


# --- The manager's side -----------------------------------------------------------------------------

def problem_with_asking(shift: Assignment, today: date, *, to_hr: bool = False) -> str | None:
    """Why the person cannot ask to move ``shift`` now, or None when they can; said to them, or ``to_hr`` about
    them (an answer from their calendar app that could not become a request)."""
    if shift.status not in (PUBLISHED, CONFIRMED):
        return "Only a published or confirmed shift can be moved."
    if db.session.get_one(Slot, shift.slot_id).first_day <= today:
        return "The shift has started or is over." if to_hr \
            else "This shift has started or is over, so it can no longer be moved."
    if shift.needs_replan:
        return "The shift falls in one of their blackouts and is waiting to be re-planned." if to_hr \
            else "This shift falls in one of your blackouts and HR is moving it already; wait for the new invitation."
    if pending_request(shift.id) is not None:
        return "A request of theirs already waits for you." if to_hr \
            else "You have already asked to move this shift; HR has not answered yet."
    return None


def ask_for_change(shift: Assignment, wanted_slot_id: int | None, reason: str, today: date,
                   source: str = FROM_APP) -> ChangeRequest:
    """File the person's request to move ``shift`` to ``wanted_slot_id`` (None: HR chooses); flush.

    The wanted slot must be one of the shift's valid slots right now (free seats,
    every hard rule kept). Raises ``FieldRefusal`` and writes nothing otherwise.
    ``source`` says where the request came from: Rotation's form, or the
    person's calendar app declining the invitation or proposing a new time.
    """
    reason = (reason or "").strip()
    problem = problem_with_asking(shift, today)
    if problem:
        raise FieldRefusal(None, problem)
    if not reason:
        raise FieldRefusal("reason", "Say why you need the change; HR decides on it.")
    if len(reason) > MAX_REASON:
        raise FieldRefusal("reason", f"Keep the reason to {MAX_REASON} characters; it has {len(reason)}.")
    if wanted_slot_id is not None and wanted_slot_id not in {choice.slot.id for choice in valid_slots(shift, today)}:
        raise FieldRefusal("slot", "That slot is no longer free, or it breaks one of the plan's rules for you; "
                                   "choose another one or let HR choose.")
    request = ChangeRequest(assignment_id=shift.id, wanted_slot_id=wanted_slot_id, from_slot_id=shift.slot_id,
                            reason=reason, status=PENDING, created_at=utcnow(), source=source)
    db.session.add(request)
    db.session.flush()
    current_app.logger.info("Change request %s filed for assignment %s", request.id, shift.uid)
    return request


def withdraw_request(request: ChangeRequest) -> None:
    """The manager takes back their own request while HR has not decided it; flush."""
    _lock(request)
    if request.status != PENDING:
        raise FieldRefusal(None, f"HR has already {request.status} this request.")
    request.status = WITHDRAWN
    request.decided_at = utcnow()
    db.session.flush()


def pending_request(assignment_id: int) -> ChangeRequest | None:
    return db.session.scalar(sa.select(ChangeRequest).where(ChangeRequest.assignment_id == assignment_id,
                                                            ChangeRequest.status == PENDING))


def latest_requests(assignment_ids: list[int]) -> dict[int, ChangeRequest]:
    """The newest request of each of these assignments (with its slots loaded), in one query."""
    if not assignment_ids:
        return {}
    newest = (sa.select(sa.func.max(ChangeRequest.id)).where(ChangeRequest.assignment_id.in_(assignment_ids))
              .group_by(ChangeRequest.assignment_id))
    requests = db.session.scalars(
        sa.select(ChangeRequest).where(ChangeRequest.id.in_(newest))
        .options(joinedload(ChangeRequest.wanted_slot).joinedload(Slot.site),
                 joinedload(ChangeRequest.moved_to_slot).joinedload(Slot.site)))
    return {request.assignment_id: request for request in requests}


# --- HR's side ----------------------------------------------------------------------------------------

# How the person's News and e-mail about an approval begin (taking an approval back finds its News by it).
APPROVED_NEWS = "HR approved your change request."


def approve(request: ChangeRequest, slot: Slot, decided_by: str, note: str | None,
            today: date | None = None) -> Approval:
    """Approve ``request`` by moving its shift to ``slot``; flush.

    The move queues the updated invitation; the person also gets an e-mail and
    a notification saying HR approved. Raises ``FieldRefusal`` (nothing
    changed) when the request was decided meanwhile, or the move would break a
    rule or overfill the slot.
    """
    _lock(request)
    if request.status != PENDING:
        raise FieldRefusal(None, f"This request was {request.status} meanwhile; nothing was changed.")
    assignment = _assignment(request.assignment_id)
    try:
        warnings = move_assignment(assignment, slot, None, today=today)
    except FieldRefusal as problem:
        raise FieldRefusal("slot" if problem.field == "slot" else None, problem.message) from None
    request.status = APPROVED
    request.moved_to_slot_id = slot.id
    _decide(request, decided_by, note)
    assignment = _assignment(request.assignment_id)
    new_place = f"{summary(assignment)}, {when_text(assignment)}"
    _tell(assignment, "approved", f"{APPROVED_NEWS} Your shift is now: {new_place}.",
          "Your updated calendar invitation comes in a separate e-mail; accept it to replace the old one.", note)
    current_app.logger.info("%s approved change request %s: assignment %s to slot %s", decided_by, request.id,
                            assignment.uid, slot.id)
    return Approval(slot=slot, warnings=warnings)


# The most requests HR keeps as planned in one go.
BULK_LIMIT = 100


def decline(request: ChangeRequest, decided_by: str, note: str) -> None:
    """Decline ``request`` with ``note`` saying why; the shift stays; the person is told. Flush."""
    note = _decline_note(note)
    _lock(request)
    if request.status != PENDING:
        raise FieldRefusal(None, f"This request was {request.status} meanwhile; nothing was changed.")
    request.status = DECLINED
    _decide(request, decided_by, note)
    assignment = _assignment(request.assignment_id)
    if request.source == FROM_DECLINE:
        # HR keeps the shift the person declined in their calendar: it stands, and its reminders come again.
        assignment.answer = assignment.answer_sequence = None
        what = (f"You declined this shift in your calendar, and HR keeps it: {summary(assignment)}, "
                f"{when_text(assignment)}.")
    else:
        what = f"HR declined your change request. Your shift stays: {summary(assignment)}, {when_text(assignment)}."
    _tell(assignment, "declined", what, "If it really cannot work, talk to HR.", note)
    current_app.logger.info("%s declined change request %s", decided_by, request.id)


def problem_with_declining(request: ChangeRequest) -> str | None:
    """Why ``request`` cannot be kept as planned now, or None when it can."""
    if request.status == PENDING:
        return None
    name = db.session.scalar(sa.select(Person.full_name).join(Assignment, Assignment.person_id == Person.id)
                             .where(Assignment.id == request.assignment_id))
    return f"{name}'s request was {request.status} meanwhile."


def bulk_field(request: ChangeRequest) -> str:
    """The key of a request's sentence in a bulk refusal."""
    return f"request-{request.id}"


def decline_many(requests: Sequence[ChangeRequest], decided_by: str, note: str) -> None:
    """Keep several shifts as planned at once: decline every request in ``requests`` with the same ``note``, each
    as :func:`decline` does (its person e-mailed and notified), or none; flush.

    Every request is locked and checked before anything is written; when any is no longer waiting, raises
    ``Refusal`` with a sentence for each of them (keyed by :func:`bulk_field`), and the caller's savepoint
    leaves nothing behind.
    """
    note = _decline_note(note)
    if not requests:
        raise FieldRefusal(None, "Choose at least one request to keep as planned.")
    if len(requests) > BULK_LIMIT:
        raise FieldRefusal(None, f"Decide at most {BULK_LIMIT} requests at once.")
    problems: dict[str | None, str] = {}
    for request in sorted(requests, key=lambda each: each.id):
        _lock(request)
        problem = problem_with_declining(request)
        if problem:
            problems[bulk_field(request)] = problem
    if problems:
        raise Refusal(problems)
    for request in requests:
        decline(request, decided_by, note)


def _decline_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise FieldRefusal("note", "Say why you decline; the manager reads it.")
    if len(note) > MAX_REASON:
        raise FieldRefusal("note", f"Keep the reason to {MAX_REASON} characters; it has {len(note)}.")
    return note


def _decide(request: ChangeRequest, decided_by: str, note: str | None) -> None:
    request.decided_at = utcnow()
    request.decided_by = decided_by
    request.decision_note = (note or "").strip() or None
    db.session.flush()


def _tell(assignment: Assignment, outcome: str, what: str, next_step: str, note: str | None) -> None:
    """E-mail and notify the person about the outcome of their request."""
    person = assignment.person
    note = (note or "").strip()
    said = f"\n\nHR's note: {note}" if note else ""
    base_url = current_app.config["ROTATION_BASE_URL"].rstrip("/")
    body = (f"Hello {person.full_name},\n\n{what}{said}\n\n{next_step}\n\n"
            f"Your shifts and requests: {base_url}/my/\n")
    queue_text_message(CHANGE_OUTCOME, person.email, person.full_name,
                       f"Change request {outcome}: {summary(assignment)}", body, assignment_id=assignment.id)
    notify(person.id, what + (f" HR's note: {note}" if note else ""), link=MY_ROTATION)


def _assignment(assignment_id: int) -> Assignment:
    return db.session.scalars(
        sa.select(Assignment).where(Assignment.id == assignment_id)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .execution_options(populate_existing=True)).one()


def _lock(request: ChangeRequest) -> None:
    """Re-read the request's status under a row lock (PostgreSQL), so it is decided once."""
    db.session.refresh(request, ["status"], with_for_update=True)
