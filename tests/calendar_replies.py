"""What comes back to the organizer mailbox after an invitation: real clients' answers, and a bounce.

Each builder takes the invitation's raw bytes as the attendee received them and returns the raw e-mail
that client sends back (RFC 5546/6047), written the way that client writes it, not the way Rotation
would like it:

- ``outlook_reply``/``outlook_counter``: Outlook on Exchange or Microsoft 365 (``PRODID:Microsoft Exchange
  Server 2010``): the times in the attendee's Windows time zone with its VTIMEZONE, no ORGANIZER in a
  reply (nextcloud/server#53948), SUMMARY rewritten to the reply's subject, ``COMMENT`` "\\n" when nothing
  was written, the calendar part base64-encoded; a proposal keeps the invitation's times in
  ``X-MS-OLK-ORIGINALSTART``/``-END`` ([MS-OXCICAL] 2.1.3.1.1.20.58-59).
- ``google_reply``/``google_counter``: Google Calendar: UTC times, the ATTENDEE line folded at 75 octets
  with ``X-NUM-GUESTS=0`` and the note, HTML-escaped, in ``X-RESPONSE-COMMENT``; the calendar inline and
  again as an ``invite.ics`` attachment; the subject ends "@ <when> (<organizer>)". Google's "Propose a
  new time" sends ``METHOD:COUNTER`` (PARTSTAT=TENTATIVE, the proposed DTSTART/DTEND).
- ``thunderbird_reply``: Thunderbird: the invitation's lines as it stored them, without alarms, only the
  answering ATTENDEE, its fixed MIME boundaries, the subject made from the event's SUMMARY.
- ``delivery_status_notification``: a Postfix bounce (RFC 3464) of the invitation.

None of them carries In-Reply-To: a client answers the event (its UID), not the e-mail.
"""
from __future__ import annotations

import base64
import email
import secrets
import textwrap
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.utils import format_datetime, parseaddr
from zoneinfo import ZoneInfo

import icalendar

from rotation.db import utcnow
from tests.ical_parsers import parse_line, unfolded_lines
from tests.raw_mail import (
    calendar_bytes,
    date_line,
    envelope,
    html_escaped,
    ical_param,
    ical_text,
    mailbox,
    multipart,
    part,
    utc_stamp,
)

PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")
OUTLOOK_SUBJECTS = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}
GOOGLE_SUBJECTS = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentatively Accepted"}
GOOGLE_SAYS = {"ACCEPTED": "has accepted", "DECLINED": "has declined", "TENTATIVE": 'has replied "Maybe" to'}
THUNDERBIRD_SUBJECTS = {"ACCEPTED": "Accepted", "DECLINED": "Invitation Declined", "TENTATIVE": "Tentative"}
# An attendee's zone as Exchange names and writes it: (Windows name, standard offset, summer offset,
# (local time, BYDAY, month) summer time ends, the same for when it starts).
WINDOWS_ZONES = {
    "Europe/Helsinki": ("FLE Standard Time", "+0200", "+0300", ("040000", "-1SU", 10), ("030000", "-1SU", 3)),
    "Europe/Berlin": ("W. Europe Standard Time", "+0100", "+0200", ("030000", "-1SU", 10), ("020000", "-1SU", 3)),
    "Europe/London": ("GMT Standard Time", "+0000", "+0100", ("020000", "-1SU", 10), ("010000", "-1SU", 3)),
    "America/New_York": ("Eastern Standard Time", "-0500", "-0400", ("020000", "1SU", 11), ("020000", "2SU", 3)),
}
REPORTING_MTA = "mail.example.com"


@dataclass(frozen=True)
class Invitation:
    """What a client reads of an invitation before answering it. ``start``/``end`` are aware UTC datetimes,
    or dates for an all-day event; ``lines`` are the event's own content lines as written (unfolded) by
    name, the first of each; ``timezones`` its calendar's VTIMEZONE blocks as written."""

    subject: str
    message_id: str
    uid: str
    sequence: int
    summary: str
    location: str
    description: str
    start: datetime | date
    end: datetime | date
    organizer: str
    organizer_name: str
    attendee: str
    attendee_name: str
    lines: dict[str, str]
    timezones: list[str]

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)


