"""HR's outbox list: the messages newest first with their status as HR sees it, and the counts per status.

The outbox holds every e-mail ever sent, hundreds of thousands of them, so the
list never reads it whole: a status tab reads the messages stored with the
statuses that can show as it (by the index on status and id), and the counts
per status are kept until a message is written (see
:mod:`rotation.data_versions`). Only a recipient search counts the messages it
matches each time.

A page of the list shows identical messages to one person (a problem's news
six times over) as one line that opens on each of them (``repeats``), and the
page warns when mail waits and no background worker has been seen
(``stalled_mail``).
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from rotation.assignments.models import Assignment
from rotation.assignments.signals import shift_page
from rotation.data_versions import kept
from rotation.db import utcnow
from rotation.extensions import db
from rotation.jobs.seen import seen_at
from rotation.outbox.models import (
    CALENDAR_PURPOSES,
    FAILED,
    MESSAGE_STATUSES,
    PURPOSES,
    QUEUED,
    SENT,
    SHIFT_NEWS_PURPOSES,
    SUPERSEDED,
    OutboxMessage,
)
from rotation.people.models import Person
from rotation.people.signals import person_page
from rotation.sites.models import Slot

# Mail due this long, with no worker seen for as long, waits for a worker that is not running.
STALLED_AFTER = timedelta(minutes=5)
# The tables the counts are made from: a message's status as HR sees it depends only on other messages.
COUNTED_TABLES = ("outbox_message",)
# The stored statuses a message may have when HR sees it with each status.
STORED_AS: dict[str, tuple[str, ...]] = {
    QUEUED: (QUEUED,), SENT: (SENT,), FAILED: (FAILED,), SUPERSEDED: (FAILED, SUPERSEDED),
}


def overtaken() -> sa.ColumnElement[bool]:
    """SQL: a message about a shift that a newer invitation or cancellation about the same assignment follows."""
    newer = aliased(OutboxMessage)
    return sa.and_(OutboxMessage.assignment_id.is_not(None), OutboxMessage.purpose.in_(SHIFT_NEWS_PURPOSES),
                   sa.exists().where(newer.assignment_id == OutboxMessage.assignment_id,
                                     newer.id > OutboxMessage.id, newer.purpose.in_(CALENDAR_PURPOSES)))


def shown_status() -> sa.Case:
    """SQL: the message's status as HR sees it.

    A failed invitation, cancellation or reminder is superseded once a newer
    invitation or cancellation about the same assignment exists: the newer one
    tells the attendee the shift as it now is.
    """
    return sa.case((sa.and_(OutboxMessage.status == FAILED, overtaken()), SUPERSEDED), else_=OutboxMessage.status)


def shown_as(status: str) -> sa.ColumnElement[bool]:
    """SQL: the message shows as ``status``; the stored status narrows the messages to look at first."""
    stored = STORED_AS[status]
    narrowed = OutboxMessage.status == stored[0] if len(stored) == 1 else OutboxMessage.status.in_(stored)
    if status in (QUEUED, SENT):  # only a failed message shows as another status than its own
        return narrowed
    return sa.and_(narrowed, shown_status() == status)


def recipient_matches(query: str) -> sa.ColumnElement[bool]:
    """SQL: the recipient's address or name holds ``query``, in any case."""
    pattern = f"%{query}%"
    return sa.or_(OutboxMessage.recipient.ilike(pattern), OutboxMessage.recipient_name.ilike(pattern))


def listed(status: str | None, purpose: str | None, query: str) -> sa.Select:
    """The messages of the list, newest first, each with its status as HR sees it (``shown_status``) and what
    it is about loaded; ``status`` and ``purpose`` are known values or None, ``query`` may be empty."""
    statement = (
        sa.select(OutboxMessage, shown_status().label("shown_status"))
        .options(joinedload(OutboxMessage.assignment).joinedload(Assignment.person),
                 joinedload(OutboxMessage.assignment).joinedload(Assignment.slot).joinedload(Slot.site))
        .order_by(OutboxMessage.id.desc())
    )
    if status:
        statement = statement.where(shown_as(status))
    if purpose:
        statement = statement.where(OutboxMessage.purpose == purpose)
    if query:
        statement = statement.where(recipient_matches(query))
    return statement


def status_counts(purpose: str | None, query: str) -> dict[str, int]:
    """How many messages have each status as HR sees it, of one kind (``purpose``) or all, and whose recipient
    matches ``query`` when given.

    Without a search the counts are kept until a message is written: those of
    the whole outbox come from the index on status, those of each kind from
    one pass over the messages when a kind is first asked for. A search counts
    what it matches, each time.
    """
    if query:
        return _searched_counts(purpose, query)
    if purpose:
        return dict(kept(("outbox counts per kind",), COUNTED_TABLES, _counts_per_kind)[purpose])
    return dict(kept(("outbox counts",), COUNTED_TABLES, _counts))


