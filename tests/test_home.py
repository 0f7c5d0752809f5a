import re
from datetime import UTC

import pytest

from tests.helpers import count_queries, next_page_url


def test_each_role_sees_what_it_can_do(client, login_as):
    login_as("hr", "owner", name="Olga Owner")
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Olga Owner" in page
    assert "HR, Process owner" in page
    assert 'id="role-hr"' in page and 'id="role-owner"' in page
    assert 'id="role-admin"' not in page and 'id="role-manager"' not in page


def test_navigation_shows_only_what_the_roles_allow(client, login_as):
    login_as("manager")
    assert 'href="/accounts"' not in client.get("/").get_data(as_text=True)


def test_admin_home_counts_accounts_by_role(client, login_as, make_user):
    login_as("admin")
    make_user(roles=["hr"])
    make_user(roles=["manager", "owner"])
    make_user(roles=["manager"])
    page = client.get("/").get_data(as_text=True)
    assert _count(page, "Manager") == "2"
    assert _count(page, "HR") == "1"
    assert _count(page, "All accounts") == "4"


def _count(page: str, label: str) -> str:
    import re

    match = re.search(rf">{re.escape(label)}</a></th><td class=\"number\">(\d+)</td>", page)
    assert match, label
    return match.group(1)


def test_accounts_list_filters_and_paginates_in_few_queries(client, login_as, make_user):
    login_as("admin")
    for i in range(60):
        make_user(roles=["manager"], email=f"m{i:02d}@example.com", password=None)
    with count_queries() as queries:
        page = client.get("/accounts?role=manager").get_data(as_text=True)
    assert "Showing 1–50 of 60 accounts." in page
    assert "m49@example.com" in page and "m50@example.com" not in page
    # the account (with its roles and rotation check), the count, the rows and how many devices each is signed in on
    assert len(queries) <= 7, queries
    second = client.get(next_page_url(page)).get_data(as_text=True)
    assert "Showing 51–60 of 60 accounts." in second and "m50@example.com" in second
    assert "m07@example.com" in client.get("/accounts?q=m07").get_data(as_text=True)


def test_home_page_query_count_is_bounded(client, login_as, make_user, make_person, make_blackout):
    from datetime import date

    me = make_person(email="everything@example.com")
    for _ in range(10):
        make_user(roles=["manager"], password=None)
        make_person(manager=me)
        make_blackout(date(2099, 1, 1), person=me)
    login_as("admin", "hr", "manager", "owner", email="everything@example.com")
    with count_queries() as queries:
        assert client.get("/").status_code == 200
    # the account: 2; the admin's counts: 2; the tables' versions: 1; HR's roster figures and to-dos: 6;
    # the manager's record: 3; their shifts: 1; an executive's organisation: 3 and triage's health: 1;
    # HR's plan states: 1; the people unbooked each year: 1; mail waiting for a worker: 1; the unread news in the
    # menu: 1; the process owner's areas: 2 and triage in them: 1
    assert len(queries) <= 26, "\n".join(q[:80] for q in queries)
    with count_queries() as again:
        assert client.get("/").status_code == 200
    # HR's roster figures, what is left to publish and the organisation's coverage are kept while their tables
    # do not change
    assert len(again) <= len(queries) - 8, "\n".join(q[:80] for q in again)


def test_change_password(client, login_as, post_form):
    user = login_as("manager")
    wrong = post_form("/account/password", {"current": "not it at all", "new": "a brand new password",
                                            "confirm": "a brand new password"}).get_data(as_text=True)
    assert "Your current password is not right." in wrong
    mismatch = post_form("/account/password", {"current": "correct horse battery", "new": "a brand new password",
                                               "confirm": "another new password"}).get_data(as_text=True)
    assert "The two new passwords differ." in mismatch
    short = post_form("/account/password", {"current": "correct horse battery", "new": "short",
                                            "confirm": "short"}).get_data(as_text=True)
    assert "Use at least 10 characters." in short
    done = post_form("/account/password", {"current": "correct horse battery", "new": "a brand new password",
                                           "confirm": "a brand new password"})
    assert done.status_code == 302
    assert "Your password is changed." in client.get("/").get_data(as_text=True)
    post_form("/logout", {}, page="/")
    old = post_form("/login", {"email": user.email, "password": "correct horse battery"})
    assert old.status_code == 200
    assert post_form("/login", {"email": user.email, "password": "a brand new password"}).status_code == 302


