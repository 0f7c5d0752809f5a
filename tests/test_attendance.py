"""Attendance: HR or the site's host records who came; a no-show goes to the line manager and back into the plan."""
from __future__ import annotations

import html
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from rotation.assignments.models import (
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    MOVE,
    NO_SHOW,
    PUBLISHED,
    Assignment,
)
from rotation.attendance.links import (
    EXPIRED,
    INVALID,
    SALT,
    USED,
    VALID,
    hash_secret,
    make_token,
    open_link,
    queue_attendance_requests,
    spend_link,
)
from rotation.attendance.models import AttendanceLink
from rotation.attendance.services import load_assignment, record_attendance, record_many
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.outbox.models import ATTENDANCE, NO_SHOW_NOTICE, QUEUED, SUPERSEDED, OutboxMessage
from rotation.people.models import Person
from rotation.plans.runs import plan_run, start_run
from rotation.refusals import FieldRefusal
from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot
from tests.fixtures.attendance import HOST_EMAIL, link_of, make_slot, messages
from tests.fixtures.shifts import assign, day, next_year, reloaded, slot_at
from tests.helpers import count_queries, csrf_token, next_page_url, outbox_of

HR_EMAIL = "hr@example.com"


@pytest.fixture
def company(five_managers):
    return five_managers


def loaded(assignment: Assignment) -> Assignment:
    """The assignment afresh, with person and slot's site loaded as recording needs them."""
    db.session.expire_all()
    fresh = load_assignment(assignment.id)
    assert fresh is not None
    return fresh


def started(assignment: Assignment, hours: float = 1) -> datetime:
    return db.session.get_one(Slot, assignment.slot_id).starts_at + timedelta(hours=hours)


