"""What a message in the organizer mailbox says: an attendee's answer, a counter-proposal, a bounce, or neither.

Pure parsing, no database: :func:`read` turns the raw bytes into a
:class:`Reading`. Calendar parts are read with ``icalendar``, which takes what
real clients write (Outlook's ``X-MICROSOFT-*`` lines, Google's folded
ATTENDEE lines, a TZID with its VTIMEZONE). A reply is found in a
``text/calendar`` part or an ``.ics`` attachment (RFC 6047); a bounce is a
``multipart/report; report-type=delivery-status`` (RFC 3464) naming one of
Rotation's messages by the Message-ID it gave it (``<outbox-ID.SEQUENCE@…>``).
"""
from __future__ import annotations

import email
import hashlib
import html
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

import icalendar

# The calendar answers an attendee's app sends, and which PARTSTAT each carries.
REPLY = "REPLY"
COUNTER = "COUNTER"
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")
# How Rotation names its messages (rotation/outbox/compose.py): the outbox row's id, then the sequence.
_OUR_MESSAGE_ID = re.compile(r"<outbox-(\d+)\.\d+@[^>\s]+>")
_CALENDAR_TYPES = ("text/calendar", "application/ics")
MAX_COMMENT = 2000
MAX_REASON = 1000


@dataclass(frozen=True)
class CalendarAnswer:
    """A ``METHOD:REPLY`` or ``METHOD:COUNTER`` about one event."""

    method: str
    uid: str
    sequence: int
    attendee: str  # the ATTENDEE's address, lower case
    partstat: str  # ACCEPTED, DECLINED, TENTATIVE, or what else the app wrote
    comment: str | None
    proposed_start: date | datetime | None  # a COUNTER's DTSTART


@dataclass(frozen=True)
class Bounce:
    """A delivery status notification: which of Rotation's messages came back, and the remote server's reason."""

    outbox_message_id: int | None
    failed: bool  # Action: failed (a delay notice is not a bounce)
    reason: str


@dataclass(frozen=True)
class Reading:
    """One message from the mailbox as Rotation understands it; at most one of ``answer`` and ``bounce``."""

    key: str
    sender: str
    subject: str
    received_at: datetime | None
    answer: CalendarAnswer | None = None
    bounce: Bounce | None = None
    problem: str | None = None  # why a calendar part could not be read
    notes: tuple[str, ...] = field(default=())


def read(raw: bytes) -> Reading:
    """Understand one message; never raises for what a stranger can put in a mailbox."""
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    key = message_key(message, raw)
    sender = _sender(message)
    subject = " ".join(str(message.get("Subject", "") or "").split())[:300]
    received_at = _date(message)
    basics = Reading(key=key, sender=sender, subject=subject, received_at=received_at)
    if message.get_content_type() == "multipart/report" \
            and str(message.get_param("report-type", "", header="content-type")).lower() == "delivery-status":
        return replace(basics, bounce=_bounce(message))  # a read receipt (disposition-notification) is not one
    calendar = _calendar_part(message)
    if calendar is None:
        return basics
    try:
        return replace(basics, answer=_answer(calendar))
    except (ValueError, KeyError, IndexError, TypeError) as error:
        return replace(basics, problem=f"Its calendar part could not be read: {error}"[:MAX_REASON])


def message_key(message: Message, raw: bytes) -> str:
    """What makes a message the same message when it is read twice: its Message-ID, else a digest of it."""
    message_id = " ".join(str(message.get("Message-ID", "") or "").split())
    if message_id and len(message_id) <= 250:
        return f"id:{message_id}"
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _sender(message: EmailMessage) -> str:
    addresses = getaddresses([str(message.get("From", "") or "")])
    return addresses[0][1].strip().lower()[:254] if addresses else ""


def _date(message: EmailMessage) -> datetime | None:
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    return sent.astimezone(UTC) if sent.tzinfo else sent.replace(tzinfo=UTC)


def _calendar_part(message: EmailMessage) -> bytes | None:
    """The first calendar part, inline or attached (Google sends both; they say the same)."""
    for part in message.walk():
        if part.get_content_type() in _CALENDAR_TYPES or (
                part.get_filename() or "").lower().endswith(".ics"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                return payload
    return None


def _answer(data: bytes) -> CalendarAnswer:
    calendar = icalendar.Calendar.from_ical(data)
    method = str(calendar.get("METHOD", "")).strip().upper()
    events = calendar.walk("VEVENT")
    if not events:
        raise ValueError("it holds no event")
    event = events[0]
    attendees = event.get("ATTENDEE")
    if isinstance(attendees, list):
        attendee = attendees[0] if len(attendees) == 1 else None
        if attendee is None:
            raise ValueError("it answers for more than one attendee")
    else:
        attendee = attendees
    if attendee is None:
        raise ValueError("it names no attendee")
    address = str(attendee).strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    partstat = str(getattr(attendee, "params", {}).get("PARTSTAT", "")).upper()
    # Google writes the note as the attendee's X-RESPONSE-COMMENT parameter (HTML-escaped), the others as COMMENT.
    params = getattr(attendee, "params", {})
    comment = event.get("COMMENT") or _unescaped(params.get("X-RESPONSE-COMMENT"))
    if isinstance(comment, list):
        comment = " ".join(str(item) for item in comment)
    proposed = None
    if method == COUNTER and event.get("DTSTART") is not None:
        proposed = event.decoded("DTSTART")
    return CalendarAnswer(
        method=method, uid=str(event.get("UID", "")).strip(), sequence=int(event.get("SEQUENCE", 0) or 0),
        attendee=address.lower(), partstat=partstat,
        comment=(" ".join(str(comment).split())[:MAX_COMMENT] or None) if comment else None,
        proposed_start=proposed)


def _unescaped(value: object) -> str | None:
    if value is None:
        return None
    return html.unescape(str(value).replace("\\;", ";").replace("\\,", ","))


def _bounce(report: EmailMessage) -> Bounce:
    """The report's first failed recipient's status and diagnostic, and the outbox message it is about."""
    action, status, diagnostic, remote = "", "", "", ""
    returned_ids: list[str] = []
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in part.get_payload():
                if not isinstance(block, Message):
                    continue
                fields = {key.lower(): " ".join(str(value).split()) for key, value in block.items()}
                if "action" in fields and not action:
                    action, status = fields["action"].lower(), fields.get("status", "")
                    diagnostic = fields.get("diagnostic-code", "")
                    remote = fields.get("remote-mta", "")
        elif content_type in ("text/rfc822-headers", "message/rfc822"):
            returned_ids.extend(_OUR_MESSAGE_ID.findall(part.as_string()))
    if not returned_ids:  # some servers quote the original in the human part only
        returned_ids = _OUR_MESSAGE_ID.findall(report.as_string())
    reason = diagnostic.removeprefix("smtp;").strip() or status or "no reason given"
    if remote:
        reason = f"{reason} (from {remote.removeprefix('dns;').strip()})"
    return Bounce(outbox_message_id=int(returned_ids[0]) if returned_ids else None,
                  failed=action == "failed", reason=reason[:MAX_REASON])
