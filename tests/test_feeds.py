"""Personal calendar feeds, the manager's calendar page, one-off downloads and ``feeds issue``."""
from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa

from rotation.assignments.changes import move_assignment, valid_slots, withdraw_assignment
from rotation.assignments.models import CANCELLED, CONFIRMED, DRAFT, PUBLISHED, Assignment
from rotation.extensions import db
from rotation.feeds import polls, services
from rotation.feeds.models import FeedToken
from rotation.people.models import Person
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import CUSTOMER_SERVICE, WAREHOUSE_WEEK, Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import PASSWORD, count_queries

BASE_URL = "https://rotation.example.com"
TOKEN_IN_LINK = re.compile(r"/calendar/([A-Za-z0-9_-]{43})\.ics")


@pytest.fixture
def app(make_app):
    """The app with a public address, so feed links are https links."""
    app = make_app(ROTATION_BASE_URL=BASE_URL)
    with app.app_context():
        yield app


@pytest.fixture
def company(make_site, make_person):
    """A contact centre and a warehouse; a chief executive and a manager (with a report), both published."""
    home = make_site("HEL-CC", name="Helsinki contact centre", seats=2)
    make_site("TMP-WH", name="Tampere warehouse", kind="warehouse", seats=2)
    chief = make_person("E001", full_name="Chief, Cora", department="Board", home_site=home)
    manager = make_person("E100", full_name="Ann Aalto", manager=chief, home_site=home)
    make_person("E200", manager=manager)
    generate_slots(next_year())
    db.session.commit()
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()
    return {"chief": chief, "manager": manager}


def shifts_of(person) -> dict[str, Assignment]:
    rows = db.session.scalars(sa.select(Assignment).where(Assignment.person_id == person.id)).all()
    return {row.kind: row for row in rows}


def issue(person) -> str:
    token = services.issue_token(person)
    db.session.commit()
    return token


def parsed(response) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar.errors == []
    return calendar


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    return {str(event["UID"]): event for event in calendar.events}


def text(response) -> str:
    """The page as a person reads it: entities decoded, whitespace collapsed (tags kept)."""
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def sign_in(client, post_form, make_user, email: str, roles=("manager",)):
    make_user(roles=roles, email=email)
    response = post_form("/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302


def link_on(page: str) -> str:
    """The raw token of the https link a page shows once."""
    found = TOKEN_IN_LINK.findall(page)
    assert found, "the page shows no calendar link"
    return found[0]


# --- the feed -------------------------------------------------------------------------------------


@pytest.mark.dates
def test_the_feed_is_a_snapshot_of_the_persons_announced_shifts(client, company):
    manager = company["manager"]
    shifts = shifts_of(manager)
    day, week = shifts[CUSTOMER_SERVICE], shifts[WAREHOUSE_WEEK]
    token = issue(manager)

    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"].startswith("private, max-age=")
    calendar = parsed(response)
    assert "METHOD" not in calendar
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.data
    assert calendar["X-PUBLISHED-TTL"] == "PT1H"
    assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]) == "Rotation: Ann Aalto"
    found = events(calendar)
    assert set(found) == {day.uid, week.uid}
    assert all("ATTENDEE" not in event for event in found.values())

    timed = found[day.uid]
    slot = db.session.get(Slot, day.slot_id)
    assert timed.decoded("DTSTART") == slot.starts_at and timed.decoded("DTEND") == slot.ends_at
    assert int(timed["SEQUENCE"]) == day.sequence == 0
    all_day = found[week.uid]
    slot = db.session.get(Slot, week.slot_id)
    assert all_day.decoded("DTSTART") == slot.first_day  # a date, not a time
    assert all_day.decoded("DTEND") == slot.last_day + timedelta(days=1)  # the day after Friday


def test_drafts_and_cancelled_shifts_stay_out_of_the_feed(client, company):
    manager = company["manager"]
    shifts = shifts_of(manager)
    day, week = shifts[CUSTOMER_SERVICE], shifts[WAREHOUSE_WEEK]
    day.status = CANCELLED
    # An unpublished draft in the cancelled shift's place, e.g. from a plan run HR has not published.
    other = db.session.scalars(sa.select(Slot).where(Slot.kind == CUSTOMER_SERVICE, Slot.id != day.slot_id)).first()
    draft = Assignment(person_id=manager.id, slot_id=other.id, year=next_year(), kind=CUSTOMER_SERVICE, status=DRAFT)
    db.session.add(draft)
    db.session.commit()
    token = issue(manager)

    assert set(events(parsed(client.get(f"/calendar/{token}.ics")))) == {week.uid}


