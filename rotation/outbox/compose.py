"""Turning one queued outbox message into the e-mail its recipient gets.

Calendar messages are made here, at send time, from the assignment as it now
is: an iMIP e-mail (RFC 6047) whose first part offers the plain text, the HTML
and the ``text/calendar`` invitation or cancellation side by side. There is no
separate ``invite.ics`` attachment (calendar.md: optional; Outlook sends none):
it would add a third to every message for clients that read the part anyway.
Account messages carry the subject and text stored when they were queued
(their link is a secret kept nowhere else).

The sender makes thousands of e-mails in a row, so they are written straight
to the bytes the e-mail library would write (CRLF lines, as ``policy.SMTP``
flattens them), without building a tree of message objects: headers in plain
ASCII folded before spaces, bodies encoded once by the C codecs
(quoted-printable text, base64 calendars), parts joined by boundaries no
encoded part can contain. A header that is not plain ASCII or too long to fold
simply (a name with accents, say) goes through the library's header registry,
which encodes it properly. :func:`compose` gives the same bytes read back as a
message. A :class:`Composer` keeps what many messages share (the texts and
calendar lines of a shift: :class:`ShiftWording`, :class:`Invitations`) and
serves one thread; nothing else is shared, so several threads may compose at
once.
"""
from __future__ import annotations

import base64
import binascii
import email
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from rotation.assignments.models import Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.calendar import CANCEL, REQUEST, Attendee, Invitations
from rotation.outbox.models import CALENDAR_PURPOSES, CANCELLATION, OutboxMessage
from rotation.outbox.texts import ShiftWording
from rotation.sites.models import Slot

# What the calendar part of each calendar purpose announces.
METHOD_FOR_PURPOSE = {CANCELLATION: CANCEL}
SENDER_NAME = "Rotation"
# The longest header line we write ourselves, "Name: value" (RFC 5322 2.1.1); longer ones we fold.
MAX_HEADER_LINE = 78
# Headers of free text, which any text can be written into as encoded words (RFC 2047).
TEXT_HEADERS = frozenset({"Subject"})
# A usable address: one @, no spaces, quotes, angle brackets, commas or control characters, no empty part
# between dots; the domain may be dotless ("rotation@localhost") but not start or end with a dot.
_ATOM = r"[^\s@<>\"(),;:\\\[\]\x00-\x1f\x7f]+"
_ADDRESS = re.compile(rf"^(?!.*\.\.){_ATOM}@(?!\.){_ATOM}(?<!\.)$")
_LINK = re.compile(r"https?://[^\s<>\"]+")
_LINE_BREAK = re.compile(r"\r\n?")
CRLF = "\r\n"


class ComposeError(ValueError):
    """A message that cannot be made; the sentence says why and is shown to HR."""


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
        if self.name.isascii() and self.address.isascii():
            return formataddr((self.name, self.address))  # quotes a name with , ; : " < > as it must
        return Address(display_name=self.name, addr_spec=self.address)  # encoded words, SMTPUTF8 addresses


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

    def message_bytes(self, message: OutboxMessage) -> bytes:
        """The e-mail for one queued message, CRLF lines ready to hand to an SMTP server.

        From is ``ROTATION_MAIL_FROM``, To the recipient with their name; the
        Message-ID is stable for the message, so a retried delivery carries the
        same one. Raises :class:`ComposeError` when the message cannot be made.
        """
        recipient = _recipient(message)
        if message.purpose in CALENDAR_PURPOSES:
            subject, content_type, body = self._calendar_email(message, recipient)
        else:
            subject, content_type, body = _account_email(message)
        return b"".join([_headers(message, recipient, subject), _header("Content-Type", content_type),
                         b"\r\n", body])

    def _calendar_email(self, message: OutboxMessage, recipient: Mailbox) -> tuple[str, str, bytes]:
        """multipart/mixed → multipart/alternative: plain, HTML, text/calendar."""
        assignment = _load_assignment(message)
        method = METHOD_FOR_PURPOSE.get(message.purpose, REQUEST)
        sequence = max(message.sequence or 0, assignment.sequence)
        facts = self.wording.facts(assignment)
        attendee = Attendee(email=recipient.address, name=message.recipient_name or recipient.name)
        calendar = self.calendars.calendar(assignment, method, attendee=attendee, sequence=sequence, facts=facts,
                                           stamp=_now())
        texts = self.wording.texts(assignment, method, updated=sequence > 0)
        alternative = _multipart("alternative", [
            _text_part("plain", texts.plain),
            _text_part("html", texts.html),
            _part(f"text/calendar; charset=UTF-8; method={method}", "base64", _base64(calendar)),
        ])
        return (texts.subject, *_multipart("mixed", [_multipart_part(*alternative)]))