def notifications() -> list[tuple[str, str, str | None]]:
    """(person's name, text, link) of every notification, oldest first."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Person.full_name, Notification.text, Notification.link)
        .join(Person, Person.id == Notification.person_id).order_by(Notification.id))]


def nothing_written(assignment_id: int, status: str) -> None:
    """Still as it was: the status, nobody recorded, no e-mail, no notification."""
    row = db.session.execute(sa.select(Assignment.status, Assignment.attendance_by)
                             .where(Assignment.id == assignment_id)).one()
    assert tuple(row) == (status, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


# --- Recording -------------------------------------------------------------------------------------

def test_came_is_recorded_with_who_and_when_and_tells_nobody(company):
    ann = company["managers"][0]
    shift = loaded(assign(ann, slot_at("HEL-CC", day(10)), sequence=2))
    now = started(shift, hours=9)
    record_attendance(shift, COMPLETED, HR_EMAIL, now)
    db.session.commit()
    done = reloaded(shift.id)
    assert (done.status, done.attendance_by, done.attendance_at, done.sequence, done.notice) == (
        COMPLETED, HR_EMAIL, now, 2, None)
    assert outbox_of(done.id) == [] and notifications() == []


@pytest.mark.dates
def test_a_confirmed_shift_can_be_recorded_once_it_has_started(company):
    ann = company["managers"][0]
    week = loaded(assign(ann, slot_at("TMP-WH", day(10)), status=CONFIRMED))
    record_attendance(week, COMPLETED, HR_EMAIL, started(week, hours=0))  # the very moment it starts
    db.session.commit()
    assert reloaded(week.id).status == COMPLETED


def test_recording_drops_what_an_unpublished_draft_proposed_for_the_shift(company):
    ann = company["managers"][0]
    shift = loaded(assign(ann, slot_at("HEL-CC", day(10)), proposal=MOVE, needs_replan=True,
                          proposed_slot_id=slot_at("HEL-CC", day(12)).id))
    record_attendance(shift, COMPLETED, HR_EMAIL, started(shift))
    db.session.commit()
    done = reloaded(shift.id)
    assert (done.proposal, done.proposed_slot_id, done.needs_replan) == (None, None, False)


REFUSALS = [
    (DRAFT, 1, COMPLETED, "Ann Aalto's customer-service day is still a draft that nobody was told about, so there "
                          "is no attendance to record."),
    (CANCELLED, 1, NO_SHOW, "Ann Aalto's customer-service day was cancelled, so there is no attendance to record."),
    (PUBLISHED, -0.01, COMPLETED, "Ann Aalto's customer-service day has not started yet; record the attendance "
                                  "once it has."),
    (CONFIRMED, -24, NO_SHOW, "Ann Aalto's customer-service day has not started yet; record the attendance once "
                              "it has."),
    (PUBLISHED, 1, "maybe", "Choose whether the shift was attended (came) or missed (no-show)."),
]


@pytest.mark.dates
@pytest.mark.parametrize("status, hours, outcome, sentence", REFUSALS,
                         ids=["draft", "cancelled", "a minute early", "a day early", "unknown outcome"])
def test_what_cannot_be_recorded_is_refused_with_a_sentence_and_nothing_written(company, status, hours, outcome,
                                                                                sentence):
    ann = company["managers"][0]
    shift = loaded(assign(ann, slot_at("HEL-CC", day(10)), status=status))
    with pytest.raises(FieldRefusal) as refused:
        record_attendance(shift, outcome, HR_EMAIL, started(shift, hours=hours))
    assert refused.value.message == sentence
    nothing_written(shift.id, status)


def test_the_same_outcome_twice_is_refused(company):
    ann = company["managers"][0]
    shift = loaded(assign(ann, slot_at("HEL-CC", day(10))))
    now = started(shift)
    record_attendance(shift, NO_SHOW, HR_EMAIL, now)
    db.session.commit()
    before = (len(messages(NO_SHOW_NOTICE)), len(notifications()))
    with pytest.raises(FieldRefusal, match=r"^Ann Aalto's customer-service day is already recorded as a "
                                                r"no-show.$"):
        record_attendance(loaded(shift), NO_SHOW, "other.hr@example.com", now)
    assert (len(messages(NO_SHOW_NOTICE)), len(notifications())) == before
    assert reloaded(shift.id).attendance_by == HR_EMAIL


# --- No-shows ----------------------------------------------------------------------------------------

def test_a_no_show_is_told_to_the_line_manager_and_the_person(app, company):
    ann = company["managers"][0]
    shift = loaded(assign(ann, slot_at("HEL-CC", day(10)), sequence=1))
    record_attendance(shift, NO_SHOW, HR_EMAIL, started(shift, hours=8))
    db.session.commit()
    done = reloaded(shift.id)
    assert (done.status, done.attendance_by, done.sequence, done.notice) == (NO_SHOW, HR_EMAIL, 1, None)
    [notice] = messages(NO_SHOW_NOTICE)
    assert (notice.recipient, notice.recipient_name, notice.assignment_id, notice.status) == (
        "e001@example.com", "Carla Esposito", shift.id, QUEUED)
    when = f"Monday {day(10).day} March {next_year()}"
    assert notice.subject == f"Ann Aalto missed their customer-service day, {when}"
    body = notice.body_text
    assert body.startswith("Hello Carla Esposito,\n\nAnn Aalto did not come to their customer-service day at "
                           "Helsinki contact centre:\n" + when + ", 09:00–17:00 Europe/Helsinki (UTC+02:00).")
    assert "Nobody is locked out. Rotation books Ann Aalto a new customer-service day in the next plan run" in body
    assert "tell HR: they can correct the record" in body
    assert "line manager in the HR roster" in body
    # No calendar message: the attendee's calendar does not change.
    assert outbox_of(shift.id) == [(NO_SHOW_NOTICE, 1, QUEUED)]
    assert notifications() == [
        ("Carla Esposito", f"Ann Aalto missed their customer-service day at Helsinki contact centre ({when}). "
                           "Rotation books a new one in the next plan run; nobody is locked out.", None),
        ("Ann Aalto", f"You were recorded as not coming to your customer-service day at Helsinki contact centre "
                      f"({when}). Rotation books you a new one in the next plan run and its invitation comes by "
                      "e-mail. If this is wrong, tell HR.", "/my/"),
    ]


@pytest.mark.parametrize("manager", ["none", "left"])
def test_without_an_active_line_manager_only_the_person_hears_of_a_no_show(company, manager):
    chief, ann = company["chief"], company["managers"][0]
    person = chief if manager == "none" else ann
    if manager == "left":
        chief.is_active = False
        db.session.commit()
    shift = loaded(assign(person, slot_at("HEL-CC", day(10))))
    record_attendance(shift, NO_SHOW, HR_EMAIL, started(shift))
    db.session.commit()
    assert messages(NO_SHOW_NOTICE) == []
    assert [name for name, _, _ in notifications()] == [person.full_name]


def test_after_a_no_show_the_next_plan_run_books_a_new_shift_and_the_no_show_cannot_become_came(company):
    ann = company["managers"][0]
    missed = loaded(assign(ann, slot_at("HEL-CC", day(10))))
    now = started(missed, hours=9)
    record_attendance(missed, NO_SHOW, HR_EMAIL, now)
    db.session.commit()

    plan_run(start_run(next_year(), None, "command"), not_before=day(11))
    db.session.commit()
    ann_shifts = db.session.execute(
        sa.select(Assignment.id, Assignment.status, Slot.first_day).join(Slot, Slot.id == Assignment.slot_id)
        .where(Assignment.person_id == ann.id, Assignment.kind == CUSTOMER_SERVICE)
        .order_by(Assignment.id)).all()
    assert [(row.id, row.status) for row in ann_shifts[:1]] == [(missed.id, NO_SHOW)]
    [new] = ann_shifts[1:]
    assert new.status == DRAFT and new.first_day >= day(11)

    with pytest.raises(FieldRefusal) as refused:
        record_attendance(loaded(missed), COMPLETED, HR_EMAIL, now + timedelta(days=2))
    new_slot = db.session.get(Slot, db.session.get(Assignment, new.id).slot_id)
    site = db.session.get(Site, new_slot.site_id)
    assert refused.value.message == (
        f"Ann Aalto has already been booked a new customer-service day ({site.code}, {new.first_day:%a} "
        f"{new.first_day.isoformat()}, draft), so this one cannot be marked as came. Withdraw the new one first "
        "if the person did come.")
    db.session.rollback()
    assert reloaded(missed.id).status == NO_SHOW


def test_hr_corrects_came_into_a_no_show_and_back(company):
    ann = company["managers"][0]
    shift = loaded(assign(ann, slot_at("TMP-WH", day(10))))
    now = started(shift, hours=30)
    record_attendance(shift, COMPLETED, "host@example.com", now)
    db.session.commit()

    record_attendance(loaded(shift), NO_SHOW, HR_EMAIL, now + timedelta(days=1))
    db.session.commit()
    assert (reloaded(shift.id).status, reloaded(shift.id).attendance_by) == (NO_SHOW, HR_EMAIL)
    [notice] = messages(NO_SHOW_NOTICE)
    assert "Ann Aalto did not come to their warehouse week at Tampere warehouse" in notice.body_text

    record_attendance(loaded(shift), COMPLETED, HR_EMAIL, now + timedelta(days=2))
    db.session.commit()
    assert reloaded(shift.id).status == COMPLETED
    # The manager's e-mail had not gone out yet: it never will.
    assert [message.status for message in messages(NO_SHOW_NOTICE)] == [SUPERSEDED]
    texts = [text for _, text, _ in notifications()]
    assert texts[-2].startswith("Correction: Ann Aalto did come to their warehouse week at Tampere warehouse")
    assert texts[-1].startswith("Correction: your warehouse week at Tampere warehouse")


# --- Several at once (the host's form) ----------------------------------------------------------------

def test_a_host_records_several_at_once(company):
    ann, bo = company["managers"][:2]
    slot = slot_at("HEL-CC", day(10))
    first, second = loaded(assign(ann, slot)), loaded(assign(bo, slot, status=CONFIRMED))
    record_many([(first, COMPLETED), (second, NO_SHOW)], HOST_EMAIL, started(first))
    db.session.commit()
    assert [(reloaded(row.id).status, reloaded(row.id).attendance_by) for row in (first, second)] == [
        (COMPLETED, HOST_EMAIL), (NO_SHOW, HOST_EMAIL)]
    assert [message.recipient for message in messages(NO_SHOW_NOTICE)] == ["e001@example.com"]


def test_a_host_cannot_change_what_was_recorded_and_then_nothing_is_saved(company):
    ann, bo = company["managers"][:2]
    slot = slot_at("HEL-CC", day(10))
    waiting, recorded = assign(ann, slot), assign(bo, slot)
    now = started(waiting)
    record_attendance(loaded(recorded), COMPLETED, HR_EMAIL, now)
    db.session.commit()
    with pytest.raises(FieldRefusal) as refused:
        record_many([(loaded(waiting), NO_SHOW), (loaded(recorded), NO_SHOW)], HOST_EMAIL, now)
    assert refused.value.message == ("Bo Berg's customer-service day was already recorded as came by "
                                     "hr@example.com; only HR can change that.")
    nothing_written(waiting.id, PUBLISHED)
    assert reloaded(recorded.id).status == COMPLETED


def test_two_recorders_at_once_record_once(app, database_url, company):
    if not database_url.startswith("postgresql"):
        pytest.skip("the row lock is PostgreSQL's; SQLite lets one writer in at a time")
    shift = loaded(assign(company["managers"][0], slot_at("HEL-CC", day(10))))
    now = started(shift)
    record_attendance(shift, NO_SHOW, HR_EMAIL, now)  # not committed yet: the row stays locked
    outcome: dict[str, str] = {}

    def the_host() -> None:
        with app.app_context():
            try:
                fresh = load_assignment(shift.id)
                assert fresh is not None
                record_many([(fresh, COMPLETED)], HOST_EMAIL, now)
                db.session.commit()
                outcome["recorded"] = "yes"
            except FieldRefusal as problem:
                outcome["refused"] = problem.message
            finally:
                db.session.rollback()
                db.session.remove()

    host = threading.Thread(target=the_host)
    host.start()
    host.join(timeout=0.5)
    assert host.is_alive(), "the host should wait for HR to finish"
    db.session.commit()
    host.join(timeout=10)
    assert outcome == {"refused": "Ann Aalto's customer-service day was already recorded as a no-show by "
                                  "hr@example.com; only HR can change that."}
    assert len(messages(NO_SHOW_NOTICE)) == 1


# --- Asking the host ----------------------------------------------------------------------------------

@pytest.fixture
def hosted(company):
    """HEL-CC and TMP-WH have a host; Ann and Bo are on a HEL-CC day, Cai on a TLL-CC day (no host)."""
    for code in ("HEL-CC", "TMP-WH"):
        site = db.session.scalar(sa.select(Site).where(Site.code == code))
        site.host_name, site.host_email = "Hanna Host", HOST_EMAIL
    db.session.commit()
    ann, bo, cai = company["managers"][:3]
    slot = slot_at("HEL-CC", day(10))
    return {"slot": slot, "ann": assign(ann, slot), "bo": assign(bo, slot, status=CONFIRMED),
            "elsewhere": assign(cai, slot_at("TLL-CC", day(10)))}


def test_the_host_is_asked_once_per_slot_after_it_ends(hosted):
    slot = hosted["slot"]
    now = slot.ends_at + timedelta(minutes=5)
    assert queue_attendance_requests(now) == 1
    db.session.commit()
    [message] = messages(ATTENDANCE)
    [link] = db.session.scalars(sa.select(AttendanceLink)).all()
    assert (link.slot_id, link.email, link.expires_at, link.used_at) == (slot.id, HOST_EMAIL,
                                                                         now + timedelta(days=14), None)
    assert (message.recipient, message.recipient_name, message.assignment_id) == (HOST_EMAIL, "Hanna Host", None)
    assert message.subject == f"Who came? Helsinki contact centre, Mon {day(10).day} Mar {next_year()}"
    body = message.body_text
    assert body.startswith("Hello Hanna Host,\n\nThank you for hosting 2 managers at Helsinki contact centre:\n"
                           f"Monday {day(10).day} March {next_year()}, 09:00–17:00 Europe/Helsinki (UTC+02:00).")
    assert "- Ann Aalto (Operations)\n- Bo Berg (Operations)\n" in body
    assert "nobody is\nlocked out" in body
    token = link_of(message)
    assert link.secret_hash not in body and len(link.secret_hash) == 64
    assert open_link(token, now).state == VALID

    assert queue_attendance_requests(now) == 0
    assert queue_attendance_requests(now + timedelta(days=3)) == 0
    assert len(messages(ATTENDANCE)) == 1


@pytest.mark.dates
def test_no_host_is_asked_without_an_address_or_outside_the_week_after_the_slot(hosted):
    slot = hosted["slot"]
    assert queue_attendance_requests(slot.ends_at - timedelta(minutes=1)) == 0      # not over yet
    assert queue_attendance_requests(slot.ends_at + timedelta(days=7)) == 0         # over a week ago
    assert queue_attendance_requests(slot.ends_at + timedelta(days=7) - timedelta(seconds=1)) == 1
    db.session.commit()
    # Not the TLL-CC day that ended at the same time: that site has no host address.
    assert [link.slot_id for link in db.session.scalars(sa.select(AttendanceLink))] == [slot.id]


def test_a_slot_without_a_host_address_gets_no_link(hosted):
    for code in ("HEL-CC", "TMP-WH"):
        db.session.scalar(sa.select(Site).where(Site.code == code)).host_email = ""
    db.session.commit()
    assert queue_attendance_requests(hosted["slot"].ends_at + timedelta(hours=1)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AttendanceLink)) == 0


def test_a_slot_whose_attendees_are_all_recorded_or_unannounced_gets_no_link(hosted, company):
    slot = hosted["slot"]
    now = slot.ends_at + timedelta(hours=1)
    record_many([(loaded(hosted["ann"]), COMPLETED), (loaded(hosted["bo"]), NO_SHOW)], HR_EMAIL, now)
    assign(company["managers"][3], slot, status=DRAFT)
    assign(company["managers"][4], slot, status=CANCELLED)
    db.session.commit()
    assert queue_attendance_requests(now) == 0


def test_two_workers_ask_the_host_once(app, hosted):
    now = hosted["slot"].ends_at + timedelta(hours=1)
    assert queue_attendance_requests(now) == 1  # not committed yet
    outcome: dict[str, int] = {}

    def other_worker() -> None:
        with app.app_context():
            try:
                outcome["queued"] = queue_attendance_requests(now)
                db.session.commit()
            finally:
                db.session.rollback()
                db.session.remove()

    other = threading.Thread(target=other_worker)
    other.start()
    other.join(timeout=0.5)
    db.session.commit()
    other.join(timeout=10)
    assert outcome == {"queued": 0}
    assert len(messages(ATTENDANCE)) == 1


# --- The link -----------------------------------------------------------------------------------------

@pytest.fixture
def link(hosted):
    now = hosted["slot"].ends_at + timedelta(hours=1)
    queue_attendance_requests(now)
    db.session.commit()
    return {"token": link_of(messages(ATTENDANCE)[0]), "now": now,
            "row": db.session.scalars(sa.select(AttendanceLink)).one()}


def test_a_tampered_or_foreign_token_is_not_valid(app, link):
    token, now, row = link["token"], link["now"], link["row"]
    assert open_link(token, now).state == VALID
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    others = {
        "flipped": flipped,
        "cut short": token[:-5],
        "empty": "",
        "huge": "x" * 5000,
        "not ours": URLSafeTimedSerializer("another-key", salt=SALT).dumps({"link": row.id, "secret": "x"}),
        "other salt": URLSafeTimedSerializer(app.secret_key, salt="other").dumps({"link": row.id, "secret": "x"}),
        "wrong secret": make_token(row.id, "not-the-secret"),
        "unknown link": make_token(row.id + 1000, "whatever"),
        "odd payload": URLSafeTimedSerializer(app.secret_key, salt=SALT).dumps(["a", "b"]),
        "odd id": URLSafeTimedSerializer(app.secret_key, salt=SALT).dumps({"link": "1", "secret": "x"}),
    }
    for name, other in others.items():
        assert open_link(other, now).state == INVALID, name


def test_an_expired_or_used_link_says_so(app, link):
    token, now, row = link["token"], link["now"], link["row"]
    assert open_link(token, row.expires_at - timedelta(seconds=1)).state == VALID
    assert open_link(token, row.expires_at).state == EXPIRED

    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 15 * 24 * 3600

    old_secret = "an-old-secret"
    row.secret_hash = hash_secret(old_secret)
    db.session.commit()
    old = URLSafeTimedSerializer(app.secret_key, salt=SALT, signer=SignedLongAgo).dumps(
        {"link": row.id, "secret": old_secret})
    assert open_link(old, now).state == EXPIRED

    fresh = make_token(row.id, old_secret)
    assert spend_link(row, now) is True
    db.session.commit()
    opened = open_link(fresh, now)
    assert (opened.state, opened.link.used_at) == (USED, now)
    assert spend_link(row, now) is False


# --- Pages --------------------------------------------------------------------------------------------

def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def rows_of(page: str) -> list[str]:
    return re.findall(r'<td data-label="Person"><span><a href="/assignments/\d+">([^<]+)</a>', page)


def test_only_hr_sees_the_attendance_list(client, login_as, recent):
    response = client.get("/attendance/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("manager")
    assert client.get("/attendance/").status_code == 403
    assert client.post(f"/attendance/{recent['ann'].id}", data={"outcome": COMPLETED}).status_code in (400, 403)
    assert reloaded(recent["ann"].id).status == PUBLISHED


@pytest.mark.dates
def test_the_list_shows_started_shifts_oldest_first_and_filters(client, login_as, recent):
    login_as("hr")
    page = text(client.get("/attendance/"))
    # Fay's day three weeks ago, Bo's week, Ann's day yesterday; not Dina's tomorrow, not Eli's draft.
    assert rows_of(page) == ["Fay Frost", "Bo Berg", "Ann Aalto"]
    assert "Showing 1–3 of 3 shifts waiting for their attendance, oldest first." in page
    assert 'aria-label="Came: Ann Aalto, customer-service day' in page
    assert 'aria-label="No-show: Bo Berg, warehouse week' in page
    assert rows_of(text(client.get("/attendance/?site=HEL-CC"))) == ["Ann Aalto"]
    assert rows_of(text(client.get("/attendance/?kind=warehouse"))) == ["Bo Berg"]
    assert rows_of(text(client.get("/attendance/?kind=nonsense&site=NOPE"))) == []
    recorded = text(client.get("/attendance/?tab=recorded"))
    assert rows_of(recorded) == [] and "No attendance is recorded yet." in recorded


def test_hr_records_came_and_no_show_from_the_list(client, login_as, post_form, recent):
    user = login_as("hr")
    response = post_form(f"/attendance/{recent['ann'].id}?site=HEL-CC", {"outcome": COMPLETED},
                         page="/attendance/", follow_redirects=True)
    page = text(response)
    assert response.request.path == "/attendance/" and response.request.args.to_dict() == {"site": "HEL-CC"}
    assert (f"Recorded: Ann Aalto came to the customer-service day at HEL-CC, "
            f"{recent['yesterday'].first_day:%a} {recent['yesterday'].first_day.isoformat()}.") in page
    done = reloaded(recent["ann"].id)
    assert (done.status, done.attendance_by) == (COMPLETED, user.email)

    page = text(post_form(f"/attendance/{recent['bo'].id}", {"outcome": NO_SHOW}, page="/attendance/",
                          follow_redirects=True))
    assert ("Recorded Bo Berg as a no-show at the warehouse week at TMP-WH, "
            f"{recent['week'].first_day:%a} {recent['week'].first_day.isoformat()} to ") in page
    assert "Carla Esposito, the line manager, is told, and the next plan run books a new warehouse week." in page
    assert reloaded(recent["bo"].id).status == NO_SHOW
    assert [message.recipient for message in messages(NO_SHOW_NOTICE)] == ["e001@example.com"]
    assert rows_of(page) == ["Fay Frost"]

    recorded = text(client.get("/attendance/?tab=recorded"))
    assert rows_of(recorded) == ["Bo Berg", "Ann Aalto"]  # newest first
    assert f"by {user.email}, " in recorded
    assert 'aria-label="Change to came: Bo Berg, warehouse week' in recorded
    page = text(post_form(f"/attendance/{recent['bo'].id}?tab=recorded", {"outcome": COMPLETED},
                          page="/attendance/?tab=recorded", follow_redirects=True))
    assert "Corrected: Bo Berg came to the warehouse week at TMP-WH" in page
    assert reloaded(recent["bo"].id).status == COMPLETED


def test_a_refused_recording_comes_back_as_a_message_and_changes_nothing(client, login_as, post_form, recent):
    login_as("hr")
    for assignment, outcome, message in [
            (recent["dina"], COMPLETED, "Dina Dahl's customer-service day has not started yet"),
            (recent["eli"], NO_SHOW, "Eli Eskola's customer-service day is still a draft"),
            (recent["ann"], "sometimes", "Press Came or No-show to record the attendance.")]:
        response = post_form(f"/attendance/{assignment.id}", {"outcome": outcome}, page="/attendance/",
                             follow_redirects=True)
        assert response.status_code == 200
        assert message in text(response)
    assert [reloaded(recent[name].id).status for name in ("dina", "eli", "ann")] == [PUBLISHED, DRAFT, PUBLISHED]
    assert post_form("/attendance/999999", {"outcome": COMPLETED}, page="/attendance/").status_code == 404
    assert client.post(f"/attendance/{recent['ann'].id}", data={"outcome": COMPLETED}).status_code == 400  # no CSRF


@pytest.mark.dates
def test_the_count_of_shifts_waiting_follows_every_change_and_the_clock(client, login_as, post_form, recent,
                                                                          make_person, monkeypatch):
    hel = db.session.get(Site, recent["yesterday"].site_id)
    now = datetime.now(UTC).replace(microsecond=0)
    later = make_slot(hel, now.date() + timedelta(days=2), now + timedelta(hours=40), now + timedelta(hours=48))
    assign(make_person("E200", full_name="Gus Grey", department="Legal", home_site=hel), later)
    login_as("hr")
    assert "Showing 1–3 of 3 shifts waiting" in text(client.get("/attendance/"))
    assert "Showing 1–3 of 3 shifts waiting" in text(client.get("/attendance/"))  # kept
    page = text(post_form(f"/attendance/{recent['ann'].id}", {"outcome": COMPLETED}, page="/attendance/",
                          follow_redirects=True))
    assert rows_of(page) == ["Fay Frost", "Bo Berg"] and "Showing 1–2 of 2 shifts waiting" in page
    # Eli's draft of yesterday published by a statement of another part of the app.
    db.session.execute(sa.update(Assignment).where(Assignment.id == recent["eli"].id).values(status=PUBLISHED))
    db.session.commit()
    page = text(client.get("/attendance/"))
    assert rows_of(page) == ["Fay Frost", "Bo Berg", "Eli Eskola"] and "Showing 1–3 of 3 shifts" in page
    assert "1 shift waiting for its attendance." in text(client.get("/attendance/?site=HEL-CC"))
    # Dina's day starts tomorrow and Gus's the day after: once each has started, they wait too.
    for hours, waiting in ((21, ["Eli Eskola", "Dina Dahl"]), (42, ["Eli Eskola", "Dina Dahl", "Gus Grey"])):
        monkeypatch.setattr("rotation.attendance.listing.utcnow",
                            lambda hours=hours: datetime.now(UTC) + timedelta(hours=hours))
        page = text(client.get("/attendance/"))
        assert rows_of(page) == ["Fay Frost", "Bo Berg", *waiting], hours
        assert f"Showing 1–{len(waiting) + 2} of {len(waiting) + 2} shifts waiting" in page
        assert rows_of(text(client.get("/attendance/?site=HEL-CC&kind=customer_service"))) == waiting


def test_the_list_takes_a_fixed_number_of_queries(client, login_as, recent, make_person):
    login_as("hr")
    client.get("/")  # the first page after signing in also settles the account's roles
    with count_queries() as few:
        assert client.get("/attendance/").status_code == 200
    for number in range(90):
        person = make_person(f"X{number:03d}", full_name=f"Extra {number:03d}")
        assign(person, recent["yesterday"] if number % 2 else recent["week"],
               status=NO_SHOW if number % 3 == 0 else PUBLISHED)
    with count_queries() as many:
        page = text(client.get("/attendance/"))
    following = next_page_url(client.get("/attendance/").get_data(as_text=True))
    with count_queries() as second:
        later = text(client.get(following))
    with count_queries() as recorded:
        assert client.get("/attendance/?tab=recorded").status_code == 200
    assert "Showing 1–50 of 63 shifts" in page and "Showing 51–63 of 63 shifts" in later
    # The account, its roles, the count, the page with its people, slots and sites, and the sites to filter by.
    # The recorded tab counts its rows; the shifts waiting are counted per slot and kept: one small query reads
    # the tables' versions instead, and after a shift changed (``few``, ``many``) one more counts them again.
    assert len(few) == len(many) == 6 and len(second) == len(recorded) == 5, many


# --- The host's page ----------------------------------------------------------------------------------


@pytest.mark.dates
def test_the_host_page_records_everyone_once(client, recent, host_link):
    response = client.get(host_link)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = text(response)
    assert "<h1>Who came?</h1>" in page and "Helsinki contact centre" in page
    assert re.findall(r"<legend><strong>([^<]+)</strong>", page) == ["Ann Aalto", "Gus Grey"]
    ann_id, gus_id = recent["ann"].id, recent["gus"].id
    assert re.search(rf'<input checked id="attendee_{ann_id}-0" name="attendee_{ann_id}" required type="radio" '
                     'value="completed">', page), page

    token = csrf_token(page)
    response = client.post(host_link, data={"csrf_token": token, f"attendee_{ann_id}": COMPLETED,
                                            f"attendee_{gus_id}": NO_SHOW})
    assert response.status_code == 200, text(response)
    done = text(response)
    assert "<h1>Thank you</h1>" in done and "<strong>Gus Grey</strong>: No-show" in done
    assert "nobody is\n    locked out" in done
    assert response.headers["Cache-Control"] == "no-store"
    assert [(reloaded(row_id).status, reloaded(row_id).attendance_by) for row_id in (ann_id, gus_id)] == [
        (COMPLETED, HOST_EMAIL), (NO_SHOW, HOST_EMAIL)]
    assert [message.recipient for message in messages(NO_SHOW_NOTICE)] == ["e001@example.com"]

    again = client.get(host_link)
    assert again.status_code == 410 and "This link has been used" in text(again)
    assert again.headers["Referrer-Policy"] == "no-referrer"
    repeat = client.post(host_link, data={"csrf_token": token, f"attendee_{ann_id}": NO_SHOW})
    assert repeat.status_code == 410
    assert reloaded(ann_id).status == COMPLETED


def test_the_host_sees_what_hr_recorded_and_cannot_change_it(client, login_as, recent, host_link):
    record_attendance(load_assignment(recent["ann"].id), NO_SHOW, HR_EMAIL, datetime.now(UTC))
    db.session.commit()
    page = text(client.get(host_link))
    assert re.findall(r"<legend><strong>([^<]+)</strong>", page) == ["Ann Aalto", "Gus Grey"]
    assert "Already recorded: <strong>No-show</strong>" in page
    assert f'name="attendee_{recent["ann"].id}"' not in page
    gus = recent["gus"].id
    response = client.post(host_link, data={"csrf_token": csrf_token(page), f"attendee_{recent['ann'].id}": COMPLETED,
                                            f"attendee_{gus}": COMPLETED})
    assert response.status_code == 200 and "(recorded earlier)" in text(response)
    assert (reloaded(recent["ann"].id).status, reloaded(gus).status) == (NO_SHOW, COMPLETED)


def test_the_host_must_answer_for_everyone(client, recent, host_link):
    page = text(client.get(host_link))
    response = client.post(host_link, data={"csrf_token": csrf_token(page), f"attendee_{recent['ann'].id}": "perhaps"})
    assert response.status_code == 200
    page = text(response)
    assert "Choose came or no-show for Gus Grey." in page and "Not a valid choice." in page
    assert db.session.scalar(sa.select(AttendanceLink.used_at).where(
        AttendanceLink.slot_id == recent["yesterday"].id)) is None


@pytest.mark.dates
def test_a_bad_or_expired_link_gets_a_friendly_page(client, recent, host_link):
    response = client.get("/attendance/host/not-a-real-link")
    assert response.status_code == 404 and "This link does not work" in text(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert client.post("/attendance/host/not-a-real-link").status_code in (400, 404)
    assert client.get("/attendance/host/" + "x" * 3000).status_code == 404
    db.session.execute(sa.update(AttendanceLink).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.session.commit()
    response = client.get(host_link)
    assert response.status_code == 410 and "This link has expired" in text(response)
    assert "Contact HR and tell them who came" in text(response)


def test_a_host_whose_attendees_hr_recorded_has_nothing_left_to_do(client, recent, host_link):
    now = datetime.now(UTC)
    record_many([(load_assignment(recent["ann"].id), COMPLETED), (load_assignment(recent["gus"].id), NO_SHOW)],
                HR_EMAIL, now)
    db.session.commit()
    response = client.get(host_link)
    page = text(response)
    assert response.status_code == 200 and "there is nothing left to do here" in page
    assert "<li><strong>Ann Aalto</strong>: Came</li>" in page and "<li><strong>Gus Grey</strong>: No-show</li>" in page
    assert "<form" not in page.split("<main", 1)[1].replace('<form method="post" action="/logout"', "")