def test_a_moved_shift_changes_the_etag_and_an_unchanged_feed_answers_304(client, company):
    manager = company["manager"]
    token = issue(manager)
    first = client.get(f"/calendar/{token}.ics")
    etag = first.headers["ETag"]
    assert etag

    again = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag

    day = shifts_of(manager)[CUSTOMER_SERVICE]
    move_assignment(day, valid_slots(day)[0].slot, None)
    db.session.commit()
    changed = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    moved = events(parsed(changed))[day.uid]
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART") == db.session.get(Slot, day.slot_id).starts_at


def writes(statements: list[str]) -> list[str]:
    return [statement for statement in statements
            if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]


@pytest.mark.dates
def test_a_poll_records_its_use_at_most_once_an_hour(client, company):
    manager = company["manager"]
    token = issue(manager)
    first = client.get(f"/calendar/{token}.ics")
    first_use = services.live_token(manager).last_used_at
    assert first_use is not None

    with count_queries() as full:
        assert client.get(f"/calendar/{token}.ics").status_code == 200
    with count_queries() as unchanged:
        assert client.get(f"/calendar/{token}.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert writes(full) == [] and writes(unchanged) == []  # polls within the hour write nothing
    db.session.expire_all()
    assert services.live_token(manager).last_used_at == first_use

    an_hour_ago = datetime.now(UTC) - timedelta(hours=1, minutes=1)
    services.live_token(manager).last_used_at = an_hour_ago
    db.session.commit()
    with count_queries() as later:
        assert client.get(f"/calendar/{token}.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert len(writes(later)) == 1
    db.session.expire_all()
    assert services.live_token(manager).last_used_at > an_hour_ago + timedelta(hours=1)


@pytest.mark.dates
def test_the_calendar_page_shows_when_the_link_was_last_used(client, post_form, make_user, company):
    manager = company["manager"]
    sign_in(client, post_form, make_user, manager.email)
    token = link_on(text(post_form("/calendar/link", {}, page="/calendar")))
    assert "Last used</dt><dd>not yet</dd>" in text(client.get("/calendar"))

    client.get(f"/calendar/{token}.ics")
    used = services.live_token(manager).last_used_at
    page = text(client.get("/calendar"))
    assert f"Last used</dt><dd>{used:%Y-%m-%d %H:%M} UTC" in page
    assert "noted at most once an hour" in page


def test_unknown_and_malformed_links_all_answer_the_same_404(client, company):
    manager = company["manager"]
    old = issue(manager)
    answers = [client.get(f"/calendar/{token}.ics")
               for token in ("x" * 43, "not-a-token", "y" * 500, old[:-1], "%00", "\u00e9" * 43, "..%5C..")]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.data for answer in answers}) == 1


def test_a_reset_link_answers_410_gone_so_calendar_apps_drop_it(client, company):
    """A calendar app keeps a 404ing subscription (and its stale events) and reports an error; 410 says the
    link is gone for good. The body tells a person who opens the link where the current one is."""
    manager = company["manager"]
    old = issue(manager)
    issue(manager)  # the old link is revoked
    answer = client.get(f"/calendar/{old}.ics")
    assert answer.status_code == 410
    assert answer.content_type.startswith("text/plain")
    assert "Open the Calendar page in Rotation for the current link" in answer.get_data(as_text=True)
    # An unchanged feed's revalidation does not bring it back either.
    assert client.get(f"/calendar/{old}.ics", headers={"If-None-Match": '"anything"'}).status_code == 410


def test_the_feed_runs_a_bounded_number_of_queries(client, company):
    chief = company["chief"]
    token = issue(chief)
    etag = client.get(f"/calendar/{token}.ics").headers["ETag"]  # records its use; later polls write nothing
    with count_queries() as queries:
        response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert len(events(parsed(response))) == 2
    assert len(queries) <= 2, queries

    with count_queries() as queries:
        response = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert len(queries) == 1, queries


