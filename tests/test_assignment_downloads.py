"""HR's "Download CSV" on the Assignments page: the same bytes as ``assignments export`` with the same filters,
every page of the rows the filters select, streamed, for HR only; and every list's download is streamed."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest
from flask import request

from rotation.assignments.models import CANCELLED, DRAFT
from tests.fixtures.shifts import assign, day, next_year, slot_at
from tests.helpers import count_queries

ASSIGNMENT_HEADER = "employee_id,email,kind,site,start,end,status,uid,sequence"


@pytest.fixture
def company(five_managers):
    return five_managers


@pytest.fixture
def streamed(app):
    """Whether each response the app sent was streamed (a generator, not a body held in memory), by path."""
    seen: dict[str, bool] = {}

    def record(response):
        seen[request.path] = response.is_streamed
        return response

    app.after_request(record)
    return seen


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
def shifts(company):
    """Ann's draft day in Helsinki and her warehouse week marked for re-planning, Bo's day in Tallinn and Cai's
    cancelled day in Helsinki."""
    ann, bo, cai = company["managers"][:3]
    return {"ann_day": assign(ann, slot_at("HEL-CC", day(10)), status=DRAFT),
            "ann_week": assign(ann, slot_at("TMP-WH", day(12)), needs_replan=True),
            "bo_day": assign(bo, slot_at("TLL-CC", day(14, 3))),
            "cai_day": assign(cai, slot_at("HEL-CC", day(16)), status=CANCELLED)}


# --- Assignments ----------------------------------------------------------------------------------------------

FILTERS = [  # the page's query, the command's options, and whose assignments they select
    ("", [], ["E100", "E100", "E101", "E102"]),
    ("status=draft", ["--status", "draft"], ["E100"]),
    ("status=cancelled", ["--status", "cancelled"], ["E102"]),
    ("status=replan", ["--status", "replan"], ["E100"]),
    ("kind=warehouse", ["--kind", "warehouse"], ["E100"]),
    ("site=HEL-CC", ["--site", "HEL-CC"], ["E100", "E102"]),
    ("q=berg", ["--search", "berg"], ["E101"]),
    ("q=E102", ["--search", "E102"], ["E102"]),
    ("site=TLL-CC&kind=customer_service&q=ann", ["--site", "TLL-CC", "--kind", "customer_service", "--search", "ann"],
     []),
]


@pytest.mark.parametrize("query, options, selected", FILTERS, ids=[query or "no filter" for query, *_ in FILTERS])
def test_the_assignments_download_is_the_commands_file_for_the_same_filters(client, runner, login_as, shifts,
                                                                            query, options, selected):
    login_as("hr")
    page = client.get(f"/assignments/?year={next_year()}&{query}").get_data(as_text=True)
    if selected:
        url = download_link(page)
    else:  # nothing to download: the page offers no link, the address still answers with the header
        assert "Download CSV" not in page
        url = f"/assignments/export.csv?year={next_year()}&{query}"
    response = client.get(url)
    assert response.status_code == 200
    assert [row["employee_id"] for row in rows_of(response.data)] == selected
    assert response.data == command(runner, "assignments", "export", "--year", str(next_year()), *options)


def test_the_assignments_download_has_the_columns_and_values_of_the_export(client, login_as, company, shifts):
    login_as("hr")
    data = client.get(f"/assignments/export.csv?year={next_year()}&q=ann").data
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == ASSIGNMENT_HEADER and lines[-1] == ""
    day_shift, week = shifts["ann_day"], shifts["ann_week"]
    # Helsinki is UTC+02:00 in March; a warehouse week is its first and last day.
    assert lines[1:3] == [
        f"E100,e100@example.com,customer_service,HEL-CC,{day(10)}T09:00:00+02:00,{day(10)}T17:00:00+02:00,draft,"
        f"{day_shift.uid},{day_shift.sequence}",
        f"E100,e100@example.com,warehouse,TMP-WH,{day(12)},{day(12, 5)},published,{week.uid},{week.sequence}"]
    assert len(lines) == 4


def test_the_download_has_every_page_of_the_filtered_assignments(client, login_as, company, make_person):
    """The page shows 50; the download all 55 of the filter, and none it leaves out."""
    ann = company["managers"][0]
    for number in range(55):
        person = make_person(f"X{number:03d}", full_name=f"Xavier {number:03d}")
        assign(person, slot_at("TLL-CC", day(1 + number % 50)))
    assign(ann, slot_at("HEL-CC", day(10)))
    login_as("hr")
    page = client.get(f"/assignments/?year={next_year()}&site=TLL-CC").get_data(as_text=True)
    assert "Showing 1–50 of 55 assignments." in page
    rows = rows_of(client.get(download_link(page)).data)
    assert [row["employee_id"] for row in rows] == [f"X{number:03d}" for number in range(55)]


def test_the_assignments_download_is_a_streamed_attachment(client, login_as, shifts):
    login_as("hr")
    with count_queries() as answering:
        response = client.get(f"/assignments/export.csv?year={next_year()}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f'attachment; filename="assignments-{next_year()}.csv"'
    with count_queries() as sending:
        data = response.data
    # The download starts with the header; the rows are read while the file is sent, not before it.
    assert not any("FROM assignment" in statement for statement in answering)
    assert any("FROM assignment" in statement for statement in sending)
    assert len(rows_of(data)) == 4


@pytest.mark.parametrize("page, url, role", [
    ("/assignments/", "/assignments/export.csv", "hr"), ("/people", "/people/export.csv", "hr"),
    ("/observations/areas", "/observations/areas/export.csv", "owner"),
    ("/problems/", "/problems/export.csv", "manager")])
def test_every_download_is_streamed_and_its_page_is_not(client, login_as, streamed, page, url, role):
    login_as(role)
    download = client.get(url)
    assert download.status_code == 200 and download.data
    assert client.get(page).status_code == 200
    assert (streamed[url], streamed[page]) == (True, False)


@pytest.mark.parametrize("roles, status", [
    ((), 302),  # signed out: to the log-in page
    (("manager",), 403), (("owner",), 403), (("admin",), 403), (("manager", "owner", "admin"), 403),
    (("hr",), 200)])
def test_only_hr_downloads_the_assignments(client, login_as, company, roles, status):
    if roles:
        login_as(*roles)
    response = client.get("/assignments/export.csv")
    assert response.status_code == status
    assert response.data.startswith(b"employee_id,") == (status == 200)


def test_an_unknown_site_is_refused_by_the_command_and_selects_nothing_on_the_page(client, runner, login_as,
                                                                                      shifts):
    result = runner.invoke(args=["assignments", "export", "--year", str(next_year()), "--site", "NOPE"])
    assert result.exit_code == 1 and "No site has the code NOPE." in result.output
    assert "Traceback" not in result.output
    login_as("hr")
    data = client.get(f"/assignments/export.csv?year={next_year()}&site=NOPE").data
    assert data == (ASSIGNMENT_HEADER + "\n").encode()
