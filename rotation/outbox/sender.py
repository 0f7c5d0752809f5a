"""Delivering the outbox over SMTP: what ``invites send`` and ``invites worker`` do.

A pass claims the messages that are due (queued, ``next_attempt_at`` reached)
in small batches, in the order they fell due, and sends them in that order
over one SMTP connection, one e-mail per recipient whose envelope recipient is
that recipient alone. A message becomes ``sent`` only once the server has
accepted it. What the server or the message says decides the rest:

* the server refuses the recipient or the message for good (a 5xx reply), the
  address is malformed, or the message cannot be made: ``failed`` at once, with
  the reply or the sentence in ``last_error`` for HR, never retried;
* the server asks to try later (a 4xx reply): still queued, tried again after a
  back-off of one minute doubling up to an hour, ``failed`` after
  ``MAX_ATTEMPTS`` attempts;
* the server cannot be reached, drops the connection, times out or refuses the
  organiser's address: still queued with the error and the back-off, never
  given up (nothing is lost while the server is down), and the pass stops
  rather than waiting on a dead server for every message.

A sent invitation records in ``announced`` the shift it told of, worded as
:func:`rotation.outbox.texts.announcement` words it, from the booking it was
made from: the next update to that shift says what moved from it.

Keeping the server busy: the server answers each message in four round trips.
A thread of its own (:class:`Courier`) hands it message after message, making
each while the server works on the one before. Two batches are in flight at
once, each claimed, recorded and committed in a database transaction of its
own (a "lane"): while the server works through one, this thread records and
commits the batch before it, and claims the next with the bookings its
messages tell of. Outcomes stay in memory until their batch is done and are
then written in one statement, so a pass holds SQLite's write lock only for
that moment, never while the server answers.

Several workers: on PostgreSQL a batch is claimed with ``SELECT … FOR UPDATE
SKIP LOCKED``, so each worker takes rows no other worker holds and keeps them
locked until it commits the batch's outcomes; no message is sent by two
workers. (A change that supersedes a message being sent waits for that batch's
commit, and then queues its newer message after it.) SQLite has no row locks:
run one worker there.

Crash window: outcomes are committed once per batch (``BATCH_SIZE`` messages),
two batches at a time. A message the server refused or never acknowledged is
never marked sent, and one that was marked sent was accepted, so a server that
goes down, restarts or drops the connection never causes a loss or a
duplicate. Only if *this* process dies (or loses its database) after the
server accepted some messages and before their batch's commit are those
messages sent again by the next pass: delivery is at-least-once, with at most
the two batches in flight (``IN_FLIGHT_AT_MOST`` messages) repeated, and
exactly once in every other case. SMTP offers no way to close that window.
"""
from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.compose import Booking, Composer, read_bookings
from rotation.outbox.courier import Courier
from rotation.outbox.mailer import (  # noqa: F401  (the outcomes are part of this module's vocabulary)
    DEFERRED,
    DELIVERED,
    REFUSED,
    UNREACHABLE,
    Attempt,
    SendingError,
    SmtpSettings,
)
from rotation.outbox.models import FAILED, INVITATION, QUEUED, SENT, OutboxMessage
from rotation.outbox.texts import announcement

# Messages claimed, recorded and committed together; two batches are in flight at once.
BATCH_SIZE = 12
LANES = 2
IN_FLIGHT_AT_MOST = BATCH_SIZE * LANES
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# How often Python may switch threads while a pass runs (5 ms by default): the SMTP thread needs a moment of
# the interpreter for each of the server's replies, and should not wait long for this thread to finish composing,
# nor be interrupted while it handles one.
SWITCH_INTERVAL = 0.001

_TABLE = OutboxMessage.__table__
# What a pass reads of a claimed message: what composing needs, and the columns its outcome may leave as they are.
_CLAIMED = (_TABLE.c.id, _TABLE.c.purpose, _TABLE.c.recipient, _TABLE.c.recipient_name, _TABLE.c.assignment_id,
            _TABLE.c.sequence, _TABLE.c.subject, _TABLE.c.body_text, _TABLE.c.attempts, _TABLE.c.sent_at,
            _TABLE.c.next_attempt_at, _TABLE.c.announced)
# The due messages that fell due first, but those already in flight, locked against other workers (PostgreSQL)
# until the commit. They come in the order of the index on (status, next_attempt_at); messages queued together (as
# publishing queues them, in one transaction: the same time on PostgreSQL) in the order they were written, by id.
_CLAIM = (sa.select(*_CLAIMED)
          .where(_TABLE.c.status == QUEUED, _TABLE.c.next_attempt_at <= sa.bindparam("now"),
                 _TABLE.c.id.not_in(sa.bindparam("elsewhere", expanding=True)))
          .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
          .limit(sa.bindparam("size"))
          .with_for_update(skip_locked=True))
# The columns an outcome writes.
_OUTCOME_COLUMNS = ("status", "attempts", "sent_at", "last_error", "next_attempt_at", "announced")
_RECORD = (sa.update(_TABLE).where(_TABLE.c.id == sa.bindparam("message_id"))
           .values({name: sa.bindparam(name) for name in _OUTCOME_COLUMNS}))


@dataclass
class SendReport:
    """What a batch or a pass did: counted by what HR will see on each message."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    # Why the pass stopped early, when the server could not be used; None when it could.
    server_trouble: str | None = None
    # One line per message that was not delivered: whom it was for and what the server said.
    problems: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.retrying

    @property
    def complete(self) -> bool:
        """True when everything tried was delivered."""
        return self.failed == 0 and self.retrying == 0

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying
        self.server_trouble = other.server_trouble or self.server_trouble
        self.problems.extend(other.problems)

    def summary(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.retrying} to retry"


@dataclass
class _Batch:
    """Claimed messages on their lane, the bookings they were made from, each with the server's answer to come."""

    lane: sa.Connection
    messages: Sequence[sa.Row]
    bookings: dict[int, Booking]
    answers: list[Future[Attempt]]


