"""`invites send` and `invites worker` against a real SMTP server: delivery, updates, cancellations, faults."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm
from icalendar import Calendar

from rotation import create_app
from rotation.assignments.changes import move_assignment, valid_slots
from rotation.assignments.models import CANCELLED, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import FAILED, INVITATION, QUEUED, SENT, OutboxMessage
from rotation.outbox.sender import DEFERRED, MAX_ATTEMPTS, UNREACHABLE, Attempt, backoff, record, send_due
from rotation.people.models import Person
from tests.fixtures.clock import next_year
from tests.fixtures.mail import ORGANIZER, import_roster, last_line, make_all_due, messages, send
from tests.ical_parsers import check_structure, read_with_icalendar, read_with_icaljs, read_with_vobject
from tests.imports_helpers import PEOPLE, run_import
from tests.smtp_server import HOST

# The roster of tests/imports_helpers.py: the chief executive ("Esposito, Carla"), Maria (who has a
# report) and Ben (in the rotation by the file) each get a customer-service day and a warehouse week.
IN_ROTATION = {"ceo@example.com", "maria@example.com", "ben@example.com"}


def before_the_year() -> date:
    """The last day before the planned year: every shift in it is still ahead."""
    return date(next_year() - 1, 12, 31)


@pytest.fixture
def published(published_invitations):
    return published_invitations


def calendar_of(received) -> tuple[str, Calendar]:
    """The MIME method and the parsed iCalendar object of one received e-mail."""
    message = received.email
    assert message.get_content_type() == "multipart/mixed"
    alternative = next(message.iter_parts())
    assert alternative.get_content_type() == "multipart/alternative"
    part = next(p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar")
    raw = part.get_payload(decode=True)
    check_structure(raw, part.get_param("method"))
    calendar = Calendar.from_ical(raw)
    assert calendar.errors == []
    return part.get_param("method"), calendar


def event_facts(received) -> dict:
    method, calendar = calendar_of(received)
    event = calendar.walk("VEVENT")[0]
    return {"mime_method": method, "method": str(calendar["METHOD"]), "uid": str(event["UID"]),
            "sequence": int(event.decoded("SEQUENCE")), "status": str(event.get("STATUS", "")),
            "attendee": str(event["ATTENDEE"]), "cn": event["ATTENDEE"].params.get("CN"),
            "start": event.decoded("DTSTART")}


def uids_by_recipient(received) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for message in received:
        seen.setdefault(message.recipients[0], set()).add(event_facts(message)["uid"])
    return seen


# --- Delivery -------------------------------------------------------------------------------------

def test_account_e_mails_go_out_the_same_way_as_plain_messages(runner, mail, tmp_path):
    import_roster(runner, tmp_path)
    queued = messages(status=QUEUED)
    assert {m.recipient for m in queued} == IN_ROTATION and len(queued) == 3
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (0, "3 sent, 0 failed, 0 still queued")
    assert sorted(mail.recipients()) == sorted(IN_ROTATION)
    for received in mail.received:
        content_types = {part.get_content_type() for part in received.email.walk()}
        assert "text/plain" in content_types and "text/calendar" not in content_types
        assert "/password/" in received.email.get_body(("plain",)).get_content()


def test_publishing_then_sending_delivers_one_invitation_per_shift_to_its_attendee_alone(runner, published):
    assert {m.purpose for m in messages(status=QUEUED)} == {INVITATION}
    result = send(runner)
    assert result.exit_code == 0, result.output
    assert last_line(result) == "6 sent, 0 failed, 0 still queued"

    assignments = {a.uid: a for a in db.session.scalars(sa.select(Assignment))}
    people = {p.id: p for p in db.session.scalars(sa.select(Person))}
    assert len(published.received) == 6
    for received in published.received:
        facts = event_facts(received)
        owner = people[assignments[facts["uid"]].person_id]
        assert received.recipients == (owner.email,)  # the envelope names the attendee and nobody else
        assert received.sender == ORGANIZER
        assert received.email["To"].addresses[0].addr_spec == owner.email
        assert (facts["mime_method"], facts["method"], facts["sequence"]) == ("REQUEST", "REQUEST", 0)
        assert facts["attendee"] == f"mailto:{owner.email}"
        assert facts["cn"] == owner.full_name
    assert {r.recipients[0] for r in published.received} == IN_ROTATION
    assert "Esposito, Carla" in {event_facts(r)["cn"] for r in published.received}
    assert all(m.status == SENT and m.sent_at is not None and m.attempts == 1 for m in messages(purpose=INVITATION))

    again = send(runner)
    assert (again.exit_code, last_line(again)) == (0, "0 sent, 0 failed, 0 still queued")
    assert len(published.received) == 6


def test_limit_sends_the_oldest_first_and_leaves_the_rest_queued(runner, published):
    result = send(runner, "--limit", "4")
    assert (result.exit_code, last_line(result)) == (0, "4 sent, 0 failed, 2 still queued")
    assert [m.status for m in messages(purpose=INVITATION)] == [SENT] * 4 + [QUEUED] * 2


def test_a_moved_shift_sends_a_request_with_the_same_uid_and_a_higher_sequence_and_nothing_else(runner, published):
    assert send(runner).exit_code == 0
    maria = db.session.scalar(sa.select(Person).where(Person.email == "maria@example.com"))
    shift = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == maria.id,
                                                          Assignment.kind == "customer_service"))
    before = next(event_facts(r) for r in published.received if event_facts(r)["uid"] == shift.uid)
    target = valid_slots(shift, today=before_the_year())[0].slot
    move_assignment(shift, target, None, today=before_the_year())
    db.session.commit()

    result = send(runner)
    assert (result.exit_code, last_line(result)) == (0, "1 sent, 0 failed, 0 still queued")
    update = published.received[-1]
    facts = event_facts(update)
    assert update.recipients == ("maria@example.com",)
    assert (facts["method"], facts["uid"], facts["sequence"]) == ("REQUEST", shift.uid, 1)
    assert facts["start"] != before["start"] and facts["start"] == target.starts_at
    assert len(published.received) == 7  # the five untouched shifts sent nothing new


def test_a_leavers_withdrawn_shifts_send_a_cancel_with_the_same_uid(runner, published, tmp_path):
    assert send(runner).exit_code == 0
    ben = db.session.scalar(sa.select(Person).where(Person.email == "ben@example.com"))
    uids = set(db.session.scalars(sa.select(Assignment.uid).where(Assignment.person_id == ben.id)))

    without_ben = PEOPLE.replace("E4,Ben Expert,ben@example.com,Finance,E1,,yes\n", "")
    imported = run_import(runner, tmp_path, "people", without_ben, "--deactivate-missing")
    assert imported.exit_code == 0, imported.output
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (0, "2 sent, 0 failed, 0 still queued")

    cancels = published.received[6:]
    assert [r.recipients for r in cancels] == [("ben@example.com",)] * 2
    facts = [event_facts(r) for r in cancels]
    assert {f["uid"] for f in facts} == uids
    assert all((f["mime_method"], f["method"], f["status"], f["sequence"]) == ("CANCEL", "CANCEL", "CANCELLED", 1)
               for f in facts)
    assert all(a.status == CANCELLED for a in db.session.scalars(
        sa.select(Assignment).where(Assignment.person_id == ben.id)))


def raw_calendar(received) -> tuple[str, bytes]:
    """The MIME method and the raw bytes of the text/calendar part of one received e-mail."""
    alternative = next(received.email.iter_parts())
    part = next(p for p in alternative.iter_parts() if p.get_content_type() == "text/calendar")
    return part.get_param("method"), part.get_payload(decode=True)


def test_every_received_message_reads_the_same_in_three_independent_parsers(runner, published, tmp_path,
                                                                            icaljs):
    """Publish, send, move one shift, lose a leaver, send again: each message as it arrived, through
    icalendar, vobject and Mozilla's ical.js, says what the database says."""
    assert send(runner).exit_code == 0
    maria = db.session.scalar(sa.select(Person).where(Person.email == "maria@example.com"))
    moved = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == maria.id,
                                                          Assignment.kind == "customer_service"))
    move_assignment(moved, valid_slots(moved, today=before_the_year())[0].slot, None, today=before_the_year())
    db.session.commit()
    without_ben = PEOPLE.replace("E4,Ben Expert,ben@example.com,Finance,E1,,yes\n", "")
    assert run_import(runner, tmp_path, "people", without_ben, "--deactivate-missing").exit_code == 0
    assert send(runner).exit_code == 0

    assignments = {a.uid: a for a in db.session.scalars(
        sa.select(Assignment).options(sa.orm.joinedload(Assignment.slot)))}
    people = {p.id: p for p in db.session.scalars(sa.select(Person))}
    seen = []
    assert len(published.received) == 6 + 1 + 2
    for number, received in enumerate(published.received):
        mime_method, raw = raw_calendar(received)
        check_structure(raw, mime_method)
        readings = [read_with_icalendar(raw), read_with_vobject(raw), read_with_icaljs(raw, icaljs)]
        assert readings[0] == readings[1] == readings[2], readings
        event = readings[0]
        assignment = assignments[event.uid]
        owner = people[assignment.person_id]
        # The first six are the invitations; then the update and the leaver's two cancellations.
        sequence = 0 if number < 6 else assignment.sequence
        method = "CANCEL" if number >= 6 and assignment.status == CANCELLED else "REQUEST"
        assert (event.method, mime_method, event.sequence) == (method, method, sequence)
        assert event.status == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
        assert event.attendee == f"mailto:{owner.email}" and event.cn == owner.full_name
        assert received.recipients == (owner.email,)
        slot = assignment.slot if number >= 6 or event.uid != moved.uid else None
        if slot is not None and assignment.kind == "customer_service":
            assert (event.start, event.end) == (slot.starts_at, slot.ends_at)
        elif slot is not None:
            assert (event.start, event.end) == (slot.first_day, slot.last_day + timedelta(days=1))
        seen.append((event.uid, method, event.sequence))
    assert "Esposito, Carla" in {people[assignments[uid].person_id].full_name for uid, _, _ in seen}
    assert (moved.uid, "REQUEST", 1) in seen and (moved.uid, "REQUEST", 0) in seen
    assert sorted(m for _, m, _ in seen).count("CANCEL") == 2


