"""Turning one queued outbox message into the e-mail its recipient gets.

Calendar messages are made here, at send time, from the assignment as it now
is: an iMIP e-mail (RFC 6047) whose first part offers the plain text, the HTML
and the ``text/calendar`` invitation or cancellation side by side. There is no
separate ``invite.ics`` attachment (docs/calendar.md: optional; Outlook sends none):
it would add a third to every message for clients that read the part anyway.
Account messages carry the subject and text stored when they were queued
(their link is a secret kept nowhere else).

The bytes are written directly (:mod:`rotation.outbox.mime`); :func:`compose`
gives them read back as a message. A :class:`Composer` makes one message after
another and keeps what many of them share: the texts and calendar lines of a
shift (:class:`ShiftWording`, :class:`Invitations`) and the sender's header.
One serves one thread; nothing else is shared, so threads may compose at once.
"""
from __future__ import annotations

import email
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from rotation.assignments.models import Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox import mime
from rotation.outbox.calendar import CANCEL, REQUEST, Attendee, Invitations
from rotation.outbox.models import CALENDAR_PURPOSES, CANCELLATION, INVITATION, SENT, OutboxMessage
from rotation.outbox.texts import Shift, ShiftWording, base_url
from rotation.people.models import Person
from rotation.sites.models import Site, Slot

# What the calendar part of each calendar purpose announces.
METHOD_FOR_PURPOSE = {CANCELLATION: CANCEL}
SENDER_NAME = "Rotation"
GONE = "The shift this message was about no longer exists, so there is nothing to send."
# How many written Subject headers a composer keeps (account e-mails' subjects are their own).
SUBJECTS_KEPT = 10_000
# A usable address: one @, no spaces, quotes, angle brackets, commas or control characters, no empty part
# between dots; the domain may be dotless ("rotation@localhost") but not start or end with a dot.
_ATOM = r"[^\s@<>\"(),;:\\\[\]\x00-\x1f\x7f]+"
_ADDRESS = re.compile(rf"^(?!.*\.\.){_ATOM}@(?!\.){_ATOM}(?<!\.)$")
_LINK = re.compile(r"https?://[^\s<>\"]+")


class ComposeError(ValueError):
    """A message that cannot be made; the sentence says why and is shown to HR."""


class QueuedMessage(Protocol):
    """What composing reads of a queued message: an :class:`OutboxMessage`, or a row of its columns."""

    id: int
    purpose: str
    recipient: str
    recipient_name: str
    assignment_id: int | None
    sequence: int | None
    subject: str | None
    body_text: str | None


@dataclass(frozen=True)
class Mailbox:
    """An address and the name shown with it; ``header`` is what goes in From or To."""

    address: str
    name: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]

    @property
    def header(self) -> str | Address:
        name = mime.printable(self.name)  # an imported name's control characters never reach a header
        if name.isascii() and self.address.isascii():
            return formataddr((name, self.address))  # quotes a name with , ; : " < > as it must
        return Address(display_name=name, addr_spec=self.address)  # encoded words, SMTPUTF8 addresses


@dataclass(frozen=True)
class Booking:
    """What a calendar message tells of its assignment: which one, its sequence, whose, the shift, whether an
    invitation to it ever reached the person (only then is a new one an update), and what the last calendar
    message that reached them announced (an update says what moved from it; None after a cancellation, or
    when nothing was recorded)."""

    uid: str
    sequence: int
    person_name: str
    shift: Shift
    told: bool
    announced: str | None = None

    @classmethod
    def of(cls, assignment: Assignment, told: bool, announced: str | None = None) -> Booking:
        return cls(uid=assignment.uid, sequence=assignment.sequence, person_name=assignment.person.full_name,
                   shift=Shift.of(assignment), told=told, announced=announced)


def compose(message: OutboxMessage) -> EmailMessage:
    """The complete e-mail for one queued message, as its recipient's client reads it.

    Raises :class:`ComposeError` when the message cannot be made.
    """
    return email.message_from_bytes(Composer().message_bytes(message), policy=policy.default)