def test_an_unchanged_feed_answers_304_without_building_the_calendar(client, company, monkeypatch):
    token = issue(company["manager"])
    etag = client.get(f"/calendar/{token}.ics").headers["ETag"]
    built = []
    monkeypatch.setattr(polls, "feed_calendar", lambda *args, **kwargs: built.append(args) or b"")
    monkeypatch.setattr(polls, "feed_contents", lambda *args: pytest.fail("a 304 loaded the calendar's shifts"))

    for _ in range(3):
        response = client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
        assert response.status_code == 304
        assert response.headers["ETag"] == etag
        assert response.headers["Cache-Control"].startswith("private, max-age=")
    assert built == []


def test_an_unchanged_feed_is_answered_before_the_app_dispatches_the_request(app, client, company):
    from flask import request_started

    token = issue(company["manager"])
    first = client.get(f"/calendar/{token}.ics")
    etag = first.headers["ETag"]
    dispatched = []
    request_started.connect(lambda sender, **extra: dispatched.append(1), app, weak=False)
    for method in (client.get, client.head):
        answer = method(f"/calendar/{token}.ics", headers={"If-None-Match": f'W/"other", {etag}'})
        assert answer.status_code == 304 and answer.data == b""
        assert answer.headers["ETag"] == etag and answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert dispatched == []
    # Anything else goes through the app: a changed feed, an unknown link, a first poll of the hour.
    assert client.get(f"/calendar/{token}.ics", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get("/calendar/unknown.ics", headers={"If-None-Match": etag}).status_code == 404
    services.live_token(company["manager"]).last_used_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    assert client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag}).status_code == 304
    assert len(dispatched) == 3
    db.session.expire_all()
    assert datetime.now(UTC) - services.live_token(company["manager"]).last_used_at < timedelta(minutes=1)


@pytest.fixture
def feed_of(client, company):
    """Fetches the manager's whole feed (no If-None-Match) and checks that a poll with its ETag answers 304."""
    token = issue(company["manager"])

    def fetch() -> tuple[str, bytes]:
        response = client.get(f"/calendar/{token}.ics")
        assert response.status_code == 200
        etag = response.headers["ETag"]
        assert client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag}).status_code == 304
        return etag, response.data

    return fetch


def test_every_change_the_calendar_shows_changes_its_etag(app, feed_of, company):
    manager = company["manager"]
    day = shifts_of(manager)[CUSTOMER_SERVICE]
    site = db.session.get(Slot, day.slot_id).site
    generate_slots(next_year() + 1)
    db.session.commit()

    def a_new_shift():
        slot = db.session.scalars(sa.select(Slot).where(Slot.kind == CUSTOMER_SERVICE,
                                                        Slot.first_day > date(next_year() + 1, 3, 1))).first()
        db.session.add(Assignment(person_id=manager.id, slot_id=slot.id, year=next_year() + 1, kind=CUSTOMER_SERVICE,
                                  status=PUBLISHED))

    def later_hours():  # e.g. the site's hours changed: the slot's instants move, its assignment row does not
        slot = db.session.get(Slot, shifts_of(manager)[CUSTOMER_SERVICE].slot_id)
        db.session.execute(sa.update(Slot).where(Slot.id == slot.id)
                           .values(starts_at=slot.starts_at + timedelta(hours=1),
                                   ends_at=slot.ends_at + timedelta(hours=1)))

    # Each change, and whether its words show in the calendar: a confirmation shows only in the events'
    # DTSTAMP, which counts whole seconds, so within the second of the move before it the bytes stay as they are.
    changes = {
        "a move": (lambda: move_assignment(day, valid_slots(day)[0].slot, None), True),
        "a confirmation": (lambda: setattr(shifts_of(manager)[WAREHOUSE_WEEK], "status", CONFIRMED), False),
        "the site renamed": (lambda: setattr(site, "name", "Helsinki customer centre"), True),
        "the site's address": (lambda: setattr(site, "address", "Mannerheimintie 1"), True),
        "the site's host": (lambda: setattr(site, "host_name", "Hanna Host"), True),
        "the person renamed": (lambda: setattr(db.session.get(Person, manager.id), "full_name", "Ann Aalto-Berg"),
                               True),
        "later hours": (later_hours, True),
        "a new shift": (a_new_shift, True),
        "a withdrawal": (lambda: withdraw_assignment(shifts_of(manager)[WAREHOUSE_WEEK], None), True),
        "the app's address": (lambda: app.config.update(ROTATION_BASE_URL="https://shifts.example.com"), True),
    }
    calendars = {}
    etag, body = feed_of()
    for change, (make, shows) in changes.items():
        make()
        db.session.commit()
        new_etag, new_body = feed_of()
        assert new_etag != etag, f"{change} did not change the ETag"
        if shows:
            assert new_body != body, f"{change} does not show in the calendar"
        calendars[new_etag] = new_body
        etag, body = new_etag, new_body
    assert len(calendars) == len(changes)  # every change gave a new ETag, never one seen before