def _counts() -> dict[str, int]:
    """How many messages have each status as HR sees it: the stored statuses, counted from the index on status,
    with the failed messages a newer one overtook moved to superseded."""
    counts = dict.fromkeys(MESSAGE_STATUSES, 0)
    counts.update(db.session.execute(
        sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)).tuples().all())
    moved = db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status == FAILED, overtaken())) or 0
    counts[FAILED] -= moved
    counts[SUPERSEDED] += moved
    return counts


def _counts_per_kind() -> dict[str, dict[str, int]]:
    """Per kind of e-mail, how many messages have each status as HR sees it."""
    shown = sa.select(OutboxMessage.purpose, shown_status().label("status")).subquery()
    tally = {purpose: dict.fromkeys(MESSAGE_STATUSES, 0) for purpose in PURPOSES}
    for purpose, status, number in db.session.execute(
            sa.select(shown.c.purpose, shown.c.status, sa.func.count()).group_by(shown.c.purpose, shown.c.status)):
        tally[purpose][status] = number
    return tally


def _searched_counts(purpose: str | None, query: str) -> dict[str, int]:
    matching = sa.select(shown_status().label("status"))
    if purpose:  # the cheap test first: the search then reads only this kind's recipients
        matching = matching.where(OutboxMessage.purpose == purpose)
    shown = matching.where(recipient_matches(query)).subquery()
    found = dict(db.session.execute(sa.select(shown.c.status, sa.func.count()).group_by(shown.c.status)).tuples().all())
    return {status: found.get(status, 0) for status in MESSAGE_STATUSES}


@person_page.connect
def _failed_messages(person: Person) -> dict:
    """On HR's page of a person: the newest messages to them that failed (refused, or returned by their server)."""
    return {"returned_messages": db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == person.email, OutboxMessage.status == FAILED)
        .order_by(OutboxMessage.id.desc()).limit(5)).all()}


@shift_page.connect
def _latest_calendar_message(assignment: Assignment) -> dict:
    """On HR's page of a shift: the newest invitation or cancellation about it, whatever its state."""
    return {"latest_message": db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.assignment_id == assignment.id,
                                       OutboxMessage.purpose.in_(CALENDAR_PURPOSES))
        .order_by(OutboxMessage.id.desc()).limit(1))}


T = TypeVar("T")


def repeats(items: Sequence[T], key: Callable[[T], Hashable | None]) -> list[list[T]]:
    """``items`` (a page of the list) with those of equal ``key`` gathered, each group where its first item was;
    an item whose key is None stands alone."""
    groups: list[list[T]] = []
    found: dict[Hashable, list[T]] = {}
    for item in items:
        same = key(item)
        if same is None:
            groups.append([item])
        elif same in found:
            found[same].append(item)
        else:
            found[same] = [item]
            groups.append(found[same])
    return groups


def repeat_key(message: OutboxMessage, status: str) -> tuple | None:
    """What makes messages repeats of each other: the same text-only e-mail (recipient, kind and subject) still
    queued, or sent the same day. Calendar messages, failed and superseded ones stand alone."""
    if message.purpose in CALENDAR_PURPOSES or message.subject is None:
        return None
    day: date | None
    if status == QUEUED:
        day = None
    elif status == SENT and message.sent_at is not None:
        day = message.sent_at.date()
    else:
        return None
    return (message.recipient.lower(), message.purpose, message.subject, message.assignment_id,
            message.reminder_days, status, day)


@dataclass(frozen=True)
class StalledMail:
    """Messages due and nobody sending them: how many wait, since when, and when a worker was last seen."""

    waiting: int
    oldest: datetime
    worker_seen: datetime | None


def stalled_mail(now: datetime | None = None) -> StalledMail | None:
    """The mail waiting for a worker that is not running: queued messages due for ``STALLED_AFTER`` while no worker
    was seen for as long; None when none waits so, or a worker is about.

    One query (the oldest due message by the index on status and due time, and the worker's row), and a count
    of what waits only when it says so.
    """
    now = now or utcnow()
    due = sa.and_(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= now)
    oldest, seen = db.session.execute(sa.select(
        sa.select(sa.func.min(OutboxMessage.next_attempt_at)).where(due).scalar_subquery(), seen_at())).one()
    if oldest is None or oldest > now - STALLED_AFTER or (seen is not None and seen > now - STALLED_AFTER):
        return None
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(due)) or 0
    return StalledMail(waiting=waiting, oldest=oldest, worker_seen=seen)
