import re
from datetime import date

import pytest

from rotation.db import utc_today
from rotation.extensions import db
from rotation.people.signals import roster_changed
from tests.fixtures.clock import this_year
from tests.helpers import count_queries, next_page_url


def section(page: str, heading: str) -> str:
    """The text of the page's article under this heading (tags left in)."""
    match = re.search(rf"<h2>{re.escape(heading)}</h2>.*?</article>", page, re.S)
    assert match, f"no section {heading!r}"
    return match.group(0)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.sub(r"<br>", " ", html))).strip()


def test_people_list_searches_filters_and_paginates(client, login_as, make_person, make_site):
    login_as("hr")
    site = make_site(code="HEL-CC")
    ceo = make_person(employee_id="E1", full_name="Carla Esposito", department="Executive", home_site=site)
    maria = make_person(employee_id="E2", full_name="Maria Jansen", department="Operations", manager=ceo)
    make_person(employee_id="E3", full_name="Anna Worker", department="Operations", manager=maria)
    make_person(employee_id="E4", full_name="Ben Expert", department="Finance", manager=ceo, in_rotation=True)
    make_person(employee_id="E5", full_name="Lea Left", department="Finance", manager=ceo, active=False)

    page = client.get("/people").get_data(as_text=True)
    assert "Showing 1–4 of 4 people." in page  # active people by default
    assert "Lea Left" not in page
    rotation = client.get("/people?in_rotation=yes").get_data(as_text=True)
    assert all(name in rotation for name in ("Carla Esposito", "Maria Jansen", "Ben Expert"))
    assert ">Anna Worker</a>" not in rotation
    assert "(set by HR)" in rotation  # Ben's override
    not_in = client.get("/people?in_rotation=no").get_data(as_text=True)
    assert ">Anna Worker</a>" in not_in and ">Maria Jansen</a>" not in not_in
    assert "Lea Left" in client.get("/people?active=no").get_data(as_text=True)
    by_department = client.get("/people?q=finance").get_data(as_text=True)
    assert "Ben Expert" in by_department and "Maria Jansen" not in by_department
    by_email = client.get("/people?q=e3@example").get_data(as_text=True)
    assert "Anna Worker" in by_email and "1 person." in by_email


def test_people_list_renders_in_a_bounded_number_of_queries(client, login_as, make_person, make_site):
    login_as("hr")
    sites = [make_site(), make_site()]
    boss = make_person()
    for i in range(60):
        make_person(manager=boss, home_site=sites[i % 2])
    following = next_page_url(client.get("/people").get_data(as_text=True))
    with count_queries() as queries:
        page = client.get(following).get_data(as_text=True)
    assert "Showing 51–61 of 61 people." in page
    assert len(queries) <= 5, queries


def test_person_page_shows_manager_reports_blackouts_and_account(client, login_as, make_person, make_blackout,
                                                                 make_user):
    login_as("hr")
    ceo = make_person(full_name="Carla Esposito")
    maria = make_person(full_name="Maria Jansen", email="maria@example.com", manager=ceo)
    make_person(full_name="Anna Worker", manager=maria)
    make_blackout(date(2027, 7, 1), date(2027, 7, 31), person=maria, reason="Parental leave")
    make_user(roles=["owner"], email="maria@example.com")
    url = f"/people/{maria.id}"
    with count_queries() as queries:
        page = client.get(url).get_data(as_text=True)
    assert "Carla Esposito" in page and "Anna Worker" in page
    assert "2027-07-01 to 2027-07-31 — Parental leave" in page
    assert "yes — by the default rule (has direct reports)" in page
    assert "maria@example.com (Manager, Process owner)" in page  # in the rotation, so a manager too
    # The signed-in HR account: 3 (the first page after signing in reads the account, its roles and whether it
    # is in the rotation); the person with manager and home site, their reports: 2; blackouts: 1; their account,
    # its roles and whether it is in the rotation: 3; e-mail to them that failed: 1; their shifts (with slots and
    # sites): 1; attendance: 1; change requests: 1; observations counted: 1; what the plan could not give them: 1.
    assert len(queries) <= 15, "\n\n".join(queries)


def test_unknown_person_is_404_and_managers_are_refused(client, login_as):
    login_as("hr")
    assert client.get("/people/999999").status_code == 404


def test_a_manager_cannot_see_the_roster(client, login_as):
    login_as("manager")
    assert client.get("/people").status_code == 403