def _account_email(message: OutboxMessage) -> tuple[str, str, bytes]:
    """Plain text and HTML from the subject and text stored when the message was queued."""
    if not message.subject or not message.body_text:
        raise ComposeError("This account e-mail has no subject or text to send.")
    content_type, body = _multipart("alternative", [_text_part("plain", message.body_text),
                                                    _text_part("html", _text_as_html(message.body_text))])
    return message.subject, content_type, body


def _multipart(subtype: str, parts: list[bytes]) -> tuple[str, bytes]:
    """The content type and body of a multipart of ``parts``.

    Its boundary is one no encoded part can contain ("=_" is neither
    quoted-printable nor base64), written as the e-mail library writes one.
    """
    boundary = f"=_{secrets.token_hex(12)}"
    delimiter = f"--{boundary}\r\n".encode("ascii")
    body = delimiter + (b"\r\n" + delimiter).join(parts) + f"\r\n--{boundary}--\r\n".encode("ascii")
    return f'multipart/{subtype}; boundary="{boundary}"', body


def _multipart_part(content_type: str, body: bytes) -> bytes:
    return _header("Content-Type", content_type) + b"\r\n" + body


def _text_part(subtype: str, text: str) -> bytes:
    """UTF-8 text, quoted-printable, with lines ending in a newline as set_content would write them."""
    text = _LINE_BREAK.sub("\n", text)
    if not text.endswith("\n"):
        text += "\n"
    encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    return _part(f'text/{subtype}; charset="utf-8"', "quoted-printable", encoded)


def _part(content_type: str, encoding: str, payload: bytes) -> bytes:
    """One leaf part: its two headers, and its encoded payload (ASCII lines ending in a newline) in CRLF lines."""
    return b"".join([_header("Content-Type", content_type), _header("Content-Transfer-Encoding", encoding),
                     b"\r\n", payload.replace(b"\n", b"\r\n")])


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data)


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


def _recipient(message: OutboxMessage) -> Mailbox:
    """The To mailbox, refusing a malformed address (it would fail at the server or worse)."""
    address = (message.recipient or "").strip()
    if not _ADDRESS.match(address):
        raise ComposeError(f"The address {address!r} is not a valid e-mail address; correct it in the roster.")
    recipient = Mailbox(address=address, name=_single_line(message.recipient_name or ""))
    if not address.isascii():
        try:
            recipient.header  # the registry checks what our pattern cannot
        except (ValueError, IndexError) as error:
            raise ComposeError(f"The address {address!r} cannot be used: {error}.") from None
    return recipient


def _sender() -> Mailbox:
    """ROTATION_MAIL_FROM, the operator's own setting: a dotless domain such as "localhost" is fine."""
    address = (current_app.config["ROTATION_MAIL_FROM"] or "").strip()
    if not _ADDRESS.match(address):
        raise ComposeError(f"ROTATION_MAIL_FROM {address!r} is not a valid e-mail address.")
    return Mailbox(address=address, name=SENDER_NAME)


def _headers(message: OutboxMessage, recipient: Mailbox, subject: str) -> bytes:
    """The message's headers but its content type, which follows them."""
    sender = _sender()
    return b"".join([
        _header("Subject", subject),
        _header("From", sender.header),
        _header("To", recipient.header),
        _header("Date", format_datetime(_now())),
        _header("Message-ID", f"<outbox-{message.id}.{message.sequence or 0}@{sender.domain}>"),
        _header("Auto-Submitted", "auto-generated"),
        _header("MIME-Version", "1.0"),
    ])