def test_changes_the_calendar_does_not_show_keep_its_etag(feed_of, company, make_site):
    manager, chief = company["manager"], company["chief"]
    etag, body = feed_of()

    make_site("OUL-CC", name="Oulu contact centre")
    chiefs_day = shifts_of(chief)[CUSTOMER_SERVICE]
    move_assignment(chiefs_day, valid_slots(chiefs_day)[0].slot, None)
    db.session.add(Assignment(person_id=manager.id, slot_id=chiefs_day.slot_id, year=next_year() + 2,
                              kind=CUSTOMER_SERVICE, status=DRAFT))  # a draft is not announced
    db.session.get(Person, chief.id).full_name = "Cora Chief"
    db.session.commit()

    assert feed_of() == (etag, body)


# --- the calendar page ----------------------------------------------------------------------------


def test_a_manager_creates_the_link_sees_it_once_and_it_works(client, post_form, make_user, company):
    manager = company["manager"]
    sign_in(client, post_form, make_user, manager.email)
    page = text(client.get("/calendar"))
    assert "You have no calendar link yet." in page
    assert "Google only every 8 to 24 hours" in page
    assert TOKEN_IN_LINK.search(page) is None

    created = text(post_form("/calendar/link", {}, page="/calendar"))
    assert "Copy it now." in created
    token = link_on(created)
    assert f'value="webcal://rotation.example.com/calendar/{token}.ics"' in created
    assert f'value="{BASE_URL}/calendar/{token}.ics"' in created
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    later = text(client.get("/calendar"))
    assert token not in later  # shown once only
    assert "Reset the link…" in later and "Last used" in later


def test_resetting_asks_first_then_kills_the_old_link(client, post_form, make_user, company):
    manager = company["manager"]
    sign_in(client, post_form, make_user, manager.email)
    old = link_on(text(post_form("/calendar/link", {}, page="/calendar")))

    confirm = text(post_form("/calendar/link", {}, page="/calendar"))
    assert "Reset your calendar link?" in confirm
    assert "stops working" in confirm
    assert client.get(f"/calendar/{old}.ics").status_code == 200  # nothing changed yet

    reset = text(post_form("/calendar/link", {"confirmed": "yes"}, page="/calendar"))
    new = link_on(reset)
    assert new != old
    assert "The old link has stopped working." in reset
    assert client.get(f"/calendar/{old}.ics").status_code == 410
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def test_the_token_is_stored_only_as_its_hash(client, post_form, make_user, company):
    manager = company["manager"]
    sign_in(client, post_form, make_user, manager.email)
    token = link_on(text(post_form("/calendar/link", {}, page="/calendar")))
    assert len(token) == 43  # 32 random bytes, base64url

    stored = db.session.scalar(sa.select(FeedToken).where(FeedToken.person_id == manager.id))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(sa.select(table)).all():
            assert not any(token in str(value) for value in row), f"the raw token is stored in {table.name}"


def test_someone_without_a_roster_person_is_told_so(client, login_as, post_form):
    login_as("hr", email="auditor@example.com")
    page = text(client.get("/calendar"))
    assert "Your e-mail address, auditor@example.com, is not in the roster" in page
    assert "Create my calendar link" not in page
    posted = post_form("/calendar/link", {}, page="/calendar")
    assert posted.status_code == 200 and "is not in the roster" in text(posted)
    assert db.session.scalar(sa.select(sa.func.count(FeedToken.id))) == 0


