"""Coverage: figures checked against a small company worked out by hand, scopes, access, CSV, query counts."""
from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, timedelta

import pytest

from rotation.assignments.models import COMPLETED, PUBLISHED
from rotation.coverage import standing
from rotation.coverage.scope import Scope, is_in_organisation
from rotation.sites.models import CUSTOMER_SERVICE, WAREHOUSE_WEEK
from tests.fixtures.coverage import YEAR, book, slot
from tests.helpers import count_queries

TODAY = date(2031, 6, 15)  # mid-year: March shifts are over, September ones to come
CS, WH = CUSTOMER_SERVICE, WAREHOUSE_WEEK


def counts(figures) -> dict[str, tuple[int, int, int]]:
    return {kind: (value.completed, value.booked, value.unbooked) for kind, value in figures.kinds.items()}


def test_company_figures_match_the_hand_count(org):
    result = standing.coverage(Scope(), YEAR, TODAY)
    assert result.total.people == 4  # Cleo, Ann, Bob, Dan
    # Customer service: completed Cleo; booked Bob (re-booked); unbooked Ann (no-show) and Dan (only cancelled).
    # Warehouse: completed Dan; booked Cleo (confirmed) and Ann (published, even though it is over);
    # unbooked Bob (a draft is not announced).
    assert counts(result.total) == {CS: (1, 1, 2), WH: (1, 2, 1)}
    assert result.total.kinds[WH].share(2) == 0.5
    by_department = {group.label: (group.people, counts(group)) for group in result.departments}
    assert by_department == {
        "Executive": (1, {CS: (1, 0, 0), WH: (0, 1, 0)}),   # Cleo
        "Operations": (1, {CS: (0, 0, 1), WH: (1, 0, 0)}),  # Dan; Eve is not in the rotation
        "Sales": (2, {CS: (0, 1, 1), WH: (0, 1, 1)}),       # Ann and Bob; Gus has left
    }
    assert result.organisations == []  # the company view has no single root


def test_an_organisation_is_split_by_direct_report(org):
    result = standing.coverage(Scope(org["cleo"]), YEAR, TODAY)
    assert result.total.people == 4
    rows = [(group.label, group.people, counts(group)) for group in result.organisations]
    assert rows == [
        ("Cleo Chief (own shifts)", 1, {CS: (1, 0, 0), WH: (0, 1, 0)}),
        ("Ann Aalto", 2, {CS: (0, 1, 1), WH: (0, 1, 1)}),   # Ann and Bob below her
        ("Dan Dahl", 1, {CS: (0, 0, 1), WH: (1, 0, 0)}),
    ]  # Eve heads no row: nobody in her part is in the rotation

    ann = standing.coverage(Scope(org["ann"]), YEAR, TODAY)
    assert ann.total.people == 2 and counts(ann.total) == {CS: (0, 1, 1), WH: (0, 1, 1)}
    assert [group.label for group in ann.organisations] == ["Ann Aalto (own shifts)", "Bob Berg"]
    assert is_in_organisation(org["bob"].id, org["cleo"].id)
    assert not is_in_organisation(org["cleo"].id, org["ann"].id)


@pytest.mark.dates
def test_overdue_people_and_why(org):
    overdue = {person.full_name: person.reasons for person in standing.overdue(Scope(), YEAR, TODAY)}
    assert overdue == {
        "Ann Aalto": ["Customer-service day: no-show, not re-booked", "Warehouse week: attendance not recorded"],
        "Bob Berg": ["Warehouse week: not booked"],         # only a draft
        "Dan Dahl": ["Customer-service day: not booked"],   # his only day was cancelled
    }  # Cleo is done or booked for both
    # Before the year begins nobody is late for being unbooked; a no-show or unrecorded shift still is.
    early = standing.overdue(Scope(), YEAR, date(2030, 12, 1))
    assert [row.full_name for row in early] == ["Ann Aalto"]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.dates
def test_hr_sees_the_company_and_can_look_at_one_organisation(client, login_as, org):
    login_as("hr")
    page = text(client.get(f"/coverage/?year={YEAR}"))
    assert "The whole company: everyone active and in the rotation." in page
    assert "Of 4 people in the rotation." in page
    assert '<td data-label="Department" class="group">Sales</td>' in page
    assert "Ann Aalto" in page and "Eve Ek" not in page
    assert f'href="/people/{org["ann"].id}"' in page  # HR reaches the person from the overdue list

    narrowed = text(client.get(f"/coverage/?year={YEAR}&root=E2"))
    assert "The organisation of Ann Aalto" in narrowed and "Of 2 people in the rotation." in narrowed
    unknown = client.get(f"/coverage/?year={YEAR}&root=NOPE")
    assert unknown.status_code == 200
    assert ('id="root-error" class="field-error">Nobody on the roster has the name, e-mail address or employee ID '
            '“NOPE”.') in text(unknown)
    assert client.get("/coverage/?year=banana").status_code == 200  # nonsense falls back to this year


def test_a_manager_sees_only_their_own_organisation(client, login_as, org):
    login_as("manager", email=org["ann"].email)
    page = text(client.get(f"/coverage/?year={YEAR}"))
    assert "The organisation of Ann Aalto: you and everyone below" in page
    assert "Of 2 people in the rotation." in page
    assert "Bob Berg" in page and "Cleo Chief" not in page and "Dan Dahl" not in page
    assert "/people/" not in page  # names only: the person pages are HR's
    assert client.get(f"/coverage/?year={YEAR}&root=E3").status_code == 200  # her direct report's part
    assert client.get(f"/coverage/?year={YEAR}&root=E1").status_code == 404  # above her
    assert client.get(f"/coverage/?year={YEAR}&root=E4").status_code == 404  # beside her
    assert client.get(f"/coverage/export.csv?year={YEAR}&root=E4").status_code == 404


