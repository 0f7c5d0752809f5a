"""An update says what moved: from the shift the person's last invitation announced to the shift as it is now."""
from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa

from rotation.assignments.changes import move_assignment
from rotation.assignments.models import CANCELLED, NOTICE_CANCEL, NOTICE_REQUEST, PUBLISHED, Assignment
from rotation.assignments.signals import notices_set
from rotation.extensions import db
from rotation.outbox.compose import compose
from rotation.outbox.models import CANCELLATION, INVITATION, SENT, OutboxMessage
from rotation.outbox.sender import BATCH_SIZE
from rotation.sites.models import Slot
from rotation.sites.slots import local_instant
from tests.fixtures.clock import next_year
from tests.fixtures.mail import messages, send
from tests.fixtures.shifts import before_the_year
from tests.helpers import count_queries


def day_text(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B} {day.year}"


def tuesday() -> date:
    return date.fromisocalendar(next_year(), 10, 2)


def thursday() -> date:
    return date.fromisocalendar(next_year(), 10, 4)


@pytest.fixture
def rotterdam_and_reno(make_site):
    """Customer-service days at two contact centres nine hours apart: Tuesday in Rotterdam, Thursday in Reno."""
    slots = {}
    for name, zone, day in (("Rotterdam contact centre", "Europe/Amsterdam", tuesday()),
                            ("Reno contact centre", "America/Los_Angeles", thursday())):
        site = make_site(name=name, timezone=zone, region="Everywhere")
        slot = Slot(site=site, kind="customer_service", first_day=day, last_day=day, seats=2,
                    starts_at=local_instant(day, time(9), ZoneInfo(zone)),
                    ends_at=local_instant(day, time(17), ZoneInfo(zone)))
        db.session.add(slot)
        slots[name] = slot
    db.session.commit()
    return slots


def publish(person, slot: Slot) -> Assignment:
    """A published shift whose invitation is queued, as publishing a plan queues it."""
    assignment = Assignment(person_id=person.id, slot_id=slot.id, year=slot.first_day.year, kind=slot.kind,
                            status=PUBLISHED, notice=NOTICE_REQUEST)
    db.session.add(assignment)
    notices_set.send(None)
    db.session.commit()
    return assignment


def announce_again(assignment: Assignment, notice: str = NOTICE_REQUEST) -> None:
    """A new message about the shift, as a change that leaves it where it is would queue it."""
    assignment.sequence += 1
    assignment.notice = notice
    notices_set.send(None)
    db.session.commit()


def texts_of(received) -> tuple[str, str, str]:
    """The plain text, the HTML and the calendar event's DESCRIPTION of one received e-mail."""
    found = {part.get_content_type(): part for part in received.email.walk()}
    event = icalendar.Calendar.from_ical(found["text/calendar"].get_payload(decode=True)).walk("VEVENT")[0]
    return found["text/plain"].get_content(), found["text/html"].get_content(), str(event["DESCRIPTION"])


def test_a_moved_shift_is_announced_as_moved_from_where_and_when_it_was(mail, runner, make_person,
                                                                       rotterdam_and_reno):
    person = make_person(full_name="Jane Doe")
    assignment = publish(person, rotterdam_and_reno["Rotterdam contact centre"])
    assert send(runner).exit_code == 0
    rotterdam = f"{day_text(tuesday())}, 09:00–17:00 at Rotterdam contact centre"
    reno = f"{day_text(thursday())}, 09:00–17:00 at Reno contact centre"
    assert [message.announced for message in messages(purpose=INVITATION)] == [rotterdam]

    move_assignment(db.session.get_one(Assignment, assignment.id), rotterdam_and_reno["Reno contact centre"], None,
                    today=before_the_year())
    db.session.commit()
    assert send(runner).exit_code == 0

    first, update = mail.received
    assert update.email["Subject"].startswith("Updated invitation: ")
    moved = f"Moved from {rotterdam} to {reno}."
    for text in texts_of(update):
        assert moved in text
    assert not any("Moved from" in text for text in texts_of(first))
    assert [message.announced for message in messages(purpose=INVITATION)] == [rotterdam, reno]


