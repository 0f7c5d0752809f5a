"""iCalendar as every client accepts it: a tree of components, the rules it must meet, and its bytes.

:mod:`rotation.outbox.calendar` builds each calendar as a small tree of
:class:`Component` and :class:`Property`; this module makes it meet docs/calendar.md's
checklist ("An invitation is correct when") and writes it. It does what
``ics`` 0.7.3 gets wrong (calendar.md lists it), which is why the events are no
longer built with ``ics`` at all: building and re-reading its objects cost a
millisecond a message, and its text cannot be parsed back unambiguously.
Nothing here keeps state between calls but each zone's offsets over a few years
(which do not change while the process runs), so feeds, downloads and the
sender may build calendars in parallel. What it guarantees:

- every component's properties come before its sub-components, so ``METHOD``
  precedes the first VEVENT and a VALARM follows all of its event's properties;
- every VEVENT has ``DTSTAMP`` (UTC, when the message was made) and ``SEQUENCE``;
- an all-day event has an exclusive ``DTEND;VALUE=DATE`` after its start;
- every ``TZID`` an event's DTSTART or DTEND names (an IANA zone) is defined by
  a VTIMEZONE before the events, made from the IANA database (:func:`vtimezone`);
- text values are backslash-escaped (:func:`text`); a parameter value holding
  ``:`` ``;`` or ``,`` is double-quoted, never backslash-escaped (a double quote
  inside it is written ``^'`` as RFC 6868 says);
- calendar addresses (``mailto:``) are written unescaped;
- lines are folded at 75 octets without splitting a UTF-8 character, and
  every line, the last one too, ends in CRLF.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

CRLF = b"\r\n"
MAX_OCTETS = 75
# Calendar properties in the order clients expect them; any other keeps its place after these.
CALENDAR_ORDER = ("VERSION", "PRODID", "CALSCALE", "METHOD")
# Event properties written first, in this order, so the raw text reads from identity to details.
EVENT_ORDER = ("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "STATUS", "ORGANIZER",
               "ATTENDEE")
_NEEDS_QUOTES = (":", ";", ",")
# Zones that are UTC under another name: a time there is written in UTC (``…Z``) and needs no VTIMEZONE.
UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})
# How far apart the offset is looked up when looking for a zone's changes: no zone changes twice within a day.
_ZONE_STEP = timedelta(days=1)


@dataclass
class Property:
    """One content line: parameter values are plain text, the value is iCalendar text."""

    name: str
    params: dict[str, list[str]]
    value: str


@dataclass
class Component:
    name: str
    properties: list[Property] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)

    def first(self, name: str) -> Property | None:
        return next((prop for prop in self.properties if prop.name == name), None)


def text(value: str) -> str:
    """A TEXT value (SUMMARY, LOCATION, DESCRIPTION …) with ``\\`` ``;`` ``,`` and line breaks escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
            .replace("\r", "\\r"))


def utc_text(instant: datetime) -> str:
    """A DATE-TIME in UTC, e.g. ``20270302T070000Z``."""
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_text(instant: datetime, zone_name: str) -> str | None:
    """A DATE-TIME as the clocks of ``zone_name`` show ``instant``, for a ``TZID`` property: ``20270404T090000``.

    None when that local time names an earlier instant: in the hour the clocks
    show twice as summer time ends, a local time means the first (RFC 5545
    3.3.5), so the second can only be written in UTC.
    """
    zone = ZoneInfo(zone_name)
    local = instant.astimezone(zone)
    if local.replace(fold=0).astimezone(UTC) != instant.astimezone(UTC):
        return None
    return local.strftime("%Y%m%dT%H%M%S")


def date_text(day: date) -> str:
    """A DATE, e.g. ``20270301``."""
    return day.strftime("%Y%m%d")


def duration_text(span: timedelta) -> str:
    """A DURATION such as ``-P1D`` or ``-PT15H`` (RFC 5545 3.3.6)."""
    sign = "-" if span < timedelta(0) else ""
    seconds = int(abs(span).total_seconds())
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    clock = "".join(f"{amount}{unit}" for amount, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if amount)
    return f"{sign}P{f'{days}D' if days else ''}{f'T{clock}' if clock else ''}" if days or clock else "PT0S"


