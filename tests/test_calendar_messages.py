"""Invitations, cancellations, feeds and downloads as calendar clients read them, and the e-mail around them."""
from __future__ import annotations

import email
import email.policy
import os
import sys
import threading
import time as clock
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import ics  # type: ignore[import-untyped]  # ics ships neither types nor stubs
import pytest
import sqlalchemy as sa
from ics.grammar.parse import ContentLine  # type: ignore[import-untyped]  # as above
from markupsafe import escape
from sqlalchemy.orm import joinedload

from rotation.assignments.models import CANCELLED, PUBLISHED, Assignment
from rotation.extensions import db
from rotation.outbox.calendar import download_calendar, feed_calendar, invitation_calendar
from rotation.outbox.compose import ComposeError, Composer, compose
from rotation.outbox.models import CANCELLATION, INVITATION, SENT, SET_PASSWORD, SUPERSEDED, OutboxMessage
from rotation.outbox.normalise import fold
from rotation.outbox.texts import when_text
from rotation.sites.models import Slot
from rotation.sites.slots import local_instant
from tests.helpers import count_queries
from tests.ical_parsers import (
    ParsedEvent,
    check_structure,
    icaljs_json,
    read_with_icalendar,
    read_with_icaljs,
    read_with_vobject,
    structure_problems,
)

NAME = 'Doe, Jane: "JJ"; Ops Åsa'
# Long enough, and with enough multi-byte characters, that LOCATION and DESCRIPTION must be folded.
ADDRESS = "Työpajankatu 10 A, 4th floor, the door beside the café — ring “Frontline visitors”, 00580 Helsinki"
HOST = "Päivi Mäkinen"
HOST_EMAIL = "paivi.makinen@example.com"


@pytest.fixture
def book(make_site, make_person):
    """Books a person onto a new shift and returns the assignment with person, slot and site loaded."""

    def book(*, kind: str = "contact_center", zone: str = "Europe/Helsinki", first_day: date = date(2027, 3, 2),
             hours: tuple[time, time] = (time(9), time(17)), sequence: int = 0, status: str = PUBLISHED,
             name: str = NAME, site_name: str | None = None, person=None) -> Assignment:
        site = make_site(kind=kind, timezone=zone, name=site_name or f"{zone.split('/')[-1]} {kind.replace('_', ' ')}")
        site.address, site.host_name, site.host_email = ADDRESS, HOST, HOST_EMAIL
        person = person or make_person(full_name=name)
        slot = _slot(site, first_day, hours)
        assignment = Assignment(person=person, slot=slot, year=first_day.year, kind=slot.kind, status=status,
                                sequence=sequence)
        db.session.add(assignment)
        db.session.commit()
        return loaded(assignment.id)

    return book


def _slot(site, first_day: date, hours: tuple[time, time]) -> Slot:
    zone = ZoneInfo(site.timezone)
    if site.kind == "warehouse":
        last_day = first_day + timedelta(days=4)
        return Slot(site=site, kind="warehouse", first_day=first_day, last_day=last_day, seats=2,
                    starts_at=local_instant(first_day, time(0), zone),
                    ends_at=local_instant(last_day + timedelta(days=1), time(0), zone))
    return Slot(site=site, kind="customer_service", first_day=first_day, last_day=first_day, seats=2,
                starts_at=local_instant(first_day, hours[0], zone), ends_at=local_instant(first_day, hours[1], zone))


def loaded(assignment_id: int) -> Assignment:
    return db.session.execute(
        sa.select(Assignment).where(Assignment.id == assignment_id)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))).scalar_one()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Sites east and west of UTC, each on a day its clocks change, one whose clocks never change, and a warehouse week