# --- Refusals and faults ---------------------------------------------------------------------------

def test_with_the_server_down_nothing_is_lost_and_the_command_fails(runner, published):
    published.stop()
    result = send(runner)
    assert result.exit_code == 1
    assert last_line(result) == "0 sent, 0 failed, 6 still queued"
    assert f"The mail server {HOST}:{published.port} could not be used" in result.output
    for message in messages(purpose=INVITATION):
        assert (message.status, message.attempts) == (QUEUED, 1)
        assert "could not be used" in message.last_error
        assert message.next_attempt_at > utcnow()

    published.start()
    assert last_line(send(runner)) == "0 sent, 0 failed, 6 still queued"  # not due yet: backing off
    make_all_due()
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (0, "6 sent, 0 failed, 0 still queued")
    assert uids_by_recipient(published.received).keys() == IN_ROTATION


def test_a_recipient_refused_for_good_is_failed_with_the_reply_and_never_retried(runner, published):
    published.refuse("ceo@example.com", 550)
    result = send(runner)
    assert result.exit_code == 1
    assert last_line(result) == "4 sent, 2 failed, 0 still queued"
    assert "550 5.1.1 <ceo@example.com>: Recipient address rejected" in result.output
    failed = messages(status=FAILED)
    assert {m.recipient for m in failed} == {"ceo@example.com"}
    assert all("The mail server refused ceo@example.com: 550 5.1.1" in m.last_error for m in failed)
    assert set(published.recipients()) == {"maria@example.com", "ben@example.com"}

    make_all_due()
    assert (send(runner).exit_code, len(published.received)) == (0, 4)