def tidy(tree: Component, *, stamp: datetime) -> None:
    """Apply the ordering and completeness rules to a calendar tree in place."""
    _order(tree, CALENDAR_ORDER)
    for event in (component for component in tree.components if component.name == "VEVENT"):
        _complete_event(event, stamp)
        _order(event, EVENT_ORDER)
    _define_zones(tree)


def serialise(tree: Component) -> bytes:
    """Folded CRLF lines of the tree, properties before sub-components, ending in CRLF."""
    return b"".join(fold(line) + CRLF for line in _lines(tree))


def fold(line: str) -> bytes:
    """One content line folded into physical lines of at most 75 octets (RFC 5545 3.1).

    A continuation line starts with one space, which counts towards its 75
    octets; a multi-byte UTF-8 character is never split between lines.
    """
    data = line.encode("utf-8")
    if len(data) <= MAX_OCTETS:
        return data
    pieces: list[bytes] = []
    start, room = 0, MAX_OCTETS
    while len(data) - start > room:
        cut = start + room
        while data[cut] & 0xC0 == 0x80:  # a UTF-8 continuation byte: the character began before the cut
            cut -= 1
        pieces.append(data[start:cut])
        start, room = cut, MAX_OCTETS - 1
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


def content_line(prop: Property) -> str:
    """``NAME;PARAM=value:VALUE`` with parameter values quoted when they must be."""
    params = "".join(f";{name}={','.join(_param_value(value) for value in values)}"
                     for name, values in prop.params.items())
    return f"{prop.name}{params}:{prop.value}"


def _param_value(value: str) -> str:
    """A parameter value as RFC 5545 and RFC 6868 want it: quoted if needed, DQUOTE as ^'."""
    encoded = value.replace("^", "^^").replace("\r\n", "^n").replace("\n", "^n").replace('"', "^'")
    if any(mark in encoded for mark in _NEEDS_QUOTES):
        return f'"{encoded}"'
    return encoded


def _complete_event(event: Component, stamp: datetime) -> None:
    if event.first("DTSTAMP") is None:
        event.properties.append(Property("DTSTAMP", {}, utc_text(stamp)))
    if event.first("SEQUENCE") is None:
        event.properties.append(Property("SEQUENCE", {}, "0"))
    _exclusive_all_day_end(event)


def _exclusive_all_day_end(event: Component) -> None:
    """An all-day event ends on a day after its first, written out."""
    start = event.first("DTSTART")
    if start is None or start.params.get("VALUE") != ["DATE"] or event.first("DURATION") is not None:
        return
    first_day = _date(start.value)
    end = event.first("DTEND")
    if end is not None and end.params.get("VALUE") == ["DATE"] and _date(end.value) > first_day:
        return
    following = date_text(first_day + timedelta(days=1))
    if end is None:
        event.properties.append(Property("DTEND", {"VALUE": ["DATE"]}, following))
    else:
        end.params, end.value = {"VALUE": ["DATE"]}, following


def _define_zones(tree: Component) -> None:
    """Put a VTIMEZONE for each zone the events' times name, and not yet defined, before the events (by TZID),
    valid for the years of those times."""
    years: dict[str, set[int]] = {}
    for event in (component for component in tree.components if component.name == "VEVENT"):
        for prop in (event.first("DTSTART"), event.first("DTEND")):
            if prop is not None and "TZID" in prop.params:
                years.setdefault(prop.params["TZID"][0], set()).add(int(prop.value[:4]))
    defined = {prop.value for zone in tree.components if zone.name == "VTIMEZONE"
               for prop in zone.properties if prop.name == "TZID"}
    tree.components[:0] = [vtimezone(zone, zone_years) for zone, zone_years in sorted(years.items())
                           if zone not in defined]


