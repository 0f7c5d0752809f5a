"""Reading iCalendar bytes the way clients do, for tests of what Rotation sends.

- ``structure_problems``/``check_structure``: docs/calendar.md's checklist, on the raw bytes.
- ``read_with_icalendar``, ``read_with_vobject``, ``read_with_icaljs``: the same
  facts as three independent parsers understood them (ical.js is Mozilla's,
  inside Thunderbird, run under Node), so a test compares parsed values and not
  our own idea of the text; ``events_with_…`` give every event of a calendar (a feed's).
- ``install_icaljs``: installs ical.js from the npm registry into tests/js once;
  tests ask for it through the ``icaljs`` session fixture (tests/fixtures/mail.py).
"""
from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import vobject

from tests.helpers import required_or_skip

JS_DIRECTORY = Path(__file__).parent / "js"
MAX_OCTETS = 75
_STAMP = re.compile(r"^\d{8}T\d{6}Z$")
_UTC_TIME = re.compile(r"^\d{8}T\d{6}Z$")
_DATE = re.compile(r"^\d{8}$")
_MAILTO = re.compile(r"^mailto:[^\s\"<>,;:\\]+@[^\s\"<>,;:\\]+$")


@dataclass(frozen=True)
class ParsedEvent:
    """What a parser understood of one calendar with one event, in plain Python values.

    ``start``/``end`` are aware UTC datetimes for timed events (the instants the
    parser understood) and dates for all-day ones; ``zone`` is the time zone the
    parser shows a timed start in (its TZID, or "UTC"), None for a date; ``last_modified``
    (LAST-MODIFIED, a feed's events carry it) an aware UTC datetime, or None.
    """

    method: str | None
    uid: str
    sequence: int
    status: str
    start: datetime | date
    end: datetime | date | None
    zone: str | None
    attendee: str | None
    cn: str | None
    alarms: int
    last_modified: datetime | None = None


# ---------------------------------------------------------------- the checklist on the raw bytes

@dataclass
class Line:
    name: str
    params: dict[str, list[str]]
    quoted: dict[str, bool]
    value: str


def parse_line(text: str) -> Line:
    """Split an unfolded content line into name, parameters (noting which were quoted) and value."""
    position, length = 0, len(text)
    while position < length and text[position] not in ";:":
        position += 1
    name = text[:position].upper()
    params: dict[str, list[str]] = {}
    quoted: dict[str, bool] = {}
    while position < length and text[position] == ";":
        start = position + 1
        equals = text.index("=", start)
        param = text[start:equals].upper()
        position = equals + 1
        values, was_quoted = [], False
        while True:
            if position < length and text[position] == '"':
                end = text.index('"', position + 1)
                values.append(text[position + 1:end])
                was_quoted = True
                position = end + 1
            else:
                start = position
                while position < length and text[position] not in ",;:":
                    position += 1
                values.append(text[start:position])
            if position < length and text[position] == ",":
                position += 1
                continue
            break
        params[param], quoted[param] = values, was_quoted
    if position >= length or text[position] != ":":
        raise ValueError(f"no value separator in {text!r}")
    return Line(name, params, quoted, text[position + 1:])


def physical_lines(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n")[:-1] if raw.endswith(b"\r\n") else raw.split(b"\r\n")


def unfolded_lines(raw: bytes) -> list[str]:
    return raw.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def structure_problems(raw: bytes, method: str | None) -> list[str]:
    """Every way ``raw`` breaks docs/calendar.md's checklist; an empty list when it meets it.

    ``method`` is REQUEST or CANCEL for an invitation (one event, an attendee),
    PUBLISH for a one-off download, None for a feed (no METHOD, no attendees).
    """
    problems = _byte_problems(raw)
    if problems:
        return problems
    lines = [parse_line(text) for text in unfolded_lines(raw)]
    problems += _calendar_problems(lines, method)
    events = _components(lines, "VEVENT")
    if method in ("REQUEST", "CANCEL", "PUBLISH") and len(events) != 1:
        problems.append(f"expected exactly one VEVENT, found {len(events)}")
    for event in events:
        problems += _event_problems(event, method)
    return problems


def check_structure(raw: bytes, method: str | None) -> None:
    """Fail with every broken rule of docs/calendar.md's checklist at once."""
    problems = structure_problems(raw, method)
    assert problems == [], "\n".join(problems) + "\n\n" + raw.decode("utf-8", "replace")


def _byte_problems(raw: bytes) -> list[str]:
    problems = []
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return [f"not UTF-8: {error}"]
    if not raw.endswith(b"\r\n"):
        problems.append("the last line does not end in CRLF")
    if re.search(rb"(?<!\r)\n", raw):
        problems.append("a bare LF")
    if re.search(rb"\r(?!\n)", raw):
        problems.append("a bare CR")
    for number, line in enumerate(physical_lines(raw), start=1):
        if len(line) > MAX_OCTETS:
            problems.append(f"line {number} is {len(line)} octets long")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number} splits a UTF-8 character")
    return problems


