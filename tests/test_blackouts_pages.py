"""HR's blackout pages: the list, adding, changing and deleting, and every refusal."""
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from rotation.blackouts.models import Blackout
from rotation.db import utc_today
from rotation.extensions import db
from tests.helpers import count_queries, next_page_url


def first_day() -> date:
    """The first day of the blackout the tests add: a month from today."""
    return utc_today() + timedelta(days=30)


def last_day() -> date:
    return utc_today() + timedelta(days=34)


def stored() -> list[tuple]:
    """Every blackout as (employee id, site code, start, end, reason), read fresh from the database."""
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        sa.select(Blackout.person_id, Blackout.site_id, Blackout.start, Blackout.end, Blackout.reason)
        .order_by(Blackout.id)
    )]


def error_beside(page: str, field: str) -> str:
    """The message shown under ``field``, or "" when it has none."""
    match = re.search(rf'<small id="{field}-error" class="field-error">(.*?)</small>', page, re.S)
    return match.group(1) if match else ""


def form_data(scope: str, **values) -> dict:
    data = {"scope": scope, "employee_id": "", "site": "", "start": first_day().isoformat(),
            "end": last_day().isoformat(),
            "reason": "Parental leave"}
    data.update(values)
    return data


@pytest.fixture
def roster(make_person, make_site):
    site = make_site(code="HEL-CC", name="Helsinki contact centre")
    other = make_site(code="TMP-WH", name="Tampere warehouse", kind="warehouse")
    maria = make_person(employee_id="E2", full_name="Maria Jansen", home_site=site)
    return {"site": site, "other_site": other, "maria": maria}


SCOPES = {
    "person": ({"employee_id": "E2"}, "Maria Jansen (E2)", lambda r: (r["maria"].id, None)),
    "site": ({"site": "HEL-CC"}, "the site HEL-CC (Helsinki contact centre)", lambda r: (None, r["site"].id)),
    "company": ({}, "the whole company", lambda r: (None, None)),
}