# east of UTC. A day is read in the site's own zone, at the instants of its slot.
SHIFTS = {
    "Sydney day as summer time ends": {
        "book": {"zone": "Australia/Sydney", "first_day": date(2027, 4, 4)},
        "start": utc(2027, 4, 3, 23), "end": utc(2027, 4, 4, 7), "zone": "Australia/Sydney",
        "when": "Sunday 4 April 2027, 09:00–17:00 Australia/Sydney (UTC+10:00)"},
    "Los Angeles day as summer time starts": {
        "book": {"zone": "America/Los_Angeles", "first_day": date(2027, 3, 14)},
        "start": utc(2027, 3, 14, 16), "end": utc(2027, 3, 15, 0), "zone": "America/Los_Angeles",
        "when": "Sunday 14 March 2027, 09:00–17:00 America/Los_Angeles (UTC-07:00)"},
    "Sydney day as summer time starts": {
        "book": {"zone": "Australia/Sydney", "first_day": date(2027, 10, 3)},
        "start": utc(2027, 10, 2, 22), "end": utc(2027, 10, 3, 6), "zone": "Australia/Sydney",
        "when": "Sunday 3 October 2027, 09:00–17:00 Australia/Sydney (UTC+11:00)"},
    "New York day as summer time ends": {
        "book": {"zone": "America/New_York", "first_day": date(2027, 11, 7)},
        "start": utc(2027, 11, 7, 14), "end": utc(2027, 11, 7, 22), "zone": "America/New_York",
        "when": "Sunday 7 November 2027, 09:00–17:00 America/New_York (UTC-05:00)"},
    "Kolkata day, a zone without summer time": {
        "book": {"zone": "Asia/Kolkata", "first_day": date(2027, 3, 2)},
        "start": utc(2027, 3, 2, 3, 30), "end": utc(2027, 3, 2, 11, 30), "zone": "Asia/Kolkata",
        "when": "Tuesday 2 March 2027, 09:00–17:00 Asia/Kolkata (UTC+05:30)"},
    "Sydney warehouse week": {
        "book": {"kind": "warehouse", "zone": "Australia/Sydney", "first_day": date(2027, 3, 1)},
        "start": date(2027, 3, 1), "end": date(2027, 3, 6), "zone": None,
        "when": "Monday 1 March 2027 to Friday 5 March 2027, all day (Australia/Sydney)"},
}


@pytest.mark.parametrize("method, status, sequence, alarms", [("REQUEST", "CONFIRMED", 1, 1),
                                                              ("CANCEL", "CANCELLED", 4, 0)])
@pytest.mark.parametrize("shift", list(SHIFTS))
def test_every_parser_reads_the_shift_the_attendee_was_booked_on(book, icaljs, shift, method, status,
                                                                 sequence, alarms):
    case = SHIFTS[shift]
    assignment = book(sequence=sequence, **case["book"])

    raw = invitation_calendar(assignment, method)

    check_structure(raw, method)
    assert b"\r\n " in raw, "the long location and description are folded"
    expected = ParsedEvent(method=method, uid=assignment.uid, sequence=sequence, status=status,
                           start=case["start"], end=case["end"], zone=case["zone"],
                           attendee=f"mailto:{assignment.person.email}", cn=NAME, alarms=alarms)
    assert read_with_icalendar(raw) == expected
    assert read_with_vobject(raw) == expected
    assert read_with_icaljs(raw, icaljs) == expected
    if case["zone"]:  # the instants of the slot itself
        assert (expected.start, expected.end) == (assignment.slot.starts_at, assignment.slot.ends_at)
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert case["when"] in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == f"{assignment.slot.site.name}, {ADDRESS}"


def test_a_request_and_its_cancellation_share_the_uid_and_the_sequence_rises(book, icaljs):
    assignment = book()
    invitation = read_with_icaljs(invitation_calendar(assignment, "REQUEST"), icaljs)
    assignment.sequence += 1
    cancellation = read_with_icaljs(invitation_calendar(assignment, "CANCEL"), icaljs)

    assert cancellation.uid == invitation.uid == assignment.uid
    assert cancellation.sequence > invitation.sequence
    assert (invitation.method, cancellation.method) == ("REQUEST", "CANCEL")