def _header(name: str, value: str | Address) -> bytes:
    """One header as it goes on the wire: written ourselves when we can, else by the library's registry.

    Plain ASCII is folded before spaces; free text (the subject) that is not
    plain ASCII, or that looks like an encoded word, is written as UTF-8
    encoded words.
    """
    if isinstance(value, str):
        lines = _folded(name, value)
        if lines is None and name in TEXT_HEADERS:
            lines = Header(value, "utf-8", MAX_HEADER_LINE, name).encode(linesep="\n").split("\n")
        if lines is not None:
            return f"{name}: {CRLF.join(lines)}{CRLF}".encode("ascii")
    return policy.SMTP.fold_binary(name, policy.default.header_store_parse(name, value)[1])


def _folded(name: str, value: str) -> list[str] | None:
    """``value`` cut before spaces into lines that fit beside ``name``; None when it is not that simple."""
    if not value.isascii() or "=?" in value or not value.isprintable():
        return None
    lines: list[str] = []
    room = MAX_HEADER_LINE - len(name) - 2
    while len(value) > room:
        cut = value.rfind(" ", 1, room + 1)
        if cut <= 0:
            return None  # a word too long for a line
        lines.append(value[:cut])
        value, room = value[cut:], MAX_HEADER_LINE  # the continuation line starts with the space
    lines.append(value)
    return lines


def _load_assignment(message: OutboxMessage) -> Assignment:
    """The message's assignment with its person, slot and site, as it is in this transaction.

    The sender composes a claimed batch in one transaction, so the first
    message of a batch loads the assignments of the calendar messages the
    session holds in one query, and the others find theirs already loaded.
    """
    if message.assignment_id is not None:
        assignment = _loaded_assignment(message.assignment_id)
        if assignment is None:
            _load_ahead(message)
            assignment = _loaded_assignment(message.assignment_id)
        if assignment is not None:
            return assignment
    raise ComposeError("The shift this message was about no longer exists, so there is nothing to send.")


# An assignment with what its messages say about it: the person, the slot and the site.
_ASSIGNMENTS = sa.select(Assignment).options(joinedload(Assignment.person),
                                             joinedload(Assignment.slot).joinedload(Slot.site))
# How many assignments one look-up loads for the messages after this one.
LOAD_AHEAD = 100
# How many loaded assignments the session keeps alive (it holds objects only weakly) before letting go.
HOLD_AT_MOST = 1_000
_HELD = "rotation.outbox.compose: assignments loaded ahead"


def _load_ahead(message: OutboxMessage) -> None:
    """Load this message's assignment and those of the next calendar messages in the session."""
    wanted = {message.assignment_id, *_assignments_wanted_next(message.id)}
    held: dict[int, Assignment] = db.session.info.setdefault(_HELD, {})
    if len(held) + len(wanted) > HOLD_AT_MOST:
        held.clear()
    loaded = db.session.scalars(_ASSIGNMENTS.where(Assignment.id.in_(sorted(wanted)))).unique().all()
    held.update((assignment.id, assignment) for assignment in loaded)


def _loaded_assignment(assignment_id: int) -> Assignment | None:
    """The assignment if this session already holds it with its person, slot and site; else None."""
    assignment = db.session.identity_map.get(identity_key(Assignment, assignment_id))
    if assignment is None or {"person", "slot"} & sa.inspect(assignment).unloaded:
        return None
    if "site" in sa.inspect(assignment.slot).unloaded:
        return None
    return assignment


def _assignments_wanted_next(message_id: int | None) -> list[int]:
    """Assignments of the calendar messages in this session after ``message_id`` (the sender's batch)."""
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
    return [assignment_id for _, assignment_id in waiting[:LOAD_AHEAD]
            if _loaded_assignment(assignment_id) is None]


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _now() -> datetime:
    return utcnow()
