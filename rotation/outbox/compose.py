"""Turning one queued outbox message into the e-mail its recipient gets.

Calendar messages are made here, at send time, from the assignment as it now
is: an iMIP e-mail (RFC 6047) whose first part offers the plain text, the HTML
and the ``text/calendar`` invitation or cancellation side by side, with the
same calendar attached as ``invite.ics`` for clients that only look at
attachments. Account messages carry the subject and text stored when they were
queued (their link is a secret kept nowhere else).
"""
from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload

from rotation.assignments.models import Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.calendar import CANCEL, REQUEST, Attendee, invitation_calendar
from rotation.outbox.models import CALENDAR_PURPOSES, CANCELLATION, OutboxMessage
from rotation.outbox.texts import shift_texts
from rotation.sites.models import Slot

# What the calendar part of each calendar purpose announces.
METHOD_FOR_PURPOSE = {CANCELLATION: CANCEL}
# A usable address: one @, no spaces, quotes, angle brackets, commas or control characters; the domain
# may be dotless ("rotation@localhost") but not start or end with a dot.
_ATOM = r"[^\s@<>\"(),;:\\\[\]\x00-\x1f\x7f]+"
_ADDRESS = re.compile(rf"^{_ATOM}@(?!\.){_ATOM}(?<!\.)$")
_LINK = re.compile(r"https?://[^\s<>\"]+")


class ComposeError(ValueError):
    """A message that cannot be made; the sentence says why and is shown to HR."""


def compose(message: OutboxMessage) -> EmailMessage:
    """The complete e-mail for one queued message, ready to hand to an SMTP server.

    From is ``ROTATION_MAIL_FROM``, To the recipient with their name; the
    Message-ID is stable for the message, so a retried delivery carries the
    same one. Raises :class:`ComposeError` when the message cannot be made.
    """
    recipient = _recipient_address(message)
    if message.purpose in CALENDAR_PURPOSES:
        email = _calendar_email(message, recipient)
    else:
        email = _account_email(message)
    _add_headers(email, message, recipient)
    return email


def _calendar_email(message: OutboxMessage, recipient: Address) -> EmailMessage:
    """multipart/mixed → (multipart/alternative: plain, HTML, text/calendar) + invite.ics."""
    assignment = _load_assignment(message)
    method = METHOD_FOR_PURPOSE.get(message.purpose, REQUEST)
    sequence = max(message.sequence or 0, assignment.sequence)
    attendee = Attendee(email=recipient.addr_spec, name=message.recipient_name or recipient.display_name)
    calendar = invitation_calendar(assignment, method, attendee=attendee, sequence=sequence)
    texts = shift_texts(assignment, method, updated=sequence > 0)
    email = EmailMessage()
    email["Subject"] = texts.subject
    email.make_mixed()
    alternative = EmailMessage()
    alternative.set_content(texts.plain, subtype="plain", charset="utf-8", cte="quoted-printable")
    alternative.add_alternative(texts.html, subtype="html", charset="utf-8", cte="quoted-printable")
    alternative.add_alternative(calendar, maintype="text", subtype="calendar",
                                params={"charset": "UTF-8", "method": method})
    email.attach(alternative)
    email.add_attachment(calendar, maintype="application", subtype="ics", filename="invite.ics")
    return email


def _account_email(message: OutboxMessage) -> EmailMessage:
    """Plain text and HTML from the subject and text stored when the message was queued."""
    if not message.subject or not message.body_text:
        raise ComposeError("This account e-mail has no subject or text to send.")
    email = EmailMessage()
    email["Subject"] = message.subject
    email.set_content(message.body_text, subtype="plain", charset="utf-8", cte="quoted-printable")
    email.add_alternative(_text_as_html(message.body_text), subtype="html", charset="utf-8",
                          cte="quoted-printable")
    return email


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


def _recipient_address(message: OutboxMessage) -> Address:
    """The To address, refusing a malformed one (it would fail at the server or worse)."""
    address = (message.recipient or "").strip()
    if not _ADDRESS.match(address):
        raise ComposeError(f"The address {address!r} is not a valid e-mail address; correct it in the roster.")
    name = _single_line(message.recipient_name or "")
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError) as error:
        raise ComposeError(f"The address {address!r} cannot be used: {error}.") from None


def _sender_address() -> Address:
    sender = current_app.config["ROTATION_MAIL_FROM"]
    if not _ADDRESS.match(sender):
        raise ComposeError(f"ROTATION_MAIL_FROM {sender!r} is not a valid e-mail address.")
    return Address(display_name="Rotation", addr_spec=sender)


def _add_headers(email: EmailMessage, message: OutboxMessage, recipient: Address) -> None:
    sender = _sender_address()
    if "MIME-Version" not in email:
        email["MIME-Version"] = "1.0"
    email["From"] = sender
    email["To"] = recipient
    email["Date"] = format_datetime(_now())
    email["Message-ID"] = f"<outbox-{message.id}.{message.sequence or 0}@{sender.domain}>"
    email["Auto-Submitted"] = "auto-generated"


def _load_assignment(message: OutboxMessage) -> Assignment:
    """The message's assignment with its person, slot and site, as it is now."""
    assignment = None
    if message.assignment_id is not None:
        assignment = db.session.scalar(
            sa.select(Assignment).where(Assignment.id == message.assignment_id)
            .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site)))
    if assignment is None:
        raise ComposeError("The shift this message was about no longer exists, so there is nothing to send.")
    return assignment


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _now() -> datetime:
    return utcnow()