@pytest.fixture
def server_far_east_of_utc(monkeypatch):
    """The server's own clock zone is UTC+14, where a naive date conversion would move days."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    clock.tzset()
    yield
    monkeypatch.undo()
    clock.tzset()


def test_a_warehouse_week_keeps_its_dates_whatever_the_servers_zone(book, server_far_east_of_utc):
    assert clock.localtime().tm_gmtoff == 14 * 3600
    assignment = book(kind="warehouse", zone="America/Los_Angeles", first_day=date(2027, 11, 1))

    raw = invitation_calendar(assignment, "REQUEST")

    assert b"\r\nDTSTART;VALUE=DATE:20271101\r\n" in raw
    assert b"\r\nDTEND;VALUE=DATE:20271106\r\n" in raw
    assert os.environ["TZ"] == "Pacific/Kiritimati"


def test_the_checker_catches_what_ics_writes_without_our_normalising(book):
    """The structural checks can fail: ics 0.7.3's own text breaks several rules."""
    assignment = book()
    event = ics.Event(name="Customer-service day", uid=assignment.uid, begin=assignment.slot.starts_at,
                      end=assignment.slot.ends_at, status="CONFIRMED")
    event.attendees.add(ics.Attendee("jane@example.com", common_name="Doe, Jane", rsvp="TRUE"))
    calendar = ics.Calendar()
    calendar.method = "REQUEST"
    calendar.events.add(event)

    problems = "\n".join(structure_problems(calendar.serialize().encode(), "REQUEST"))

    assert "the last line does not end in CRLF" in problems
    raw = calendar.serialize().encode() + b"\r\n"
    problems = "\n".join(structure_problems(raw, "REQUEST"))
    assert "METHOD comes after the first component" in problems
    assert "DTSTAMP missing" in problems and "SEQUENCE missing" in problems
    assert "ORGANIZER is not a mailto: address" in problems
    assert "backslash-escaped" in problems


@pytest.mark.parametrize("text", ["Å" * 100, "x" * 74 + "€" * 30, "y" * 75, "z" * 76])
def test_folding_counts_octets_and_never_splits_a_character(text):
    folded = fold(text)

    physical = folded.split(b"\r\n")
    assert all(len(line) <= 75 for line in physical)
    assert all(line.startswith(b" ") for line in physical[1:])
    for line in physical:
        line.decode("utf-8")  # a split character would not decode
    assert b"".join(line[1:] if index else line for index, line in enumerate(physical)).decode() == text
    assert (len(physical) == 1) == (len(text.encode()) <= 75)


def test_a_shift_across_a_clock_change_gives_both_offsets(book):
    assignment = book(zone="Australia/Sydney", first_day=date(2027, 4, 4), hours=(time(1), time(5)))

    assert when_text(assignment) == "Sunday 4 April 2027, 01:00 (UTC+11:00)–05:00 (UTC+10:00) Australia/Sydney"


def test_a_feed_is_a_snapshot_without_method_or_attendees(book, icaljs):
    day = book()
    week = book(kind="warehouse", first_day=date(2027, 5, 3), person=day.person, status=CANCELLED)
    day = loaded(day.id)

    raw = feed_calendar(day.person, [day, week], "Frontline shifts, Jane")

    check_structure(raw, None)
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in raw
    assert b"ATTENDEE" not in raw and b"METHOD" not in raw and b"VALARM" not in raw
    calendar = icalendar.Calendar.from_ical(raw)
    assert all(component.errors == [] for component in calendar.walk())
    # Readers keep a name's escapes as written, so the name holds nothing that needs one.
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "Frontline shifts – Jane"
    parsed = icaljs_json(raw, icaljs)
    assert parsed["method"] is None and parsed["name"] == "Frontline shifts – Jane"
    assert {(event["uid"], event["status"]) for event in parsed["events"]} == {
        (day.uid, "CONFIRMED"), (week.uid, "CANCELLED")}


def test_a_feed_leaves_out_other_peoples_shifts(book):
    mine_id, theirs = book().id, book(name="Someone Else")
    mine = loaded(mine_id)

    raw = feed_calendar(mine.person, [mine, theirs], "Shifts")

    assert mine.uid.encode() in raw and theirs.uid.encode() not in raw


def test_a_download_is_one_published_event_without_attendees(book, icaljs):
    assignment = book(sequence=2)

    raw = download_calendar(assignment)

    check_structure(raw, "PUBLISH")
    parsed = read_with_icaljs(raw, icaljs)
    assert (parsed.method, parsed.uid, parsed.sequence, parsed.attendee) == ("PUBLISH", assignment.uid, 2, None)
    assert read_with_icalendar(raw).start == assignment.slot.starts_at


# ---------------------------------------------------------------- the e-mail

def queue(assignment: Assignment, purpose: str = INVITATION, **values) -> OutboxMessage:
    values.setdefault("sequence", assignment.sequence)
    message = OutboxMessage(purpose=purpose, recipient=assignment.person.email,
                            recipient_name=assignment.person.full_name, assignment_id=assignment.id, **values)
    db.session.add(message)
    db.session.flush()
    return message