@dataclass(frozen=True)
class Answerer:
    address: str
    name: str

    @property
    def label(self) -> str:
        """The name, or the address for someone without one (as Google and Exchange write CN)."""
        return self.name or self.address


def read_invitation(raw: bytes) -> Invitation:
    """The invitation in ``raw`` (an iMIP e-mail): its subject, and its text/calendar part's first event."""
    message = email.message_from_bytes(raw, policy=policy.default)
    data = next(part for part in message.walk() if part.get_content_type() == "text/calendar").get_payload(decode=True)
    assert isinstance(data, bytes), "the invitation's calendar part is empty"
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    attendee, organizer = event["ATTENDEE"], event["ORGANIZER"]
    attendee = attendee[0] if isinstance(attendee, list) else attendee
    lines, timezones = _written(data)
    return Invitation(
        subject=str(message["Subject"]), message_id=str(message["Message-ID"]), uid=str(event["UID"]),
        sequence=int(event.get("SEQUENCE", 0)), summary=str(event.get("SUMMARY", "")),
        location=str(event.get("LOCATION", "")), description=str(event.get("DESCRIPTION", "")),
        start=_utc(event.decoded("DTSTART")), end=_utc(event.decoded("DTEND")),
        organizer=_address(organizer), organizer_name=str(organizer.params.get("CN", "")),
        attendee=_address(attendee), attendee_name=str(attendee.params.get("CN", "")),
        lines=lines, timezones=timezones)


# ---------------------------------------------------------------- Outlook (Exchange)

def outlook_reply(invitation: bytes, partstat: str, comment: str | None = None, attendee: str | None = None,
                  sender: str | None = None, zone: str = "Europe/Helsinki") -> bytes:
    """Outlook's answer (Accept, Tentative, Decline) as Exchange writes it, in the attendee's ``zone``."""
    event, who = _answering(invitation, partstat, attendee)
    subject = f"{OUTLOOK_SUBJECTS[partstat]}: {event.subject}"
    lines = [f"ATTENDEE;PARTSTAT={partstat};CN={ical_param(who.label)}:mailto:{who.address}",
             f"COMMENT;LANGUAGE=en-US:{ical_text(comment or chr(10))}", f"UID:{event.uid}",
             f"SUMMARY;LANGUAGE=en-US:{ical_text(subject)}", *_exchange_times(event.start, event.end, zone),
             *_exchange_tail(event, "TENTATIVE" if partstat == "TENTATIVE" else "BUSY")]
    return _exchange_message(event, who, sender, subject, "REPLY", lines, comment, zone)


def outlook_counter(invitation: bytes, new_start: datetime | date, new_end: datetime | date,
                    comment: str | None = None, attendee: str | None = None, sender: str | None = None,
                    zone: str = "Europe/Helsinki") -> bytes:
    """Outlook's "Propose New Time": a COUNTER with the proposed times (dates for an all-day event), the
    invitation's in X-MS-OLK-ORIGINALSTART/-END."""
    event, who = _answering(invitation, "TENTATIVE", attendee)
    subject = f"New Time Proposed: {event.subject}"
    original = [line.replace("DTSTART", "X-MS-OLK-ORIGINALSTART").replace("DTEND", "X-MS-OLK-ORIGINALEND")
                for line in _exchange_times(event.start, event.end, zone)]
    lines = [f"ATTENDEE;PARTSTAT=TENTATIVE;CN={ical_param(who.label)}:mailto:{who.address}",
             f"COMMENT;LANGUAGE=en-US:{ical_text(comment or chr(10))}",
             f"ORGANIZER;CN={ical_param(event.organizer_name or event.organizer)}:mailto:{event.organizer}",
             f"UID:{event.uid}", f"SUMMARY;LANGUAGE=en-US:{ical_text(subject)}",
             *_exchange_times(new_start, new_end, zone), *_exchange_tail(event, "TENTATIVE"), *original]
    return _exchange_message(event, who, sender, subject, "COUNTER", lines, comment, zone)


def _exchange_times(start: datetime | date, end: datetime | date, zone: str) -> list[str]:
    name = WINDOWS_ZONES[zone][0]
    return [date_line("DTSTART", start, zone, name), date_line("DTEND", end, zone, name)]


