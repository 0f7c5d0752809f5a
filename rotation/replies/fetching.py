"""One pass over the organizer mailbox: read each waiting message, act on it, commit, put it away.

Each message is its own transaction: its :class:`CalendarReply` and what it
changed commit together, and only then is the message moved away in the
mailbox. A worker that stops in between leaves the message where it was; the
next pass finds its key recorded and only moves it. The database being away
stops the pass with the message untouched.
"""
from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.replies.mailbox import ImapSettings, Mailbox
from rotation.replies.models import COUNTED, REPLY_KIND_LABELS, CalendarReply, ReplyKind
from rotation.replies.reading import Reading, read
from rotation.replies.services import handle

COUNT_WORDS = {kind: REPLY_KIND_LABELS[kind].lower() for kind in COUNTED} | {ReplyKind.PROPOSED: "proposed"}


@dataclass
class Fetched:
    """What one pass read, counted by kind (``replies fetch`` prints :meth:`line`)."""

    counts: Counter = field(default_factory=Counter)
    put_away: int = 0  # messages handled before (by another worker, or before a stop) moved now

    def line(self) -> str:
        return ", ".join(f"{self.counts[kind]} {COUNT_WORDS[kind]}" for kind in COUNTED)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def fetch_replies(settings: ImapSettings, keep_going: Callable[[], bool] = lambda: True) -> Fetched:
    """Read every waiting message once; raises ``MailboxUnreachable`` (nothing lost) when the mailbox cannot be used."""
    fetched = Fetched()
    with Mailbox(settings) as mailbox:
        waiting, handled_before = mailbox.waiting()
        for uid in handled_before:
            mailbox.put_away(uid)
            fetched.put_away += 1
        for uid in waiting:
            if not keep_going():
                break
            raw = mailbox.read(uid)
            if raw is None:
                continue
            reply = _handle_one(raw)
            if reply is not None:
                fetched.counts[ReplyKind(reply.kind)] += 1
            else:
                fetched.put_away += 1
            mailbox.put_away(uid)
    return fetched


def _handle_one(raw: bytes) -> CalendarReply | None:
    """Handle and commit one message; a surprise while acting on it is recorded for HR instead of stopping the pass."""
    reading = read(raw)
    try:
        reply = handle(reading, utc_today())
        db.session.commit()
        return reply
    except sa.exc.DBAPIError:
        db.session.rollback()
        raise
    except Exception:  # a message nobody foresaw must not block the mailbox: it is kept and listed
        db.session.rollback()
        current_app.logger.error("A message in the organizer mailbox could not be handled:\n%s",
                                 traceback.format_exc())
        return _record_unhandled(reading)


def _record_unhandled(reading: Reading) -> CalendarReply | None:
    if db.session.scalar(sa.select(CalendarReply.id).where(CalendarReply.message_key == reading.key)):
        return None
    reply = CalendarReply(message_key=reading.key, kind=ReplyKind.NOT_MATCHED, sender=reading.sender,
                          subject=reading.subject, received_at=reading.received_at, handled_at=utcnow(),
                          outcome="Rotation could not act on this message; it is kept in the mailbox's "
                                  "Rotation-handled folder for someone to read.")
    db.session.add(reply)
    db.session.commit()
    return reply
