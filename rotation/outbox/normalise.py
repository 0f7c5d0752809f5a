"""iCalendar as every client accepts it: a tree of components, the rules it must meet, and its bytes.

:mod:`rotation.outbox.calendar` builds each calendar as a small tree of
:class:`Component` and :class:`Property`; this module makes it meet docs/calendar.md's
checklist ("An invitation is correct when") and writes it. It does what
``ics`` 0.7.3 gets wrong (calendar.md lists it), which is why the events are no
longer built with ``ics`` at all: building and re-reading its objects cost a
millisecond a message, and its text cannot be parsed back unambiguously.
Nothing here keeps state between calls, so feeds, downloads and the sender may
build calendars in parallel. What it guarantees:

- every component's properties come before its sub-components, so ``METHOD``
  precedes the first VEVENT and a VALARM follows all of its event's properties;
- every VEVENT has ``DTSTAMP`` (UTC, when the message was made) and ``SEQUENCE``;
- an all-day event has an exclusive ``DTEND;VALUE=DATE`` after its start;
- text values are backslash-escaped (:func:`text`); a parameter value holding
  ``:`` ``;`` or ``,`` is double-quoted, never backslash-escaped (a double quote
  inside it is written ``^'`` as RFC 6868 says);
- calendar addresses (``mailto:``) are written unescaped;
- lines are folded at 75 octets without splitting a UTF-8 character, and
  every line, the last one too, ends in CRLF.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

CRLF = b"\r\n"
MAX_OCTETS = 75
# Calendar properties in the order clients expect them; any other keeps its place after these.
CALENDAR_ORDER = ("VERSION", "PRODID", "CALSCALE", "METHOD")
# Event properties written first, in this order, so the raw text reads from identity to details.
EVENT_ORDER = ("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "STATUS", "ORGANIZER",
               "ATTENDEE")
_NEEDS_QUOTES = (":", ";", ",")


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
