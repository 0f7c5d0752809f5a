"""The one small normalising step between ``ics`` 0.7.3 and the bytes we send.

``ics`` builds the events; this step takes what it built and writes iCalendar
that every client accepts (docs: calendar.md, "An invitation is correct
when"). It takes the content lines ``ics``'s own serialisers produce for the
calendar, each event and each alarm, and never reads ``ics``'s text back:
that text cannot be parsed back unambiguously (a name with a colon makes the
attendee line ambiguous), and ``ics``'s grammar parser is slow and not safe to
use from several threads at once. Nothing here keeps state between calls, so
feeds, downloads and the sender may build calendars in parallel. What it
guarantees:

- every component's properties come before its sub-components, so ``METHOD``
  precedes the first VEVENT and a VALARM follows all of its event's properties;
- every VEVENT has ``DTSTAMP`` (UTC, when the message was made) and ``SEQUENCE``;
- an all-day event has an exclusive ``DTEND;VALUE=DATE`` after its start;
- a parameter value holding ``:`` ``;`` or ``,`` is double-quoted, never
  backslash-escaped (a double quote inside it is written ``^'`` as RFC 6868 says);
- calendar addresses (``mailto:``) are written unescaped;
- lines are folded at 75 octets without splitting a UTF-8 character, and
  every line, the last one too, ends in CRLF.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cache

import ics
from ics.grammar.parse import Container, ContentLine

CRLF = b"\r\n"
MAX_OCTETS = 75
# Properties whose value is a calendar address (a URI), which iCalendar never backslash-escapes.
ADDRESS_PROPERTIES = ("ATTENDEE", "ORGANIZER")
# Calendar properties in the order clients expect them; any other keeps its place after these.
CALENDAR_ORDER = ("VERSION", "PRODID", "CALSCALE", "METHOD")
# Event properties written first, in this order, so the raw text reads from identity to details.
EVENT_ORDER = ("UID", "DTSTAMP", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "STATUS", "ORGANIZER",
               "ATTENDEE")
_NEEDS_QUOTES = (":", ";", ",")
_UNESCAPE = {"\\": "\\", ";": ";", ",": ",", "n": "\n", "N": "\n", "r": "\r", "R": "\r"}
_ESCAPED = re.compile(r"\\(.?)", re.DOTALL)
# ics's serialisers that write whole sub-components as text; their content lines are taken directly instead.
_TEXT_SERIALISERS = frozenset({"serialize_event", "serialize_todo", "serialize_alarm"})


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


def normalise(calendar: ics.Calendar, *, stamp: datetime) -> bytes:
    """The calendar as UTF-8 bytes that meet calendar.md's checklist; ``stamp`` is the DTSTAMP."""
    tree = calendar_tree(calendar)
    tidy(tree, stamp=stamp)
    return serialise(tree)


def calendar_tree(calendar: ics.Calendar) -> Component:
    """The calendar ``ics`` would write, as a tree of components and properties.

    Its events come in order of start (then UID), each with its alarms.
    """
    tree = _tree(_content_lines(calendar))
    events = sorted(calendar.events, key=lambda event: (event.begin or 0, event.uid))
    tree.components.extend(_event_tree(event) for event in events)
    return tree


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
        event.properties.append(Property("DTSTAMP", {}, _utc_text(stamp)))
    if event.first("SEQUENCE") is None:
        event.properties.append(Property("SEQUENCE", {}, "0"))
    _exclusive_all_day_end(event)


def _exclusive_all_day_end(event: Component) -> None:
    """An all-day event ends on the day after its last day, written out (ics leaves it off for one day)."""
    start = event.first("DTSTART")
    if start is None or start.params.get("VALUE") != ["DATE"] or event.first("DURATION") is not None:
        return
    first_day = _date(start.value)
    end = event.first("DTEND")
    if end is not None and end.params.get("VALUE") == ["DATE"] and _date(end.value) > first_day:
        return
    following = (first_day + timedelta(days=1)).strftime("%Y%m%d")
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


def _event_tree(event: ics.Event) -> Component:
    tree = _tree(_content_lines(event))
    tree.components.extend(_tree(_content_lines(alarm)) for alarm in event.alarms)
    return tree


def _content_lines(component) -> Container:
    """The content lines ``ics`` makes for a component's own properties, by its own serialisers."""
    container = component.extra.clone()
    for output in _own_serialisers(component.Meta.serializer):
        output(component, container)
    return container


@cache
def _own_serialisers(serializer: type) -> tuple[Callable, ...]:
    """A component class's serialisers in ics's order, less those that write sub-components as text."""
    return tuple(output for output in serializer.get_serializers() if output.__name__ not in _TEXT_SERIALISERS)


def _tree(container: Container) -> Component:
    tree = Component(container.name)
    for item in container:
        if isinstance(item, Container):
            tree.components.append(_tree(item))
        elif isinstance(item, ContentLine):
            tree.properties.append(_property(item))
        else:
            raise TypeError(f"ics wrote a {container.name} part as text, which is never read back: {item!r:.60}")
    return tree


def _property(line: ContentLine) -> Property:
    params = {name: [_unescape(str(value)) for value in values] for name, values in line.params.items()}
    value = _unescape(line.value) if line.name in ADDRESS_PROPERTIES else line.value
    return Property(line.name, params, value)


def _unescape(text: str) -> str:
    """Undo ics's backslash escaping (its ``escape_string``) exactly, one escape at a time."""
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda escape: _UNESCAPE.get(escape.group(1), "\\" + escape.group(1)), text)


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _date(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