class Composer:
    """Makes the bytes of one message after another, for an SMTP server; one instance per thread."""

    def __init__(self) -> None:
        self.wording = ShiftWording()
        self.calendars = Invitations()
        self._boundaries = mime.Boundaries()
        self._from: tuple[str, Mailbox, bytes] | None = None  # ROTATION_MAIL_FROM, its mailbox and header
        self._date: tuple[datetime, bytes] | None = None  # the second the last Date header was written for
        self._subjects: dict[str, bytes] = {}

    def message_bytes(self, message: QueuedMessage, bookings: Mapping[int, Booking] | None = None) -> bytes:
        """The e-mail for one queued message, CRLF lines ready to hand to an SMTP server.

        From is ``ROTATION_MAIL_FROM``, To the recipient with their name; the
        Message-ID is stable for the message, so a retried delivery carries the
        same one. ``bookings`` are those :func:`read_bookings` read for the
        message's batch (an assignment missing from them is gone); without
        them a calendar message finds its assignment as :func:`compose` does.
        Raises :class:`ComposeError` when the message cannot be made.
        """
        recipient = _recipient(message)
        sender, from_header = self._sender()
        now = _now().replace(microsecond=0)
        if message.purpose in CALENDAR_PURPOSES:
            subject, content_type, body = self._calendar_email(message, recipient, now, bookings)
        else:
            subject, content_type, body = self._account_email(message)
        return b"".join([
            self._subject(subject),
            from_header,
            mime.header("To", recipient.header),
            self._date_header(now),
            mime.header("Message-ID", f"<outbox-{message.id}.{message.sequence or 0}@{sender.domain}>"),
            b"Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n",
            content_type,
            mime.CRLF,
            body,
        ])

    def _calendar_email(self, message: QueuedMessage, recipient: Mailbox, now: datetime,
                        bookings: Mapping[int, Booking] | None) -> tuple[str, bytes, bytes]:
        """multipart/mixed → multipart/alternative: plain, HTML, text/calendar."""
        if bookings is None:
            assignment = _load_assignment(message)
            booking: Booking | None = Booking.of(assignment, *_told_about(message))
        else:
            booking = bookings.get(message.assignment_id)  # type: ignore[arg-type]
        if booking is None:
            raise ComposeError(GONE)
        method = METHOD_FOR_PURPOSE.get(message.purpose, REQUEST)
        sequence = max(message.sequence or 0, booking.sequence)
        texts, description = self.wording.for_person(booking.shift, name=booking.person_name, uid=booking.uid,
                                                     method=method, updated=sequence > 0 and booking.told,
                                                     announced=booking.announced)
        attendee = Attendee(email=recipient.address, name=message.recipient_name or recipient.name)
        calendar = self.calendars.calendar(booking.shift, booking.uid, method, attendee=attendee, sequence=sequence,
                                           description=description, stamp=now)
        alternative = mime.multipart("alternative", [mime.text_part("plain", texts.plain),
                                                     mime.text_part("html", texts.html),
                                                     mime.calendar_part(method, calendar)], self._boundaries.next())
        return (texts.subject, *mime.multipart("mixed", [mime.part(*alternative)], self._boundaries.next()))

    def _account_email(self, message: QueuedMessage) -> tuple[str, bytes, bytes]:
        """Plain text and HTML from the subject and text stored when the message was queued."""
        if not message.subject or not message.body_text:
            raise ComposeError("This account e-mail has no subject or text to send.")
        return (message.subject, *mime.multipart("alternative", [
            mime.text_part("plain", message.body_text),
            mime.text_part("html", _text_as_html(message.body_text)),
        ], self._boundaries.next()))

    def _subject(self, subject: str) -> bytes:
        """The Subject header; a shift's subject is shared by everyone on it, so each is written once."""
        written = self._subjects.get(subject)
        if written is None:
            if len(self._subjects) >= SUBJECTS_KEPT:
                self._subjects.clear()
            written = self._subjects[subject] = mime.header("Subject", subject)
        return written

    def _date_header(self, now: datetime) -> bytes:
        if self._date is None or self._date[0] != now:
            self._date = (now, mime.header("Date", format_datetime(now)))
        return self._date[1]

    def _sender(self) -> tuple[Mailbox, bytes]:
        """ROTATION_MAIL_FROM and its From header, worked out again only when the setting changes."""
        setting = current_app.config["ROTATION_MAIL_FROM"]
        if self._from is None or self._from[0] != setting:
            sender = _sender()
            self._from = (setting, sender, mime.header("From", sender.header))
        return self._from[1], self._from[2]


def read_bookings(messages: Iterable[QueuedMessage], connection: sa.Connection) -> dict[int, Booking]:
    """The bookings of the calendar messages among ``messages``, by assignment, in one query on ``connection``.

    An assignment that no longer exists has none.
    """
    wanted = sorted({message.assignment_id for message in messages
                     if message.purpose in CALENDAR_PURPOSES and message.assignment_id is not None})
    if not wanted:
        return {}
    url = base_url()
    return {row.id: _booking(row, url) for row in connection.execute(_BOOKINGS, {"ids": wanted})}