def test_managers_find_the_page_in_the_navigation(client, post_form, make_user, company):
    sign_in(client, post_form, make_user, company["manager"].email)
    assert '<a href="/calendar" aria-current="page">Calendar</a>' in text(client.get("/calendar"))
    page = text(client.get("/calendar"))
    assert "Your published shifts" in page and "Helsinki contact centre" in page and "Tampere warehouse" in page


def test_the_page_and_downloads_need_a_signed_in_account(client, company):
    uid = shifts_of(company["manager"])[CUSTOMER_SERVICE].uid
    for url in ("/calendar", f"/calendar/shift/{uid}.ics"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    assert client.post("/calendar/link").status_code == 400  # no form token: refused before anything else
    assert db.session.scalar(sa.select(sa.func.count(FeedToken.id))) == 0


# --- one-off downloads ----------------------------------------------------------------------------


def test_the_person_downloads_their_own_shift(client, post_form, make_user, company):
    manager = company["manager"]
    week = shifts_of(manager)[WAREHOUSE_WEEK]
    sign_in(client, post_form, make_user, manager.email)
    assert f"/calendar/shift/{week.uid}.ics" in text(client.get("/calendar"))

    response = client.get(f"/calendar/shift/{week.uid}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    first_day = db.session.get(Slot, week.slot_id).first_day
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="rotation-warehouse-{first_day.isoformat()}.ics"')
    calendar = icalendar.Calendar.from_ical(response.data)
    assert calendar.errors == []
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [str(event["UID"]) for event in calendar.walk("VEVENT")] == [week.uid]


def test_hr_may_download_anyones_shift(client, login_as, company):
    day = shifts_of(company["manager"])[CUSTOMER_SERVICE]
    login_as("hr")
    response = client.get(f"/calendar/shift/{day.uid}.ics")
    assert response.status_code == 200
    assert 'filename="rotation-customer-service-' in response.headers["Content-Disposition"]


def test_nobody_else_may_download_a_shift(client, post_form, make_user, company):
    theirs = shifts_of(company["chief"])[CUSTOMER_SERVICE]
    mine = shifts_of(company["manager"])[WAREHOUSE_WEEK]
    mine.status = CANCELLED
    db.session.commit()
    sign_in(client, post_form, make_user, company["manager"].email)
    assert client.get(f"/calendar/shift/{theirs.uid}.ics").status_code == 404  # someone else's
    assert client.get(f"/calendar/shift/{mine.uid}.ics").status_code == 404  # cancelled
    assert client.get("/calendar/shift/no-such-shift@rotation.ics").status_code == 404


def test_a_draft_cannot_be_downloaded_even_by_its_person(client, post_form, make_user, company):
    day = shifts_of(company["manager"])[CUSTOMER_SERVICE]
    day.status = DRAFT
    db.session.commit()
    sign_in(client, post_form, make_user, company["manager"].email)
    assert client.get(f"/calendar/shift/{day.uid}.ics").status_code == 404


# --- feeds issue ------------------------------------------------------------------------------------


def test_feeds_issue_prints_a_working_url_and_kills_the_old_one(runner, client, company):
    manager = company["manager"]
    old = issue(manager)
    result = runner.invoke(args=["feeds", "issue", "  E100@Example.com "])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    match = re.fullmatch(rf"{re.escape(BASE_URL)}/calendar/([A-Za-z0-9_-]{{43}})\.ics", url)
    assert match, url
    assert client.get(f"/calendar/{match.group(1)}.ics").status_code == 200
    assert client.get(f"/calendar/{old}.ics").status_code == 410


def test_feeds_issue_refuses_an_unknown_address(runner, company):
    result = runner.invoke(args=["feeds", "issue", "nobody@example.com"])
    assert result.exit_code != 0
    assert "No one in the roster has the e-mail address 'nobody@example.com'." in result.output
    assert db.session.scalar(sa.select(sa.func.count(FeedToken.id))) == 0