@pytest.mark.parametrize("scope", sorted(SCOPES))
def test_hr_adds_changes_and_deletes_a_blackout(client, login_as, post_form, roster, scope):
    login_as("hr")
    values, subject, target = SCOPES[scope]
    days = f"{first_day().isoformat()} to {last_day().isoformat()}"

    response = post_form("/blackouts/new", form_data(scope, **values), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == "/blackouts"
    assert f"Added a blackout for {subject}, {days}." in page
    assert stored() == [(*target(roster), first_day(), last_day(), "Parental leave")]
    blackout_id = db.session.scalar(sa.select(Blackout.id))

    edit = f"/blackouts/{blackout_id}/edit"
    response = post_form(edit, form_data(scope, **values, end=first_day().isoformat(), reason="  Moved house  "),
                         follow_redirects=True)
    assert f"Saved the blackout for {subject}, {first_day().isoformat()}." in response.get_data(as_text=True)
    assert stored() == [(*target(roster), first_day(), first_day(), "Moved house")]

    delete = f"/blackouts/{blackout_id}/delete"
    confirm = post_form(delete, {}, page=edit)
    assert confirm.status_code == 200
    assert "Delete this blackout?" in confirm.get_data(as_text=True)
    assert len(stored()) == 1  # nothing is deleted before the confirmation
    response = post_form(delete, {"confirmed": "yes"}, page=edit, follow_redirects=True)
    assert f"Deleted the blackout for {subject}, {first_day().isoformat()}." in response.get_data(as_text=True)
    assert stored() == []


def test_a_blackout_can_move_from_a_person_to_a_site(client, login_as, post_form, roster, make_blackout):
    login_as("hr")
    blackout = make_blackout(first_day(), last_day(), person=roster["maria"], reason="Training")
    response = post_form(f"/blackouts/{blackout.id}/edit", form_data("site", employee_id="E2", site="TMP-WH"))
    assert response.status_code == 302
    assert stored() == [(None, roster["other_site"].id, first_day(), last_day(), "Parental leave")]


def test_the_edit_page_shows_the_blackout_and_a_separate_delete_form(client, login_as, roster, make_blackout):
    login_as("hr")
    blackout = make_blackout(first_day(), last_day(), person=roster["maria"], reason="Training")
    page = client.get(f"/blackouts/{blackout.id}/edit").get_data(as_text=True)
    assert 'value="E2"' in page
    assert re.search(r'<input checked id="scope-0" name="scope" type="radio" value="person">', page)
    assert f'value="{first_day().isoformat()}"' in page and "Training</textarea>" in page
    delete_form = re.search(r'<form method="post" action="/blackouts/\d+/delete">(.*?)</form>', page, re.S)
    assert delete_form and 'name="csrf_token"' in delete_form.group(1)


def test_the_person_page_link_opens_the_form_with_the_person_chosen(client, login_as, roster):
    login_as("hr")
    page = client.get("/blackouts/new?scope=person&employee_id=E2").get_data(as_text=True)
    assert 'value="E2"' in page
    assert '<input checked id="scope-0" name="scope" type="radio" value="person">' in page
    assert '<option value="HEL-CC">HEL-CC — Helsinki contact centre</option>' in page


BAD_INPUT = [
    ("person", {"employee_id": "E404"}, "employee_id",
     "Nobody on the roster has the name, e-mail address or employee ID “E404”."),
    ("person", {}, "employee_id", "Enter the name, e-mail address or employee ID of the person the blackout is for."),
    ("site", {"site": "NOPE"}, "site", "No site has the code NOPE."),
    ("site", {}, "site", "Choose the site the blackout is for."),
    ("company", {"end": lambda: (first_day() - timedelta(days=1)).isoformat()}, "end",
     lambda: f"The last day is before the first day ({first_day().isoformat()})."),
    ("company", {"start": ""}, "start", "Enter the first day of the blackout."),
    ("company", {"start": "   "}, "start", "Enter the first day of the blackout."),
    ("company", {"end": ""}, "end", "Enter the last day of the blackout (the same as the first for one day)."),
    ("company", {"start": "2027-02-30"}, "start", "Enter the first day as a date like 2027-07-01 (year-month-day)."),
    ("company", {"end": "31.7.2027"}, "end", "Enter the last day as a date like 2027-07-01 (year-month-day)."),
    ("company", {"reason": "x" * 501}, "reason", "A reason has at most 500 characters; this one has 501."),
    ("nobody", {}, "scope", "Choose whether the blackout is for a person, a whole site or the whole company."),
]


@pytest.mark.parametrize("scope, values, field, message", BAD_INPUT,
                         ids=[f"{case[2]}-{i}" for i, case in enumerate(BAD_INPUT)])
def test_bad_input_is_shown_beside_its_field_and_nothing_is_written(client, login_as, post_form, roster,
                                                                    scope, values, field, message):
    # Values that depend on today are read when the test runs.
    values = {name: value() if callable(value) else value for name, value in values.items()}
    message = message() if callable(message) else message
    login_as("hr")
    response = post_form("/blackouts/new", form_data(scope, **values))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert error_beside(page, field) == message
    assert f'aria-describedby="{field}-error"' in page or f'aria-describedby="{field}-help {field}-error"' in page
    assert stored() == []


def test_bad_input_when_changing_a_blackout_leaves_it_as_it_was(client, login_as, post_form, roster, make_blackout):
    login_as("hr")
    blackout = make_blackout(first_day(), last_day(), person=roster["maria"], reason="Training")
    before = stored()
    response = post_form(f"/blackouts/{blackout.id}/edit", form_data("person", employee_id="E404", reason="Other"))
    assert error_beside(response.get_data(as_text=True), "employee_id") == (
        "Nobody on the roster has the name, e-mail address or employee ID “E404”.")
    assert stored() == before


def test_several_problems_are_shown_at_once(client, login_as, post_form, roster):
    login_as("hr")
    page = post_form("/blackouts/new", form_data("person", start="soon", end="")).get_data(as_text=True)
    assert error_beside(page, "employee_id") == (
        "Enter the name, e-mail address or employee ID of the person the blackout is for.")
    assert error_beside(page, "start").startswith("Enter the first day as a date")
    assert error_beside(page, "end").startswith("Enter the last day of the blackout")
    assert stored() == []


def test_the_same_blackout_twice_is_refused(client, login_as, post_form, roster, make_blackout):
    login_as("hr")
    make_blackout(first_day(), last_day(), site=roster["site"])
    page = post_form("/blackouts/new", form_data("site", site="HEL-CC")).get_data(as_text=True)
    assert error_beside(page, "start") == (
        "A blackout with exactly these dates already exists for the site HEL-CC (Helsinki contact centre); "
        "change that one instead.")
    assert len(stored()) == 1


def test_the_list_shows_current_blackouts_and_filters(client, login_as, roster, make_blackout):
    login_as("hr")
    maria, site = roster["maria"], roster["site"]
    make_blackout(utc_today() - timedelta(days=40), utc_today() - timedelta(days=31), person=maria, reason="Old leave")
    make_blackout(utc_today() - timedelta(days=2), utc_today(), site=site, reason="Stock-taking")
    make_blackout(first_day(), last_day(), person=maria, reason="Parental leave")
    make_blackout(last_day(), reason="Company day")

    page = client.get("/blackouts").get_data(as_text=True)
    assert "Showing 1–3 of 3 blackouts." in page
    assert "Old leave" not in page  # ended: only with "all"
    assert f'<span><a href="/people/{maria.id}">Maria Jansen</a> <small class="muted">E2</small></span>' in page
    assert '<span>HEL-CC <small class="muted">(home site)</small></span>' in page
    assert "Helsinki contact centre" in page and "Everyone" in page
    assert f'<td data-label="Dates" class="nowrap">{first_day().isoformat()} to {last_day().isoformat()}</td>' in page
    assert '<td data-label="Days" class="number">5</td>' in page
    assert '<td data-label="Days" class="number">3</td>' in page  # today and the two days before

    everything = client.get("/blackouts?period=all").get_data(as_text=True)
    assert "Showing 1–4 of 4 blackouts." in everything and "Old leave" in everything
    sites_only = client.get("/blackouts?scope=site").get_data(as_text=True)
    assert "Stock-taking" in sites_only and "Parental leave" not in sites_only and "Company day" not in sites_only
    company_only = client.get("/blackouts?scope=company&period=all").get_data(as_text=True)
    assert "1 blackout." in company_only and "Company day" in company_only
    people_only = client.get("/blackouts?scope=person&period=all").get_data(as_text=True)
    assert "Old leave" in people_only and "Parental leave" in people_only and "Stock-taking" not in people_only


def test_the_list_pages_in_a_fixed_number_of_queries(client, login_as, make_person, make_site, make_blackout):
    login_as("hr")
    sites = [make_site() for _ in range(3)]
    people = [make_person(home_site=sites[i % 3]) for i in range(6)]

    def queries_for(url: str) -> list[str]:
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        return queries

    make_blackout(first_day(), person=people[0])
    make_blackout(first_day(), site=sites[0])
    client.get("/blackouts")  # the first page after signing in also settles the account's roles
    few = queries_for("/blackouts")
    for i in range(60):
        start = first_day() + timedelta(days=i)
        if i % 3 == 0:
            make_blackout(start, person=people[i % 6], reason=f"Leave {i}")
        elif i % 3 == 1:
            make_blackout(start, site=sites[i % 3], reason=f"Closed {i}")
        else:
            make_blackout(start, reason=f"Holiday {i}")
    many = queries_for("/blackouts")
    second_page = queries_for(next_page_url(client.get("/blackouts").get_data(as_text=True)))
    following = next_page_url(client.get("/blackouts").get_data(as_text=True))
    assert "Showing 51–62 of 62 blackouts." in client.get(following).get_data(as_text=True)
    # The signed-in account, its roles, the count, and the page with its people and sites.
    assert len(few) == len(many) == len(second_page) == 4, many


def test_a_manager_is_refused_every_blackout_page(client, login_as, post_form, roster, make_blackout):
    blackout = make_blackout(first_day(), last_day(), person=roster["maria"])
    login_as("manager")
    assert client.get("/blackouts").status_code == 403
    assert client.get("/blackouts/new").status_code == 403
    assert client.get(f"/blackouts/{blackout.id}/edit").status_code == 403
    assert post_form("/blackouts/new", form_data("company"), page="/").status_code == 403
    assert post_form(f"/blackouts/{blackout.id}/delete", {"confirmed": "yes"}, page="/").status_code == 403
    assert len(stored()) == 1


def test_a_post_without_a_csrf_token_is_refused(client, login_as, roster, make_blackout):
    blackout = make_blackout(first_day(), last_day(), person=roster["maria"])
    login_as("hr")
    response = client.post("/blackouts/new", data=form_data("company"))
    assert response.status_code == 400
    assert "did not come from Rotation" in response.get_data(as_text=True)
    assert client.post(f"/blackouts/{blackout.id}/delete", data={"confirmed": "yes"}).status_code == 400
    assert client.post(f"/blackouts/{blackout.id}/edit", data=form_data("company")).status_code == 400
    assert len(stored()) == 1 and stored()[0][0] == roster["maria"].id


def test_an_unknown_blackout_is_404(client, login_as, post_form):
    login_as("hr")
    assert client.get("/blackouts/999999/edit").status_code == 404
    assert post_form("/blackouts/999999/edit", form_data("company"), page="/blackouts/new").status_code == 404
    assert post_form("/blackouts/999999/delete", {"confirmed": "yes"}, page="/blackouts/new").status_code == 404


def test_the_pages_have_no_inline_script(client, login_as, post_form, roster, make_blackout):
    login_as("hr")
    blackout = make_blackout(first_day(), last_day(), person=roster["maria"])
    pages = [client.get(url).get_data(as_text=True)
             for url in ("/blackouts", "/blackouts/new", f"/blackouts/{blackout.id}/edit")]
    pages.append(post_form(f"/blackouts/{blackout.id}/delete", {}, page="/blackouts").get_data(as_text=True))
    for page in pages:
        assert "<script>" not in page and "onclick=" not in page
