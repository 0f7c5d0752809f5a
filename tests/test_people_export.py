"""``people export`` and HR's "Download CSV" on the People page: the roster's columns, a file that re-imports
unchanged, the same bytes from the page and the command for the same filters, every page, for HR only."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest

PEOPLE_HEADER = "employee_id,full_name,email,department,manager_id,home_site,in_rotation,active,rotation_member"


def command(runner, *args: str) -> bytes:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def download_link(page_html: str) -> str:
    """The address of a list page's "Download CSV" link."""
    match = re.search(r'<a href="([^"]+)" download>Download CSV</a>', page_html)
    assert match, "the page has no Download CSV link"
    return html.unescape(match.group(1))


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


@pytest.fixture
def roster(make_person, make_site):
    site = make_site(code="HEL-CC")
    ceo = make_person(employee_id="E1", full_name="Carla Esposito", department="Executive", home_site=site)
    maria = make_person(employee_id="E2", full_name="Maria Jansen", department="Operations", manager=ceo)
    make_person(employee_id="E3", full_name="Anna Worker", department="Operations", manager=maria)
    make_person(employee_id="E4", full_name="Ben Expert", department="Finance", manager=ceo, in_rotation=True)
    make_person(employee_id="E5", full_name="Lea Left", department="Finance", manager=ceo, active=False)
    make_person(employee_id="E6", full_name="Nora Notin", department="Finance", manager=ceo, in_rotation=False)


PEOPLE_FILTERS = [  # the page's query, the command's options, and whom they select
    ("", [], ["E1", "E2", "E3", "E4", "E6"]),
    ("active=no", ["--active", "no"], ["E5"]),
    ("active=any", ["--active", "any"], ["E1", "E2", "E3", "E4", "E5", "E6"]),
    ("in_rotation=yes", ["--in-rotation", "yes"], ["E1", "E2", "E4"]),
    ("in_rotation=no&active=any", ["--in-rotation", "no", "--active", "any"], ["E3", "E5", "E6"]),
    ("q=finance", ["--search", "finance"], ["E4", "E6"]),
    ("q=E3", ["--search", "E3"], ["E3"]),
]


@pytest.mark.parametrize("query, options, selected", PEOPLE_FILTERS,
                         ids=[query or "no filter" for query, *_ in PEOPLE_FILTERS])
def test_the_people_download_is_the_commands_file_for_the_same_filters(client, runner, login_as, roster,
                                                                       query, options, selected):
    login_as("hr")
    page = client.get(f"/people?{query}").get_data(as_text=True)
    response = client.get(download_link(page))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="people.csv"'
    assert [row["employee_id"] for row in rows_of(response.data)] == selected
    assert response.data == command(runner, "people", "export", *options)


def test_the_people_export_has_the_roster_columns_and_who_is_in_the_rotation(runner, roster):
    data = command(runner, "people", "export", "--active", "any")
    lines = data.decode("utf-8").splitlines()
    assert lines == [
        PEOPLE_HEADER,
        "E1,Carla Esposito,e1@example.com,Executive,,HEL-CC,,yes,yes",
        "E2,Maria Jansen,e2@example.com,Operations,E1,,,yes,yes",  # the rule: Anna reports to her
        "E3,Anna Worker,e3@example.com,Operations,E2,,,yes,no",
        "E4,Ben Expert,e4@example.com,Finance,E1,,yes,yes,yes",  # HR's yes
        "E5,Lea Left,e5@example.com,Finance,E1,,,no,no",
        "E6,Nora Notin,e6@example.com,Finance,E1,,no,yes,no",  # HR's no
    ]
    assert [row["employee_id"] for row in rows_of(command(runner, "people", "export"))] == [
        "E1", "E2", "E3", "E4", "E6"]  # active people unless told otherwise


def test_the_people_export_re_imports_without_a_change(runner, roster, tmp_path):
    exported = tmp_path / "people.csv"
    exported.write_bytes(command(runner, "people", "export"))
    result = runner.invoke(args=["people", "import", str(exported)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "0 added, 0 updated, 0 deactivated, 5 unchanged"


def test_the_people_download_has_every_page(client, login_as, make_person):
    for number in range(60):
        make_person(f"P{number:03d}", department="Logistics")
    make_person("Q001", department="Sales")
    login_as("hr")
    page = client.get("/people?q=logistics").get_data(as_text=True)
    assert "Showing 1–50 of 60 people." in page
    rows = rows_of(client.get(download_link(page)).data)
    assert [row["employee_id"] for row in rows] == [f"P{number:03d}" for number in range(60)]


def test_a_name_a_spreadsheet_would_run_is_text_in_the_download_and_the_command(client, runner, login_as,
                                                                                  make_person):
    make_person("E1", full_name='=HYPERLINK("http://evil.example","Open")', department="+Sales")
    login_as("hr")
    data = client.get("/people/export.csv").data
    assert data == command(runner, "people", "export")
    row = rows_of(data)[0]
    assert (row["full_name"], row["department"]) == ('\'=HYPERLINK("http://evil.example","Open")', "'+Sales")


def test_the_people_command_refuses_a_bad_choice_with_a_sentence(runner):
    result = runner.invoke(args=["people", "export", "--active", "maybe"])
    assert result.exit_code != 0
    assert "Invalid value for '--active': 'maybe' is not one of 'yes', 'no', 'any'." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("roles, status", [
    ((), 302),  # signed out: to the log-in page
    (("manager",), 403), (("owner",), 403), (("admin",), 403), (("manager", "owner", "admin"), 403),
    (("hr",), 200)])
def test_only_hr_downloads_the_roster(client, login_as, roster, roles, status):
    if roles:
        login_as(*roles)
    response = client.get("/people/export.csv")
    assert response.status_code == status
    assert response.data.startswith(b"employee_id,") == (status == 200)