def test_roster_people_in_the_rotation_sign_in_as_managers(client, login_as, make_person):
    boss = make_person(email="boss@example.com")
    make_person(manager=boss)
    user = login_as("owner", email="boss@example.com")
    assert user.roles == ["manager", "owner"]
    page = client.get("/").get_data(as_text=True)
    assert 'id="role-manager"' in page


@pytest.mark.dates
def test_person_page_names_every_shift_request_attendance_and_unplaced_reason(client, login_as, maria_history):
    login_as("hr")
    world = maria_history
    this, following = this_year(), this_year() + 1
    page = client.get(f"/people/{world['maria'].id}").get_data(as_text=True)

    shifts = section(page, "Shifts")
    current, earlier = shifts.split("<details>")
    assert text(current).count("Customer-service day") == 2 and "Warehouse week" in text(current)
    assert f'<a href="/assignments/{world["accepted"].id}">Customer-service day {this}</a>' in current
    assert "Accepted in their calendar" in text(current)
    assert "Cancelled" in text(current)  # the withdrawn warehouse week stays on record
    march = world["march"].first_day
    assert f"Confirmed the draft moves it to HEL-CC, {march:%a} {march.isoformat()}" in text(current)
    assert f'href="/sites/HEL-CC?year={following}"' in current
    assert "Earlier years (2 shifts)" in text(earlier)
    for done in ("came", "missed"):
        assert f'href="/assignments/{world[done].id}"' in earlier

    unplaced = text(section(page, "Not placed by the plan"))
    assert f"Warehouse week {following}: Every warehouse week with a free seat falls in her blackouts" in unplaced
    assert "An older reason" not in page  # only the latest finished run of the year counts
    assert f'href="/plan/{following}/unplaced"' in page

    requests = section(page, "Change requests")
    declined, waiting = world["requests"]
    assert text(requests).index("Waiting for HR") < text(requests).index("Declined")  # newest first
    for change in (declined, waiting):
        assert f'href="/changes/{change.id}"' in requests
    assert f"Asked {this}-01-20 to move the customer-service day at HEL-CC" in text(requests)

    attendance = text(section(page, "Attendance"))
    assert "No-show, recorded by hr@example.com" in attendance
    assert f"Came, recorded by host@hel.example.com on {this - 1}-06-01 12:00 UTC" in attendance
    assert attendance.index("No-show") < attendance.index("Came")  # newest first

    assert "3 filed: 2 submitted, 1 declined." in text(section(page, "Observations"))


def test_person_page_reads_the_same_few_queries_with_or_without_a_history(client, login_as, maria_history,
                                                                         make_person):
    login_as("hr")
    newcomer = make_person(full_name="Nora Newcomer")
    newcomer_id, maria_id = newcomer.id, maria_history["maria"].id
    client.get(f"/people/{newcomer_id}")  # the first page after signing in reads the account once more
    with count_queries() as empty:
        page = client.get(f"/people/{newcomer_id}").get_data(as_text=True)
    assert "No shifts this year or later yet." in page and "No attendance recorded yet." in page
    assert "Nora Newcomer has asked for no changes." in page and "None filed yet." in page
    assert "Not placed by the plan" not in page
    with count_queries() as full:
        client.get(f"/people/{maria_id}")
    # The signed-in account and its roles: 2; the person, their reports, their blackouts, the account with their
    # address (none here), e-mail to them that failed: 5; their shifts, attendance, change requests, observations
    # counted, what the plan could not give them: 5.
    assert len(full) == len(empty) == 12, "\n\n".join(full)


def test_a_leavers_page_says_they_left_and_what_became_of_their_shifts(client, login_as, maria_history):
    login_as("hr")
    maria = maria_history["maria"]
    maria.is_active = False
    roster_changed.send([maria.id], today=utc_today())  # as the roster import does for a leaver
    db.session.commit()
    page = client.get(f"/people/{maria.id}").get_data(as_text=True)
    facts = text(section(page, "Roster"))
    assert "by the default rule" not in page and "has direct reports" not in page  # she still has a report
    assert ("In the rotation no — Maria Jansen left the company. Their shifts still to come were withdrawn when "
            "the roster said so") in facts
    shifts = text(section(page, "Shifts").split("<details>")[0])
    assert f"Customer-service day {this_year() + 1}" in shifts
    assert "Confirmed" not in shifts and "the draft moves it" not in shifts  # cancelled, with its proposal
    assert "Send a link to set a password" not in page
