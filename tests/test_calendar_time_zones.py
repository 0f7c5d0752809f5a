"""A customer-service day in the contact centre's own time: TZID and a VTIMEZONE that match the IANA database."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
import vobject
from sqlalchemy.orm import joinedload

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.extensions import db
from rotation.outbox.calendar import Attendee, Invitations, download_calendar, feed_calendar, invitation_calendar
from rotation.outbox.texts import Shift, event_description
from rotation.sites.models import Slot
from rotation.sites.slots import local_instant
from tests.ical_parsers import (
    check_structure,
    icaljs_json,
    read_with_icalendar,
    read_with_icaljs,
    read_with_vobject,
    unfolded_lines,
)


@pytest.fixture
def day_at(make_site, make_person):
    """Books a person onto a customer-service day at a contact centre in ``zone`` (one per zone, one slot per day),
    at the given instants or 09:00–17:00 local, and returns the assignment with person, slot and site loaded."""
    sites: dict[str, object] = {}
    slots: dict[tuple[str, date], Slot] = {}

    def book(zone: str, day: date, starts_at: datetime | None = None, ends_at: datetime | None = None,
             person=None) -> Assignment:
        site = sites.get(zone) or sites.setdefault(zone, make_site(timezone=zone, name=f"{zone} contact centre"))
        person = person or make_person()
        local = ZoneInfo(zone)
        slot = slots.get((zone, day)) or slots.setdefault((zone, day), Slot(
            site=site, kind="customer_service", first_day=day, last_day=day, seats=2,
            starts_at=starts_at or local_instant(day, time(9), local),
            ends_at=ends_at or local_instant(day, time(17), local)))
        assignment = Assignment(person=person, slot=slot, year=day.year, kind=slot.kind,
                                status=PUBLISHED)
        db.session.add(assignment)
        db.session.commit()
        return loaded(assignment.id)

    return book


def loaded(assignment_id: int) -> Assignment:
    return db.session.execute(
        sa.select(Assignment).where(Assignment.id == assignment_id)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))).scalar_one()


def components(raw: bytes, name: str) -> list[list[str]]:
    """The unfolded lines of each ``name`` component in ``raw``, BEGIN and END included."""
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in unfolded_lines(raw):
        if line == f"BEGIN:{name}":
            current = []
        if current is not None:
            current.append(line)
        if line == f"END:{name}" and current is not None:
            found.append(current)
            current = None
    return found


# The days the clocks change at a site east and one west of UTC, and a zone whose clocks never change.
CHANGES = [("Australia/Sydney", date(2027, 4, 4)), ("Australia/Sydney", date(2027, 10, 3)),
           ("America/Chicago", date(2027, 3, 14)), ("America/Chicago", date(2027, 11, 7)),
           ("Asia/Kolkata", date(2027, 3, 2))]


@pytest.mark.parametrize("zone, day", CHANGES)
def test_a_day_is_written_on_the_sites_clocks_and_read_at_the_slots_instants(day_at, icaljs, zone, day):
    assignment = day_at(zone, day)

    raw = invitation_calendar(assignment, "REQUEST")

    check_structure(raw, "REQUEST")
    lines = unfolded_lines(raw)
    assert f"DTSTART;TZID={zone}:{day:%Y%m%d}T090000" in lines
    assert f"DTEND;TZID={zone}:{day:%Y%m%d}T170000" in lines
    assert [zone_lines[1] for zone_lines in components(raw, "VTIMEZONE")] == [f"TZID:{zone}"]
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")
    slot = assignment.slot
    for reading in (read_with_icalendar(raw), read_with_vobject(raw), read_with_icaljs(raw, icaljs)):
        assert (reading.start, reading.end, reading.zone) == (slot.starts_at, slot.ends_at, zone)


@pytest.mark.parametrize("zone", ["Australia/Sydney", "America/Chicago", "Europe/Dublin", "Australia/Lord_Howe",
                                  "Asia/Kolkata"])
def test_the_zone_definition_gives_the_iana_offset_at_every_hour_of_the_year(day_at, zone):
    """Outlook, Apple Calendar and Thunderbird go by the VTIMEZONE, Google by the name: they must agree.
    (Dublin's winter is its "negative summer time"; Lord Howe moves by half an hour.)"""
    raw = invitation_calendar(day_at(zone, date(2027, 6, 15)), "REQUEST")

    definition = icalendar.Calendar.from_ical(raw).walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    by_vobject = vobject.readOne(raw.decode()).vevent.dtstart.value.tzinfo
    iana = ZoneInfo(zone)
    instant = datetime(2027, 1, 1, tzinfo=iana).astimezone(UTC)
    wrong = []
    while instant < datetime(2028, 1, 1, tzinfo=iana):
        expected = instant.astimezone(iana).utcoffset()
        if instant.astimezone(definition).utcoffset() != expected or \
                instant.astimezone(by_vobject).utcoffset() != expected:
            wrong.append(instant)
        instant += timedelta(minutes=30)
    assert wrong == []


def test_a_zone_without_summer_time_is_defined_by_one_standard_offset(day_at):
    raw = invitation_calendar(day_at("Asia/Kolkata", date(2027, 3, 2)), "REQUEST")

    (definition,) = components(raw, "VTIMEZONE")
    assert [line for line in definition if line.startswith(("BEGIN:", "TZOFFSET"))] == [
        "BEGIN:VTIMEZONE", "BEGIN:STANDARD", "TZOFFSETFROM:+0530", "TZOFFSETTO:+0530"]


def test_the_definition_says_when_the_clocks_change_as_they_showed_before(day_at):
    """RFC 5545: an observance starts at the local time before the change (02:00 on both of Chicago's changes)."""
    raw = invitation_calendar(day_at("America/Chicago", date(2027, 3, 14)), "REQUEST")

    (definition,) = components(raw, "VTIMEZONE")
    text = "\n".join(definition)
    assert "BEGIN:DAYLIGHT\nDTSTART:20270314T020000\nTZOFFSETFROM:-0600\nTZOFFSETTO:-0500\nTZNAME:CDT" in text
    assert "BEGIN:STANDARD\nDTSTART:20271107T020000\nTZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nTZNAME:CST" in text


def test_a_site_in_utc_stays_in_utc_without_a_definition(day_at, icaljs):
    assignment = day_at("UTC", date(2027, 3, 2))

    raw = invitation_calendar(assignment, "REQUEST")

    assert "DTSTART:20270302T090000Z" in unfolded_lines(raw)
    assert b"VTIMEZONE" not in raw and b"TZID" not in raw
    assert read_with_icaljs(raw, icaljs).zone == read_with_icalendar(raw).zone == "UTC"


def test_a_time_the_clocks_show_twice_is_written_in_utc_when_the_second_is_meant(day_at, icaljs):
    """01:30 in Chicago on 7 November 2027 comes twice; a local time would name the first (RFC 5545 3.3.5)."""
    second = datetime(2027, 11, 7, 7, 30, tzinfo=UTC)  # 01:30 CST, an hour after 01:30 CDT
    assignment = day_at("America/Chicago", date(2027, 11, 7), starts_at=second, ends_at=second + timedelta(hours=6))

    raw = invitation_calendar(assignment, "REQUEST")

    assert "DTSTART:20271107T073000Z" in unfolded_lines(raw)
    for reading in (read_with_icalendar(raw), read_with_vobject(raw), read_with_icaljs(raw, icaljs)):
        assert reading.start == second


def test_a_feed_defines_each_zone_once_for_all_the_years_of_its_shifts(day_at, icaljs, make_person):
    person = make_person()
    shifts = [day_at("Australia/Sydney", date(2027, 4, 4), person=person),
              day_at("Australia/Sydney", date(2028, 4, 2), person=person),
              day_at("America/Chicago", date(2029, 11, 4), person=person)]

    raw = feed_calendar(person, shifts, "Shifts")

    check_structure(raw, None)
    assert sorted(lines[1] for lines in components(raw, "VTIMEZONE")) == [
        "TZID:America/Chicago", "TZID:Australia/Sydney"]
    sydney = next(lines for lines in components(raw, "VTIMEZONE") if lines[1] == "TZID:Australia/Sydney")
    assert "DTSTART:20280402T030000" in sydney  # the second year's end of summer time
    read = {event["uid"]: event["dtstart"] for event in icaljs_json(raw, icaljs)["events"]}
    calendar = icalendar.Calendar.from_ical(raw)
    for shift in shifts:
        assert read[shift.uid]["instant"] == shift.slot.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert read[shift.uid]["zone"] == shift.slot.site.timezone
        event = next(event for event in calendar.walk("VEVENT") if str(event["UID"]) == shift.uid)
        assert event.decoded("DTSTART") == shift.slot.starts_at


def test_a_download_is_in_the_sites_zone_too(day_at, icaljs):
    assignment = day_at("Australia/Sydney", date(2027, 10, 3))

    raw = download_calendar(assignment)

    check_structure(raw, "PUBLISH")
    reading = read_with_icaljs(raw, icaljs)
    assert (reading.start, reading.zone) == (assignment.slot.starts_at, "Australia/Sydney")


def test_calendars_written_from_a_shifts_shared_lines_are_each_as_if_written_alone(app, day_at, make_person):
    """The sender writes the lines everyone on a shift shares once: the zone's definition among them."""
    first = day_at("Australia/Sydney", date(2027, 4, 4))
    second = day_at("Australia/Sydney", date(2027, 4, 4), person=make_person())
    first = loaded(first.id)
    assert second.slot_id == first.slot_id
    shared = Invitations()
    stamp = datetime(2027, 1, 5, 8, tzinfo=UTC)

    def written(invitations: Invitations, assignment: Assignment) -> bytes:
        return invitations.calendar(Shift.of(assignment), assignment.uid, "REQUEST", stamp=stamp, sequence=0,
                                    attendee=Attendee(assignment.person.email, assignment.person.full_name),
                                    description=event_description(assignment))

    together = [written(shared, first), written(shared, second)]

    assert together == [written(Invitations(), first), written(Invitations(), second)]
    assert together[1] == invitation_calendar(second, "REQUEST", sequence=0, stamp=stamp)
    assert b"BEGIN:VTIMEZONE" in together[1] and second.person.email.encode() in together[1]