def _exchange_tail(event: Invitation, busy: str) -> list[str]:
    return ["CLASS:PUBLIC", "PRIORITY:5", f"DTSTAMP:{utc_stamp(utcnow())}", "TRANSP:OPAQUE", "STATUS:CONFIRMED",
            f"SEQUENCE:{event.sequence}", f"LOCATION;LANGUAGE=en-US:{ical_text(event.location)}",
            f"X-MICROSOFT-CDO-APPT-SEQUENCE:{event.sequence}", "X-MICROSOFT-CDO-OWNERAPPTID:0",
            f"X-MICROSOFT-CDO-BUSYSTATUS:{busy}", "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
            f"X-MICROSOFT-CDO-ALLDAYEVENT:{'TRUE' if event.all_day else 'FALSE'}", "X-MICROSOFT-CDO-IMPORTANCE:1",
            "X-MICROSOFT-CDO-INSTTYPE:0", "X-MICROSOFT-DONOTFORWARDMEETING:FALSE",
            "X-MICROSOFT-DISALLOW-COUNTER:FALSE"]


def _windows_timezone(zone: str) -> list[str]:
    """The VTIMEZONE Exchange writes for the Windows zone of ``zone``: each rule from the year 1601."""
    name, standard, summer, (ends_at, ends_on, ends_in), (starts_at, starts_on, starts_in) = WINDOWS_ZONES[zone]
    return ["BEGIN:VTIMEZONE", f"TZID:{name}",
            "BEGIN:STANDARD", f"DTSTART:16010101T{ends_at}", f"TZOFFSETFROM:{summer}", f"TZOFFSETTO:{standard}",
            f"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY={ends_on};BYMONTH={ends_in}", "END:STANDARD",
            "BEGIN:DAYLIGHT", f"DTSTART:16010101T{starts_at}", f"TZOFFSETFROM:{standard}", f"TZOFFSETTO:{summer}",
            f"RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY={starts_on};BYMONTH={starts_in}", "END:DAYLIGHT", "END:VTIMEZONE"]


def _exchange_message(event: Invitation, who: Answerer, sender: str | None, subject: str, method: str,
                      lines: list[str], comment: str | None, zone: str) -> bytes:
    calendar = calendar_bytes([f"METHOD:{method}", "PRODID:Microsoft Exchange Server 2010", "VERSION:2.0",
                               *_windows_timezone(zone), "BEGIN:VEVENT", *lines, "END:VEVENT"])
    host = f"AM9PR07MB{secrets.token_hex(2).upper()}"
    boundary = f"_000_{host}{secrets.token_hex(8).upper()}_"
    body = multipart(boundary, [
        part('text/plain; charset="utf-8"', (comment or "").encode(), "quoted-printable"),
        part(f'text/calendar; charset="utf-8"; method={method}', calendar, "base64")])
    return envelope([("From", mailbox(sender or who.address, who.name)),
                     ("To", mailbox(event.organizer, event.organizer_name)), ("Subject", subject),
                     ("Thread-Topic", event.subject), ("Thread-Index", base64.b64encode(secrets.token_bytes(22))),
                     ("Date", format_datetime(utcnow())),
                     ("Message-ID", f"<{host}{secrets.token_hex(6).upper()}@{host}.eurprd07.prod.outlook.com>"),
                     ("Accept-Language", "en-US"), ("Content-Language", "en-US"), ("X-MS-Has-Attach", ""),
                     ("X-MS-TNEF-Correlator", "")], f'multipart/alternative; boundary="{boundary}"', body)


# ---------------------------------------------------------------- Google Calendar

def google_reply(invitation: bytes, partstat: str, comment: str | None = None, attendee: str | None = None,
                 sender: str | None = None, zone: str = "Europe/Helsinki") -> bytes:
    """Google Calendar's answer (Yes, Maybe, No) with its note; ``zone`` is the attendee's calendar's."""
    event, who = _answering(invitation, partstat, attendee)
    subject = f"{GOOGLE_SUBJECTS[partstat]}: {event.summary} @ {_google_when(event, zone)} ({event.organizer})"
    return _google_message(event, who, sender, "REPLY", partstat, (event.start, event.end), comment, subject,
                           f"{who.label} {GOOGLE_SAYS[partstat]} this invitation.")


