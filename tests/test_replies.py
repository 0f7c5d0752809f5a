"""Answers to invitations and bounces, read from a real IMAP mailbox (Dovecot) as the attendees' apps send them.

The round trip: publish, send to the SMTP server, build the client's reply from the invitation as it arrived,
deliver it into the organizer mailbox, fetch.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.changes import move_assignment, valid_slots
from rotation.assignments.models import CONFIRMED, PUBLISHED, Assignment
from rotation.change_requests.models import FROM_COUNTER, FROM_DECLINE, PENDING, WITHDRAWN, ChangeRequest
from rotation.change_requests.services import ask_for_change, decline
from rotation.db import utc_today
from rotation.extensions import db
from rotation.outbox.models import FAILED, REMINDER, SENT, OutboxMessage
from rotation.outbox.reminders import queue_due_reminders
from rotation.replies.background import replies_pass
from rotation.replies.fetching import fetch_replies
from rotation.replies.mailbox import HANDLED_FOLDER, ImapSettings
from rotation.replies.models import CalendarReply
from rotation.sites.models import Slot
from tests.calendar_replies import (
    delivery_status_notification,
    google_counter,
    google_reply,
    outlook_counter,
    outlook_reply,
    thunderbird_reply,
)
from tests.fixtures.mail import received_invitation, send

NOTHING = "0 accepted, 0 declined, 0 tentative, 0 proposed, 0 bounced, 0 not matched"


@pytest.fixture
def sent(published_invitations, runner, mailbox):
    """Six invitations published and delivered; the app reads the organizer mailbox."""
    assert send(runner).exit_code == 0
    return published_invitations



def invitation(sent, email: str = "maria@example.com", kind: str = "customer_service") -> tuple[bytes, Assignment]:
    return received_invitation(sent, email, kind)


def fetch(runner):
    result = runner.invoke(args=["replies", "fetch"])
    db.session.expire_all()
    return result


def reloaded(assignment: Assignment) -> Assignment:
    return db.session.get_one(Assignment, assignment.id, populate_existing=True)


def replies() -> list[CalendarReply]:
    return list(db.session.scalars(sa.select(CalendarReply).order_by(CalendarReply.id)))


def requests() -> list[ChangeRequest]:
    return list(db.session.scalars(sa.select(ChangeRequest).order_by(ChangeRequest.id)))


def test_an_outlook_accept_confirms_the_shift_and_the_message_is_put_away_not_deleted(sent, runner, mailbox):
    raw, shift = invitation(sent)
    mailbox.deliver(outlook_reply(raw, "ACCEPTED"))

    result = fetch(runner)

    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 accepted, 0 declined, 0 tentative, 0 proposed, 0 bounced, 0 not matched"
    assert reloaded(shift).status == CONFIRMED
    assert reloaded(shift).current_answer == "accepted"
    assert mailbox.messages("INBOX") == []
    [(flags, _)] = mailbox.messages(HANDLED_FOLDER)
    assert "$RotationHandled" in flags and "\\Seen" in flags
    assert fetch(runner).output.strip() == NOTHING  # read once


def test_a_google_decline_with_a_comment_reaches_hrs_change_queue_and_stops_the_reminders(sent, runner, mailbox):
    raw, shift = invitation(sent)
    mailbox.deliver(google_reply(raw, "DECLINED", comment="I am on parental leave that week"))

    assert fetch(runner).output.strip() == "0 accepted, 1 declined, 0 tentative, 0 proposed, 0 bounced, 0 not matched"

    shift = reloaded(shift)
    assert shift.status == PUBLISHED  # nothing is moved or withdrawn by a reply alone
    assert shift.current_answer == "declined"
    [change] = requests()
    assert (change.status, change.source, change.assignment_id, change.wanted_slot_id) == \
        (PENDING, FROM_DECLINE, shift.id, None)
    assert "I am on parental leave that week" in change.reason
    [reply] = replies()
    assert (reply.comment, reply.change_request_id) == ("I am on parental leave that week", change.id)

    the_day_before = db.session.get_one(Slot, shift.slot_id).starts_at - timedelta(hours=23)
    queue_due_reminders(the_day_before)
    db.session.commit()
    assert shift.id not in reminded()
    # HR keeps the shift: the answer no longer stands and the reminder comes after all.
    decline(change, "hr@example.com", "We need you that day; talk to me if it cannot work.")
    db.session.commit()
    queue_due_reminders(the_day_before)
    db.session.commit()
    assert shift.id in reminded()


def test_a_decline_stops_a_reminder_already_queued_and_a_later_accept_takes_its_request_back(sent, runner, mailbox):
    raw, shift = invitation(sent)
    the_day_before = db.session.get_one(Slot, shift.slot_id).starts_at - timedelta(hours=23)
    queue_due_reminders(the_day_before)
    db.session.commit()
    assert shift.id in reminded()  # queued, not sent yet
    mailbox.deliver(google_reply(raw, "DECLINED", comment="Parental leave"))
    fetch(runner)
    assert shift.id not in reminded()
    [change] = requests()
    assert change.status == PENDING

    mailbox.deliver(outlook_reply(raw, "ACCEPTED"))  # they thought better of it
    fetch(runner)
    assert reloaded(shift).status == CONFIRMED
    assert db.session.get_one(ChangeRequest, change.id).status == WITHDRAWN
    assert "The change request their earlier decline filed is withdrawn." in replies()[-1].outcome
    queue_due_reminders(the_day_before)
    db.session.commit()
    assert shift.id in reminded()  # reminded again, as for any confirmed shift


def test_a_decline_while_their_own_request_waits_is_listed_beside_it_without_a_second(sent, runner, mailbox):
    raw, shift = invitation(sent)
    ask_for_change(reloaded(shift), None, "A customer visit that day", utc_today())
    db.session.commit()
    mailbox.deliver(google_reply(raw, "DECLINED", comment="See my request"))
    fetch(runner)
    [change] = requests()
    [reply] = replies()
    assert (change.source, reply.change_request_id) == ("app", change.id)
    assert reply.outcome.startswith("Reminders stop. No new change request: one from them already waits for HR")


def test_a_decline_for_a_shift_being_replanned_tells_hr_why_no_request_was_filed(sent, runner, mailbox):
    raw, shift = invitation(sent)
    reloaded(shift).needs_replan = True  # it fell in one of their blackouts
    db.session.commit()
    mailbox.deliver(google_reply(raw, "DECLINED"))
    fetch(runner)
    assert requests() == []
    [reply] = replies()
    assert reply.outcome == ("Reminders stop. No change request filed: The shift falls in one of their blackouts and "
                             "is waiting to be re-planned.")


def reminded() -> set[int | None]:
    return set(db.session.scalars(sa.select(OutboxMessage.assignment_id).where(OutboxMessage.purpose == REMINDER)))


def test_a_thunderbird_tentative_is_shown_to_hr_and_changes_nothing_else(sent, runner, mailbox, client, login_as):
    raw, shift = invitation(sent, kind="warehouse")
    mailbox.deliver(thunderbird_reply(raw, "TENTATIVE"))

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 1 tentative, 0 proposed, 0 bounced, 0 not matched"
    assert (reloaded(shift).status, reloaded(shift).current_answer) == (PUBLISHED, "tentative")
    assert requests() == []
    login_as("hr")
    assert "Tentative in their calendar" in client.get(f"/assignments/{shift.id}").get_data(as_text=True)


def test_an_outlook_counter_becomes_a_change_request_for_the_slot_of_the_proposed_day(sent, runner, mailbox):
    raw, shift = invitation(sent)
    target = valid_slots(shift)[0].slot
    start = target.starts_at
    mailbox.deliver(outlook_counter(raw, start, start + timedelta(hours=8), comment="The week after suits me"))

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 0 tentative, 1 proposed, 0 bounced, 0 not matched"
    [change] = requests()
    assert (change.source, change.wanted_slot_id, change.status) == (FROM_COUNTER, target.id, PENDING)
    assert "The week after suits me" in change.reason
    assert reloaded(shift).slot_id == shift.slot_id  # HR decides


def test_a_google_counter_and_an_outlook_counter_for_a_warehouse_week_become_change_requests(sent, runner, mailbox):
    raw, day_shift = invitation(sent)
    day_target = valid_slots(day_shift)[1].slot
    mailbox.deliver(google_counter(raw, day_target.starts_at, day_target.ends_at, comment="Later that month"))
    raw_week, week_shift = invitation(sent, kind="warehouse")
    week_target = valid_slots(week_shift)[0].slot
    mailbox.deliver(outlook_counter(raw_week, week_target.first_day, week_target.last_day + timedelta(days=1),
                                    comment="A week with no board meeting"))

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 0 tentative, 2 proposed, 0 bounced, 0 not matched"
    wanted = {change.assignment_id: (change.source, change.wanted_slot_id, change.status) for change in requests()}
    assert wanted == {day_shift.id: (FROM_COUNTER, day_target.id, PENDING),
                      week_shift.id: (FROM_COUNTER, week_target.id, PENDING)}


def test_a_counter_for_a_day_without_a_free_slot_asks_hr_to_choose(sent, runner, mailbox):
    raw, shift = invitation(sent)
    sunday = datetime(shift.year, 6, 6, 9, 0, tzinfo=UTC)  # no contact-centre slot on a Sunday
    mailbox.deliver(outlook_counter(raw, sunday, sunday + timedelta(hours=8)))

    assert "1 proposed" in fetch(runner).output
    [change] = requests()
    assert change.wanted_slot_id is None
    assert "HR chooses" in change.reason


def test_an_answer_to_an_older_version_is_recorded_and_changes_nothing(sent, runner, mailbox):
    raw, shift = invitation(sent)
    move_assignment(shift, valid_slots(shift)[0].slot, None)
    db.session.commit()
    mailbox.deliver(outlook_reply(raw, "ACCEPTED"))

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 0 tentative, 0 proposed, 0 bounced, 1 not matched"
    assert reloaded(shift).status == PUBLISHED
    assert reloaded(shift).current_answer is None
    [reply] = replies()
    assert "earlier version" in reply.outcome and reply.assignment_id == shift.id


@pytest.mark.parametrize("who", ["sender", "attendee"])
def test_a_reply_from_or_for_someone_else_is_not_trusted(sent, runner, mailbox, who):
    raw, shift = invitation(sent)
    spoofed = (outlook_reply(raw, "DECLINED", sender="mallory@example.net") if who == "sender"
               else outlook_reply(raw, "DECLINED", attendee="mallory@example.net"))
    mailbox.deliver(spoofed)

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 0 tentative, 0 proposed, 0 bounced, 1 not matched"
    assert (reloaded(shift).status, reloaded(shift).current_answer) == (PUBLISHED, None)
    assert requests() == []
    [reply] = replies()
    assert "mallory@example.net" in reply.outcome and "nothing changed" in reply.outcome


def test_the_same_reply_delivered_twice_is_acted_on_once(sent, runner, mailbox):
    raw, _shift = invitation(sent)
    reply = google_reply(raw, "DECLINED", comment="Away")
    mailbox.deliver(reply)
    mailbox.deliver(reply)

    assert fetch(runner).output.strip() == "0 accepted, 1 declined, 0 tentative, 0 proposed, 0 bounced, 0 not matched"
    assert len(requests()) == 1 and len(replies()) == 1
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages(HANDLED_FOLDER)) == 2


def test_a_bounce_marks_the_invitation_failed_with_the_remote_servers_reason(sent, runner, mailbox, client,
                                                                              login_as):
    raw, shift = invitation(sent)
    mailbox.deliver(delivery_status_notification(
        raw, "maria@example.com", diagnostic="smtp; 550 5.1.1 <maria@example.com>: Recipient address rejected: "
                                             "User unknown in virtual mailbox table"))

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 0 tentative, 0 proposed, 1 bounced, 0 not matched"
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.assignment_id == shift.id))
    assert message.status == FAILED
    assert "User unknown in virtual mailbox table" in message.last_error

    login_as("hr")
    outbox = client.get("/outbox/?status=failed").get_data(as_text=True)
    assert "User unknown in virtual mailbox table" in outbox
    person_page = client.get(f"/people/{shift.person_id}").get_data(as_text=True)
    assert "E-mail that could not be delivered" in person_page
    assert "User unknown in virtual mailbox table" in person_page


def test_a_read_receipt_is_not_taken_for_a_bounce(sent, runner, mailbox):
    raw, shift = invitation(sent)
    report = delivery_status_notification(raw, "maria@example.com")
    receipt = report.replace(b"report-type=delivery-status", b"report-type=disposition-notification") \
        .replace(b"message/delivery-status", b"message/disposition-notification")
    mailbox.deliver(receipt)

    assert fetch(runner).output.strip() == "0 accepted, 0 declined, 0 tentative, 0 proposed, 0 bounced, 1 not matched"
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.assignment_id == shift.id))
    assert message.status == SENT


def test_two_workers_reading_at_once_act_on_each_reply_once(sent, mailbox, app):
    for email, kind in [("maria@example.com", "customer_service"), ("ben@example.com", "customer_service"),
                        ("maria@example.com", "warehouse")]:
        raw, _ = invitation(sent, email, kind)
        mailbox.deliver(outlook_reply(raw, "DECLINED", comment=f"{email} {kind}"))
    settings = ImapSettings.from_config(app.config)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                results.append(fetch_replies(settings).total)
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(results) == 3
    db.session.expire_all()
    assert len(requests()) == 3 and len(replies()) == 3
    assert mailbox.messages("INBOX") == []


# A worker process killed outright (SIGKILL: no clean-up runs) at a chosen point of its pass.
KILLED_WORKER = """
import json, os, signal, sys
from rotation import create_app
from rotation.extensions import db
from rotation.replies import fetching, mailbox
config, where = json.loads(sys.argv[1]), sys.argv[2]
app = create_app(config)
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if where == "before the commit":
    acting = fetching.handle
    def act_then_die(reading, today):
        acting(reading, today)
        db.session.flush()
        die()
    fetching.handle = act_then_die
