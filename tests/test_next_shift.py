"""The next shift first: My rotation and a manager's home lead with it and its one action; an executive's home
sums up their organisation's coverage and the state of triage, each figure a link."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import COMPLETED, CONFIRMED, NO_SHOW, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.models import Slot
from tests.fixtures.attendance import make_slot
from tests.fixtures.clock import next_year, this_year
from tests.fixtures.my_rotation import shift
from tests.fixtures.shifts import assign
from tests.helpers import PASSWORD, count_queries


def sign_in(post_form, email: str) -> None:
    assert post_form("/login", {"email": email, "password": PASSWORD}).status_code == 302


def section(html: str, heading: str) -> str:
    """The text of the page's section headed ``heading``, up to the next section."""
    start = html.index(f">{heading}</h2>")
    end = html.find("<section", start)
    return html[start:end if end != -1 else len(html)]


def worked_today(make_site, person: Person, kind: str, hours_ago: int, status: str) -> Assignment:
    """A shift of today's at a site of its own that started ``hours_ago`` hours ago and lasted 30 minutes (today,
    so this year)."""
    site = make_site(kind="warehouse" if kind == "warehouse" else "contact_center")
    now = utcnow().replace(second=0, microsecond=0)
    starts = max(now - timedelta(hours=hours_ago), now.replace(hour=0, minute=0))
    slot = make_slot(site, starts.date(), starts, starts + timedelta(minutes=30))
    return assign(person, slot, status=status)


@pytest.fixture
def maija(published_manager, post_form):
    sign_in(post_form, published_manager.email)
    return published_manager


def test_the_soonest_shift_comes_first_with_confirm_as_its_action(client, maija):
    day, week = shift(maija, "customer_service"), shift(maija, "warehouse")
    first, then = sorted((day, week), key=lambda found: db.session.get_one(Slot, found.slot_id).starts_at)
    html = client.get("/my/").get_data(as_text=True)
    top = section(html, "Your next shift")
    assert "Next: confirm it." in top and f"shift-{first.id}-heading" in top and ">Confirm</button>" in top
    assert f"shift-{then.id}-heading" in section(html, "Coming up")
    assert "Past shifts" not in html


def test_a_shift_whose_window_is_open_comes_first_with_filing_and_the_past_newest_first(client, maija, make_site):
    coming = [shift(maija, "customer_service").id, shift(maija, "warehouse").id]
    missed = worked_today(make_site, maija, "customer_service", 6, NO_SHOW)
    done = worked_today(make_site, maija, "customer_service", 4, COMPLETED)
    html = client.get("/my/").get_data(as_text=True)
    top = section(html, "Your next shift")
    assert "Next: file what you saw." in top and f"shift-{done.id}-heading" in top
    assert "File an observation" in top and done.uid in top.split("File an observation")[0].rsplit("<article", 1)[1]
    upcoming = section(html, "Coming up")
    assert all(f"shift-{shift_id}-heading" in upcoming for shift_id in coming)
    past = section(html, "Past shifts")
    assert f"shift-{missed.id}-heading" in past and "Missed" in past
    # A newer shift moves the older one down into the past, newest first.
    newest = worked_today(make_site, maija, "warehouse", 2, CONFIRMED)
    html = client.get("/my/").get_data(as_text=True)
    assert f"shift-{newest.id}-heading" in section(html, "Your next shift")
    past = section(html, "Past shifts")
    assert past.index(f"shift-{done.id}-heading") < past.index(f"shift-{missed.id}-heading")
    assert "File an observation" in past  # the older shift's window is still open too


def test_buttons_and_links_are_named_by_their_visible_words(client, maija, make_blackout):
    make_blackout(utcnow().date() + timedelta(days=3), person=maija)
    html = client.get("/my/").get_data(as_text=True)
    main = html[html.index("<main"):]
    assert "aria-label=" not in main, re.findall(r'aria-label="[^"]*"', main)
    assert ">Remove…</button>" in main and ">Confirm</button>" in main


def test_the_managers_home_shows_the_same_next_shift_and_action(client, maija, make_site):
    html = client.get("/").get_data(as_text=True)
    assert "Your next shift:" in html and ">Confirm</button>" in html
    first = min((shift(maija, "customer_service"), shift(maija, "warehouse")),
                key=lambda found: db.session.get_one(Slot, found.slot_id).starts_at)
    assert f'href="/my/shifts/{first.uid}/briefing"' in html and ">Open the briefing</a>" in html
    done = worked_today(make_site, maija, "customer_service", 3, COMPLETED)
    html = client.get("/").get_data(as_text=True)
    assert f'href="/observations/new?assignment={done.uid}"' in html and "File an observation" in html
    assert f'href="/my/shifts/{done.uid}/briefing"' in html  # what the last leaders there saw, beside the form
    assert ">Confirm</button>" not in html  # one action: next year's shifts wait on My rotation


@pytest.fixture
def chief(published_manager, post_form, make_user):
    """The chief executive, signed in: Maija and her report are below them."""
    person = db.session.scalar(sa.select(Person).where(Person.employee_id == "E001"))
    make_user(roles=["manager"], email=person.email)
    sign_in(post_form, person.email)
    return person


def test_an_executive_home_sums_up_their_organisation_with_links_to_coverage(client, chief, published_manager,
                                                                             make_site):
    worked_today(make_site, published_manager, "customer_service", 3, COMPLETED)
    html = client.get("/").get_data(as_text=True)
    summary = html[html.index(f"Your organisation in {this_year()}"):]
    assert "2 people in the rotation" in summary  # the leaders: the chief and Maija
    link = f"/coverage/?year={this_year()}&amp;root=E001"
    assert f'href="{link}#figures-heading" aria-label="1 done: customer-service day">1</a>' in summary
    assert f'href="{link}#overdue-heading" aria-label="1 unbooked: customer-service day"><strong>1</strong></a>' \
        in summary
    assert f'href="{link}#overdue-heading" aria-label="2 unbooked: warehouse week"><strong>2</strong></a>' in summary
    assert 'href="/problems/">Andon alerts waiting for triage</a>' in summary
    assert 'href="/insights/#ageing-heading">Open problems past their due date</a>' in summary
    assert f"Your organisation in {next_year()}" not in html


def test_a_manager_without_reports_sees_no_organisation(client, published_manager, post_form, make_person):
    below = db.session.scalar(sa.select(Person).where(Person.employee_id == "E200"))
    make_person("E300", manager=below)
    sign_in(post_form, published_manager.email)
    html = client.get("/").get_data(as_text=True)
    assert "Your organisation in" in html  # Maija has a report
    db.session.execute(sa.update(Person).where(Person.manager_id == published_manager.id).values(is_active=False))
    db.session.commit()
    assert "Your organisation in" not in client.get("/").get_data(as_text=True)


def test_an_executive_home_runs_as_many_queries_however_large_the_organisation(client, chief, make_person):
    client.get("/")
    with count_queries() as few:
        assert client.get("/").status_code == 200
    below = db.session.scalar(sa.select(Person).where(Person.employee_id == "E200"))
    for n in range(20):
        make_person(f"E4{n:02d}", manager=below)
    client.get("/")
    with count_queries() as many:
        assert client.get("/").status_code == 200
    # the account, the tables' versions, the roster record, the shifts, triage's health, news and mail; the
    # organisation's coverage is kept until the people or the shifts change
    assert len(many) == len(few) <= 12, "\n".join(statement[:80] for statement in many)