def google_counter(invitation: bytes, new_start: datetime | date, new_end: datetime | date,
                   comment: str | None = None, attendee: str | None = None, sender: str | None = None,
                   zone: str = "Europe/Helsinki") -> bytes:
    """Google Calendar's "Propose a new time": a COUNTER, answering Maybe, with the proposed times."""
    event, who = _answering(invitation, "TENTATIVE", attendee)
    subject = f"New time proposed: {event.summary} @ {_google_when(event, zone)} ({event.organizer})"
    return _google_message(event, who, sender, "COUNTER", "TENTATIVE", (new_start, new_end), comment, subject,
                           f'{who.label} has replied "Maybe" to this invitation and proposed a new time.')


def _google_message(event: Invitation, who: Answerer, sender: str | None, method: str, partstat: str,
                    times: tuple[datetime | date, datetime | date], comment: str | None, subject: str,
                    said: str) -> bytes:
    # Google's note: HTML-escaped in a quoted parameter, its ";" escaped once more.
    note = "" if comment is None else \
        f';X-RESPONSE-COMMENT="{html_escaped(comment).replace(chr(10), " ").replace(";", chr(92) + ";")}"'
    now = utcnow()
    calendar = calendar_bytes([
        "BEGIN:VCALENDAR", "PRODID:-//Google Inc//Google Calendar 70.9054//EN", "VERSION:2.0",
        "CALSCALE:GREGORIAN", f"METHOD:{method}", "BEGIN:VEVENT", date_line("DTSTART", times[0]),
        date_line("DTEND", times[1]), f"DTSTAMP:{utc_stamp(now)}",
        f"ORGANIZER;CN={ical_param(event.organizer_name or event.organizer)}:mailto:{event.organizer}",
        f"UID:{event.uid}", f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat}"
        f";CN={ical_param(who.label)};X-NUM-GUESTS=0{note}:mailto:{who.address}",
        f"CREATED:{utc_stamp(now - timedelta(hours=1))}", f"DESCRIPTION:{ical_text(event.description)}",
        f"LAST-MODIFIED:{utc_stamp(now)}", f"LOCATION:{ical_text(event.location)}", f"SEQUENCE:{event.sequence}",
        "STATUS:CONFIRMED", f"SUMMARY:{ical_text(event.summary)}", "TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"])
    text = f"{said}\n\n{event.summary}\n" + (f"\nNote: {comment}\n" if comment else "")
    mixed, alternative = f"000000000000{secrets.token_hex(7)}", f"000000000000{secrets.token_hex(7)}"
    body = multipart(mixed, [
        f'Content-Type: multipart/alternative; boundary="{alternative}"\r\n\r\n'.encode() + multipart(alternative, [
            part('text/plain; charset="UTF-8"; format=flowed; delsp=yes', text.encode(), "base64"),
            part('text/html; charset="UTF-8"', f"<p>{html_escaped(text)}</p>".encode(), "quoted-printable"),
            part(f'text/calendar; charset="UTF-8"; method={method}', calendar, "base64")]),
        part('application/ics; name="invite.ics"', calendar, "base64",
             'Content-Disposition: attachment; filename="invite.ics"')])
    return envelope([("Sender", "Google Calendar <calendar-notification@google.com>"),
                     ("Date", format_datetime(now)), ("Message-ID", f"<000000000000{secrets.token_hex(8)}@google.com>"),
                     ("Subject", subject), ("From", mailbox(sender or who.address, who.name)),
                     ("To", event.organizer)], f'multipart/mixed; boundary="{mixed}"', body)


def _google_when(event: Invitation, zone: str) -> str:
    """When, as Google's subjects say it: "Tue Mar 2, 2027 9am - 5pm (EET)", "Mon Mar 1 - Fri Mar 5, 2027"."""
    def day(value: date) -> str:
        return f"{value:%a %b} {value.day}"

    def hour(value: datetime) -> str:
        minutes = f":{value.minute:02}" if value.minute else ""
        return f"{value.hour % 12 or 12}{minutes}{'pm' if value.hour >= 12 else 'am'}"

    if isinstance(event.start, datetime) and isinstance(event.end, datetime):
        start, end = event.start.astimezone(ZoneInfo(zone)), event.end.astimezone(ZoneInfo(zone))
        return f"{day(start)}, {start.year} {hour(start)} - {hour(end)} ({start.tzname()})"
    last = event.end - timedelta(days=1)
    return f"{day(event.start)}, {last.year}" if last == event.start else \
        f"{day(event.start)} - {day(last)}, {last.year}"