else:
    mailbox.Mailbox.put_away = die
with app.app_context():
    fetching.fetch_replies(mailbox.ImapSettings.from_config(app.config))
"""


@pytest.mark.parametrize("where", ["before the commit", "after the commit"])
def test_a_worker_process_killed_mid_fetch_loses_nothing_and_acts_once(sent, runner, mailbox, app, where):
    raw, shift = invitation(sent)
    mailbox.deliver(google_reply(raw, "DECLINED", comment="Away"))
    shift_id = shift.id
    db.session.commit()
    db.session.close()  # the worker process gets the database to itself
    config = {name: app.config[name] for name in app.config
              if name.startswith("ROTATION_") or name in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY")}
    killed = subprocess.run([sys.executable, "-c", KILLED_WORKER, json.dumps(config, default=str), where],
                            capture_output=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    db.session.expire_all()
    assert len(requests()) == (1 if where == "after the commit" else 0)
    assert len(mailbox.messages("INBOX")) == 1  # still there, for the next pass

    fetch(runner)
    assert len(requests()) == 1 and len(replies()) == 1
    assert db.session.get_one(Assignment, shift_id).current_answer == "declined"
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages(HANDLED_FOLDER)) == 1


def test_a_mailbox_that_is_down_exits_1_and_loses_nothing(sent, runner, mailbox):
    raw, shift = invitation(sent)
    mailbox.deliver(outlook_reply(raw, "ACCEPTED"))
    mailbox.stop()

    result = fetch(runner)

    assert result.exit_code == 1
    assert "The organizer mailbox at 127.0.0.1:" in result.output and "could not be reached" in result.output
    assert reloaded(shift).status == PUBLISHED and replies() == []
    mailbox.start()
    assert fetch(runner).output.strip().startswith("1 accepted")
    assert reloaded(shift).status == CONFIRMED


def test_a_wrong_password_exits_1_with_a_sentence(sent, runner, mailbox, app):
    app.config["ROTATION_IMAP_PASSWORD"] = "wrong"
    result = fetch(runner)
    assert result.exit_code == 1
    assert "refused Rotation" in result.output


def test_without_a_mailbox_nothing_is_read_and_the_outbox_page_says_so(app, runner, client, login_as):
    app.config["ROTATION_IMAP_HOST"] = None
    result = fetch(runner)
    assert result.exit_code == 1
    assert "ROTATION_IMAP_HOST is not set" in result.output
    login_as("hr")
    assert "Replies to invitations are not being read" in client.get("/outbox/").get_data(as_text=True)
    assert "Replies are not being read" in client.get("/outbox/replies/").get_data(as_text=True)


def test_the_worker_reads_the_mailbox_in_its_pass(sent, mailbox, capsys):
    raw, shift = invitation(sent)
    mailbox.deliver(thunderbird_reply(raw, "ACCEPTED"))
    replies_pass(lambda: True)
    db.session.expire_all()
    assert reloaded(shift).status == CONFIRMED
    assert "Replies: 1 accepted" in capsys.readouterr().out
    mailbox.stop()
    replies_pass(lambda: True)  # reported, not raised: the worker goes on
    assert "could not be reached" in capsys.readouterr().err


def test_hr_sees_every_reply_with_what_rotation_did(sent, runner, mailbox, client, login_as):
    raw, _shift = invitation(sent)
    mailbox.deliver(google_reply(raw, "DECLINED", comment="Parental leave"))
    mailbox.deliver(b"From: someone@example.org\r\nSubject: Out of office\r\nMessage-ID: <ooo@example.org>\r\n\r\n"
                    b"I am away until Monday.\r\n")
    assert fetch(runner).output.strip() == "0 accepted, 1 declined, 0 tentative, 0 proposed, 0 bounced, 1 not matched"
    login_as("hr")
    page = client.get("/outbox/replies/").get_data(as_text=True)
    assert "Parental leave" in page and "A change request waits for HR." in page
    assert "Out of office" in page and "no calendar part" in page
    assert "someone<wbr>@example.org" in page  # a narrow column breaks the address before its "@"
    assert "Not matched <span class=\"count\">1</span>" in page


def test_only_hr_and_admins_see_the_replies(client, login_as):
    login_as("manager")
    assert client.get("/outbox/replies/").status_code == 403