def received(message: OutboxMessage) -> email.message.EmailMessage:
    """The e-mail as a recipient's client parses it from the bytes on the wire."""
    return email.message_from_bytes(compose(message).as_bytes(), policy=email.policy.default)


def parts(mail: email.message.EmailMessage) -> dict[str, email.message.EmailMessage]:
    return {part.get_content_type(): part for part in mail.walk()}


@pytest.mark.parametrize("purpose, method", [(INVITATION, "REQUEST"), (CANCELLATION, "CANCEL")])
def test_an_invitation_email_has_the_imip_structure(app, book, purpose, method):
    assignment = book(sequence=1)

    mail = received(queue(assignment, purpose))

    assert mail.get_content_type() == "multipart/mixed"
    alternative = mail.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == [
        "text/plain", "text/html", "text/calendar"]
    calendar_part = alternative.get_payload()[2]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    raw = calendar_part.get_payload(decode=True)
    check_structure(raw, method)
    assert f"\r\nMETHOD:{method}\r\n".encode() in raw
    assert len(mail.get_payload()) == 1  # one calendar object, in the alternative part only
    assert mail["To"].addresses[0].addr_spec == assignment.person.email
    assert mail["To"].addresses[0].display_name == NAME
    assert mail["From"].addresses[0].addr_spec == app.config["ROTATION_MAIL_FROM"]
    assert mail["Message-ID"] and mail["Date"]


def test_the_invitation_text_says_when_where_who_and_what_to_bring(app, book):
    assignment = book()
    base = app.config["ROTATION_BASE_URL"]

    text = parts(received(queue(assignment)))["text/plain"].get_content()

    assert "Tuesday 2 March 2027, 09:00–17:00 Europe/Helsinki (UTC+02:00)" in text
    assert assignment.slot.site.name in text and ADDRESS in text
    assert f"{HOST} <{HOST_EMAIL}>" in text
    assert "a headset if you have one" in text and "no laptop" in text and "comfortable clothes" in text
    assert f"{base}/\n" in text
    assert f"file what you see: {base}/observations/new?assignment={assignment.uid.replace('@', '%40')}" in text


def test_a_warehouse_invitation_asks_for_safety_shoes(book):
    assignment = book(kind="warehouse", first_day=date(2027, 3, 1))

    mail = received(queue(assignment))

    text = parts(mail)["text/plain"].get_content()
    assert "Monday 1 March 2027 to Friday 5 March 2027, all day (Europe/Helsinki)" in text
    assert "safety shoes" in text and "a water bottle" in text
    assert mail["Subject"] == "Invitation: Warehouse week at Helsinki warehouse, Monday 1 March 2027"


def test_an_update_and_a_cancellation_say_so(book):
    assignment = book(sequence=2)
    queue(assignment, sequence=0, status=SENT)  # the first invitation reached the person

    update = received(queue(assignment))
    cancellation = received(queue(assignment, CANCELLATION))

    assert update["Subject"].startswith("Updated invitation: ")
    assert "has changed" in parts(update)["text/plain"].get_content()
    assert cancellation["Subject"].startswith("Cancelled: ")
    assert "is cancelled" in parts(cancellation)["text/plain"].get_content()


def test_the_texts_say_what_the_calendar_will_do_and_what_is_left_to_do(book):
    """Only Google removes a cancelled event by itself, and accepting in a calendar tells HR nothing: the
    confirmation is on the person's page."""
    assignment = book()

    invitation = parts(received(queue(assignment)))
    cancellation = parts(received(queue(assignment, CANCELLATION)))

    for text in (invitation["text/plain"].get_content(), invitation["text/html"].get_content()):
        assert "puts it in" in text and "confirm it on" in text
    for text in (cancellation["text/plain"].get_content(), cancellation["text/html"].get_content()):
        assert "Google Calendar takes it out of your calendar by itself" in text
        assert "use the button on this message to remove it" in " ".join(text.split())


def test_with_answers_read_the_texts_say_that_accepting_confirms_and_declining_reaches_hr(app, book):
    app.config["ROTATION_IMAP_HOST"] = "imap.example.com"
    assignment = book()

    invitation = parts(received(queue(assignment)))

    for text in (invitation["text/plain"].get_content(), invitation["text/html"].get_content()):
        words = " ".join(text.split())
        assert "Accepting the invitation puts it in your calendar and tells HR you will be there" in words
        assert "decline it or propose another time in your calendar, saying why: HR sees your answer" in words
        assert "to tell HR you will be there, confirm it on" not in words