def _told(assignment_id) -> sa.Exists:
    """SQL: an invitation to the assignment was sent (its first version may have been replaced unsent)."""
    return sa.exists().where(OutboxMessage.assignment_id == assignment_id, OutboxMessage.status == SENT,
                             OutboxMessage.purpose == INVITATION)


def _announced(assignment_id) -> sa.ScalarSelect:
    """SQL: what the last calendar message sent about the assignment announced (NULL for a cancellation).

    Messages about one assignment are sent in the order they were queued (a newer one supersedes an older one
    still queued), so the last sent is the last queued of those sent.
    """
    return (sa.select(OutboxMessage.announced)
            .where(OutboxMessage.assignment_id == assignment_id, OutboxMessage.status == SENT,
                   OutboxMessage.purpose.in_(CALENDAR_PURPOSES))
            .order_by(OutboxMessage.id.desc()).limit(1).scalar_subquery())


# A booking, read in one query for a batch of messages.
_BOOKINGS = (
    sa.select(Assignment.id, Assignment.uid, Assignment.sequence, Assignment.kind, Person.full_name,
              Slot.first_day, Slot.last_day, Slot.starts_at, Slot.ends_at, Site.name, Site.address, Site.host_name,
              Site.host_email, Site.timezone, _told(Assignment.id).label("told"),
              _announced(Assignment.id).label("announced"))
    .join(Person, Person.id == Assignment.person_id)
    .join(Slot, Slot.id == Assignment.slot_id)
    .join(Site, Site.id == Slot.site_id)
    .where(Assignment.id.in_(sa.bindparam("ids", expanding=True)))
)


def _booking(row: sa.Row, url: str) -> Booking:
    return Booking(uid=row.uid, sequence=row.sequence, person_name=row.full_name, told=bool(row.told),
                   announced=row.announced, shift=Shift(
        kind=row.kind, site_name=row.name, address=row.address, host_name=row.host_name, host_email=row.host_email,
        timezone=row.timezone, first_day=row.first_day, last_day=row.last_day, starts_at=row.starts_at,
        ends_at=row.ends_at, base_url=url))


def _text_as_html(text: str) -> str:
    """The stored text as a small HTML page: escaped paragraphs, links clickable."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        lines = [_linkify(line) for line in paragraph.splitlines()]
        paragraphs.append(Markup("<p>") + Markup("<br>\n").join(lines) + Markup("</p>"))
    body = Markup("\n").join(paragraphs)
    return f'<!doctype html>\n<html><body>\n{body}\n</body></html>\n'


def _linkify(line: str) -> Markup:
    """One escaped line whose web addresses are links."""
    parts: list[Markup] = []
    position = 0
    for match in _LINK.finditer(line):
        url = match.group(0)
        parts.append(escape(line[position:match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.end()
    parts.append(escape(line[position:]))
    return Markup("").join(parts)


def _recipient(message: QueuedMessage) -> Mailbox:
    """The To mailbox, refusing a malformed address (it would fail at the server or worse)."""
    address = (message.recipient or "").strip()
    if not _ADDRESS.match(address):
        raise ComposeError(f"The address {address!r} is not a valid e-mail address; correct it in the roster.")
    recipient = Mailbox(address=address, name=_single_line(message.recipient_name or ""))
    if not address.isascii():
        try:
            _ = recipient.header  # the registry checks what our pattern cannot
        except (ValueError, IndexError) as error:
            raise ComposeError(f"The address {address!r} cannot be used: {error}.") from None
    return recipient


def _sender() -> Mailbox:
    """ROTATION_MAIL_FROM, the operator's own setting: a dotless domain such as "localhost" is fine."""
    address = (current_app.config["ROTATION_MAIL_FROM"] or "").strip()
    if not _ADDRESS.match(address):
        raise ComposeError(f"ROTATION_MAIL_FROM {address!r} is not a valid e-mail address.")
    return Mailbox(address=address, name=SENDER_NAME)