@pytest.mark.dates
def test_manager_home_shows_their_roster_record_and_coming_blackouts(client, login_as, make_person, make_site,
                                                                     make_blackout):
    from datetime import timedelta

    from rotation.db import utc_today

    site = make_site(name="Tampere fulfilment centre")
    boss = make_person(full_name="Carla Esposito")
    maria = make_person(full_name="Maria Jansen", email="maria@example.com", department="Operations",
                        manager=boss, home_site=site)
    make_person(manager=maria)
    soon = utc_today() + timedelta(days=30)
    make_blackout(soon, soon + timedelta(days=2), person=maria, reason="Parental leave")
    make_blackout(soon, soon, site=site, reason="Stock count")
    make_blackout(soon, soon, reason="Company holiday")
    make_blackout(utc_today() - timedelta(days=30), reason="Already over")
    other = make_site()
    make_blackout(soon, soon, site=other, reason="Another site")
    login_as("manager", email="maria@example.com")
    page = client.get("/").get_data(as_text=True)
    assert "Maria Jansen, Operations" in page and "Carla Esposito" in page
    assert "Tampere fulfilment centre" in page
    assert "yours: Parental leave" in page and "your home site: Stock count" in page
    assert "whole company: Company holiday" in page
    assert "Already over" not in page and "Another site" not in page


def test_manager_outside_the_roster_is_told_why_nothing_is_planned(client, login_as):
    login_as("manager")
    assert "Your e-mail address is not in the roster" in client.get("/").get_data(as_text=True)


@pytest.mark.dates
def test_hr_home_figures_follow_the_roster_and_the_clock(client, login_as, make_site, make_person, monkeypatch):
    """The roster's figures are kept between requests, yet a new person or a shift that starts shows at once."""
    import re
    from datetime import datetime, timedelta

    import rotation.home.overview as overview
    from rotation.assignments.models import PUBLISHED, Assignment
    from rotation.extensions import db
    from rotation.sites.models import Slot

    site = make_site("HEL-CC")
    ann = make_person(full_name="Ann Aalto", home_site=site)
    now = datetime.now(UTC).replace(microsecond=0)
    slot = Slot(site_id=site.id, kind=site.slot_kind, first_day=now.date(), last_day=now.date(),
                starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=9), seats=3)
    db.session.add(slot)
    db.session.flush()
    db.session.add(Assignment(person_id=ann.id, slot_id=slot.id, year=now.year, kind=slot.kind, status=PUBLISHED))
    db.session.commit()
    login_as("hr")

    def figure(label: str) -> int:
        page = client.get("/").get_data(as_text=True)
        match = re.search(rf">{label}</a></th><td class=\"number\">(?:<strong>)?(\d+)", page)
        assert match, label
        return int(match.group(1))

    assert (figure("People in the roster"), figure("Shifts without attendance")) == (1, 0)
    make_person(full_name="Bo Berg", home_site=site)
    assert figure("People in the roster") == 2
    monkeypatch.setattr(overview, "utcnow", lambda: now + timedelta(hours=2))
    assert figure("Shifts without attendance") == 1


def test_a_process_owner_sees_triage_in_their_own_areas_first(client, post_form, filing_company, login_as):
    from datetime import timedelta

    from rotation.db import utc_today, utcnow
    from rotation.extensions import db
    from rotation.observations.models import SUBMITTED, Observation
    from rotation.problems.models import Problem
    from rotation.process_map.models import ProcessArea
    from tests.helpers import PASSWORD, csrf_token

    company = filing_company
    warehouse = ProcessArea(name="Warehouse")
    db.session.add(warehouse)
    db.session.flush()

    def filed(area, *, andon=False, days_ago=0):
        db.session.add(Observation(assignment_id=company["ann_shift"].id, author_id=company["ann"].id, area_id=area.id,
                                   status=SUBMITTED, kind="blocked", title="Seen", what_happened="Seen", severity=3,
                                   andon=andon, submitted_at=utcnow() - timedelta(days=days_ago)))

    filed(company["refunds"], andon=True, days_ago=3)  # below the area Olli owns
    filed(company["refunds"])
    filed(warehouse)  # not his
    late = utc_today() - timedelta(days=1)
    db.session.add_all([
        Problem(title="In his area, late", area_id=company["refunds"].id, severity=3, due_on=late),
        Problem(title="His, elsewhere", area_id=warehouse.id, owner_id=company["owner"].id, severity=2,
                due_on=utc_today() + timedelta(days=30)),
        Problem(title="Someone else's", area_id=warehouse.id, severity=2, due_on=late)])
    db.session.commit()

    post_form("/login", {"email": company["owner"].email, "password": PASSWORD})
    page = client.get("/").get_data(as_text=True)
    card = page[page.index('id="role-owner"'):]
    assert ">Triage 2 observations</a>" in card  # the next action on top
    figures = re.findall(r'<th scope="row"><a href="[^"]*">([^<]+)</a></th><td class="number">(?:<strong>)?(\d+)', card)
    assert figures == [("Andon alerts waiting for triage", "1"), ("Observations waiting for triage", "2"),
                       ("Open problems, yours or in your areas", "2"), ("Of them past their due date", "1")]
    assert "(oldest 3 days)" in card

    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login_as("owner", email="nobody.owns@example.com")
    assert "You own no process area yet" in client.get("/").get_data(as_text=True)
