"""The iCalendar objects Rotation sends and serves: invitations, cancellations, feeds, downloads.

Each calendar is built as a small tree of components and properties and written
by :mod:`rotation.outbox.normalise`, which makes it meet docs/calendar.md's
checklist. A customer-service day is a timed event in the site's own time
(``TZID``, with the zone's VTIMEZONE that the normalising step adds; UTC for a
site in UTC), so calendars show the contact centre's zone; a warehouse week is
an all-day event from Monday to the Saturday after it (the end is exclusive),
made from the site's local dates so the server's zone never moves it. Every
object passed in must have ``person`` and ``slot`` with ``slot.site`` loaded.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app

from rotation.assignments.models import CANCELLED, Assignment
from rotation.db import utcnow
from rotation.outbox.normalise import (
    CRLF,
    UTC_ZONES,
    Component,
    Property,
    content_line,
    date_text,
    duration_text,
    fold,
    local_text,
    serialise,
    text,
    tidy,
    utc_text,
)
from rotation.outbox.texts import Shift, ShiftFacts, event_description
from rotation.people.models import Person
from rotation.sites.models import CUSTOMER_SERVICE

REQUEST = "REQUEST"
CANCEL = "CANCEL"
PUBLISH = "PUBLISH"
METHODS = (REQUEST, CANCEL)
PRODID = "-//Rotation//Frontline rotation//EN"
ORGANIZER_NAME = "Rotation"
# How often a subscribed calendar should look for changes.
FEED_REFRESH = "PT1H"
# A reminder the day before a customer-service day, at its start time.
DAY_REMINDER = timedelta(days=-1)
# A reminder on the Sunday before a warehouse week, at 09:00 (the week starts at Monday 00:00).
WEEK_REMINDER = timedelta(hours=-15)
# An invitation event's lines that differ between two people on the same shift (see Invitations).
OWN_LINES = frozenset({"UID", "DTSTAMP", "SEQUENCE", "ATTENDEE", "DESCRIPTION"})
# What a calendar name cannot hold for every reader to show it as written.
_NAME_BREAK = re.compile(r"\s*[,;\\]+\s*")


@dataclass(frozen=True)
class Attendee:
    """Who an invitation is addressed to."""

    email: str
    name: str


def invitation_calendar(assignment: Assignment, method: str, *, attendee: Attendee | None = None,
                        sequence: int | None = None, stamp: datetime | None = None,
                        facts: ShiftFacts | None = None) -> bytes:
    """An iMIP calendar for one assignment: ``METHOD:REQUEST`` (invite or update) or ``METHOD:CANCEL``.

    The attendee is the assignment's person unless given (the outbox passes the
    address it queued the message for); the SEQUENCE is the assignment's unless
    given; ``facts`` are the assignment's :func:`shift_facts` when the caller
    already has them. A request asks for a reply and carries a reminder the day
    before; a cancellation says ``STATUS:CANCELLED`` and has no reminder.
    """
    attendee = attendee or Attendee(email=assignment.person.email, name=assignment.person.full_name)
    return Invitations().calendar(Shift.of(assignment), assignment.uid, method, attendee=attendee,
                                  sequence=assignment.sequence if sequence is None else sequence, stamp=stamp,
                                  description=event_description(assignment, facts=facts))


class Invitations:
    """Invitation and cancellation calendars of one assignment after another (the sender's thousands).

    Everyone booked on the same shift gets the same calendar but for its own
    lines (:data:`OWN_LINES`), so the lines they share are written once per
    shift and method, and each calendar then writes only its own: the bytes
    are those the whole calendar would make. One instance serves one thread.
    """

    def __init__(self) -> None:
        self._layouts: dict[tuple[Shift, str, str], tuple[bytes | str, ...]] = {}

    def calendar(self, shift: Shift, uid: str, method: str, *, attendee: Attendee, sequence: int,
                 description: str, stamp: datetime | None = None) -> bytes:
        """The calendar of assignment ``uid`` on ``shift``, as :func:`invitation_calendar` describes it.

        ``description`` is the event's plain text (:func:`event_description`).
        """
        if method not in METHODS:
            raise ValueError(f"An invitation's method is REQUEST or CANCEL, not {method!r}.")
        cancelled = method == CANCEL
        stamp = _stamp(stamp)
        attendee_line = _attendee(attendee, cancelled)
        key = (shift, method, current_app.config["ROTATION_MAIL_FROM"])
        layout = self._layouts.get(key)
        if layout is None:
            event = _event(shift, uid, sequence=sequence, cancelled=cancelled, alarm=not cancelled,
                           description=description)
            event.properties.extend([_organizer(), attendee_line])
            layout = self._layouts[key] = _layout(_tree([event], method=method, stamp=stamp))
        own = {"UID": f"UID:{uid}", "DTSTAMP": f"DTSTAMP:{utc_text(stamp)}", "SEQUENCE": f"SEQUENCE:{sequence}",
               "ATTENDEE": content_line(attendee_line), "DESCRIPTION": f"DESCRIPTION:{text(description)}"}
        return b"".join(item if isinstance(item, bytes) else fold(own[item]) + CRLF for item in layout)


def _layout(tree: Component) -> tuple[bytes | str, ...]:
    """A tidied calendar's lines in order: the shared ones written out, each event's own ones by name."""
    layout: list[bytes | str] = []
    shared: list[bytes] = []

    def walk(component: Component) -> None:
        shared.append(fold(f"BEGIN:{component.name}") + CRLF)
        for prop in component.properties:
            if component.name == "VEVENT" and prop.name in OWN_LINES:
                layout.extend([b"".join(shared), prop.name])
                shared.clear()
            else:
                shared.append(fold(content_line(prop)) + CRLF)
        for child in component.components:
            walk(child)
        shared.append(fold(f"END:{component.name}") + CRLF)

    walk(tree)
    layout.append(b"".join(shared))
    return tuple(item for item in layout if item)


def download_calendar(assignment: Assignment, *, stamp: datetime | None = None) -> bytes:
    """A one-off ``.ics`` of one assignment to open in any calendar app (``METHOD:PUBLISH``, no attendee)."""
    cancelled = assignment.status == CANCELLED
    event = _event(Shift.of(assignment), assignment.uid, sequence=assignment.sequence, cancelled=cancelled,
                   alarm=not cancelled, description=event_description(assignment))
    event.properties.append(_organizer())
    return _calendar([event], method=PUBLISH, stamp=stamp)


def feed_calendar(person: Person, assignments: Iterable[Assignment], name: str, *,
                  stamp: datetime | None = None) -> bytes:
    """A subscribed calendar of a person's assignments: a snapshot without METHOD or attendees.

    It asks clients to refresh hourly and names itself ``name`` (see
    :func:`calendar_name`). Cancelled assignments appear as ``STATUS:CANCELLED``
    so clients that kept them drop them. Events come in order of start, then UID, each UID once.
    """
    mine = {assignment.uid: assignment for assignment in assignments if assignment.person_id == person.id}
    shown = sorted(mine.values(), key=lambda assignment: (_start(assignment), assignment.uid))
    events = [_event(Shift.of(assignment), assignment.uid, sequence=assignment.sequence,
                     cancelled=assignment.status == CANCELLED, alarm=False,
                     description=event_description(assignment))
              for assignment in shown]
    for event, assignment in zip(events, shown, strict=True):  # each event's own last change, in UTC
        if assignment.updated_at is not None:
            event.properties.append(Property("LAST-MODIFIED", {}, utc_text(assignment.updated_at)))
    name = calendar_name(name)
    extra = [
        Property("NAME", {}, name),
        Property("X-WR-CALNAME", {}, name),
        Property("REFRESH-INTERVAL", {"VALUE": ["DURATION"]}, FEED_REFRESH),
        Property("X-PUBLISHED-TTL", {}, FEED_REFRESH),
    ]
    return _calendar(events, method=None, stamp=stamp, extra=extra)


def calendar_name(name: str) -> str:
    """A feed's name as every reader shows it: one line without ``,`` ``;`` or ``\\``.

    NAME and X-WR-CALNAME are text whose commas must be escaped, but icalendar
    and ical.js both keep the escapes as written, so a subscriber would see
    them; "Shifts, Jane" becomes "Shifts – Jane" instead.
    """
    return _NAME_BREAK.sub(" – ", " ".join(name.split())).strip(" –") or "Rotation"


def _calendar(events: list[Component], *, method: str | None, stamp: datetime | None,
              extra: Iterable[Property] = ()) -> bytes:
    return serialise(_tree(events, method=method, stamp=_stamp(stamp), extra=extra))


def _tree(events: list[Component], *, method: str | None, stamp: datetime,
          extra: Iterable[Property] = ()) -> Component:
    """The calendar of ``events``, tidied: each event's DTSTAMP is ``stamp``, and a VTIMEZONE for each TZID they
    name comes before them."""
    properties = [Property("VERSION", {}, "2.0"), Property("PRODID", {}, PRODID)]
    if method:
        properties.append(Property("METHOD", {}, method))
    properties.extend(extra)
    tree = Component("VCALENDAR", properties, events)
    tidy(tree, stamp=stamp)
    return tree


def _stamp(stamp: datetime | None) -> datetime:
    return (stamp or utcnow()).replace(microsecond=0)


def _event(shift: Shift, uid: str, *, sequence: int, cancelled: bool, alarm: bool, description: str) -> Component:
    """The event both invitations and feeds show: what, where, when, and its details."""
    summary = shift.summary
    event = Component("VEVENT", [
        Property("UID", {}, uid),
        _sequence(sequence),
        *_times(shift),
        Property("SUMMARY", {}, text(summary)),
        Property("LOCATION", {}, text(shift.location)),
        Property("STATUS", {}, "CANCELLED" if cancelled else "CONFIRMED"),
        _description(description),
        Property("TRANSP", {}, "OPAQUE"),
        # Outlook shows an all-day event (a warehouse week) as free unless told: busy for both kinds, free once
        # cancelled (MS-OXCICAL; other clients read TRANSP).
        Property("X-MICROSOFT-CDO-BUSYSTATUS", {}, "FREE" if cancelled else "BUSY"),
        Property("X-MICROSOFT-CDO-INTENDEDSTATUS", {}, "FREE" if cancelled else "BUSY"),
    ])
    if alarm:
        trigger = DAY_REMINDER if shift.kind == CUSTOMER_SERVICE else WEEK_REMINDER
        event.components.append(Component("VALARM", [
            Property("ACTION", {}, "DISPLAY"),
            Property("DESCRIPTION", {}, text(f"Tomorrow: {summary}")),
            Property("TRIGGER", {}, duration_text(trigger)),
        ]))
    return event


def _sequence(sequence: int) -> Property:
    return Property("SEQUENCE", {}, str(sequence))


def _description(description: str) -> Property:
    return Property("DESCRIPTION", {}, text(description))


def _attendee(attendee: Attendee, cancelled: bool) -> Property:
    return Property("ATTENDEE", {
        "CN": [attendee.name or attendee.email], "CUTYPE": ["INDIVIDUAL"], "PARTSTAT": ["NEEDS-ACTION"],
        "ROLE": ["REQ-PARTICIPANT"], "RSVP": ["FALSE" if cancelled else "TRUE"]}, f"mailto:{attendee.email}")


def _times(shift: Shift) -> list[Property]:
    """A customer-service day's times on the site's clocks; a warehouse week's local dates, the end the day after
    the last.

    A day is written with the site's zone as ``TZID`` (its VTIMEZONE is added with the calendar), so calendars
    show it in the contact centre's zone; at a site in UTC, or when a time is one the site's clocks show twice
    and the second is meant (a local time names the first, RFC 5545 3.3.5), it is written in UTC. The dates are
    the slot's as they are, never converted through a zone.
    """
    if shift.kind == CUSTOMER_SERVICE:
        zone = shift.timezone
        start, end = local_text(shift.starts_at, zone), local_text(shift.ends_at, zone)
        if zone not in UTC_ZONES and start and end:
            return [Property("DTSTART", {"TZID": [zone]}, start), Property("DTEND", {"TZID": [zone]}, end)]
        return [Property("DTSTART", {}, utc_text(shift.starts_at)), Property("DTEND", {}, utc_text(shift.ends_at))]
    return [Property("DTSTART", {"VALUE": ["DATE"]}, date_text(shift.first_day)),
            Property("DTEND", {"VALUE": ["DATE"]}, date_text(shift.last_day + timedelta(days=1)))]


def _start(assignment: Assignment) -> datetime:
    """When the event starts, as an instant: a warehouse week at midnight UTC of its first day."""
    if assignment.kind == CUSTOMER_SERVICE:
        return assignment.slot.starts_at
    return datetime.combine(assignment.slot.first_day, time(0), tzinfo=UTC)


def _organizer() -> Property:
    return Property("ORGANIZER", {"CN": [ORGANIZER_NAME]}, f"mailto:{current_app.config['ROTATION_MAIL_FROM']}")