# ---------------------------------------------------------------- Thunderbird

def thunderbird_reply(invitation: bytes, partstat: str, comment: str | None = None, attendee: str | None = None,
                      sender: str | None = None) -> bytes:
    """Thunderbird's answer: the event as it stored it (the invitation's lines, without alarms or its own
    X-MOZ- lines) with only the answering attendee. Thunderbird asks for no note; a ``comment`` goes in
    COMMENT, as RFC 5546 allows."""
    event, who = _answering(invitation, partstat, attendee)
    first = [name for name in ("CREATED", "LAST-MODIFIED", "UID", "SUMMARY", "ORGANIZER") if name in event.lines]
    rest = [name for name in event.lines if name not in {*first, "DTSTAMP", "ATTENDEE"} and name[:6] != "X-MOZ-"]
    cn = f";CN={ical_param(who.name)}" if who.name else ""
    calendar = calendar_bytes([
        "BEGIN:VCALENDAR", "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN", "VERSION:2.0", "METHOD:REPLY",
        *event.timezones, "BEGIN:VEVENT", f"DTSTAMP:{utc_stamp(utcnow())}", *(event.lines[name] for name in first),
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat}{cn}:mailto:{who.address}",
        *(event.lines[name] for name in rest), *([f"COMMENT:{ical_text(comment)}"] if comment else []),
        "END:VEVENT", "END:VCALENDAR"])
    name = f"{who.name} <{who.address}>" if who.name else who.address
    text = f"{name} has {'declined' if partstat == 'DECLINED' else 'accepted'} your event invitation.\r\n\r\n"
    mixed, alternative = "Boundary_(ID_qyG4ZdjoAsiZ+Jo19dCbWQ)", "Boundary_(ID_ryU4ZdJoASiZ+Jo21dCbwA)"
    body = multipart(mixed, [
        f'Content-type: multipart/alternative;\r\n boundary="{alternative}"\r\n\r\n'.encode() + multipart(alternative, [
            part("text/plain; charset=UTF-8", text.encode(), "8BIT"),
            part("text/calendar; method=REPLY; charset=UTF-8", calendar, "8BIT")]),
        part("application/ics; name=invite.ics", calendar, "8BIT",
             "Content-disposition: attachment; filename=invite.ics")])
    sent_as = sender or who.address
    return envelope([("MIME-version", "1.0"), ("From", mailbox(sent_as, who.name)),
                     ("Message-ID", f"<{secrets.token_hex(16)}@{sent_as.rpartition('@')[2]}>"),
                     ("To", mailbox(event.organizer, event.organizer_name)), ("Date", format_datetime(utcnow())),
                     ("Subject", f"{THUNDERBIRD_SUBJECTS[partstat]}: {event.summary}"),
                     ("User-Agent", "Mozilla Thunderbird")], f'multipart/mixed; boundary="{mixed}"', body)


# ---------------------------------------------------------------- Postfix's bounce

