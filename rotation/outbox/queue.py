"""Queueing messages: always inside the transaction of the change that causes them."""
from __future__ import annotations

import sqlalchemy as sa

from rotation.assignments.models import CONFIRMED, NOTICE_CANCEL, NOTICE_REQUEST, PUBLISHED, Assignment
from rotation.assignments.signals import news_taken_back, notices_set, withdrawal_notice
from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.outbox.models import (
    CALENDAR_PURPOSES,
    CANCELLATION,
    INVITATION,
    QUEUED,
    REMINDER,
    SENT,
    SHIFT_NEWS_PURPOSES,
    SUPERSEDED,
    OutboxMessage,
)
from rotation.people.models import INVITED_BY_EMAIL, Person
from rotation.sites.models import Slot


def queue_assignment_notices() -> int:
    """Queue a calendar message for every assignment whose ``notice`` is set, clear the notices, and flush.

    A ``request`` notice queues an invitation (REQUEST), a ``cancel`` notice a
    cancellation (CANCEL), each for the assignment's current sequence. An
    invitation, cancellation or reminder still queued for the same assignment is
    superseded: the attendee gets only the newest. Nothing is sent about a shift that is already over. A
    cancellation is not sent when every earlier message about the shift was
    superseded before it went out: the attendee never heard of it. Nor is
    anything queued for a person who chose the subscribed calendar alone
    (``Person.calendar_delivery``): their notices are cleared like the others,
    so switching back to e-mail sends the next change, not a backlog. Returns
    how many messages were queued.
    """
    db.session.flush()
    noticed = sa.select(Assignment.id).where(Assignment.notice.is_not(None))
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == QUEUED, OutboxMessage.purpose.in_(SHIFT_NEWS_PURPOSES),
               OutboxMessage.assignment_id.in_(noticed))
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False))
    now = utcnow()
    purpose = sa.case((Assignment.notice == NOTICE_CANCEL, CANCELLATION), else_=INVITATION)
    rows = (
        sa.select(purpose, Person.email, Person.full_name, Assignment.id, Assignment.sequence,
                  sa.literal(QUEUED), sa.literal(0), sa.literal(now, type_=OutboxMessage.created_at.type),
                  sa.literal(now, type_=OutboxMessage.next_attempt_at.type))
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        # A shift that is over is not worth a message; a person who chose the feed alone wants none.
        .where(Slot.ends_at > now, Person.calendar_delivery.in_(INVITED_BY_EMAIL),
               sa.or_(Assignment.notice == NOTICE_REQUEST,
                      sa.and_(Assignment.notice == NOTICE_CANCEL, cancellation_reaches()))))
    result = db.session.execute(
        sa.insert(OutboxMessage).from_select(
            ["purpose", "recipient", "recipient_name", "assignment_id", "sequence", "status", "attempts",
             "created_at", "next_attempt_at"], rows)
        .execution_options(synchronize_session=False))
    db.session.execute(
        sa.update(Assignment).where(Assignment.notice.is_not(None)).values(notice=None)
        .execution_options(synchronize_session=False))
    db.session.flush()
    return rowcount(result)


def cancellation_reaches() -> sa.ColumnElement[bool]:
    """SQL: cancelling the assignment sends a cancellation, as far as its messages go: an invitation or
    cancellation about it was sent, or none was ever queued (it was announced some other way). One whose every
    message was superseded before it went out was never heard of, so nothing is sent."""
    calendar = OutboxMessage.purpose.in_((INVITATION, CANCELLATION))
    ever_sent = sa.exists().where(OutboxMessage.assignment_id == Assignment.id, calendar, OutboxMessage.status == SENT)
    never_queued = ~sa.exists().where(OutboxMessage.assignment_id == Assignment.id, calendar)
    return sa.or_(ever_sent, never_queued)


def e_mailed() -> sa.ColumnElement[bool]:
    """SQL: the person (``Person``) receives calendar messages by e-mail."""
    return Person.calendar_delivery.in_(INVITED_BY_EMAIL)