def _load_assignment(message: QueuedMessage) -> Assignment:
    """The message's assignment with its person, slot and site, as it is in this transaction.

    :func:`compose` may be called for each message of a batch held in the
    session, so the first message loads the assignments of the calendar
    messages the session holds in one query, and the others find theirs
    already loaded.
    """
    if message.assignment_id is not None:
        assignment = _loaded_assignment(message.assignment_id)
        if assignment is None:
            _load_ahead(message)
            assignment = _loaded_assignment(message.assignment_id)
        if assignment is not None:
            return assignment
    raise ComposeError(GONE)


# An assignment with what its messages say about it: the person, the slot and the site.
_ASSIGNMENTS = sa.select(Assignment).options(joinedload(Assignment.person),
                                             joinedload(Assignment.slot).joinedload(Slot.site))
# How many assignments one look-up loads for the messages after this one.
LOAD_AHEAD = 100
# How many loaded assignments the session keeps alive (it holds objects only weakly) before letting go.
HOLD_AT_MOST = 1_000
_HELD = "rotation.outbox.compose: assignments loaded ahead"
_TOLD = "rotation.outbox.compose: whether each assignment's person was sent an invitation, and what it announced"


def _load_ahead(message: QueuedMessage) -> None:
    """Load this message's assignment and those of the next calendar messages in the session."""
    wanted = {message.assignment_id, *_assignments_wanted_next(message.id)}
    held: dict[int, Assignment] = db.session.info.setdefault(_HELD, {})
    if len(held) + len(wanted) > HOLD_AT_MOST:
        held.clear()
    loaded = db.session.execute(_ASSIGNMENTS.add_columns(_told(Assignment.id), _announced(Assignment.id))
                                .where(Assignment.id.in_(sorted(wanted)))).unique().all()
    held.update((assignment.id, assignment) for assignment, _, _ in loaded)
    _remember_told({assignment.id: (bool(told), announced) for assignment, told, announced in loaded})


def _told_about(message: QueuedMessage) -> tuple[bool, str | None]:
    """Whether an invitation to the message's assignment was sent before, and what the last calendar message sent
    about it announced (known from the look-ahead, or read with the next calendar messages' in one query)."""
    assignment_id = message.assignment_id
    if assignment_id is None:
        return False, None
    known: dict[int, tuple[bool, str | None]] = db.session.info.get(_TOLD, {})
    if assignment_id not in known:
        wanted = {assignment_id, *_calendar_assignments_after(message.id)}
        _remember_told({assignment: (bool(told), announced) for assignment, told, announced in db.session.execute(
            sa.select(Assignment.id, _told(Assignment.id), _announced(Assignment.id))
            .where(Assignment.id.in_(sorted(wanted)))).tuples()})
        known = db.session.info.get(_TOLD, {})
    return known.get(assignment_id, (False, None))


def _remember_told(told: dict[int, tuple[bool, str | None]]) -> None:
    known: dict[int, tuple[bool, str | None]] = db.session.info.setdefault(_TOLD, {})
    if len(known) + len(told) > HOLD_AT_MOST:
        known.clear()
    known.update(told)


def _loaded_assignment(assignment_id: int) -> Assignment | None:
    """The assignment if this session already holds it with its person, slot and site; else None."""
    assignment = db.session.identity_map.get(identity_key(Assignment, assignment_id))
    if assignment is None or {"person", "slot"} & sa.inspect(assignment).unloaded:
        return None
    if "site" in sa.inspect(assignment.slot).unloaded:
        return None
    return assignment


def _assignments_wanted_next(message_id: int | None) -> list[int]:
    """Assignments of the calendar messages in this session after ``message_id`` (a batch held there) that the
    session does not hold loaded yet."""
    return [assignment_id for assignment_id in _calendar_assignments_after(message_id)
            if _loaded_assignment(assignment_id) is None]


def _calendar_assignments_after(message_id: int | None) -> list[int]:
    """Assignments of the calendar messages in this session after ``message_id``, at most ``LOAD_AHEAD``."""
    waiting: list[tuple[int, int]] = []
    for held in list(db.session.identity_map.values()):
        if not isinstance(held, OutboxMessage):
            continue
        values = sa.inspect(held).dict  # what is loaded; an expired message is left alone
        held_id, assignment_id = values.get("id"), values.get("assignment_id")
        if values.get("purpose") in CALENDAR_PURPOSES and assignment_id is not None and held_id is not None \
                and (message_id is None or held_id > message_id):
            waiting.append((held_id, assignment_id))
    waiting.sort()
    return [assignment_id for _, assignment_id in waiting[:LOAD_AHEAD]]


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _now() -> datetime:
    return utcnow()