def vtimezone(zone_name: str, years: Iterable[int]) -> Component:
    """The VTIMEZONE of IANA zone ``zone_name`` for local times from the first of ``years`` to the last.

    Written with explicit transitions, which Outlook, Apple Calendar, Thunderbird
    and Google all read: one STANDARD or DAYLIGHT for each change of offset in
    those years, and one for the offset in force as the first of them begins.
    Each has the local time of the change as the clocks showed it before
    (DTSTART, RFC 5545 3.6.5), the offsets before and after, and the zone's
    abbreviation. A zone that kept one offset all along has one component whose
    offset never changes.
    """
    wanted = sorted(set(years))
    return Component("VTIMEZONE", [Property("TZID", {}, zone_name)], [
        Component("DAYLIGHT" if observance.daylight else "STANDARD", [
            Property("DTSTART", {}, observance.onset.strftime("%Y%m%dT%H%M%S")),
            Property("TZOFFSETFROM", {}, offset_text(observance.offset_from)),
            Property("TZOFFSETTO", {}, offset_text(observance.offset_to)),
            *([Property("TZNAME", {}, text(observance.name))] if observance.name else []),
        ])
        for observance in _observances(zone_name, wanted[0], wanted[-1])])


def offset_text(offset: timedelta) -> str:
    """A UTC-OFFSET such as ``+1100`` or ``-0330`` (with seconds only when there are any)."""
    seconds = int(offset.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}{f'{seconds:02d}' if seconds else ''}"


@dataclass(frozen=True)
class _Observance:
    """From ``onset`` (the local time before the change) on, the zone is ``offset_to`` from UTC."""

    daylight: bool
    onset: datetime
    offset_from: timedelta
    offset_to: timedelta
    name: str | None
    onset_utc: datetime


@lru_cache(maxsize=512)
def _observances(zone_name: str, first_year: int, last_year: int) -> tuple[_Observance, ...]:
    """What gives every local time from 1 January ``first_year`` to 31 December ``last_year``, in order."""
    zone = ZoneInfo(zone_name)
    # Local midnights as instants: a year before the first (to find the offset in force then), the first, the end.
    look_from = datetime(first_year - 1, 1, 1, tzinfo=zone).astimezone(UTC)
    begins = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    ends = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    changes = list(_changes(zone, look_from, ends))
    earlier = [change for change in changes if change.onset_utc <= begins]
    later = [change for change in changes if change.onset_utc > begins]
    if earlier:
        return (earlier[-1], *later)
    first = look_from.astimezone(zone)
    offset = first.utcoffset() or timedelta(0)
    return (_Observance(daylight=(first.dst() or timedelta(0)) > timedelta(0), onset=first.replace(tzinfo=None),
                        offset_from=offset, offset_to=offset, name=first.tzname(), onset_utc=look_from), *later)


def _changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterator[_Observance]:
    """Each change of the zone's UTC offset between two instants, in order, found to the second.

    A change to summer time (a rise of the zone's daylight saving) is DAYLIGHT; any other, STANDARD.
    """
    moment, before = start, start.astimezone(zone)
    while moment < end:
        following = min(moment + _ZONE_STEP, end)
        after = following.astimezone(zone)
        if after.utcoffset() != before.utcoffset():
            low, high = moment, following  # the old offset holds at low, the new one at high
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before.utcoffset():
                    low = middle
                else:
                    high = middle
            onset = high.replace(microsecond=0)  # changes come on the second: this is the first of the new offset
            changed = onset.astimezone(zone)
            offset_from, offset_to = before.utcoffset() or timedelta(0), changed.utcoffset() or timedelta(0)
            yield _Observance(daylight=(changed.dst() or timedelta(0)) > (before.dst() or timedelta(0)),
                              onset=(onset + offset_from).replace(tzinfo=None), offset_from=offset_from,
                              offset_to=offset_to, name=changed.tzname(), onset_utc=onset)
        moment, before = following, after


def _order(component: Component, leading: tuple[str, ...]) -> None:
    """Move the ``leading`` properties to the front in that order; the rest keep theirs."""
    rank = {name: position for position, name in enumerate(leading)}
    component.properties.sort(key=lambda prop: rank.get(prop.name, len(leading)))


def _lines(component: Component) -> Iterator[str]:
    yield f"BEGIN:{component.name}"
    for prop in component.properties:
        yield content_line(prop)
    for child in component.components:
        yield from _lines(child)
    yield f"END:{component.name}"


def _date(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
