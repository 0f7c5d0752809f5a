"""The organizer mailbox the suite reads: a real IMAP server, and what real clients and servers send to it."""
from __future__ import annotations

import email
import imaplib
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage

import icalendar
import pytest

from tests.calendar_replies import (
    delivery_status_notification,
    google_counter,
    google_reply,
    outlook_counter,
    outlook_reply,
    read_invitation,
    thunderbird_reply,
)
from tests.fixtures.mail import ORGANIZER, send
from tests.ical_parsers import physical_lines, read_with_icalendar, read_with_vobject

FIRST = b"From: jane@example.org\r\nSubject: One\r\nMessage-ID: <1@example.org>\r\n\r\nHi\r\n"
SECOND = b"From: joe@example.org\r\nSubject: Two\r\nMessage-ID: <2@example.org>\r\n\r\nHo\r\n"


def login(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port, timeout=5)
    client.login(server.user, server.password)
    return client


def test_delivered_messages_are_read_back_over_imap_as_they_were_sent(imap_server):
    imap_server.deliver(FIRST)
    imap_server.deliver(SECOND)

    client = login(imap_server)
    status, count = client.select("INBOX")
    _, found = client.fetch("1:*", "(BODY.PEEK[])")
    client.logout()

    assert (status, count) == ("OK", [b"2"])
    assert [item[1] for item in found if isinstance(item, tuple)] == [FIRST, SECOND]
    assert imap_server.messages() == [(set(), FIRST), (set(), SECOND)]


def test_new_mail_is_unseen_and_flags_a_client_sets_are_kept(imap_server):
    imap_server.deliver(FIRST, flags=("\\Seen",))
    imap_server.deliver(SECOND)

    client = login(imap_server)
    client.select("INBOX")
    _, unseen = client.search(None, "UNSEEN")
    client.store("2", "+FLAGS", "(\\Flagged)")
    client.logout()

    assert unseen == [b"2"]
    assert [flags for flags, _ in imap_server.messages()] == [{"\\Seen"}, {"\\Flagged"}]


def test_a_folder_delivered_to_is_created_and_listed(imap_server):
    imap_server.deliver(FIRST, folder="Rotation/Bounces")

    client = login(imap_server)
    _, listed = client.list()
    client.logout()

    assert sorted(imap_server.folders()) == ["INBOX", "Rotation", "Rotation/Bounces"]
    assert any(line.endswith((b'"Rotation/Bounces"', b" Rotation/Bounces")) for line in listed)
    assert imap_server.messages("Rotation/Bounces") == [(set(), FIRST)]
    assert imap_server.messages("INBOX") == []


def test_a_stopped_server_refuses_connections_and_comes_back_on_its_port_with_its_mail(imap_server):
    imap_server.deliver(FIRST)
    port = imap_server.port

    imap_server.stop()
    with pytest.raises(OSError):
        imaplib.IMAP4(imap_server.host, port, timeout=5)
    imap_server.start()

    assert imap_server.port == port
    assert [raw for _, raw in imap_server.messages()] == [FIRST]


def test_the_mailbox_fixture_points_the_app_at_the_server(app, mailbox):
    config = app.config
    client = imaplib.IMAP4(config["ROTATION_IMAP_HOST"], config["ROTATION_IMAP_PORT"], timeout=5)

    assert client.login(config["ROTATION_IMAP_USER"], config["ROTATION_IMAP_PASSWORD"])[0] == "OK"
    assert client.select(config["ROTATION_IMAP_FOLDER"])[0] == "OK"
    assert config["ROTATION_IMAP_SECURITY"] == "none"
    client.logout()


# ---------------------------------------------------------------- what clients send back

@pytest.fixture
def invitations(published_invitations, runner) -> dict[str, bytes]:
    """A customer-service day's and a warehouse week's invitation, as the attendees' servers received them."""
    assert send(runner).exit_code == 0
    raws = [message.raw for message in published_invitations.received]
    return {"timed": next(raw for raw in raws if not read_invitation(raw).all_day),
            "all-day": next(raw for raw in raws if read_invitation(raw).all_day)}


def parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def calendar_of(raw: bytes) -> tuple[str, bytes]:
    """The method the calendar part announces and its bytes (the first text/calendar part, as a client reads)."""
    part = next(part for part in parsed(raw).walk() if part.get_content_type() == "text/calendar")
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return str(part.get_param("method")), data


def answer(raw: bytes) -> tuple[str, str]:
    """The PARTSTAT and the address of the one ATTENDEE in ``raw``'s calendar, as icalendar reads them."""
    attendee = icalendar.Calendar.from_ical(calendar_of(raw)[1]).walk("VEVENT")[0]["ATTENDEE"]
    return attendee.params["PARTSTAT"], str(attendee).removeprefix("mailto:")


def later(value: datetime | date, days: int) -> datetime | date:
    return value + timedelta(days=days)


def test_every_client_answers_a_real_invitation_with_its_uid_sequence_and_answer(invitations):
    for kind, raw in invitations.items():
        invited = read_invitation(raw)
        week, day = (later(invited.start, 7), later(invited.end, 7)), (later(invited.start, 1), later(invited.end, 1))
        sent = {  # client: (its e-mail, the answer, the start it gives)
            "outlook": (outlook_reply(raw, "ACCEPTED"), "ACCEPTED", invited.start),
            "google": (google_reply(raw, "DECLINED", "Away that week"), "DECLINED", invited.start),
            "thunderbird": (thunderbird_reply(raw, "TENTATIVE"), "TENTATIVE", invited.start),
            "outlook counter": (outlook_counter(raw, *week), "TENTATIVE", week[0]),
            "google counter": (google_counter(raw, *day, "Earlier?"), "TENTATIVE", day[0])}
        for client, (mail, partstat, start) in sent.items():
            method, data = calendar_of(mail)
            assert method == ("COUNTER" if "counter" in client else "REPLY"), (kind, client)
            for reader in (read_with_icalendar, read_with_vobject):
                event = reader(data)
                assert (event.method, event.uid, event.sequence, event.start) == \
                    (method, invited.uid, invited.sequence, start), (kind, client, reader.__name__)
            assert answer(mail) == (partstat, invited.attendee), (kind, client)
            assert parsed(mail)["To"].addresses[0].addr_spec == ORGANIZER, (kind, client)
            assert parsed(mail)["From"].addresses[0].addr_spec == invited.attendee, (kind, client)