def test_the_first_invitation_a_person_gets_is_never_called_an_update(book):
    """Its earlier versions were replaced before they left (a draft moved before publishing, a move soon after):
    the person has heard nothing yet, so this is an invitation, whatever the shift's sequence."""
    assignment = book(sequence=2)
    queue(assignment, sequence=0, status=SUPERSEDED)
    queue(assignment, sequence=1, status=SUPERSEDED)

    first = received(queue(assignment))

    assert first["Subject"].startswith("Invitation: ")
    assert "has changed" not in parts(first)["text/plain"].get_content()


def test_the_html_escapes_names_and_addresses(book):
    assignment = book(name='<script>alert("x")</script> & Co, Åsa')
    assignment.slot.site.address = "<b>Main</b> street & yard"

    html = parts(received(queue(assignment)))["text/html"].get_content()

    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;Main&lt;/b&gt; street &amp; yard" in html
    assert 'href="http://' in html and "file what you see</a>" in html


def test_people_on_one_shift_each_read_their_own_name_and_link_from_one_composer(app, book, make_person, icaljs):
    """The sender renders a shift's texts once and fills in each person: nobody gets another's name or link."""
    first = book(name='<b>Ann</b> & "Co", Åsa')
    slot_id, kind = first.slot_id, first.kind
    others = [make_person(full_name="Bob O'Brien; Ops"), make_person(full_name="Cy")]
    shifts = [first] + [Assignment(person=person, slot_id=slot_id, year=2027, kind=kind, status=PUBLISHED,
                                   sequence=number) for number, person in enumerate(others, start=1)]
    db.session.add_all(shifts[1:])
    db.session.commit()
    shifts = [loaded(shift.id) for shift in shifts]
    purposes = [INVITATION, CANCELLATION, INVITATION]
    composer = Composer()

    def read(data: bytes) -> email.message.EmailMessage:
        return email.message_from_bytes(data, policy=email.policy.default)

    mails = [read(composer.message_bytes(queue(shift, purpose)))
             for shift, purpose in zip(shifts, purposes, strict=True)]

    base = app.config["ROTATION_BASE_URL"]
    for shift, purpose, mail in zip(shifts, purposes, mails, strict=True):
        name, link = shift.person.full_name, f"{base}/observations/new?assignment={shift.uid.replace('@', '%40')}"
        found = parts(mail)
        assert found["text/plain"].get_content().startswith(f"Hello {name},\r\n")
        assert str(escape(name)) in found["text/html"].get_content()
        raw = found["text/calendar"].get_payload(decode=True)
        event = read_with_icaljs(raw, icaljs)
        assert (event.uid, event.cn, event.attendee) == (shift.uid, name, f"mailto:{shift.person.email}")
        assert event.method == ("CANCEL" if purpose == CANCELLATION else "REQUEST")
        assert event.sequence == shift.sequence
        if purpose == INVITATION:
            assert link in found["text/plain"].get_content()
            assert str(escape(link)) in found["text/html"].get_content()
            assert link in str(icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]["DESCRIPTION"])
        # Word for word what a message made on its own says.
        alone = parts(read(Composer().message_bytes(queue(shift, purpose))))
        assert [found[kind].get_content() for kind in ("text/plain", "text/html")] == [
            alone[kind].get_content() for kind in ("text/plain", "text/html")]
    assert "<b>Ann</b>" not in parts(mails[0])["text/html"].get_content()


def test_the_calendar_shows_the_assignment_as_it_is_when_sent(book):
    """A message queued before a move is made from the moved shift, with the higher sequence."""
    assignment = book(sequence=1)
    message = queue(assignment)
    assignment.sequence = 2
    assignment.slot.starts_at += timedelta(days=7)
    assignment.slot.ends_at += timedelta(days=7)
    db.session.flush()

    raw = parts(received(message))["text/calendar"].get_payload(decode=True)

    event = read_with_icalendar(raw)
    assert (event.sequence, event.start) == (2, utc(2027, 3, 9, 7))