def send_due(limit: int | None = None, batch_size: int = BATCH_SIZE,
             on_batch: Callable[[SendReport], None] | None = None,
             keep_going: Callable[[], bool] = lambda: True) -> SendReport:
    """Send what is due, batch by batch, committing each batch's outcomes; at most ``limit`` messages.

    Stops early when the mail server cannot be used (``server_trouble`` says
    why) or ``keep_going`` says so between batches (the batches in flight are
    finished); what it did not reach stays queued for the next pass.
    """
    settings = SmtpSettings.from_config(current_app.config)
    total = SendReport()
    with ExitStack() as stack:
        free = deque(stack.enter_context(db.engine.connect()) for _ in range(LANES))
        courier = stack.enter_context(_courier(settings))  # stopped first if anything fails
        in_flight: deque[_Batch] = deque()
        claimed, more = 0, True
        while True:
            while more and free and not courier.down and (limit is None or claimed < limit) and keep_going():
                size = batch_size if limit is None else min(batch_size, limit - claimed)
                batch = _claim(free[0], size, in_flight, courier)
                if batch is None:
                    more = False
                    break
                free.popleft()
                in_flight.append(batch)
                claimed += len(batch.messages)
            if not in_flight:
                break
            batch = in_flight.popleft()
            report = _finish(batch)
            report.server_trouble = courier.down
            free.append(batch.lane)
            total.add(report)
            if on_batch:
                on_batch(report)
    return total


def _claim(lane: sa.Connection, size: int, in_flight: Sequence[_Batch], courier: Courier) -> _Batch | None:
    """Claim the next batch on ``lane``, read its bookings and hand its messages to the courier in order."""
    elsewhere = [message.id for batch in in_flight for message in batch.messages]  # SQLite has no row locks
    messages = lane.execute(_CLAIM, {"now": utcnow(), "elsewhere": elsewhere, "size": size}).all()
    if not messages:
        lane.rollback()
        return None
    bookings = read_bookings(messages, lane)
    return _Batch(lane, messages, bookings, [courier.hand(message, bookings) for message in messages])


def _finish(batch: _Batch) -> SendReport:
    """Wait for the server's answers about a batch, write their outcomes in one statement and commit."""
    report = SendReport()
    rows = []
    wait(batch.answers)  # woken once for the batch, not once a message
    now = utcnow()
    for message, answer in zip(batch.messages, batch.answers, strict=True):
        values = {"status": QUEUED, "sent_at": message.sent_at, "next_attempt_at": message.next_attempt_at,
                  "announced": message.announced, **outcome(message.attempts, answer.result(), now)}
        booking = batch.bookings.get(message.assignment_id) if message.purpose == INVITATION else None
        if values["status"] == SENT and booking is not None:
            values["announced"] = announcement(booking.shift)
        rows.append({"message_id": message.id, **values})
        _count(report, message, values)
    batch.lane.execute(_RECORD, rows)
    batch.lane.commit()
    return report


def _count(report: SendReport, message: sa.Row, values: dict) -> None:
    if values["status"] == SENT:
        report.sent += 1
        return
    if values["status"] == FAILED:
        report.failed += 1
        label = "Failed"
    else:
        report.retrying += 1
        label = "To retry"
    report.problems.append(f"{label}: {message.purpose} #{message.id} to {message.recipient}: "
                           f"{values['last_error']}")


def outcome(attempts: int, attempt: Attempt, now: datetime) -> dict:
    """What one attempt writes on a message tried ``attempts`` times before: sent, failed, or a back-off.

    The columns it leaves out stay as they are.
    """
    attempts += 1
    if attempt.outcome == DELIVERED:
        return {"status": SENT, "attempts": attempts, "sent_at": now, "last_error": None}
    if attempt.outcome == REFUSED:
        return {"status": FAILED, "attempts": attempts, "last_error": attempt.error}
    if attempt.outcome == DEFERRED and attempts >= MAX_ATTEMPTS:
        return {"status": FAILED, "attempts": attempts,
                "last_error": f"Gave up after {attempts} attempts. {attempt.error}"}
    return {"status": QUEUED, "attempts": attempts, "last_error": attempt.error,
            "next_attempt_at": now + backoff(attempts)}


def record(message: OutboxMessage, attempt: Attempt, now: datetime) -> None:
    """Write one attempt's :func:`outcome` on a loaded message."""
    for name, value in outcome(message.attempts, attempt, now).items():
        setattr(message, name, value)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1 min, 2, 4, … up to an hour."""
    doublings = min(max(attempts - 1, 0), 10)  # 2**10 minutes is past the hour already
    return min(FIRST_RETRY * 2 ** doublings, LONGEST_RETRY)


def still_queued() -> int:
    """How many messages wait in the outbox, due or not."""
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status == QUEUED)) or 0


@contextmanager
def _courier(settings: SmtpSettings) -> Iterator[Courier]:
    """The SMTP thread for a pass; if the pass fails, what it has not begun to send is dropped."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, SWITCH_INTERVAL))
    courier = Courier(settings, Composer())  # what many messages share is made once a pass
    try:
        yield courier
    except BaseException:
        courier.stop(drop_waiting=True)
        raise
    else:
        courier.stop()
    finally:
        sys.setswitchinterval(interval)