def test_an_update_that_changes_nothing_the_person_sees_says_nothing_of_a_move(mail, runner, make_person,
                                                                              rotterdam_and_reno):
    assignment = publish(make_person(), rotterdam_and_reno["Reno contact centre"])
    assert send(runner).exit_code == 0

    announce_again(db.session.get_one(Assignment, assignment.id))
    assert send(runner).exit_code == 0

    update = mail.received[-1]
    assert update.email["Subject"].startswith("Updated invitation: ")
    assert not any("Moved" in text for text in texts_of(update))


def test_a_cancellation_reads_as_before_and_a_shift_booked_again_after_it_says_no_move(mail, runner, make_person,
                                                                                      rotterdam_and_reno):
    """Moved from Rotterdam to Reno and withdrawn before the update left: the cancellation says only that."""
    assignment = publish(make_person(), rotterdam_and_reno["Rotterdam contact centre"])
    assert send(runner).exit_code == 0
    move_assignment(db.session.get_one(Assignment, assignment.id), rotterdam_and_reno["Reno contact centre"], None,
                    today=before_the_year())
    withdrawn = db.session.get_one(Assignment, assignment.id)
    withdrawn.status = CANCELLED
    announce_again(withdrawn, NOTICE_CANCEL)
    assert send(runner).exit_code == 0
    cancellation = mail.received[-1]

    booked_again = db.session.get_one(Assignment, assignment.id)
    booked_again.status = PUBLISHED
    announce_again(booked_again)
    assert send(runner).exit_code == 0

    assert cancellation.email["Subject"].startswith("Cancelled: ")
    assert not any("Moved" in text for text in texts_of(cancellation))
    assert [message.announced for message in messages(purpose=CANCELLATION)] == [None]
    assert mail.received[-1].email["Subject"].startswith("Updated invitation: ")
    assert not any("Moved" in text for text in texts_of(mail.received[-1]))


def test_the_first_message_a_person_gets_is_neither_an_update_nor_a_move(make_person, rotterdam_and_reno):
    """Earlier versions replaced before they left, with an announcement recorded by mistake: still an invitation."""
    assignment = publish(make_person(), rotterdam_and_reno["Reno contact centre"])
    first = messages(purpose=INVITATION)[0]
    first.status, first.announced = "superseded", "Monday 1 March 2027, 09:00–17:00 at Nowhere"
    announce_again(db.session.get_one(Assignment, assignment.id))

    mail = compose(messages(status="queued")[0])

    assert mail["Subject"].startswith("Invitation: ")
    assert "Moved" not in mail.get_body(("plain",)).get_content()


def test_a_message_made_on_its_own_says_what_moved_too(make_person, rotterdam_and_reno):
    """compose() (a message outside a pass) reads what was announced with whether the person was told."""
    assignment = publish(make_person(), rotterdam_and_reno["Reno contact centre"])
    sent = messages(purpose=INVITATION)[0]
    sent.status, sent.announced = SENT, "Tuesday 2 March 2027, 09:00–17:00 at Rotterdam contact centre"
    announce_again(db.session.get_one(Assignment, assignment.id))

    body = compose(messages(status="queued")[0]).get_body(("plain",)).get_content()

    assert (f"Moved from Tuesday 2 March 2027, 09:00–17:00 at Rotterdam contact centre to {day_text(thursday())}, "
            "09:00–17:00 at Reno contact centre.") in " ".join(body.split())


def test_recording_what_each_invitation_announced_costs_no_query_per_message(mail, runner, make_person,
                                                                            rotterdam_and_reno):
    """A pass reads and writes by the batch: as many statements for 13 invitations as for 24 (two batches)."""

    def statements_to_send(count: int) -> int:
        people = [make_person() for _ in range(count)]
        slot = rotterdam_and_reno["Reno contact centre"]
        slot.seats = 100
        db.session.add_all([Assignment(person_id=person.id, slot_id=slot.id, year=slot.first_day.year,
                                       kind=slot.kind, status=PUBLISHED, notice=NOTICE_REQUEST) for person in people])
        notices_set.send(None)
        db.session.commit()
        with count_queries() as queries:
            assert send(runner).exit_code == 0
        assert len(messages(status=SENT, purpose=INVITATION)) >= count
        return len([query for query in queries if "outbox_message" in query])

    assert 2 * BATCH_SIZE >= 13 > BATCH_SIZE
    assert statements_to_send(13) == statements_to_send(24)
    assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.announced.is_(None),
                                                              OutboxMessage.status == SENT)) == 0