def test_a_manager_without_reports_is_told_the_figures_are_their_own(client, login_as, org):
    login_as("manager", email=org["dan"].email)
    page = text(client.get(f"/coverage/?year={YEAR}"))
    assert "Nobody below you is in the rotation, so these figures are your own shifts only." in page
    assert "Of 1 person in the rotation." in page and "By direct report" not in page


def test_who_may_see_coverage(client, login_as, make_user):
    assert client.get("/coverage/").status_code == 302  # to the log-in page
    login_as("owner")
    assert client.get("/coverage/").status_code == 403
    assert client.get("/coverage/export.csv").status_code == 403


def test_a_manager_not_on_the_roster_gets_a_sentence(client, login_as, org):
    login_as("manager", email="stranger@example.com")
    page = text(client.get("/coverage/"))
    assert "Your account is not linked to anyone on the roster" in page
    assert client.get("/coverage/export.csv").status_code == 404


def test_the_csv_has_a_row_per_person_in_scope(client, login_as, org):
    login_as("hr")
    response = client.get(f"/coverage/export.csv?year={YEAR}")
    assert response.mimetype == "text/csv"
    assert f'filename="coverage-{YEAR}.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["employee_id", "full_name", "department", "manager_employee_id",
                       "customer_service_status", "customer_service_date", "customer_service_site",
                       "warehouse_status", "warehouse_first_day", "warehouse_last_day", "warehouse_site"]
    assert [row[0] for row in rows[1:]] == ["E1", "E4", "E2", "E3"]  # by department, then name
    # Bob's re-booked day stands, not his no-show; his warehouse week is still a draft.
    assert rows[4] == ["E3", "Bob Berg", "Sales", "E2", "published", "2031-09-02", "HEL-CC",
                       "draft", "2031-10-06", "2031-10-10", "TMP-WH"]
    assert rows[2][4:7] == ["unbooked", "", ""]  # Dan: his only day was cancelled

    ann = client.get(f"/coverage/export.csv?year={YEAR}&root=E2")
    assert [row[0] for row in csv.reader(io.StringIO(ann.get_data(as_text=True)))][1:] == ["E2", "E3"]


def test_a_spreadsheet_formula_in_a_name_is_defused(client, login_as, make_person):
    make_person("E9", "=HYPERLINK(1)", in_rotation=True)
    login_as("hr")
    body = client.get(f"/coverage/export.csv?year={YEAR}").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body


def test_the_page_costs_the_same_queries_for_a_bigger_company(client, login_as, make_person, org):
    login_as("hr")
    client.get(f"/coverage/?year={YEAR}")  # the first page after signing in also settles the account's roles
    with count_queries() as few:
        assert client.get(f"/coverage/?year={YEAR}&root=E1").status_code == 200
    for number in range(30):
        person = make_person(f"X{number:03d}", department=f"Team {number % 4}", manager=org["ann"], in_rotation=True)
        book(person, slot(org["cc"], date(2031, 2, 3) + timedelta(days=7 * (number % 20))), PUBLISHED)
        book(person, slot(org["wh"], date(2031, 5, 5) + timedelta(days=7 * (number % 20))), COMPLETED)
    with count_queries() as many:
        page = text(client.get(f"/coverage/?year={YEAR}&root=E1"))
    assert "Of 34 people in the rotation." in page
    # The account, the root, the tables' versions, the scope's people and their shifts, the heads of its
    # organisations, the page of overdue people, the load per site.
    assert len(few) == len(many) <= 9, many
    with count_queries() as kept:
        assert "Of 34 people in the rotation." in text(client.get(f"/coverage/?year={YEAR}&root=E1"))
    # Until the people or their shifts change, the figures, the overdue list and the load are kept: the
    # account, the root, the versions, the page of overdue people.
    assert len(kept) <= 5, kept


def test_many_departments_show_the_furthest_behind_and_list_all_on_their_own_page(client, login_as, make_person,
                                                                                  org):
    """With more departments than fit, the overview names the 20 with most people unbooked and links to all."""
    for number in range(30):
        for _ in range(1 + number % 3):
            person = make_person(department=f"Team {number:02d}", manager=org["dan"], in_rotation=True)
            if number % 3 == 0:
                book(person, slot(org["cc"], date(2031, 9, 2)), PUBLISHED)
    login_as("hr")
    page = text(client.get(f"/coverage/?year={YEAR}"))
    departments = re.findall(r'<td data-label="Department" class="group">([^<]+)</td>', page)
    assert len(departments) == 20 and "The 20 departments with the most people unbooked, of 33." in page
    # Three people (two kinds each) unbooked rank above two, above one booked for the day
    assert departments[:2] == ["Team 02", "Team 05"] and "Team 00" not in departments
    listing = text(client.get(f"/coverage/departments?year={YEAR}"))
    assert "Showing 1–33 of 33 departments." in listing
    listed = re.findall(r'<td data-label="Department" class="group">([^<]+)</td>', listing)
    assert len(listed) == 33 and listed[:2] == ["Team 02", "Team 05"]


def test_a_manager_lists_only_organisations_of_their_own(client, login_as, org):
    login_as("manager", email=org["ann"].email)
    mine = text(client.get(f"/coverage/organisations?year={YEAR}"))
    assert "Bob Berg" in mine and "Dan Dahl" not in mine
    assert client.get(f"/coverage/organisations?year={YEAR}&root=E4").status_code == 404
    assert client.get(f"/coverage/departments?year={YEAR}&root=E1").status_code == 404
