""""Download CSV" on Observations in my areas and on Problems: the same bytes as ``observations export --owner``
and ``problems export`` with the page's filters, the same rows as the page lists on all its pages, streamed, and
only for those who may read the page."""
from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.observations.models import Observation
from rotation.process_map.models import AreaOwner
from tests.helpers import PASSWORD

OBSERVATION_HEADER = ("id,status,submitted_at,author_employee_id,author_email,shift_uid,shift_kind,site,shift_start,"
                      "area,kind,title,severity,frequency,customer_minutes,customer_visible,andon,problem_id,"
                      "problem_status,seconds")


@pytest.fixture
def world(insights_world):
    """The insights tests' company; Olli owns Customer service (Refunds and Returns below it)."""
    db.session.add(AreaOwner(area_id=insights_world["areas"]["service"].id, user_id=insights_world["olli"].id))
    db.session.commit()
    return insights_world


@pytest.fixture
def as_olli(client, post_form, world):
    """The test client signed in as Olli, the owner of Customer service and of problems P1 and P2."""
    response = post_form("/login", {"email": "olli@example.com", "password": PASSWORD})
    assert response.status_code == 302
    return world["olli"]


def command(runner, *args: str) -> bytes:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def download_link(page_html: str) -> str:
    match = re.search(r'<a href="([^"]+)" download>Download CSV</a>', page_html)
    assert match, "the page has no Download CSV link"
    return html.unescape(match.group(1))


def ids_of(data: bytes) -> list[int]:
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(data.decode("utf-8")))]


def listed(page_html: str, area: str) -> set[int]:
    """The ids a list page links to (``/observations/12``, ``/problems/3``)."""
    return {int(found) for found in re.findall(rf'href="/{area}/(\d+)"', page_html)}


# --- Observations in my areas ---------------------------------------------------------------------------------

def test_an_owner_downloads_what_their_areas_page_lists_as_the_command_writes_it(client, runner, as_olli, world):
    page = client.get("/observations/areas").get_data(as_text=True)
    response = client.get(download_link(page))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="observations.csv"'
    assert response.data == command(runner, "observations", "export", "--owner", "olli@example.com")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert set(ids_of(response.data)) == listed(page, "observations")
    # Refunds and Returns: two on P1, two on P2, one waiting for triage, one declined; the draft stays private.
    assert len(rows) == 6
    assert {row["area"] for row in rows} == {"Customer service › Refunds", "Customer service › Returns"}
    assert "Half written" not in {row["title"] for row in rows}


def test_an_owner_of_no_area_downloads_just_the_header(client, login_as, world):
    login_as("admin")  # an admin's page lists the areas the admin owns, like anyone's: none
    page = client.get("/observations/areas").get_data(as_text=True)
    assert "Download CSV" not in page
    assert client.get("/observations/areas/export.csv").data == (OBSERVATION_HEADER + "\n").encode()


@pytest.mark.parametrize("roles, status", [((), 302), (("hr",), 403), (("manager",), 403), (("owner",), 200)])
def test_only_owners_and_admins_download_observations(client, login_as, world, roles, status):
    if roles:
        login_as(*roles)
    response = client.get("/observations/areas/export.csv")
    assert response.status_code == status
    assert response.data.startswith(b"id,status,") == (status == 200)


def test_the_observations_command_names_an_unknown_owner(runner, world):
    result = runner.invoke(args=["observations", "export", "--owner", "nobody@example.com"])
    assert result.exit_code == 1 and "No account has the address nobody@example.com." in result.output
    assert "Traceback" not in result.output


# --- Problems -------------------------------------------------------------------------------------------------

PROBLEM_FILTERS = [  # the page's query, the command's options, and which of P1…P6 they select
    ("", ["--status", "open"], [1, 2, 3, 4]),
    ("status=closed", ["--status", "closed"], [5, 6]),
    ("status=all", [], [1, 2, 3, 4, 5, 6]),
    ("status=all&area={refunds}", ["--area", "Customer service › Refunds"], [1, 6]),
    ("status=open&area={warehouse}", ["--status", "open", "--area", "{warehouse}"], [3]),
    # Olli owns P1 and P2, and Customer service, where P6 (closed) is too.
    ("status=all&mine=1", ["--owner", "olli@example.com"], [1, 2, 6]),
]


@pytest.mark.parametrize("query, options, selected", PROBLEM_FILTERS,
                         ids=[query or "open" for query, *_ in PROBLEM_FILTERS])
def test_the_problems_download_is_the_commands_file_and_the_pages_rows(client, runner, as_olli, world, query,
                                                                        options, selected):
    areas = {name: area.id for name, area in world["areas"].items()}
    page = client.get(f"/problems/?{query.format(**areas)}").get_data(as_text=True)
    response = client.get(download_link(page))
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="problems.csv"'
    problems = world["problems"]
    assert ids_of(response.data) == [problems[number - 1].id for number in selected]
    assert set(ids_of(response.data)) == listed(page, "problems")
    assert response.data == command(runner, "problems", "export",
                                    *(option.format(**areas) for option in options))


@pytest.mark.parametrize("roles", [("manager",), ("hr",), ("owner",), ("admin",)])
def test_everyone_signed_in_downloads_the_problems_they_read(client, login_as, world, roles):
    assert client.get("/problems/export.csv").status_code == 302  # signed out: to the log-in page
    login_as(*roles)
    response = client.get("/problems/export.csv")
    assert response.status_code == 200
    assert len(ids_of(response.data)) == 4  # the open ones, as the list shows first


def test_titles_a_spreadsheet_would_run_are_text_in_both_downloads(client, runner, as_olli, world):
    problem = world["problems"][0]
    problem.title = '=HYPERLINK("http://evil.example","Open")'
    observation = db.session.scalar(sa.select(Observation).where(Observation.title == "Waiting for triage"))
    observation.title = "@SUM(A1:A9)"
    db.session.commit()
    problems = client.get("/problems/export.csv?status=all").data
    assert problems == command(runner, "problems", "export")
    assert b'\'=HYPERLINK(""http://evil.example"",""Open"")' in problems
    observations = client.get("/observations/areas/export.csv").data
    assert observations == command(runner, "observations", "export", "--owner", "olli@example.com")
    assert b",'@SUM(A1:A9)," in observations


def test_the_problems_command_names_an_unknown_area_or_owner(runner, world):
    for options, sentence in ((["--area", "Nowhere"], "No process area is called Nowhere"),
                              (["--owner", "nobody@example.com"], "No account has the address nobody@example.com.")):
        result = runner.invoke(args=["problems", "export", *options])
        assert result.exit_code == 1 and sentence in result.output, result.output
        assert "Traceback" not in result.output
    # An area's id, or its path with the spacing and case as typed, name the same area.
    refunds = world["areas"]["refunds"].id
    assert command(runner, "problems", "export", "--area", str(refunds)) == command(
        runner, "problems", "export", "--area", "customer service›refunds")
