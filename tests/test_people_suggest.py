"""Naming a person by name, e-mail address or employee ID: the suggestions as HR types, and the forms that take
any of the three (a blackout's person, the coverage filter)."""
from __future__ import annotations

import html
import re

import pytest

from rotation.blackouts.models import Blackout
from rotation.extensions import db
from rotation.people.lookup import look_up
from tests.fixtures.clock import next_year
from tests.helpers import count_queries


@pytest.fixture
def people(make_person):
    maria = make_person("E2", full_name="Maria Jansen", email="maria.jansen@example.com", department="Finance")
    return {"maria": maria,
            "mark": make_person("E3", full_name="Mark Jansen", email="m.jansen@example.com", manager=maria),
            "marta": make_person("E4", full_name="Marta Smit", email="marta@example.com", manager=maria),
            "old": make_person("E5", full_name="Maria Old", email="old@example.com", active=False)}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<small id="{field}-error" class="field-error">(.*?)</small>', page, re.S)
    return match.group(1) if match else ""


def names(response) -> list[str]:
    return [person["full_name"] for person in response.get_json()["people"]]


def test_only_hr_and_administrators_get_suggestions(client, login_as, people):
    assert client.get("/people/suggest?q=maria").status_code == 302
    login_as("manager")
    assert client.get("/people/suggest?q=maria").status_code == 403


def test_an_administrator_gets_suggestions_too(client, login_as, people):
    login_as("admin")
    assert names(client.get("/people/suggest?q=maria")) == ["Maria Jansen", "Maria Old"]


def test_suggestions_match_a_name_an_e_mail_or_an_employee_id_active_people_first(client, login_as, people):
    login_as("hr")
    found = client.get("/people/suggest?q=jans").get_json()
    assert [person["full_name"] for person in found["people"]] == ["Maria Jansen", "Mark Jansen"]
    assert found["people"][0] == {"employee_id": "E2", "full_name": "Maria Jansen",
                                  "email": "maria.jansen@example.com", "department": "Finance", "active": True}
    assert found["more"] is False
    assert names(client.get("/people/suggest?q=mar")) == ["Maria Jansen", "Mark Jansen", "Marta Smit", "Maria Old"]
    assert names(client.get("/people/suggest?q=maria jan")) == ["Maria Jansen"]
    assert names(client.get("/people/suggest?q=marta@example")) == ["Marta Smit"]
    assert names(client.get("/people/suggest?q=E4")) == ["Marta Smit"]
    assert names(client.get("/people/suggest?q=m")) == []  # one letter finds everybody: nobody is suggested
    assert names(client.get("/people/suggest?q=%22%27*%29(")) == []  # search syntax is only text


def test_suggestions_stop_at_ten_in_one_query(client, login_as, make_person):
    for number in range(15):
        make_person(f"X{number:02d}", full_name=f"Sam Sample {number:02d}")
    login_as("hr")
    with count_queries() as queries:
        found = client.get("/people/suggest?q=sam sample").get_json()
    assert len(found["people"]) == 10 and found["more"] is True
    assert [person["full_name"] for person in found["people"]][:2] == ["Sam Sample 00", "Sam Sample 01"]
    assert len([query for query in queries if "person_search" in query or "to_tsquery" in query]) == 1


def test_a_name_or_an_e_mail_names_one_person_and_several_are_listed(app, people):
    assert look_up("Maria Jansen").person == people["maria"]
    assert look_up("maria  JANSEN").person == people["maria"]
    assert look_up("MARTA@example.com").person == people["marta"]
    assert look_up("E3").person == people["mark"]
    several = look_up("Jansen")
    assert several.person is None and several.candidates == [people["maria"], people["mark"]]
    assert several.problem == ("2 people match “Jansen”: Maria Jansen (E2, maria.jansen@example.com); Mark Jansen "
                               "(E3, m.jansen@example.com). Type the e-mail address or employee ID of the one you "
                               "mean.")
    assert look_up("Nobody Here").problem == (
        "Nobody on the roster has the name, e-mail address or employee ID “Nobody Here”.")


def test_a_blackout_is_added_for_a_person_named_by_name_or_by_e_mail(client, login_as, post_form, people):
    login_as("hr")
    year = next_year()
    for typed, start in [("Maria Jansen", f"{year}-03-01"), ("m.jansen@example.com", f"{year}-04-01")]:
        response = post_form("/blackouts/new", {"scope": "person", "employee_id": typed, "site": "",
                                                "start": start, "end": start, "reason": ""}, follow_redirects=True)
        assert response.request.path == "/blackouts", text(response)
    db.session.expire_all()
    assert sorted((b.person.full_name, b.start.isoformat()) for b in db.session.query(Blackout)) == [
        ("Maria Jansen", f"{year}-03-01"), ("Mark Jansen", f"{year}-04-01")]

    page = text(post_form("/blackouts/new", {"scope": "person", "employee_id": "Jansen", "site": "",
                                             "start": f"{year}-05-01", "end": f"{year}-05-01"}))
    assert error_beside(page, "employee_id").startswith("2 people match “Jansen”: Maria Jansen (E2, ")
    assert 'data-suggest="/people/suggest"' in page
    assert db.session.query(Blackout).count() == 2


def test_the_coverage_filter_takes_a_name_or_an_e_mail(client, login_as, people):
    login_as("hr")
    year = next_year()
    for typed in ("Maria Jansen", "maria.jansen@example.com", "E2"):
        page = text(client.get("/coverage/", query_string={"year": year, "root": typed}))
        assert "The organisation of Maria Jansen" in page, typed
        assert error_beside(page, "root") == ""
    page = text(client.get("/coverage/", query_string={"year": year, "root": "Jansen"}))
    assert error_beside(page, "root").startswith("2 people match “Jansen”")
    assert "Employee ID Maria" not in page
