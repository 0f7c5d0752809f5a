"""What Rotation does about one message from the organizer mailbox; flushes, the caller commits.

The rules (docs/calendar.md, "Answers from calendar apps"):

- An answer is trusted only when its ATTENDEE and its sender (From) are both the
  shift's person; anything else is recorded as not matched for HR to look at.
- An answer to an older version of the shift (a lower SEQUENCE) is recorded and changes nothing.
- ACCEPTED confirms the shift exactly as the Confirm button on My rotation does
  (and withdraws a change request an earlier decline filed, while HR has not
  decided it); DECLINED records the answer (its reminders stop, queued ones
  too) and files a change request for HR with the person's comment, or points
  to the one of theirs that already waits; TENTATIVE is recorded for HR to see.
- A COUNTER (a proposed new time) files a change request for the slot that
  takes the proposed day, checked as a request made in Rotation is; with no
  such slot HR is asked to choose.
- Nothing is moved or withdrawn by a reply alone: HR decides the requests.
- A delivery status notification marks the outbox message it returns failed, with the remote server's reason.

Each message is claimed by inserting its :class:`CalendarReply` under its
unique key first: a second worker reading the same message finds the key taken
and does nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from rotation.assignments.changes import valid_slots
from rotation.assignments.models import (
    ANSWER_ACCEPTED,
    ANSWER_DECLINED,
    ANSWER_TENTATIVE,
    CANCELLED,
    CONFIRMED,
    PUBLISHED,
    Assignment,
)
from rotation.change_requests.models import FROM_COUNTER, FROM_DECLINE
from rotation.change_requests.services import ask_for_change, pending_request, problem_with_asking, withdraw_request
from rotation.db import utcnow
from rotation.extensions import db
from rotation.my_rotation.services import confirm_shift
from rotation.outbox.models import FAILED, QUEUED, REMINDER, SENT, OutboxMessage
from rotation.refusals import Refusal, all_or_nothing
from rotation.replies.models import CalendarReply, ReplyKind
from rotation.replies.reading import COUNTER, REPLY, Bounce, CalendarAnswer, Reading
from rotation.sites.models import Slot

_INSERTS: dict[str, Callable[[sa.Table], postgresql.Insert | sqlite.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert}
PARTSTAT_KINDS = {"ACCEPTED": ReplyKind.ACCEPTED, "DECLINED": ReplyKind.DECLINED, "TENTATIVE": ReplyKind.TENTATIVE}
ANSWER_FOR = {ReplyKind.ACCEPTED: ANSWER_ACCEPTED, ReplyKind.DECLINED: ANSWER_DECLINED,
              ReplyKind.TENTATIVE: ANSWER_TENTATIVE}


def handle(reading: Reading, today: date) -> CalendarReply | None:
    """Record ``reading`` and do what it asks; flush. None when the message was handled before (its key is taken)."""
    reply = _claim(reading)
    if reply is None:
        return None
    if reading.bounce is not None:
        _bounce(reply, reading.bounce)
    elif reading.answer is not None:
        _answer(reply, reading, reading.answer, today)
    else:
        reply.outcome = reading.problem or "Not an answer to an invitation (it has no calendar part); nothing to do."
    db.session.flush()
    return reply


def _claim(reading: Reading) -> CalendarReply | None:
    table = CalendarReply.__table__
    statement = (_INSERTS[db.session.get_bind().dialect.name](table)
                 .values(message_key=reading.key, kind=ReplyKind.NOT_MATCHED, sender=reading.sender,
                         subject=reading.subject, received_at=reading.received_at, handled_at=utcnow(),
                         outcome="Being read.")
                 .on_conflict_do_nothing(index_elements=["message_key"])
                 .returning(table.c.id))
    reply_id = db.session.execute(statement).scalar()
    return None if reply_id is None else db.session.get_one(CalendarReply, reply_id)


def _answer(reply: CalendarReply, reading: Reading, answer: CalendarAnswer, today: date) -> None:
    reply.sequence, reply.comment = answer.sequence, answer.comment
    assignment = db.session.scalar(
        sa.select(Assignment).where(Assignment.uid == answer.uid)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .with_for_update(of=Assignment))
    if assignment is None:
        reply.outcome = "No shift in Rotation has this calendar event; nothing changed."
        return
    reply.assignment_id = assignment.id
    person = assignment.person
    whose = f"{person.full_name} ({person.email})"
    if answer.attendee != person.email.lower() or reading.sender != person.email.lower():
        reply.outcome = (f"Sent by {reading.sender or 'an unknown sender'} for {answer.attendee or 'nobody'}, but the "
                         f"shift is {whose}'s: nothing changed. Check with {person.full_name} what they meant.")
        return
    if answer.sequence < assignment.sequence:
        reply.outcome = (f"An answer to an earlier version of the shift (version {answer.sequence}; it is at "
                         f"{assignment.sequence} now): recorded, nothing changed.")
        return
    if assignment.status == CANCELLED:
        reply.outcome = "The shift was cancelled before this answer came; nothing changed."
        return
    if answer.method == COUNTER:
        _counter(reply, assignment, answer, today)
    elif answer.method == REPLY and answer.partstat in PARTSTAT_KINDS:
        _partstat(reply, assignment, PARTSTAT_KINDS[answer.partstat], answer, today)
    else:
        reply.outcome = (f"A {answer.method or 'calendar'} message saying {answer.partstat or 'nothing'} is not an "
                         "answer Rotation acts on; nothing changed.")


def _partstat(reply: CalendarReply, assignment: Assignment, kind: ReplyKind, answer: CalendarAnswer,
              today: date) -> None:
    reply.kind = kind
    assignment.answer, assignment.answer_sequence = ANSWER_FOR[kind], assignment.sequence
    if kind == ReplyKind.ACCEPTED:
        reply.outcome = _confirm(assignment, today) + _take_back_decline(assignment)
    elif kind == ReplyKind.DECLINED:
        _stop_reminders(assignment)
        reply.outcome = "Reminders stop. " + _ask_hr(
            reply, assignment, FROM_DECLINE, None,
            f"Declined the invitation: {answer.comment}" if answer.comment
            else "Declined the invitation without a comment.", today)
    else:
        reply.outcome = "Shown to HR as tentative; the shift stays as it is."


def _stop_reminders(assignment: Assignment) -> None:
    """Reminders of the shift already queued (or waiting to be retried) are not sent after a decline. They are
    removed rather than marked superseded: should HR keep the shift, the next pass queues them again."""
    db.session.execute(
        sa.delete(OutboxMessage).where(OutboxMessage.assignment_id == assignment.id,
                                       OutboxMessage.purpose == REMINDER, OutboxMessage.status == QUEUED)
        .execution_options(synchronize_session=False))


def _take_back_decline(assignment: Assignment) -> str:
    """An acceptance after a decline takes back the change request the decline filed, if HR has not decided it."""
    waiting = pending_request(assignment.id)
    if waiting is None or waiting.source != FROM_DECLINE:
        return ""
    withdraw_request(waiting)
    return " The change request their earlier decline filed is withdrawn."


def _confirm(assignment: Assignment, today: date) -> str:
    if assignment.status == CONFIRMED:
        return "The shift was already confirmed."
    if assignment.status != PUBLISHED:
        return f"The shift is {assignment.status_label.lower()}, so there was nothing to confirm."
    try:
        with all_or_nothing():
            confirm_shift(assignment, today)
    except Refusal as refusal:
        return f"Not confirmed: {refusal.message}"
    return "Confirmed the shift, as the Confirm button on My rotation does."


def _counter(reply: CalendarReply, assignment: Assignment, answer: CalendarAnswer, today: date) -> None:
    reply.kind = ReplyKind.PROPOSED
    day = _local_day(answer.proposed_start, ZoneInfo(assignment.slot.site.timezone))
    reply.proposed_day = day
    if day is None:
        reply.outcome = "The proposal names no new time; nothing changed."
        return
    wanted = next((choice.slot for choice in valid_slots(assignment, today)
                   if choice.slot.first_day <= day <= choice.slot.last_day), None)
    proposed = f"Proposed {day:%A %-d %B %Y} in their calendar"
    if answer.comment:
        proposed += f": {answer.comment}"
    if wanted is None:
        proposed += ". No slot that day has a free seat and keeps the plan's rules for them; HR chooses."
    reply.outcome = _ask_hr(reply, assignment, FROM_COUNTER, wanted.id if wanted else None, proposed, today)


def _ask_hr(reply: CalendarReply, assignment: Assignment, source: str, wanted_slot_id: int | None, reason: str,
            today: date) -> str:
    """File the change request for HR, unless the shift cannot be moved now; the sentence says which."""
    waiting = pending_request(assignment.id)
    if waiting is not None:
        reply.change_request_id = waiting.id
        return ("No new change request: one from them already waits for HR, who can answer both there "
                "(this answer is listed beside it on the Replies page).")
    problem = problem_with_asking(assignment, today, to_hr=True)  # HR reads it on the Replies page
    if problem:
        return f"No change request filed: {problem}"
    try:
        with all_or_nothing():
            request = ask_for_change(assignment, wanted_slot_id, reason[:1000], today, source=source)
    except Refusal as refusal:
        return f"No change request filed: {refusal.message}"
    reply.change_request_id = request.id
    return "A change request waits for HR."


def _local_day(start: date | datetime | None, zone: ZoneInfo) -> date | None:
    if start is None:
        return None
    if isinstance(start, datetime):
        return (start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)).date()
    return start


def _bounce(reply: CalendarReply, bounce: Bounce) -> None:
    message = db.session.get(OutboxMessage, bounce.outbox_message_id) if bounce.outbox_message_id else None
    if message is None:
        reply.outcome = "A delivery report about a message Rotation does not know; nothing changed."
        return
    reply.outbox_message_id, reply.assignment_id = message.id, message.assignment_id
    if not bounce.failed:
        reply.outcome = f"A delay notice: the recipient's server is still trying ({bounce.reason}); nothing to do."
        return
    reply.kind = ReplyKind.BOUNCED
    if message.status == SENT or message.status == FAILED:
        message.status = FAILED
        message.last_error = f"Returned by the recipient's mail server after it was sent: {bounce.reason}"
    reply.outcome = f"The message to {message.recipient} came back: {bounce.reason}"