def delivery_status_notification(original: bytes, recipient: str, status: str = "5.1.1",
                                 diagnostic: str | None = None, action: str = "failed",
                                 remote_mta: str = "mx.example.org") -> bytes:
    """Postfix's report to ``original``'s sender that it could not be delivered to ``recipient``
    (``action`` "failed"), or not yet ("delayed", with a 4.x.x ``status``), with the original's headers.
    ``diagnostic`` is the remote server's answer, "User unknown" unless given."""
    diagnostic = diagnostic or f"smtp; 550 {status} <{recipient}>: Recipient address rejected: User unknown"
    sender = parseaddr(str(email.message_from_bytes(original, policy=policy.default)["From"]))[1]
    now, queue, delayed = utcnow(), secrets.token_hex(5).upper(), action == "delayed"
    boundary = f"{queue}.{int(now.timestamp())}/{REPORTING_MTA}"
    said = f"<{recipient}>: host {remote_mta}[203.0.113.25] said: {diagnostic.partition('; ')[2]} " \
           "(in reply to RCPT TO command)"
    notice = ("####################################################################\n"
              "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
              "####################################################################\n\n"
              "Your message could not be delivered for 4.0 hours.\nIt will be retried until it is 5.0 days old."
              ) if delayed else ("I'm sorry to have to inform you that your message could not\n"
                                 "be delivered to one or more recipients. It's attached below.")
    text = (f"This is the mail system at host {REPORTING_MTA}.\n\n{notice}\n\n"
            "For further assistance, please send mail to postmaster.\n\n"
            "If you do so, please include this problem report. You can\n"
            "delete your own text from the attached returned message.\n\n"
            f"                   The mail system\n\n{_wrapped(said)}\n")
    report = "\n".join([
        f"Reporting-MTA: dns; {REPORTING_MTA}", f"X-Postfix-Queue-ID: {queue}", f"X-Postfix-Sender: rfc822; {sender}",
        f"Arrival-Date: {_postfix_date(now - timedelta(seconds=2))}", "",
        f"Final-Recipient: rfc822; {recipient}", f"Original-Recipient: rfc822;{recipient}", f"Action: {action}",
        f"Status: {status}", f"Remote-MTA: dns; {remote_mta}", _wrapped(f"Diagnostic-Code: {diagnostic}"),
        *([f"Will-Retry-Until: {_postfix_date(now + timedelta(days=5))}"] if delayed else []), ""])
    headers = b"Return-Path: <" + sender.encode() + b">\r\n" + original.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    body = b"This is a MIME-encapsulated message.\r\n\r\n" + multipart(boundary, [
        part("text/plain; charset=us-ascii", text.encode(), None, "Content-Description: Notification"),
        part("message/delivery-status", report.encode(), None, "Content-Description: Delivery report"),
        part("text/rfc822-headers", headers, "8bit", "Content-Description: Undelivered Message Headers")])
    subject = "Delayed Mail (still being retried)" if delayed else "Undelivered Mail Returned to Sender"
    return envelope([("Return-Path", "<>"), ("Date", _postfix_date(now)),
                     ("From", f"MAILER-DAEMON@{REPORTING_MTA} (Mail Delivery System)"), ("Subject", subject),
                     ("To", sender), ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0")],
                    f'multipart/report; report-type=delivery-status;\r\n\tboundary="{boundary}"', body,
                    trailer=[("Content-Transfer-Encoding", "8bit"),
                             ("Message-ID", f"<{now:%Y%m%d%H%M%S}.{queue}@{REPORTING_MTA}>")])


def _postfix_date(moment: datetime) -> str:
    return moment.strftime("%a, %e %b %Y %H:%M:%S +0000 (UTC)")


def _wrapped(line: str) -> str:
    """A long line as Postfix wraps it: at 76 columns, continued four spaces in."""
    return textwrap.fill(line, 76, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)


# ---------------------------------------------------------------- reading the invitation

def _answering(invitation: bytes, partstat: str, attendee: str | None) -> tuple[Invitation, Answerer]:
    """The invitation read, and who answers it: the invited attendee, at ``attendee`` if given."""
    assert partstat in PARTSTATS, partstat
    event = read_invitation(invitation)
    return event, Answerer(attendee or event.attendee, event.attendee_name)


def _written(data: bytes) -> tuple[dict[str, str], list[str]]:
    """The first event's own lines by name, and the VTIMEZONE blocks, as written in the calendar ``data``."""
    lines: dict[str, str] = {}
    timezones: list[str] = []
    zone: list[str] | None = None
    depth = 0
    for text in unfolded_lines(data):
        line = parse_line(text)
        if (line.name, line.value) == ("BEGIN", "VTIMEZONE"):
            zone = []
        if zone is not None:
            zone.append(text)
            if (line.name, line.value) == ("END", "VTIMEZONE"):
                timezones.append("\r\n".join(zone))
                zone = None
        if line.name in ("BEGIN", "END") and line.value in ("VEVENT", "VALARM"):
            depth += 1 if line.name == "BEGIN" else -1
        elif depth == 1:
            lines.setdefault(line.name, text)
    return lines, timezones


def _utc(value: datetime | date) -> datetime | date:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _address(prop: object) -> str:
    value = str(prop)
    return value[7:] if value.lower().startswith("mailto:") else value