def _calendar_problems(lines: list[Line], method: str | None) -> list[str]:
    problems = []
    if not lines or (lines[0].name, lines[0].value) != ("BEGIN", "VCALENDAR") \
            or (lines[-1].name, lines[-1].value) != ("END", "VCALENDAR"):
        problems.append("not one VCALENDAR from the first line to the last")
    top = _top_level(lines)
    if [line.value for line in top if line.name == "VERSION"] != ["2.0"]:
        problems.append("VERSION:2.0 missing")
    if not any(line.name == "PRODID" for line in top):
        problems.append("PRODID missing")
    methods = [line.value for line in top if line.name == "METHOD"]
    if method is None:
        if methods:
            problems.append(f"a feed has METHOD {methods}")
    elif methods != [method]:
        problems.append(f"METHOD is {methods}, expected [{method!r}]")
    first_component = next((index for index, line in enumerate(lines[1:], start=1) if line.name == "BEGIN"),
                           len(lines))
    if any(line.name == "METHOD" for line in lines[first_component:]):
        problems.append("METHOD comes after the first component")
    return problems


def _event_problems(event: list[Line], method: str | None) -> list[str]:
    problems = []
    own = _top_level(event)
    names = [line.name for line in own]
    uid = _first(own, "UID")
    for required in ("UID", "DTSTAMP", "DTSTART", "SUMMARY", "SEQUENCE"):
        if required not in names:
            problems.append(f"{uid and uid.value}: {required} missing")
    for name in ("DTSTAMP", "LAST-MODIFIED"):  # both are UTC by RFC 5545
        stamp = _first(own, name)
        if stamp and not _STAMP.match(stamp.value):
            problems.append(f"{name} {stamp.value!r} is not UTC")
    sequence = _first(own, "SEQUENCE")
    if sequence and not sequence.value.isdigit():
        problems.append(f"SEQUENCE {sequence.value!r} is not a whole number")
    problems += _time_problems(own)
    problems += _people_problems(own, method)
    problems += _status_problems(own, event, method)
    problems += _alarm_order_problems(event)
    problems += _param_problems(own)
    return problems


def _time_problems(own: list[Line]) -> list[str]:
    problems: list[str] = []
    start, end = _first(own, "DTSTART"), _first(own, "DTEND")
    if start is None:
        return problems
    if start.params.get("VALUE") == ["DATE"]:
        if not _DATE.match(start.value):
            problems.append(f"all-day DTSTART {start.value!r} is not a date")
        if end is None or end.params.get("VALUE") != ["DATE"] or not _DATE.match(end.value):
            problems.append("an all-day event needs DTEND;VALUE=DATE")
        elif end.value <= start.value:
            problems.append(f"all-day DTEND {end.value} is not after DTSTART {start.value} (it is exclusive)")
        return problems
    for line in (start, end):
        if line is not None and "TZID" not in line.params and not _UTC_TIME.match(line.value):
            problems.append(f"{line.name} {line.value!r} is neither UTC nor zoned")
    if end is not None and end.value <= start.value:
        problems.append("DTEND is not after DTSTART")
    return problems


def _people_problems(own: list[Line], method: str | None) -> list[str]:
    problems = []
    attendees = [line for line in own if line.name == "ATTENDEE"]
    organizer = _first(own, "ORGANIZER")
    if method is None:
        if attendees:
            problems.append("a feed lists attendees")
        return problems
    if organizer is None or not _MAILTO.match(organizer.value):
        problems.append(f"ORGANIZER is not a mailto: address: {organizer and organizer.value!r}")
    if method == "PUBLISH":
        return problems
    if len(attendees) != 1:
        return [*problems, f"expected one ATTENDEE, found {len(attendees)}"]
    attendee = attendees[0]
    if not _MAILTO.match(attendee.value):
        problems.append(f"ATTENDEE value {attendee.value!r} is not exactly mailto:<address>")
    wanted = {"ROLE": ["REQ-PARTICIPANT"], "PARTSTAT": ["NEEDS-ACTION"]}
    if method == "REQUEST":
        wanted["RSVP"] = ["TRUE"]
    for param, value in wanted.items():
        if attendee.params.get(param) != value:
            problems.append(f"ATTENDEE {param}={attendee.params.get(param)} instead of {value}")
    return problems