def test_a_recipient_refused_for_now_is_retried_later_and_the_others_go(runner, published):
    published.refuse("maria@example.com", 451)
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (1, "4 sent, 0 failed, 2 still queued")
    waiting = messages(status=QUEUED)
    assert {m.recipient for m in waiting} == {"maria@example.com"}
    assert all(m.attempts == 1 and "451 4.3.0" in m.last_error for m in waiting)
    assert all(timedelta(seconds=50) < m.next_attempt_at - utcnow() <= timedelta(minutes=1) for m in waiting)

    published.refusals.clear()
    make_all_due()
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (0, "2 sent, 0 failed, 0 still queued")
    assert published.recipients().count("maria@example.com") == 2


def test_back_off_doubles_to_an_hour_and_a_deferred_message_is_given_up_a_down_server_never():
    message = OutboxMessage(purpose=INVITATION, recipient="a@example.com", status=QUEUED, attempts=0)
    now = utcnow()
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        record(message, Attempt(DEFERRED, "451 later"), now)
        waits.append(message.next_attempt_at - now)
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert waits[-1] == timedelta(hours=1) and message.status == QUEUED
    record(message, Attempt(DEFERRED, "451 later"), now)
    assert message.status == FAILED
    assert message.last_error == f"Gave up after {MAX_ATTEMPTS} attempts. 451 later"

    server_down = OutboxMessage(purpose=INVITATION, recipient="a@example.com", status=QUEUED, attempts=500)
    record(server_down, Attempt(UNREACHABLE, "refused"), now)
    assert (server_down.status, server_down.next_attempt_at - now) == (QUEUED, backoff(501))