@withdrawal_notice.connect
def _withdrawal_notice(assignment: Assignment) -> dict:
    """On HR's confirmation of a withdrawal: whether withdrawing it e-mails a cancellation
    (``cancellation_sent``), and when not, why (``no_cancellation_because``)."""
    if assignment.status not in (PUBLISHED, CONFIRMED):
        return {"cancellation_sent": False, "no_cancellation_because": "it was never announced"}
    person = db.session.get_one(Person, assignment.person_id)
    if person.calendar_delivery not in INVITED_BY_EMAIL:
        return {"cancellation_sent": False,
                "no_cancellation_because": "they take their shifts from the subscribed calendar alone"}
    reaches = db.session.scalar(sa.select(cancellation_reaches()).select_from(Assignment)
                                .where(Assignment.id == assignment.id))
    return {"cancellation_sent": bool(reaches),
            "no_cancellation_because": None if reaches else "no invitation had been sent"}


@news_taken_back.connect
def _take_back_news(assignment: Assignment, sequence: int, back_to: int) -> dict:
    """HR takes back the change that gave ``assignment`` its ``sequence``: the calendar messages about it still
    queued are superseded (first, so that one a sender is sending now counts as gone once it is sent), and the
    reminders of the version it returns to (``back_to``) that the change superseded are queued again (reminders
    are unique per version, so the reminder job would not); whether a message about the change went out anyway,
    and whether the attendee had received an invitation before it."""
    calendar = OutboxMessage.purpose.in_(CALENDAR_PURPOSES)
    mine = OutboxMessage.assignment_id == assignment.id
    db.session.execute(
        sa.update(OutboxMessage).where(mine, calendar, OutboxMessage.sequence == sequence,
                                       OutboxMessage.status == QUEUED)
        .values(status=SUPERSEDED).execution_options(synchronize_session=False))
    gone = db.session.scalar(sa.select(sa.exists().where(
        mine, calendar, OutboxMessage.sequence == sequence, OutboxMessage.status == SENT)))
    db.session.execute(
        sa.update(OutboxMessage).where(mine, OutboxMessage.purpose == REMINDER, OutboxMessage.sequence == back_to,
                                       OutboxMessage.status == SUPERSEDED)
        .values(status=QUEUED).execution_options(synchronize_session=False))
    # Told: an earlier invitation was sent, or none was ever queued (it was announced some other way, as
    # cancellation_reaches counts it), or the person takes their shifts from the feed alone.
    earlier = sa.and_(mine, OutboxMessage.purpose == INVITATION, OutboxMessage.sequence < sequence)
    told_before = db.session.scalar(sa.select(sa.or_(
        sa.exists().where(earlier, OutboxMessage.status == SENT), ~sa.exists().where(earlier))))
    by_feed = db.session.get_one(Person, assignment.person_id).calendar_delivery not in INVITED_BY_EMAIL
    return {"gone": bool(gone), "told_before": bool(told_before) or by_feed}


def drop_queued_calendar_messages(person_id: int) -> int:
    """Supersede the invitations and cancellations still queued for the person's shifts (they chose the
    subscribed calendar alone); flush. Returns how many. Reminders and other e-mails stay queued."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == QUEUED, OutboxMessage.purpose.in_(CALENDAR_PURPOSES),
               OutboxMessage.assignment_id.in_(sa.select(Assignment.id).where(Assignment.person_id == person_id)))
        .values(status=SUPERSEDED)
        .execution_options(synchronize_session=False))
    db.session.flush()
    return rowcount(result)


def queue_text_message(purpose: str, recipient: str, recipient_name: str, subject: str, body: str, *,
                       assignment_id: int | None = None, sequence: int | None = None,
                       reminder_days: int | None = None) -> OutboxMessage:
    """Queue an e-mail whose subject and plain text are written now (the sender adds the HTML); flush.

    For everything but calendar messages: reminders, the outcome of a change
    request, a host's attendance link, a no-show notice. ``assignment_id`` ties
    it to a shift when it is about one.
    """
    now = utcnow()
    message = OutboxMessage(purpose=purpose, recipient=recipient, recipient_name=recipient_name or "",
                            subject=subject, body_text=body, assignment_id=assignment_id, sequence=sequence,
                            reminder_days=reminder_days, status=QUEUED, attempts=0, created_at=now,
                            next_attempt_at=now)
    db.session.add(message)
    db.session.flush()
    return message


@notices_set.connect
def _queue_notices(_sender: None) -> None:
    queue_assignment_notices()