def test_a_message_whose_shift_is_gone_cannot_be_made(app):
    message = OutboxMessage(purpose=INVITATION, recipient="jane@example.com", recipient_name="Jane",
                            assignment_id=10**9, sequence=1)

    with pytest.raises(ComposeError, match="no longer exists"):
        compose(message)


@pytest.mark.parametrize("address", ["jane.example.com", "jane@", "jane doe@example.com", "a@b,c@d",
                                     "jane@example..com", "jane..doe@example.com", "jane@.example.com"])
def test_a_malformed_roster_address_cannot_be_made_into_an_email(book, address):
    message = queue(book())
    message.recipient = address

    with pytest.raises(ComposeError, match="not a valid e-mail address"):
        compose(message)


def test_a_default_installation_sends_from_its_dotless_sender_address(app, book):
    """ROTATION_MAIL_FROM is the operator's own setting; its default, rotation@localhost, must work."""
    assert app.config["ROTATION_MAIL_FROM"] == "rotation@localhost"

    mail = received(queue(book()))

    assert mail["From"].addresses[0].addr_spec == "rotation@localhost"
    assert mail["Message-ID"].endswith("@localhost>")


@pytest.mark.parametrize("sender", ["rotation", "rotation@", "rotation@.localhost", "Rotation <rotation@localhost"])
def test_a_malformed_sender_setting_is_named_in_the_error(app, book, sender):
    message = queue(book())
    app.config["ROTATION_MAIL_FROM"] = sender

    with pytest.raises(ComposeError, match="ROTATION_MAIL_FROM"):
        compose(message)


@pytest.mark.parametrize("site_name", ["Helsinki contact centre with a name long enough to fold the subject",
                                       "Työmaa Åbo", 'Centre "=?utf-8?q?x?=" of words'])
def test_headers_are_plain_ascii_lines_that_read_back_as_written(book, site_name):
    assignment = book(site_name=site_name, name="Virtanen, Ella")

    data = compose(queue(assignment)).as_bytes(policy=email.policy.SMTP)

    headers = data.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert data.isascii() and all(len(line) <= 78 for line in headers)
    mail = email.message_from_bytes(data, policy=email.policy.default)
    assert mail["Subject"] == f"Invitation: Customer-service day at {site_name}, Tuesday 2 March 2027"
    assert (mail["To"].addresses[0].display_name, mail["From"].addresses[0].display_name) == (
        "Virtanen, Ella", "Rotation")
    assert [defect for part in mail.walk() for defect in part.defects] == []


def test_a_batch_of_messages_loads_its_shifts_in_one_query(app, book):
    addresses = {}
    for number in range(5):
        assignment = book(name=f"Leader {number}", kind="warehouse" if number % 2 else "contact_center")
        addresses[queue(assignment).id] = assignment.person.email
        db.session.commit()
    batch = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id.in_(addresses))).all()

    with count_queries() as queries:
        mails = {message.id: compose(message) for message in batch}

    assert len(queries) == 1
    assert {message_id: mail["To"].addresses[0].addr_spec for message_id, mail in mails.items()} == addresses


@pytest.mark.parametrize("kind", ["contact_center", "warehouse"])
def test_outlook_shows_both_kinds_of_shift_as_busy_and_a_cancelled_one_as_free(book, kind):
    """Outlook shows an all-day event as free unless the invitation says otherwise."""
    assignment = book(kind=kind, first_day=date(2027, 3, 1))

    booked = icalendar.Calendar.from_ical(invitation_calendar(assignment, "REQUEST")).events[0]
    cancelled = icalendar.Calendar.from_ical(invitation_calendar(assignment, "CANCEL")).events[0]

    assert (booked["TRANSP"], booked["X-MICROSOFT-CDO-BUSYSTATUS"], booked["X-MICROSOFT-CDO-INTENDEDSTATUS"]) \
        == ("OPAQUE", "BUSY", "BUSY")
    assert (cancelled["X-MICROSOFT-CDO-BUSYSTATUS"], cancelled["X-MICROSOFT-CDO-INTENDEDSTATUS"]) == ("FREE", "FREE")


def test_calendars_are_made_without_parsing_text_with_ics(book, monkeypatch):
    """ics's grammar parser is slow and breaks when threads share it: nothing may call it."""
    def refuse(*args, **kwargs):
        raise AssertionError("ics's grammar parser was called")

    monkeypatch.setattr(ContentLine, "parse", refuse)
    assignment = book(kind="warehouse", first_day=date(2027, 3, 1))

    check_structure(invitation_calendar(assignment, "REQUEST"), "REQUEST")
    check_structure(download_calendar(assignment), "PUBLISH")
    check_structure(feed_calendar(assignment.person, [assignment], "Shifts"), None)


