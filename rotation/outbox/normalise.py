"""The one small normalising step between ``ics`` 0.7.3 and the bytes we send.

``ics`` builds the events; this step takes what it built and writes iCalendar
that every client accepts (docs: calendar.md, "An invitation is correct
when"). It reads the content lines ``ics`` produces rather than its text,
because that text cannot be parsed back: a name with a colon makes the
attendee line ambiguous. What it guarantees:

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

import warnings
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import ics
from ics.grammar.parse import Container, ContentLine, string_to_container

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
    """The calendar ``ics`` would write, as a tree of components and properties."""
    container = _serialised(calendar)
    tree = _tree(Container(container.name, *(item for item in container if not isinstance(item, str))))
    # ics writes its events as finished text; rebuild them from their own content lines instead.
    events = sorted(calendar.events, key=lambda event: (event.begin or 0, event.uid))
    tree.components.extend(_tree(_serialised(event)) for event in events)
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
    pieces: list[bytes] = []
    current = b""
    limit = MAX_OCTETS
    for character in line:
        encoded = character.encode("utf-8")
        if len(current) + len(encoded) > limit:
            pieces.append(current)
            current = b""
            limit = MAX_OCTETS - 1
        current += encoded
    pieces.append(current)
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


def _lines(component: Component):
    yield f"BEGIN:{component.name}"
    for prop in component.properties:
        yield content_line(prop)
    for child in component.components:
        yield from _lines(child)
    yield f"END:{component.name}"


def _serialised(component) -> Container:
    """The content lines ``ics`` makes for a component, as its serialiser builds them."""
    container = component.extra.clone()
    with warnings.catch_warnings():
        # ics turns alarms into text with str(), which warns about its own future; that text is re-read below.
        warnings.simplefilter("ignore", FutureWarning)
        for output in component.Meta.serializer.get_serializers():
            output(component, container)
    return container


def _tree(container: Container) -> Component:
    tree = Component(container.name)
    for item in container:
        if isinstance(item, Container):
            tree.components.append(_tree(item))
        elif isinstance(item, ContentLine):
            tree.properties.append(_property(item))
        else:  # a sub-component ics wrote as text (its alarms): plain, unambiguous lines
            tree.components.extend(_tree(parsed) for parsed in string_to_container(str(item)))
    return tree


def _property(line: ContentLine) -> Property:
    params = {name: [_unescape(str(value)) for value in values] for name, values in line.params.items()}
    value = _unescape(line.value) if line.name in ADDRESS_PROPERTIES else line.value
    return Property(line.name, params, value)


def _unescape(text: str) -> str:
    """Undo ics's backslash escaping (its ``escape_string``) exactly, one escape at a time."""
    result: list[str] = []
    characters = iter(text)
    for character in characters:
        if character == "\\":
            following = next(characters, "")
            result.append(_UNESCAPE.get(following, "\\" + following))
        else:
            result.append(character)
    return "".join(result)


def _utc_text(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _date(text: str) -> date:
    return datetime.strptime(text[:8], "%Y%m%d").date()