def _status_problems(own: list[Line], event: list[Line], method: str | None) -> list[str]:
    status = _first(own, "STATUS")
    has_alarm = any(line.name == "BEGIN" and line.value == "VALARM" for line in event)
    if method == "CANCEL":
        problems = [] if status and status.value == "CANCELLED" else ["a CANCEL without STATUS:CANCELLED"]
        return problems + (["a CANCEL carries a VALARM"] if has_alarm else [])
    if method == "REQUEST" and not (status and status.value == "CONFIRMED"):
        return ["a REQUEST without STATUS:CONFIRMED"]
    return []


def _alarm_order_problems(event: list[Line]) -> list[str]:
    """A property of the event after one of its VALARMs (Outlook refuses such files)."""
    depth, seen_component = 0, False
    for line in event[1:-1]:
        if line.name == "BEGIN":
            depth += 1
            seen_component = True
        elif line.name == "END":
            depth -= 1
        elif depth == 0 and seen_component:
            return [f"{line.name} comes after a sub-component of the event"]
    return []


def _param_problems(own: list[Line]) -> list[str]:
    problems = []
    for line in own:
        for param, values in line.params.items():
            for value in values:
                if "\\" in value:
                    problems.append(f"{line.name};{param} is backslash-escaped: {value!r}")
                if '"' in value:
                    problems.append(f"{line.name};{param} holds a double quote")
    return problems


def _components(lines: list[Line], name: str) -> list[list[Line]]:
    """Each ``name`` component as its lines, BEGIN and END included."""
    found: list[list[Line]] = []
    current: list[Line] | None = None
    depth = 0
    for line in lines:
        if line.name == "BEGIN" and line.value == name and current is None:
            current, depth = [], 0
        if current is not None:
            current.append(line)
            depth += {"BEGIN": 1, "END": -1}.get(line.name, 0)
            if depth == 0:
                found.append(current)
                current = None
    return found


def _top_level(lines: list[Line]) -> list[Line]:
    """The properties of the outermost component in ``lines``, not of its sub-components."""
    depth, own = 0, []
    for line in lines:
        if line.name == "BEGIN":
            depth += 1
        elif line.name == "END":
            depth -= 1
        elif depth == 1:
            own.append(line)
    return own


def _first(lines: list[Line], name: str) -> Line | None:
    return next((line for line in lines if line.name == name), None)


# ---------------------------------------------------------------- independent parsers

def read_with_icalendar(raw: bytes) -> ParsedEvent:
    """The first event as ``icalendar`` reads it; fails if it recorded any syntax error."""
    return events_with_icalendar(raw)[0]


def read_with_vobject(raw: bytes) -> ParsedEvent:
    """The first event as ``vobject`` reads it (it leaves RFC 6868's ^' in CN as written)."""
    return events_with_vobject(raw)[0]


def read_with_icaljs(raw: bytes, node: str) -> ParsedEvent:
    """The first event as Mozilla's ical.js reads it, run by ``node`` on tests/js/parse.mjs."""
    return events_with_icaljs(raw, node)[0]


def events_with_icalendar(raw: bytes) -> list[ParsedEvent]:
    """Every event as ``icalendar`` reads it, in the calendar's order; fails if it recorded any syntax error."""
    calendar = icalendar.Calendar.from_ical(raw)
    for component in calendar.walk():
        assert component.errors == [], f"{component.name}: {component.errors}"
    method = str(calendar["METHOD"]) if "METHOD" in calendar else None
    parsed = []
    for event in calendar.walk("VEVENT"):
        attendee = event.get("ATTENDEE")
        parsed.append(ParsedEvent(
            method=method,
            uid=str(event["UID"]), sequence=int(event.decoded("SEQUENCE")), status=str(event["STATUS"]),
            start=_plain(event.decoded("DTSTART")), end=_plain(event.decoded("DTEND")) if "DTEND" in event else None,
            zone=_zone(event.decoded("DTSTART")),
            attendee=str(attendee) if attendee is not None else None,
            cn=attendee.params.get("CN") if attendee is not None else None,
            alarms=len(event.walk("VALARM")),
            last_modified=_instant(event.decoded("LAST-MODIFIED")) if "LAST-MODIFIED" in event else None))
    return parsed


