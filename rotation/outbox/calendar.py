"""The iCalendar objects Rotation sends and serves: invitations, cancellations, feeds, downloads.

Each event is built with ``ics`` 0.7.3 and written by our normalising step
(:mod:`rotation.outbox.normalise`), which fixes what ``ics`` gets wrong. A
customer-service day is a timed event in UTC; a warehouse week is an all-day
event from Monday to the Saturday after it (the end is exclusive), made from
the site's local dates so the server's zone never moves it. Every object passed
in must have ``person`` and ``slot`` with ``slot.site`` loaded.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import arrow
import ics
from flask import current_app
from ics.alarm import DisplayAlarm
from ics.grammar.parse import ContentLine

from rotation.assignments.models import CANCELLED, Assignment
from rotation.db import utcnow
from rotation.outbox.normalise import normalise
from rotation.outbox.texts import ShiftFacts, event_description, location, summary
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
    if method not in METHODS:
        raise ValueError(f"An invitation's method is REQUEST or CANCEL, not {method!r}.")
    attendee = attendee or Attendee(email=assignment.person.email, name=assignment.person.full_name)
    cancelled = method == CANCEL
    event = _event(assignment, sequence=assignment.sequence if sequence is None else sequence,
                   cancelled=cancelled, alarm=not cancelled, facts=facts)
    event.organizer = _organizer()
    event.attendees.add(ics.Attendee(attendee.email, common_name=attendee.name or attendee.email,
                                     rsvp="FALSE" if cancelled else "TRUE", role="REQ-PARTICIPANT",
                                     partstat="NEEDS-ACTION", cutype="INDIVIDUAL"))
    return _calendar([event], method=method, stamp=stamp)


def download_calendar(assignment: Assignment, *, stamp: datetime | None = None) -> bytes:
    """A one-off ``.ics`` of one assignment to open in any calendar app (``METHOD:PUBLISH``, no attendee)."""
    cancelled = assignment.status == CANCELLED
    event = _event(assignment, sequence=assignment.sequence, cancelled=cancelled, alarm=not cancelled)
    event.organizer = _organizer()
    return _calendar([event], method=PUBLISH, stamp=stamp)


def feed_calendar(person: Person, assignments: Iterable[Assignment], name: str, *,
                  stamp: datetime | None = None) -> bytes:
    """A subscribed calendar of a person's assignments: a snapshot without METHOD or attendees.

    It asks clients to refresh hourly and names itself ``name`` (see
    :func:`calendar_name`). Cancelled assignments appear as ``STATUS:CANCELLED``
    so clients that kept them drop them.
    """
    events = [_event(assignment, sequence=assignment.sequence, cancelled=assignment.status == CANCELLED,
                     alarm=False)
              for assignment in assignments if assignment.person_id == person.id]
    name = calendar_name(name)
    extra = [
        ContentLine("NAME", params={}, value=name),
        ContentLine("X-WR-CALNAME", params={}, value=name),
        ContentLine("REFRESH-INTERVAL", params={"VALUE": ["DURATION"]}, value=FEED_REFRESH),
        ContentLine("X-PUBLISHED-TTL", params={}, value=FEED_REFRESH),
    ]
    return _calendar(events, method=None, stamp=stamp, extra=extra)


def calendar_name(name: str) -> str:
    """A feed's name as every reader shows it: one line without ``,`` ``;`` or ``\\``.

    NAME and X-WR-CALNAME are text whose commas must be escaped, but icalendar
    and ical.js both keep the escapes as written, so a subscriber would see
    them; "Shifts, Jane" becomes "Shifts – Jane" instead.
    """
    return _NAME_BREAK.sub(" – ", " ".join(name.split())).strip(" –") or "Rotation"


def _calendar(events: list[ics.Event], *, method: str | None, stamp: datetime | None,
              extra: list[ContentLine] = ()) -> bytes:
    stamp = (stamp or utcnow()).replace(microsecond=0)
    calendar = ics.Calendar(creator=PRODID)
    calendar.method = method
    calendar.extra.extend(extra)
    calendar.events.update(events)  # normalise() gives each event its DTSTAMP: ``stamp``
    return normalise(calendar, stamp=stamp)


def _event(assignment: Assignment, *, sequence: int, cancelled: bool, alarm: bool,
           facts: ShiftFacts | None = None) -> ics.Event:
    """The event both invitations and feeds show: what, where, when, and its details."""
    event = ics.Event(name=summary(assignment), uid=assignment.uid, location=location(assignment),
                      description=event_description(assignment, facts=facts), transparent=False,
                      status="CANCELLED" if cancelled else "CONFIRMED")
    event.extra.append(ContentLine("SEQUENCE", params={}, value=str(sequence)))
    if assignment.kind == CUSTOMER_SERVICE:
        event.begin, event.end = assignment.slot.starts_at, assignment.slot.ends_at
    else:
        _make_all_day(event, assignment.slot.first_day, assignment.slot.last_day)
    if alarm:
        trigger = DAY_REMINDER if assignment.kind == CUSTOMER_SERVICE else WEEK_REMINDER
        event.alarms.append(DisplayAlarm(trigger=trigger, display_text=f"Tomorrow: {event.name}"))
    return event


def _make_all_day(event: ics.Event, first_day: date, last_day: date) -> None:
    """All day from ``first_day`` through ``last_day``, the local dates as they are.

    ics's ``make_all_day`` counts the end day in (it writes the day after) and
    floors in the instants' zone, so it is given the dates as UTC midnights,
    which no zone shifts.
    """
    event.begin = _utc_midnight(first_day)
    event.end = _utc_midnight(last_day)
    event.make_all_day()


def _utc_midnight(day: date) -> arrow.Arrow:
    return arrow.get(datetime.combine(day, time(0), tzinfo=timezone.utc))


def _organizer() -> ics.Organizer:
    return ics.Organizer(current_app.config["ROTATION_MAIL_FROM"], common_name=ORGANIZER_NAME)
