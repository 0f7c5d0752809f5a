"""My rotation: a manager sees their own announced shifts, confirms one, and keeps their own blackouts."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, CONFIRMED, DRAFT, PUBLISHED, Assignment
from rotation.blackouts.models import Blackout
from rotation.db import utc_today
from rotation.extensions import db
from rotation.outbox.models import OutboxMessage
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import count_queries


@pytest.fixture
def company(make_site, make_person):
    """A Helsinki contact centre with an address and a host, a warehouse, a chief and two managers; published."""
    centre = make_site("HEL-CC", seats=2, name="Helsinki contact centre")
    centre.address = "Mannerheimintie 1, Helsinki"
    centre.host_name, centre.host_email = "Hanna Host", "hanna@example.com"
    make_site("TMP-WH", kind="warehouse", seats=3, name="Tampere warehouse")
    chief = make_person("E001", department="Board", home_site=centre)
    managers = [make_person(f"E1{n:02d}", full_name=f"Manager {n}", manager=chief, home_site=centre)
                for n in range(2)]
    for n, manager in enumerate(managers):
        make_person(f"E2{n:02d}", manager=manager)
    generate_slots(next_year())
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()
    return {"chief": chief, "me": managers[0], "other": managers[1]}


@pytest.fixture
def me(company, login_as):
    """Signed in as the first manager, through an account with their roster e-mail."""
    login_as("manager", email=company["me"].email)
    return company["me"]


def shift_of(person, kind: str = "customer_service") -> Assignment:
    db.session.expire_all()
    shift = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == person.id, Assignment.kind == kind,
                                                          Assignment.status != CANCELLED))
    assert shift is not None, kind
    return shift


def slot_of(assignment: Assignment) -> Slot:
    return db.session.get_one(Slot, assignment.slot_id)


def messages() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(OutboxMessage)).scalar_one()


def page_text(client) -> str:
    response = client.get("/my/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/my/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_account_without_a_roster_person_reads_a_sentence(client, login_as):
    login_as("manager", email="stranger@example.com")
    assert "stranger@example.com, is not in the roster" in page_text(client)


@pytest.mark.dates
def test_the_page_shows_each_announced_shift_with_local_time_site_host_and_status(client, me):
    html = page_text(client)
    day = slot_of(shift_of(me)).first_day
    assert "Customer-service day at Helsinki contact centre" in html
    assert "Warehouse week at Tampere warehouse" in html
    assert f"{day.day} " in html and "09:00–17:00 Europe/Helsinki (UTC+0" in html
    assert "Mannerheimintie 1, Helsinki" in html and "Hanna Host" in html and "mailto:hanna@example.com" in html
    assert html.count("Booked: please confirm") == 2 and html.count(">Confirm</button>") == 2
    assert f'/calendar/shift/{shift_of(me).uid}.ics' in html
    assert 'href="/calendar"' in html
    assert "My rotation" in html  # in the navigation


def test_drafts_and_cancelled_shifts_are_not_shown(client, me):
    day, week = shift_of(me), shift_of(me, "warehouse")
    day.status, week.status = DRAFT, CANCELLED
    db.session.commit()
    html = page_text(client)
    assert "Helsinki contact centre" not in html and "Tampere warehouse" not in html
    assert "No shift of yours is published" in html


def test_confirming_changes_the_status_but_not_the_sequence_and_sends_nothing(client, me, post_form):
    shift = shift_of(me)
    sequence, before = shift.sequence, messages()
    response = post_form(f"/my/shifts/{shift.uid}/confirm", {}, page="/my/", follow_redirects=True)
    assert "Confirmed: customer-service day at Helsinki contact centre" in response.get_data(as_text=True)
    confirmed = shift_of(me)
    assert (confirmed.status, confirmed.sequence, messages()) == (CONFIRMED, sequence, before)
    html = page_text(client)
    assert "Confirmed by you" in html and html.count(">Confirm</button>") == 1


def test_nobody_confirms_someone_elses_shift(client, company, me, post_form):
    theirs = shift_of(company["other"])
    response = post_form(f"/my/shifts/{theirs.uid}/confirm", {}, page="/my/")
    assert response.status_code == 404
    assert shift_of(company["other"]).status == PUBLISHED


@pytest.mark.parametrize("status, message", [
    (CONFIRMED, "You have already confirmed this shift."),
    (CANCELLED, "This shift was cancelled, so there is nothing to confirm."),
    (DRAFT, "This shift is not published yet"),
])
def test_a_shift_that_is_not_published_is_refused_with_a_message(client, me, post_form, status, message):
    shift = shift_of(me)
    shift.status = status
    db.session.commit()
    response = post_form(f"/my/shifts/{shift.uid}/confirm", {}, page="/my/", follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert db.session.get(Assignment, shift.id).status == status


@pytest.mark.dates
def test_a_shift_that_has_started_cannot_be_confirmed(client, me, post_form):
    shift = shift_of(me)
    today = utc_today()
    past = Slot(site_id=slot_of(shift).site_id, kind="customer_service", first_day=today, last_day=today,
                starts_at=datetime.combine(today, datetime.min.time(), UTC),
                ends_at=datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=8), seats=2)
    db.session.add(past)
    db.session.flush()
    shift.slot_id, shift.year = past.id, today.year
    db.session.commit()
    html = page_text(client)
    assert html.count(">Confirm</button>") == 1  # only the warehouse week is still to come
    response = post_form(f"/my/shifts/{shift.uid}/confirm", {}, page="/my/", follow_redirects=True)
    assert "has already started or is over" in response.get_data(as_text=True)
    assert shift_of(me).status == PUBLISHED


def add(post_form, **fields):
    data = {"start": "", "end": "", "reason": "", **fields}
    return post_form("/my/blackouts", data, page="/my/", follow_redirects=True)


@pytest.mark.dates
def test_a_blackout_away_from_every_shift_is_added_for_oneself_only(client, company, me, post_form):
    first = utc_today() + timedelta(days=1)
    # An employee_id sent along is ignored: the blackout is always one's own.
    response = add(post_form, start=first.isoformat(), end=first.isoformat(), reason="Dentist",
                   employee_id=company["other"].employee_id)
    html = response.get_data(as_text=True)
    assert f"Added your blackout: {first.isoformat()}." in html and "Dentist" in html
    assert "collides" not in html
    blackout = db.session.scalar(sa.select(Blackout))
    assert (blackout.person_id, blackout.start, blackout.end) == (me.id, first, first)


@pytest.mark.dates
def test_a_blackout_over_a_published_shift_warns_and_sends_it_to_re_planning(client, me, post_form):
    shift = shift_of(me)
    day = slot_of(shift).first_day
    response = add(post_form, start=day.isoformat(), end=day.isoformat())
    html = response.get_data(as_text=True)
    assert "This blackout collides with your published shift: customer-service day at Helsinki contact centre" in html
    assert "HR will re-plan it" in html
    assert shift_of(me).needs_replan is True and shift_of(me, "warehouse").needs_replan is False
    assert "It falls in a blackout" in html and html.count(">Confirm</button>") == 1


@pytest.mark.dates
@pytest.mark.parametrize("fields, where, message", [
    ({"start": "2099-05-02", "end": "2099-05-01"}, "end-error", "The last day is before the first day"),
    ({"start": "next week", "end": "2099-05-01"}, "start-error", "Enter the first day as a date like"),
    ({"start": "", "end": "2099-05-01"}, "start-error", "Enter the first day you cannot take a shift."),
    ({"start": "2000-01-01", "end": "2000-01-02"}, "end-error", "These days are already over"),
])
def test_bad_dates_are_explained_beside_the_field_and_nothing_is_written(client, me, post_form, fields, where,
                                                                         message):
    html = add(post_form, **fields).get_data(as_text=True)
    assert f'id="{where}"' in html and message in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Blackout)) == 0


@pytest.mark.dates
def test_one_removes_a_blackout_of_ones_own_after_confirming(client, company, me, post_form, make_blackout):
    day = utc_today() + timedelta(days=3)
    mine = make_blackout(day, person=me, reason="Conference")
    theirs = make_blackout(day, person=company["other"])
    asked = post_form(f"/my/blackouts/{mine.id}/delete", {}, page="/my/").get_data(as_text=True)
    assert "Remove this blackout?" in asked and db.session.get(Blackout, mine.id) is not None
    done = post_form(f"/my/blackouts/{mine.id}/delete", {"confirmed": "yes"}, page="/my/", follow_redirects=True)
    assert f"Removed your blackout: {day.isoformat()}." in done.get_data(as_text=True)
    assert db.session.get(Blackout, mine.id) is None
    refused = post_form(f"/my/blackouts/{theirs.id}/delete", {"confirmed": "yes"}, page="/my/")
    assert refused.status_code == 404 and db.session.get(Blackout, theirs.id) is not None


def test_the_home_page_links_here(client, me):
    assert 'href="/my/">My rotation</a>: your shifts' in client.get("/").get_data(as_text=True)


def test_the_page_runs_a_fixed_number_of_queries(client, me, make_blackout):
    start = utc_today() + timedelta(days=1)
    make_blackout(start, person=me)
    client.get("/my/")
    with count_queries() as few:
        page_text(client)
    for n in range(2, 8):
        make_blackout(start + timedelta(days=n), person=me)
    with count_queries() as many:
        page_text(client)
    assert len(many) == len(few) <= 8
