"""``observations export`` and ``problems export``: columns, formats, drafts left out, and that the two agree."""
from __future__ import annotations

import csv
import io
import json

import pytest

from rotation.extensions import db
from rotation.observations.export import COLUMNS as OBSERVATION_COLUMNS
from rotation.problems.export import COLUMNS as PROBLEM_COLUMNS
from tests.fixtures.insights import observe, problem_in, second
from tests.helpers import count_queries

OBSERVATION_HEADER = ["id", "status", "submitted_at", "author_employee_id", "author_email", "shift_uid", "shift_kind",
                      "site", "shift_start", "area", "kind", "title", "severity", "frequency", "customer_minutes",
                      "customer_visible", "andon", "problem_id", "problem_status", "seconds"]
PROBLEM_HEADER = ["id", "title", "area", "owner_email", "status", "severity", "safety", "pain_score", "due_on",
                  "overdue", "created_at", "closed_at", "duplicate_of", "observations", "reporters", "seconders",
                  "verification_metric", "countermeasure_type"]


@pytest.fixture
def world(insights_world):
    """The company of the insights tests: five problems, a duplicate, and observations in every status."""
    return insights_world


def run(runner, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def csv_rows(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def as_csv(value) -> str:
    """How a JSON value is written as a CSV cell."""
    return "" if value is None else str(value)


def exported(runner, group: str) -> tuple[list[str], list[dict], list[dict]]:
    """The header and rows of one export as CSV, and its rows as JSON."""
    header, rows = csv_rows(run(runner, group, "export"))
    return header, rows, json.loads(run(runner, group, "export", "--format", "json"))


# --- Columns --------------------------------------------------------------------------------------------------

def test_the_columns_are_exactly_the_contracts_in_order(runner, world):
    assert list(OBSERVATION_COLUMNS) == OBSERVATION_HEADER and list(PROBLEM_COLUMNS) == PROBLEM_HEADER
    header, _rows, objects = exported(runner, "observations")
    assert header == OBSERVATION_HEADER
    assert all(list(row) == OBSERVATION_HEADER for row in objects)
    header, _rows, objects = exported(runner, "problems")
    assert header == PROBLEM_HEADER
    assert all(list(row) == PROBLEM_HEADER for row in objects)


def test_an_observation_row_carries_its_shift_author_area_and_problem(runner, world):
    _, rows, objects = exported(runner, "observations")
    p1 = world["problems"][0]
    first = rows[0]  # ann's refund observation, the first filed
    assert first == {
        "id": first["id"], "status": "triaged", "submitted_at": "2027-03-01T12:30:15+00:00",
        "author_employee_id": "E001", "author_email": "ann@example.com", "shift_uid": world["shifts"]["ann"].uid,
        "shift_kind": "customer_service", "site": "HEL-CC", "shift_start": "2027-03-01T09:00:00+02:00",
        "area": "Customer service › Refunds", "kind": "blocked", "title": "Seen on the floor", "severity": "3",
        "frequency": "hourly", "customer_minutes": "6", "customer_visible": "yes", "andon": "yes",
        "problem_id": str(p1.id), "problem_status": "triaged", "seconds": "1"}
    cai = next(row for row in objects if row["author_email"] == "cai@example.com" and row["kind"] == "waste")
    # A warehouse week starts on its first day; unknown visibility is empty; two people said "me too".
    assert (cai["shift_kind"], cai["site"], cai["shift_start"], cai["customer_visible"], cai["customer_minutes"],
            cai["andon"], cai["seconds"]) == ("warehouse", "TMP-WH", "2027-03-01", None, None, "no", 2)
    unlinked = next(row for row in objects if row["title"] == "Waiting for triage")
    assert (unlinked["status"], unlinked["problem_id"], unlinked["problem_status"]) == ("submitted", None, None)


def test_drafts_are_left_out_and_every_other_status_is_in(runner, world):
    _, rows, _ = exported(runner, "observations")
    assert "Half written" not in {row["title"] for row in rows}
    assert {row["status"] for row in rows} == {"submitted", "triaged", "declined"}
    assert len(rows) == 9  # seven linked, one waiting for triage, one declined
    assert [int(row["id"]) for row in rows] == sorted(int(row["id"]) for row in rows)


def test_a_problem_row_carries_owner_pain_and_counts(runner, world):
    _, _rows, objects = exported(runner, "problems")
    p1, p2, p3, p4, p5, p6 = world["problems"]
    by_id = {row["id"]: row for row in objects}
    assert by_id[p1.id] == {
        "id": p1.id, "title": "Refunds wait for a supervisor", "area": "Customer service › Refunds",
        "owner_email": "olli@example.com", "status": "triaged", "severity": 3, "safety": "no", "pain_score": 691.2,
        "due_on": p1.due_on.isoformat(), "overdue": "yes", "created_at": "2027-03-02T08:00:00+00:00",
        "closed_at": None, "duplicate_of": None, "observations": 2, "reporters": 3, "seconders": 1,
        "verification_metric": None, "countermeasure_type": None}
    assert (by_id[p2.id]["overdue"], by_id[p2.id]["pain_score"], by_id[p2.id]["reporters"]) == ("no", 64.0, 2)
    assert (by_id[p3.id]["owner_email"], by_id[p3.id]["pain_score"], by_id[p3.id]["seconders"]) == (None, 384.0, 2)
    # Closed long past its due date is not overdue.
    assert {key: by_id[p5.id][key] for key in ("status", "safety", "overdue", "closed_at", "verification_metric",
                                                 "countermeasure_type", "pain_score")} == {
        "status": "verified", "safety": "yes", "overdue": "no", "closed_at": "2027-04-01T09:00:00+00:00",
        "verification_metric": "Cuts a month", "countermeasure_type": "eliminate", "pain_score": 50.0}
    assert (by_id[p6.id]["status"], by_id[p6.id]["duplicate_of"], by_id[p6.id]["observations"],
            by_id[p6.id]["reporters"]) == ("duplicate", p1.id, 0, 0)
    assert by_id[p4.id]["title"] == "<i>Typo</i> on the packing slip"
    assert [row["id"] for row in objects] == [problem.id for problem in world["problems"]]


# --- Agreement ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("group", ["observations", "problems"])
def test_csv_and_json_say_the_same(runner, world, group):
    _header, rows, objects = exported(runner, group)
    assert len(rows) == len(objects)
    for row, item in zip(rows, objects, strict=True):
        assert row == {key: as_csv(value) for key, value in item.items()}


def test_the_two_exports_agree(runner, world):
    observations = json.loads(run(runner, "observations", "export", "--format", "json"))
    problems = {row["id"]: row for row in json.loads(run(runner, "problems", "export", "--format", "json"))}
    for observation in observations:
        if observation["problem_id"] is not None:
            problem = problems[observation["problem_id"]]
            assert observation["problem_status"] == problem["status"]
    for problem_id, problem in problems.items():
        linked = [row for row in observations if row["problem_id"] == problem_id]
        assert problem["observations"] == len(linked)
        assert problem["seconders"] == sum(row["seconds"] for row in linked)
        assert problem["reporters"] >= min(1, len(linked))


# --- Bad input, empty database, queries -----------------------------------------------------------------------

@pytest.mark.parametrize("group", ["observations", "problems"])
def test_a_bad_format_exits_non_zero_with_a_sentence(runner, group):
    result = runner.invoke(args=[group, "export", "--format", "xml"])
    assert result.exit_code != 0
    assert "Invalid value for '--format': 'xml' is not one of 'csv', 'json'." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("group, header", [("observations", OBSERVATION_HEADER), ("problems", PROBLEM_HEADER)])
def test_an_empty_database_prints_just_the_header(runner, group, header):
    assert run(runner, group, "export") == ",".join(header) + "\n"
    assert json.loads(run(runner, group, "export", "--format", "json")) == []


def test_the_help_says_drafts_are_left_out(runner):
    assert "Drafts are left out" in run(runner, "observations", "export", "--help")


@pytest.mark.parametrize("group", ["observations", "problems"])
def test_the_exports_run_the_same_queries_however_many_rows(runner, world, group):
    with count_queries() as few:
        run(runner, group, "export")
    shifts, areas = world["shifts"], world["areas"]
    for number in range(12):
        problem = problem_in(areas["returns"], f"Problem {number}", 1 + number % 5, number - 6)
        observation = observe(shifts["bo"], areas["returns"], "contact", problem=problem, frequency="weekly")
        second(observation, shifts["dina"])
    db.session.commit()
    with count_queries() as many:
        output = run(runner, group, "export")
    assert len(output.splitlines()) > 12
    assert len(many) == len(few) <= 6, many


def test_problems_export_reads_in_batches(runner, world, monkeypatch):
    import rotation.problems.export as export

    monkeypatch.setattr(export, "BATCH", 2)
    objects = json.loads(run(runner, "problems", "export", "--format", "json"))
    assert [row["id"] for row in objects] == [problem.id for problem in world["problems"]]
    assert sum(row["observations"] for row in objects) == 7


@pytest.mark.parametrize("group", ["observations", "problems"])
def test_a_title_a_spreadsheet_would_run_is_written_as_text(runner, world, group):
    """Titles are typed by any manager or owner: in the CSV a formula gets a leading apostrophe; JSON is as typed."""
    import sqlalchemy as sa

    from rotation.observations.models import DRAFT, Observation
    from rotation.problems.models import Problem

    model = Observation if group == "observations" else Problem
    statement = sa.select(model).order_by(model.id)
    if model is Observation:
        statement = statement.where(Observation.status != DRAFT)
    target = db.session.scalars(statement).first()
    target.title = '=HYPERLINK("http://evil.example","Open")'
    db.session.commit()
    _, rows, objects = exported(runner, group)
    cell = next(row["title"] for row in rows if row["id"] == str(target.id))
    assert cell == '\'=HYPERLINK("http://evil.example","Open")'
    assert next(row["title"] for row in objects if row["id"] == target.id) == target.title


def test_every_csv_the_app_writes_defuses_formulas():
    from rotation.exports import defused

    for text in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert defused(text) == "'" + text
    assert defused("Helsinki") == "Helsinki" and defused(-5) == -5 and defused(None) is None