def test_an_account_email_carries_its_stored_text_with_a_clickable_link(app):
    message = OutboxMessage(purpose=SET_PASSWORD, recipient="new.leader@example.com", recipient_name="O'Neil, <Pat>",
                            subject="Choose your Rotation password",
                            body_text="Hello,\n\nChoose your password: https://rotation.example.com/password/abc?x=1&y=2\n")
    db.session.add(message)
    db.session.flush()

    mail = received(message)

    assert mail["Subject"] == "Choose your Rotation password"
    assert mail.get_content_type() == "multipart/alternative"
    found = parts(mail)
    assert "https://rotation.example.com/password/abc?x=1&y=2" in found["text/plain"].get_content()
    html = found["text/html"].get_content()
    assert '<a href="https://rotation.example.com/password/abc?x=1&amp;y=2">' in html
    assert mail["To"].addresses[0].display_name == "O'Neil, <Pat>"


def test_an_account_email_without_text_cannot_be_made(app):
    message = OutboxMessage(purpose=SET_PASSWORD, recipient="new.leader@example.com", recipient_name="")
    db.session.add(message)
    db.session.flush()

    with pytest.raises(ComposeError):
        compose(message)


# ---------------------------------------------------------------- many senders at once

@contextmanager
def switching_threads_often():
    """Let Python switch threads every few microseconds, so shared state between them shows up at once."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def test_eight_threads_build_correct_messages_at_the_same_time(app, book, icaljs):
    """Feeds, downloads and sending run in threads: messages built at once must each come out whole and right."""
    expected = {}  # message id -> the UID, address and name its calendar must carry
    for number in range(8):
        week = {"kind": "warehouse", "first_day": date(2027, 3, 1)} if number % 2 else {}
        assignment = book(name=f"Doe, Jane {number}", sequence=number % 3, **week)
        message = queue(assignment, CANCELLATION if number % 4 == 3 else INVITATION)
        expected[message.id] = (assignment.uid, assignment.person.email, assignment.person.full_name)
        db.session.commit()
    start = threading.Barrier(8)

    def build(message_id: int) -> list[tuple[bytes, bytes]]:
        with app.app_context():
            message = db.session.get_one(OutboxMessage, message_id)
            start.wait(timeout=30)
            return [(compose(message).as_bytes(policy=email.policy.SMTP),
                     download_calendar(messages_assignment(message_id))) for _ in range(5)]

    def messages_assignment(message_id: int) -> Assignment:
        message = db.session.get_one(OutboxMessage, message_id)
        assert message.assignment_id is not None
        return loaded(message.assignment_id)

    with switching_threads_often(), ThreadPoolExecutor(max_workers=8) as pool:
        built = dict(zip(expected, pool.map(build, expected), strict=True))

    for message_id, results in built.items():
        uid, address, name = expected[message_id]
        for data, download in results:
            mail = email.message_from_bytes(data, policy=email.policy.default)
            calendar_part = parts(mail)["text/calendar"]
            raw = calendar_part.get_payload(decode=True)
            method = calendar_part.get_param("method")
            check_structure(raw, method)
            event = read_with_icalendar(raw)
            assert (event.uid, event.attendee, event.cn) == (uid, f"mailto:{address}", name)
            assert mail["To"].addresses[0].addr_spec == address
            check_structure(download, "PUBLISH")
            assert read_with_icalendar(download).uid == uid


@pytest.mark.parametrize("name", ["Eve\r\nBcc: everyone@example.com", "Eve\x1b[31m Evil", "Éve\nBcc: x@example.com"])
def test_control_characters_in_a_name_never_reach_a_header(app, book, name):
    assignment = book()
    assignment.person.full_name = name
    message = queue(assignment)
    raw = compose(message).as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\x1b" not in head
    assert not any(line.startswith(b"Bcc") for line in head.split(b"\r\n"))
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail["Bcc"] is None
    assert mail["To"].addresses[0].addr_spec == assignment.person.email
    assert "\n" not in mail["To"].addresses[0].display_name