def test_outlook_answers_in_the_attendees_zone_without_an_organizer(invitations):
    raw = invitations["timed"]
    invited = read_invitation(raw)

    mail = parsed(outlook_reply(raw, "DECLINED", "On holiday", zone="America/New_York"))
    event = icalendar.Calendar.from_ical(calendar_of(mail.as_bytes())[1]).walk("VEVENT")[0]

    assert mail["Subject"] == f"Declined: {invited.subject}" and mail["Thread-Topic"] == invited.subject
    assert event["DTSTART"].params["TZID"] == "Eastern Standard Time"
    assert event.decoded("DTSTART") == invited.start  # the same instant, written in New York's time
    assert "ORGANIZER" not in event
    assert str(event["COMMENT"]) == "On holiday"
    assert str(event["SUMMARY"]) == f"Declined: {invited.subject}"


def test_outlook_proposes_other_dates_for_a_warehouse_week_keeping_the_original_ones(invitations):
    raw = invitations["all-day"]
    invited = read_invitation(raw)
    assert isinstance(invited.start, date) and isinstance(invited.end, date)
    start, end = invited.start + timedelta(days=14), invited.end + timedelta(days=14)

    mail = parsed(outlook_counter(raw, start, end, "Week 3 is quieter"))
    event = icalendar.Calendar.from_ical(calendar_of(mail.as_bytes())[1]).walk("VEVENT")[0]

    assert mail["Subject"] == f"New Time Proposed: {invited.subject}"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (start, end)
    assert b"\r\nDTSTART;VALUE=DATE:" in calendar_of(mail.as_bytes())[1]
    assert (event["X-MS-OLK-ORIGINALSTART"].dt, event["X-MS-OLK-ORIGINALEND"].dt) == (invited.start, invited.end)
    assert event["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"


def test_google_folds_its_attendee_line_and_sends_the_calendar_twice(invitations):
    mail = google_reply(invitations["timed"], "TENTATIVE", "I'll be late; sorry")
    _, data = calendar_of(mail)
    attendee = next(index for index, line in enumerate(physical_lines(data)) if line.startswith(b"ATTENDEE"))
    parts = {part.get_content_type(): part for part in parsed(mail).walk()}

    assert physical_lines(data)[attendee + 1].startswith(b" ")
    assert max(len(line) for line in physical_lines(data)) <= 75
    event = icalendar.Calendar.from_ical(data).walk("VEVENT")[0]
    assert event["ATTENDEE"].params["X-NUM-GUESTS"] == "0"
    assert event["ATTENDEE"].params["X-RESPONSE-COMMENT"] == "I&#39;ll be late; sorry"  # Google HTML-escapes the note
    assert b'X-RESPONSE-COMMENT="I&#39\\;ll be late\\; sorry"' in data.replace(b"\r\n ", b"")
    assert parts["application/ics"].get_filename() == "invite.ics"
    assert parts["application/ics"].get_payload(decode=True) == data
    assert parsed(mail)["Subject"].startswith("Tentatively Accepted: ")


def test_an_answer_can_come_from_another_address_than_the_one_invited(invitations):
    raw = invitations["timed"]

    mail = thunderbird_reply(raw, "ACCEPTED", attendee="carla.esposito@example.com", sender="ce@example.net")

    assert answer(mail) == ("ACCEPTED", "carla.esposito@example.com")
    assert parsed(mail)["From"].addresses[0].addr_spec == "ce@example.net"
    assert parsed(mail)["Subject"] == f"Accepted: {read_invitation(raw).summary}"


@pytest.mark.parametrize("action, status", [("failed", "5.1.1"), ("delayed", "4.4.1")])
def test_a_bounce_reports_the_recipient_and_returns_the_invitations_headers(invitations, action, status):
    raw = invitations["timed"]
    invited = read_invitation(raw)

    bounce = parsed(delivery_status_notification(raw, invited.attendee, status=status, action=action))
    notice, report, returned = bounce.get_payload()
    recipient = report.get_payload()[1]

    assert bounce.get_content_type() == "multipart/report"
    assert bounce.get_param("report-type") == "delivery-status"
    assert bounce["To"] == ORGANIZER and bounce["From"].startswith("MAILER-DAEMON@")
    assert report.get_content_type() == "message/delivery-status"
    assert (recipient["Action"], recipient["Status"]) == (action, status)
    assert recipient["Final-Recipient"] == f"rfc822; {invited.attendee}"
    assert returned.get_content_type() == "text/rfc822-headers"
    assert parsed(returned.get_payload(decode=True))["Message-ID"] == invited.message_id
    assert invited.attendee in notice.get_content()


def test_answers_and_bounces_are_read_back_from_the_mailbox_unchanged(imap_server, invitations):
    raw = invitations["timed"]
    sent = [outlook_reply(raw, "ACCEPTED"), google_reply(raw, "DECLINED"), thunderbird_reply(raw, "TENTATIVE"),
            delivery_status_notification(raw, read_invitation(raw).attendee)]

    for mail in sent:
        imap_server.deliver(mail)

    assert imap_server.messages() == [(set(), mail) for mail in sent]