def events_with_vobject(raw: bytes) -> list[ParsedEvent]:
    """Every event as ``vobject`` reads it, in the calendar's order."""
    calendar = vobject.readOne(raw.decode("utf-8"))
    method = calendar.method.value if hasattr(calendar, "method") else None
    parsed = []
    for event in getattr(calendar, "vevent_list", []):
        attendee = getattr(event, "attendee", None)
        cn = attendee.params.get("CN", [None])[0] if attendee is not None else None
        modified = getattr(event, "last_modified", None)
        parsed.append(ParsedEvent(
            method=method,
            uid=event.uid.value, sequence=int(event.sequence.value), status=event.status.value,
            start=_plain(event.dtstart.value), end=_plain(event.dtend.value) if hasattr(event, "dtend") else None,
            zone=_zone(event.dtstart.value),
            attendee=attendee.value if attendee is not None else None,
            cn=rfc6868_decode(cn) if cn is not None else None,
            alarms=len(getattr(event, "valarm_list", [])),
            last_modified=_instant(modified.value) if modified is not None else None))
    return parsed


def events_with_icaljs(raw: bytes, node: str) -> list[ParsedEvent]:
    """Every event as Mozilla's ical.js reads it, in the calendar's order."""
    result = icaljs_json(raw, node)
    parsed = []
    for event in result["events"]:
        attendee = event["attendee"]
        start = _from_icaljs(event["dtstart"])
        assert start is not None, event
        modified = _from_icaljs(event["lastModified"])
        assert modified is None or isinstance(modified, datetime), event
        dtstart = event["dtstart"]
        zone = None if dtstart["isDate"] else "UTC" if dtstart["utc"] else dtstart["zone"]
        parsed.append(ParsedEvent(
            method=result["method"], uid=event["uid"], sequence=int(event["sequence"]), status=event["status"],
            start=start, end=_from_icaljs(event["dtend"]), zone=zone,
            attendee=attendee["value"] if attendee else None, cn=attendee["cn"] if attendee else None,
            alarms=event["alarms"], last_modified=modified))
    return parsed


def icaljs_json(raw: bytes, node: str) -> dict:
    """Everything parse.mjs prints for ``raw``; fails with ical.js's message if it cannot parse."""
    completed = subprocess.run([node, str(JS_DIRECTORY / "parse.mjs")], input=raw, capture_output=True,
                               timeout=60, cwd=JS_DIRECTORY)
    assert completed.returncode == 0, completed.stderr.decode("utf-8", "replace")
    return json.loads(completed.stdout)


def rfc6868_decode(value: str) -> str:
    """A parameter value with RFC 6868's ^' ^n ^^ turned back into " newline ^."""
    return re.sub(r"\^(['n^])", lambda match: {"'": '"', "n": "\n", "^": "^"}[match.group(1)], value)


def _from_icaljs(value: dict | None) -> datetime | date | None:
    if value is None:
        return None
    if value["isDate"]:
        return date.fromisoformat(value["value"])
    assert value["instant"], f"ical.js read {value} as neither UTC nor a time zone defined in the calendar"
    return datetime.fromisoformat(value["instant"].replace("Z", "+00:00"))


def _instant(value: datetime | date) -> datetime:
    plain = _plain(value)
    assert isinstance(plain, datetime), f"{value} is a date, not an instant"
    return plain


def _plain(value: datetime | date) -> datetime | date:
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"{value} is floating"
        return value.astimezone(UTC)
    return value


def _zone(value: datetime | date) -> str | None:
    """The name of the zone a parser attached to a time: the IANA key or the VTIMEZONE's TZID it read, or UTC."""
    if not isinstance(value, datetime):
        return None
    zone = value.tzinfo
    name = getattr(zone, "key", None) or getattr(zone, "_tzid", None)  # zoneinfo's, or dateutil's from a VTIMEZONE
    if name:
        return "UTC" if name in ("UTC", "Etc/UTC") else str(name)
    assert value.utcoffset() == timedelta(0) and value.tzname() in ("UTC", "Z"), f"an unnamed zone: {zone!r}"
    return "UTC"


# ---------------------------------------------------------------- ical.js from the npm registry

def install_icaljs() -> str:
    """Path of ``node`` with ical.js installed in tests/js (``npm ci`` from the lock file, once)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        required_or_skip("Node.js and npm are needed to read invitations with ical.js")
    assert node and npm  # required_or_skip failed or skipped otherwise
    # The suite runs in several processes at once: one installs while the others wait.
    with open(JS_DIRECTORY / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (JS_DIRECTORY / "node_modules" / "ical.js" / "package.json").exists():
            completed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIRECTORY,
                                       capture_output=True, text=True, timeout=300)
            if completed.returncode != 0:
                required_or_skip(f"npm could not install ical.js: {completed.stderr.strip()[-500:]}")
    return node


