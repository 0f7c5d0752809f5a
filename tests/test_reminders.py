"""Reminders before each shift: a week and a day before (configurable), through the outbox, never twice."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from rotation.assignments.changes import move_assignment
from rotation.assignments.models import CANCELLED, COMPLETED, CONFIRMED, DRAFT, NO_SHOW, PUBLISHED, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import REMINDER, SENT, OutboxMessage
from rotation.outbox.reminders import how_soon, queue_due_reminders
from rotation.sites.models import CUSTOMER_SERVICE, Slot
from tests.fixtures.shifts import assign, before_the_year, day, reloaded, slot_at
from tests.helpers import count_queries, outbox_of
from tests.smtp_server import HOST

BASE_URL = "https://rotation.example.com"
DAY = timedelta(days=1)

pytestmark = pytest.mark.dates  # every reminder is due by the date


@pytest.fixture(autouse=True)
def base_url(app):
    app.config["ROTATION_BASE_URL"] = BASE_URL


@pytest.fixture
def company(five_managers):
    return five_managers


def queue(now: datetime) -> int:
    """One pass, committed, as the sending commands run it."""
    count = queue_due_reminders(now)
    db.session.commit()
    return count


def reminders(assignment_id: int | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = sa.select(OutboxMessage).where(OutboxMessage.purpose == REMINDER).order_by(OutboxMessage.id)
    if assignment_id is not None:
        query = query.where(OutboxMessage.assignment_id == assignment_id)
    return list(db.session.scalars(query))


def starts_at(assignment: Assignment) -> datetime:
    return db.session.get_one(Slot, assignment.slot_id).starts_at


def long_date(moment: datetime, zone: str = "Europe/Helsinki") -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%A} {local.day} {local:%B %Y}"


# --- When ------------------------------------------------------------------------------------------

def test_a_week_and_a_day_before_each_shift_one_reminder_is_queued_once(company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)

    assert queue(start - 7 * DAY - timedelta(seconds=1)) == 0
    assert queue(start - 7 * DAY) == 1
    assert queue(start - 7 * DAY) == 0  # the same pass again
    assert queue(start - 7 * DAY + timedelta(hours=5)) == 0  # the next pass, hours later
    assert queue(start - 3 * DAY) == 0
    assert queue(start - DAY - timedelta(minutes=1)) == 0
    assert queue(start - DAY) == 1
    assert queue(start - timedelta(hours=1)) == 0
    assert queue(start + timedelta(minutes=1)) == 0

    week, day_before = reminders(shift.id)
    assert [(m.reminder_days, m.sequence, m.recipient, m.recipient_name) for m in (week, day_before)] == [
        (7, 0, ann.email, "Ann Aalto"), (1, 0, ann.email, "Ann Aalto")]
    assert outbox_of(shift.id) == [("reminder", 0, "queued"), ("reminder", 0, "queued")]
    subject = f"Reminder: Customer-service day at Helsinki contact centre, {long_date(start)}"
    assert week.subject == day_before.subject == subject
    assert week.body_text.startswith("Hello Ann Aalto,\n\nYour customer-service day at Helsinki contact centre "
                                     "starts in a week.\n")
    assert "starts tomorrow." in day_before.body_text
    for message in (week, day_before):
        text = message.body_text
        assert f"When:  {long_date(start)}, 09:00–17:00 Europe/Helsinki (UTC+0" in text
        assert "Where: Helsinki contact centre" in text
        assert f"Please confirm it on My rotation, or ask for a change there if the date does not work:\n" \
               f"{BASE_URL}/my/\n" in text
        assert "{{" not in text and "{%" not in text


def test_with_answers_read_a_reminder_offers_accepting_the_invitation_as_well(app, company):
    app.config["ROTATION_IMAP_HOST"] = "imap.example.com"
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    assert queue(starts_at(shift) - DAY) == 1
    [reminder] = reminders(shift.id)
    assert "Please accept the invitation in your calendar or confirm it on My rotation, or ask for a change " \
           f"there\nif the date does not work:\n{BASE_URL}/my/\n" in reminder.body_text


def test_a_warehouse_week_is_reminded_from_its_monday_and_a_confirmed_shift_is_not_asked_to_confirm(company):
    ann = company["managers"][0]
    week = assign(ann, slot_at("TMP-WH", day(20)), status=CONFIRMED, sequence=3)
    start = starts_at(week)
    assert start.astimezone(ZoneInfo("Europe/Helsinki")).hour == 0  # Monday 00:00 at the site

    assert queue(start - 7 * DAY) == 1
    assert queue(start - DAY) == 1
    first, second = reminders(week.id)
    assert [(m.reminder_days, m.sequence) for m in (first, second)] == [(7, 3), (1, 3)]
    assert first.subject == f"Reminder: Warehouse week at Tampere warehouse, {long_date(start)}"
    assert "Your warehouse week at Tampere warehouse starts in a week." in first.body_text
    assert "Your warehouse week at Tampere warehouse starts tomorrow." in second.body_text
    assert "all day (Europe/Helsinki)" in first.body_text
    assert "You have confirmed it. If something has come up, ask for a change on My rotation:\n" \
           f"{BASE_URL}/my/\n" in first.body_text
    assert "Please confirm" not in first.body_text


def test_only_published_and_confirmed_shifts_of_active_people_are_reminded(company, make_person):
    chief, (ann, bo, cai, dina, eli) = company["chief"], company["managers"]
    slot = slot_at("HEL-CC", day(10, 2))
    leaver = make_person("E900", full_name="Lee Leaver", active=False)
    published = assign(ann, slot)
    confirmed = assign(bo, slot, status=CONFIRMED)
    for person, status in ((cai, DRAFT), (dina, CANCELLED), (eli, NO_SHOW), (chief, COMPLETED),
                           (leaver, PUBLISHED)):
        assign(person, slot, status=status)

    assert queue(slot.starts_at - 7 * DAY) == 2
    assert {m.assignment_id for m in reminders()} == {published.id, confirmed.id}


def test_a_shift_that_has_started_or_is_over_gets_none(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)
    for now in (start, start + timedelta(hours=3), start + 2 * DAY, start + 8 * DAY):
        assert queue(now) == 0
    assert reminders() == []


def test_a_shift_published_three_days_ahead_gets_the_day_before_reminder_only(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)
    assert queue(start - 3 * DAY) == 0  # no late "in a week"
    assert queue(start - 2 * DAY) == 0
    assert queue(start - DAY + timedelta(hours=2)) == 1
    (only,) = reminders(shift.id)
    assert only.reminder_days == 1
    assert "starts tomorrow." in only.body_text


def test_a_reminder_may_go_out_up_to_a_day_late_saying_how_soon_truly(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)  # 09:00 in Helsinki
    assert queue(start - 6 * DAY - timedelta(hours=1)) == 1  # the sender was down for 23 hours
    (late,) = reminders(shift.id)
    assert late.reminder_days == 7
    assert "starts in 6 days." in late.body_text
    assert queue(start - timedelta(minutes=1)) == 1  # at 08:59 on the day itself
    assert "starts today." in reminders(shift.id)[1].body_text


def test_how_soon_counts_calendar_days():
    assert [how_soon(days) for days in (0, 1, 2, 6, 7, 14)] == [
        "today", "tomorrow", "in 2 days", "in 6 days", "in a week", "in 14 days"]


# --- Never twice ----------------------------------------------------------------------------------

def test_a_reminder_already_sent_is_not_queued_again(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)
    assert queue(start - 7 * DAY) == 1
    db.session.execute(sa.update(OutboxMessage).values(status=SENT, sent_at=utcnow()))
    db.session.commit()
    assert queue(start - 7 * DAY + timedelta(hours=1)) == 0
    assert outbox_of(shift.id) == [("reminder", 0, "sent")]


def test_two_workers_at_once_queue_each_reminder_once(app, company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    now = starts_at(shift) - 7 * DAY
    assert queue_due_reminders(now) == 1  # not committed yet: the other worker cannot see it
    outcome: dict[str, object] = {}

    def other_worker() -> None:
        with app.app_context():
            try:
                outcome["queued"] = queue_due_reminders(now)
                db.session.commit()
            except Exception as error:
                outcome["error"] = error
            finally:
                db.session.rollback()
                db.session.remove()

    other = threading.Thread(target=other_worker)
    other.start()
    other.join(timeout=0.5)
    assert other.is_alive(), "the second worker should wait for the first one's reminder"
    db.session.commit()
    other.join(timeout=10)
    assert outcome == {"queued": 0}
    assert outbox_of(shift.id) == [("reminder", 0, "queued")]


def test_a_moved_shift_supersedes_its_queued_reminder_and_is_reminded_of_its_new_date(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    old_start = starts_at(shift)
    assert queue(old_start - 7 * DAY) == 1

    target = slot_at("HEL-CC", day(12, 4))
    move_assignment(reloaded(shift.id), target, None, today=before_the_year())
    db.session.commit()
    assert outbox_of(shift.id) == [("reminder", 0, "superseded"), ("invitation", 1, "queued")]

    assert queue(old_start - 7 * DAY + timedelta(minutes=5)) == 0  # the old date is not reminded
    assert queue(old_start - DAY) == 0
    new_start = target.starts_at
    assert queue(new_start - 7 * DAY - timedelta(seconds=1)) == 0
    assert queue(new_start - 7 * DAY) == 1
    assert queue(new_start - DAY) == 1
    assert outbox_of(shift.id) == [("reminder", 0, "superseded"), ("invitation", 1, "queued"),
                                   ("reminder", 1, "queued"), ("reminder", 1, "queued")]
    week = reminders(shift.id)[1]
    assert week.reminder_days == 7
    assert week.subject.endswith(long_date(new_start))


def test_a_shift_moved_after_its_reminder_went_out_is_reminded_again_for_its_new_date(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 5)))
    old_start = starts_at(shift)
    assert queue(old_start - 7 * DAY) == 1
    db.session.execute(sa.update(OutboxMessage).values(status=SENT, sent_at=utcnow()))
    db.session.commit()

    # Six days before the Friday it was on, moved to the Tuesday before: three days away.
    target = slot_at("HEL-CC", day(10, 2))
    move_assignment(reloaded(shift.id), target, None, today=before_the_year())
    db.session.commit()
    assert queue(old_start - 6 * DAY) == 0  # too late for "in a week"
    assert queue(target.starts_at - 2 * DAY) == 0
    assert queue(target.starts_at - DAY) == 1
    assert [(m.reminder_days, m.sequence, m.status) for m in reminders(shift.id)] == [
        (7, 0, "sent"), (1, 1, "queued")]


# --- Configuration ---------------------------------------------------------------------------------

def test_no_reminders_when_they_are_turned_off(app, make_app, company, monkeypatch):
    monkeypatch.setenv("ROTATION_REMINDER_DAYS", "none")
    turned_off = make_app().config["ROTATION_REMINDER_DAYS"]
    assert turned_off == ()
    app.config["ROTATION_REMINDER_DAYS"] = turned_off
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)
    for now in (start - 7 * DAY, start - 6 * DAY - timedelta(hours=1), start - DAY, start - timedelta(hours=1)):
        assert queue(now) == 0
    assert reminders() == []


def test_the_lead_times_come_from_the_configuration(app, company):
    app.config["ROTATION_REMINDER_DAYS"] = (3,)
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10, 2)))
    start = starts_at(shift)
    assert queue(start - 7 * DAY) == 0
    assert queue(start - DAY) == 0
    assert queue(start - 3 * DAY) == 1
    (only,) = reminders(shift.id)
    assert (only.reminder_days, "starts in 3 days." in only.body_text) == (3, True)


# --- Cost ------------------------------------------------------------------------------------------

def test_one_query_finds_every_due_reminder_and_one_statement_queues_them(company):
    chief, managers = company["chief"], company["managers"]
    slot = slot_at("HEL-CC", day(10, 2))
    for person in (chief, *managers):
        assign(person, slot)
    # Far from now: not looked at (the query is bounded by the slots' days).
    assign(chief, slot_at("TMP-WH", day(30)))
    now = slot.starts_at - 7 * DAY
    db.session.expire_all()
    with count_queries() as statements:
        assert queue_due_reminders(now) == 6
    # The candidates; where problems were seen, the areas each kind touches, the open problems among them (none:
    # so no pain to weigh); the insert.
    assert len(statements) == 5, statements
    db.session.commit()
    with count_queries() as statements:
        assert queue_due_reminders(now) == 0
    assert len(statements) == 1, statements


# --- Delivery --------------------------------------------------------------------------------------

def test_invites_send_delivers_a_reminder_naming_the_site_local_time_and_my_rotation(
        app, runner, make_site, make_person, smtp_server):
    app.config.update(ROTATION_SMTP_HOST=HOST, ROTATION_SMTP_PORT=smtp_server.port,
                      ROTATION_MAIL_FROM="rotation@example.com")
    site = make_site("AMS-CC", name="Amsterdam contact centre", timezone="Europe/Amsterdam")
    site.address = "Damrak 1, Amsterdam"
    ann = make_person("E101", full_name="Ann Aalto", email="ann@example.com")
    # A real shift six days and 23 hours from now, on a whole minute: the sending command uses the clock.
    start = (utcnow() + 7 * DAY - timedelta(hours=1)).replace(second=0, microsecond=0)
    local = start.astimezone(ZoneInfo("Europe/Amsterdam"))
    slot = Slot(site_id=site.id, kind=CUSTOMER_SERVICE, first_day=local.date(), last_day=local.date(),
                starts_at=start, ends_at=start + timedelta(hours=8), seats=2)
    db.session.add(slot)
    db.session.commit()
    shift = assign(ann, slot)

    result = runner.invoke(args=["invites", "send"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "1 sent, 0 failed, 0 still queued"
    (received,) = smtp_server.received
    assert received.recipients == ("ann@example.com",)
    email = received.email
    assert email["Subject"] == f"Reminder: Customer-service day at Amsterdam contact centre, " \
                               f"{long_date(start, 'Europe/Amsterdam')}"
    plain = email.get_body(("plain",)).get_content()
    # "in 6 days" when the test runs in the first hour of the day in Amsterdam.
    assert ("Your customer-service day at Amsterdam contact centre starts in a week." in plain
            or "Your customer-service day at Amsterdam contact centre starts in 6 days." in plain)
    (when,) = [line for line in plain.splitlines() if line.startswith("When:")]
    assert when.startswith(f"When:  {long_date(start, 'Europe/Amsterdam')}, {local:%H:%M}")
    assert "Europe/Amsterdam" in when
    assert "Where: Amsterdam contact centre, Damrak 1, Amsterdam" in plain
    assert f"{BASE_URL}/my/" in plain
    html = email.get_body(("html",)).get_content()
    assert f'<a href="{BASE_URL}/my/">' in html
    assert "text/calendar" not in {part.get_content_type() for part in email.walk()}

    again = runner.invoke(args=["invites", "send"])
    assert again.exit_code == 0, again.output
    assert again.output.strip().splitlines()[-1] == "0 sent, 0 failed, 0 still queued"
    assert len(smtp_server.received) == 1
    db.session.expire_all()
    assert outbox_of(shift.id) == [("reminder", 0, "sent")]