def test_a_malformed_address_in_the_roster_fails_alone(runner, published):
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.recipient == "ben@example.com")
                       .values(recipient="ben at example.com"))
    db.session.commit()
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (1, "4 sent, 2 failed, 0 still queued")
    assert all("'ben at example.com' is not a valid e-mail address" in m.last_error for m in messages(status=FAILED))
    assert set(published.recipients()) == {"ceo@example.com", "maria@example.com"}


def test_a_server_that_goes_down_mid_batch_still_delivers_every_message_exactly_once(runner, published):
    published.go_down_after(2)
    result = send(runner)
    assert published.went_down.is_set()
    assert (result.exit_code, last_line(result)) == (1, "2 sent, 0 failed, 4 still queued")
    assert len(published.received) == 2

    published.restart()
    make_all_due()
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (0, "4 sent, 0 failed, 0 still queued")
    delivered = [(r.recipients[0], event_facts(r)["uid"]) for r in published.received]
    expected = {(p.email, a.uid) for a, p in db.session.execute(
        sa.select(Assignment, Person).join(Person, Person.id == Assignment.person_id))}
    assert len(delivered) == 6 and set(delivered) == expected


def test_a_message_that_cannot_be_made_fails_with_the_sentence_and_the_others_go(runner, published):
    first = messages(purpose=INVITATION)[0]
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == first.id)
                       .values(assignment_id=None, purpose="set_password", subject=None, body_text=None))
    db.session.commit()
    result = send(runner)
    assert (result.exit_code, last_line(result)) == (1, "5 sent, 1 failed, 0 still queued")
    assert db.session.get(OutboxMessage, first.id).last_error == "This account e-mail has no subject or text to send."


def test_a_wrong_organizer_address_stops_before_anything_changes(app, runner, published):
    app.config["ROTATION_MAIL_FROM"] = "nobody"
    result = send(runner)
    assert result.exit_code == 1
    assert "ROTATION_MAIL_FROM 'nobody' is not an e-mail address" in result.output
    assert all((m.status, m.attempts) == (QUEUED, 0) for m in messages(purpose=INVITATION))


# --- Workers -----------------------------------------------------------------------------------------

def test_the_worker_sends_batch_by_batch_and_stops_cleanly_on_sigterm(runner, published):
    finished = threading.Event()

    def stop_when_delivered() -> None:
        deadline = utcnow() + timedelta(seconds=20)
        while len(published.received) < 6 and utcnow() < deadline:
            finished.wait(0.05)
        if not finished.is_set():
            os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_delivered)
    stopper.start()
    try:
        result = runner.invoke(args=["invites", "worker", "--interval", "0.2"])
    finally:
        finished.set()
        stopper.join()
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("Rotation's worker (") and lines[0].endswith(
        "the outbox every 0.2 s, jobs as they come; stop with Ctrl-C or SIGTERM.")
    assert lines[1].endswith(" 6 sent, 0 failed, 0 to retry")
    assert lines[-1] == "Stopped."
    db.session.expire_all()
    assert all(m.status == SENT for m in messages(purpose=INVITATION))


def _worker(config: dict, results) -> None:
    """One worker in a forked process: an app, a database connection and an SMTP connection of its own."""
    app = create_app(config)
    with app.app_context():
        results.put(send_due().sent)


@pytest.fixture
def postgresql_only(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row locks: one worker only")


def test_several_workers_on_postgresql_never_send_a_message_twice(postgresql_only, app, published):
    assignment_ids = list(db.session.scalars(sa.select(Assignment.id)))
    db.session.execute(sa.insert(OutboxMessage), [
        {"purpose": INVITATION, "recipient": "maria@example.com", "recipient_name": "Maria Jansen",
         "assignment_id": assignment_ids[n % len(assignment_ids)], "sequence": 0} for n in range(30)])
    db.session.commit()
    published.hold_until_clients = 2  # the first worker waits for a second one: they surely overlap
    config = {key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "ROTATION_SMTP_HOST", "ROTATION_SMTP_PORT",
        "ROTATION_MAIL_FROM")}
    context = multiprocessing.get_context("fork")  # separate processes, as production workers are
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(config, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    sent_by_worker = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    message_ids = [r.email["Message-ID"] for r in published.received]
    assert len(message_ids) == 36 and len(set(message_ids)) == 36
    assert sum(sent_by_worker) == 36 and sum(1 for sent in sent_by_worker if sent) >= 2, sent_by_worker
    db.session.expire_all()
    assert all(m.status == SENT for m in messages(purpose=INVITATION))
