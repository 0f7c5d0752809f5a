"""The annual plan's acceptance tests: generated companies planned through the commands HR uses.

Each test imports a company from ``tests/company_generator.py`` with ``sites
import``, ``people import`` and ``blackouts import``, generates the year's slots,
runs ``plan --year Y --format json`` and reads the result back with ``assignments
export``. ``check_hard_rules`` then judges the export against the generated input
alone, without the engine or the database: seats, blackouts, one shift of each
kind or a reason, different ISO weeks, the department cap, and nobody planned
who is not in the rotation. The re-planning tests change the company the way HR
does during a year and compare the exports before and after.
"""
from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.plans.models import PlanRun
from tests.company_generator import CONTACT_CENTER, WAREHOUSE, BlackoutRow, Company, make_company
from tests.fixtures.clock import next_year

# A future year, so no slot of it is history yet: the whole year is open to the plan.
CUSTOMER_SERVICE = "customer_service"
KINDS = (CUSTOMER_SERVICE, WAREHOUSE)
EXPORT_HEADER = "employee_id,email,kind,site,start,end,status,uid,sequence"


# --- Running the commands -----------------------------------------------------------------------


def invoke(runner, *args: str):
    """Run a command as HR would; it must succeed."""
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, f"{' '.join(args)} failed:\n{result.output}"
    return result


def import_file(runner, tmp_path, kind: str, text: str, *options: str) -> None:
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    invoke(runner, kind, "import", str(path), *options)


def import_company(runner, tmp_path, company: Company) -> None:
    """Sites, the roster that still lists the leavers, today's roster (which deactivates them), blackouts,
    then the year's slots."""
    import_file(runner, tmp_path, "sites", company.sites_csv())
    import_file(runner, tmp_path, "people", company.people_csv(include_left=True))
    import_file(runner, tmp_path, "people", company.people_csv(), "--deactivate-missing")
    import_file(runner, tmp_path, "blackouts", company.blackouts_csv())
    invoke(runner, "slots", "generate", "--year", str(next_year()))


def plan(runner, *options: str) -> dict:
    """``plan --year Y --format json`` and its report; the progress bar goes to standard error."""
    return json.loads(invoke(runner, "plan", "--year", str(next_year()), "--format", "json", *options).stdout)


def export(runner) -> list[dict]:
    return json.loads(invoke(runner, "assignments", "export", "--year", str(next_year()), "--format", "json").stdout)


def active(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row["status"] != "cancelled"]


def by_uid(rows: list[dict]) -> dict[str, dict]:
    return {row["uid"]: row for row in rows}


# --- Judging an export from the generated input alone -------------------------------------------


@dataclass(frozen=True)
class Shift:
    """An export row read back: the local days it covers and its ISO week."""

    row: dict
    days: tuple[date, ...]

    @property
    def employee_id(self) -> str:
        return self.row["employee_id"]

    @property
    def kind(self) -> str:
        return self.row["kind"]

    @property
    def week(self) -> tuple[int, int]:
        iso = self.days[0].isocalendar()
        return iso.year, iso.week


def read_shift(company: Company, row: dict) -> Shift:
    """Check an export row's form and read its days.

    A customer-service day carries the site's UTC offset on that date and its local
    hours; its local day is the day of ``start``. A warehouse week runs Monday to
    Friday, ``end`` inclusive.
    """
    site = company.site(row["site"])
    person = company.person(row["employee_id"])
    assert row["email"] == person.email.lower(), row
    if row["kind"] == CUSTOMER_SERVICE:
        assert site.kind == CONTACT_CENTER, row
        start, end = datetime.fromisoformat(row["start"]), datetime.fromisoformat(row["end"])
        zone = ZoneInfo(site.timezone)
        assert start.utcoffset() == start.astimezone(zone).utcoffset(), f"{row} is not in {site.timezone}"
        assert end.utcoffset() == end.astimezone(zone).utcoffset(), f"{row} is not in {site.timezone}"
        assert (start.time(), end.time(), end.date()) == (site.shift_start, site.shift_end, start.date()), row
        assert start.weekday() < 5, f"{row} is on a weekend"
        days: tuple[date, ...] = (start.date(),)
    else:
        assert row["kind"] == WAREHOUSE and site.kind == WAREHOUSE, row
        start_day, end_day = date.fromisoformat(row["start"]), date.fromisoformat(row["end"])
        assert start_day.weekday() == 0 and end_day == start_day + timedelta(days=4), f"{row} is not Monday–Friday"
        days = tuple(start_day + timedelta(days=offset) for offset in range(5))
    assert days[0].year == next_year(), f"{row} starts outside {next_year()}"
    return Shift(row, days)


def shifts_of(company: Company, rows: list[dict]) -> list[Shift]:
    """The active (not cancelled) rows of an export, read back."""
    return [read_shift(company, row) for row in active(rows)]


def blackout_on(company: Company, shift: Shift) -> BlackoutRow | None:
    """A blackout that covers a day of ``shift``: the person's own, their home site's, the shift's site's
    or the company's."""
    for blackout in company.blackouts_for(shift.employee_id, shift.row["site"]):
        if any(blackout.covers(day) for day in shift.days):
            return blackout
    return None


def check_hard_rules(company: Company, report: dict, rows: list[dict]) -> None:
    """Every hard rule of the plan (docs/contracts.md), judged from the generated input, the plan's JSON report
    and the export's rows."""
    shifts = shifts_of(company, rows)
    assert len({row["uid"] for row in rows}) == len(rows), "a uid is used twice"
    check_seats(company, shifts)
    for shift in shifts:
        assert blackout_on(company, shift) is None, f"{shift.row} is inside {blackout_on(company, shift)}"
    check_everyone_once_or_unplaced(company, report, shifts)
    weeks: dict[str, dict[str, tuple[int, int]]] = {}
    for shift in shifts:
        weeks.setdefault(shift.employee_id, {})[shift.kind] = shift.week
    for employee_id, of_person in weeks.items():
        assert len(set(of_person.values())) == len(of_person), f"{employee_id} has both shifts in one ISO week"
    on_shift = Counter((company.person(shift.employee_id).department, shift.week) for shift in shifts)
    for (department, week), count in on_shift.items():
        cap = company.weekly_cap(department)
        assert count <= cap, f"{department} has {count} people on a shift in ISO week {week}; its cap is {cap}"
    exported = {kind: sum(shift.kind == kind for shift in shifts) for kind in KINDS}
    assert report["assigned"] == exported, f"the plan reports {report['assigned']}, the export holds {exported}"


def check_seats(company: Company, shifts: list[Shift]) -> None:
    taken = Counter((shift.row["site"], shift.row["start"]) for shift in shifts)
    for (code, start), count in taken.items():
        seats = company.site(code).seats
        assert count <= seats, f"{code} on {start} has {count} people for {seats} seats"


def check_everyone_once_or_unplaced(company: Company, report: dict, shifts: list[Shift]) -> None:
    """Each person in the rotation has one active shift of each kind or is reported unplaced for it with
    a reason, never both and never neither; nobody else has an active shift or is reported."""
    rotation = company.in_rotation()
    held = Counter((shift.employee_id, shift.kind) for shift in shifts)
    unplaced = Counter((entry["employee_id"], entry["kind"]) for entry in report["unplaced"])
    assert all(entry["reason"].strip() for entry in report["unplaced"]), report["unplaced"]
    assert {employee_id for employee_id, _ in held} <= rotation, "someone outside the rotation is planned"
    assert {employee_id for employee_id, _ in unplaced} <= rotation, "someone outside the rotation is reported"
    for employee_id in rotation:
        for kind in KINDS:
            key = (employee_id, kind)
            assert (held[key], unplaced[key]) in {(1, 0), (0, 1)}, \
                f"{employee_id} has {held[key]} active {kind} shifts and is reported unplaced {unplaced[key]} times"


# --- A published plan ---------------------------------------------------------------------------


@dataclass
class Published:
    company: Company
    report: dict
    rows: list[dict]


@pytest.fixture
def published(runner, tmp_path) -> Published:
    """A company of 220 people, planned and published."""
    company = make_company(seed=7, year=next_year(), people=220)
    import_company(runner, tmp_path, company)
    report = plan(runner, "--publish")
    rows = export(runner)
    check_hard_rules(company, report, rows)
    return Published(company, report, rows)


# --- The first plan ------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "people"), [(1, 400), (2, 260)])
def test_every_hard_rule_holds_in_the_exported_plan(runner, tmp_path, seed, people):
    company = make_company(seed=seed, year=next_year(), people=people)
    assert company.depth() >= 6 and company.left
    assert {bool(b.employee_id) + 2 * bool(b.site) for b in company.blackouts} == {0, 1, 2}, "all three kinds"
    import_company(runner, tmp_path, company)

    report = plan(runner, "--publish")
    rows = export(runner)

    check_hard_rules(company, report, rows)
    assert rows and all(row["status"] == "published" and row["sequence"] == 0 for row in rows)
    assert {row["employee_id"] for row in rows} <= company.in_rotation()
    chief = company.chief.employee_id
    assert chief in company.in_rotation()
    assert sorted(row["kind"] for row in rows if row["employee_id"] == chief) == sorted(KINDS)
    whole_year = {b.employee_id for b in company.blackouts
                  if b.employee_id and b.start <= date(next_year(), 1, 1) and b.end >= date(next_year(), 12, 31)}
    assert whole_year and whole_year <= company.in_rotation()
    assert {(entry["employee_id"], entry["kind"]) for entry in report["unplaced"]} >= {
        (employee_id, kind) for employee_id in whole_year for kind in KINDS}


def test_the_csv_export_has_the_contract_header_and_the_same_rows(runner, published):
    text = invoke(runner, "assignments", "export", "--year", str(next_year()), "--format", "csv").stdout
    assert text.splitlines()[0] == EXPORT_HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{key: str(value) for key, value in row.items()} for row in published.rows]


# --- Planning again -----------------------------------------------------------------------------


def test_planning_an_untouched_company_again_moves_nobody(runner, published):
    again = plan(runner)
    assert again["moved"] == 0 and again["kept"] == len(published.rows)
    assert again["unplaced"] == published.report["unplaced"]
    assert export(runner) == published.rows

    plan(runner, "--publish")
    assert export(runner) == published.rows, "publishing an unchanged plan changed assignments"


def new_blackouts(company: Company, rows: list[dict]) -> list[BlackoutRow]:
    """Over some published shifts: two people's customer-service days, a day of someone's warehouse week,
    two days at the site of another warehouse week, and a company day on a third customer-service day."""
    rng = random.Random(3)
    shifts = shifts_of(company, rows)
    days = rng.sample([shift for shift in shifts if shift.kind == CUSTOMER_SERVICE], 3)
    weeks = rng.sample([shift for shift in shifts if shift.kind == WAREHOUSE], 2)
    return [
        BlackoutRow(days[0].days[0], days[0].days[0], employee_id=days[0].employee_id, reason="Surgery"),
        BlackoutRow(days[1].days[0] - timedelta(days=1), days[1].days[0] + timedelta(days=1),
                    employee_id=days[1].employee_id, reason="Conference"),
        BlackoutRow(weeks[0].days[2], weeks[0].days[2], employee_id=weeks[0].employee_id, reason="Jury duty"),
        BlackoutRow(weeks[1].days[1], weeks[1].days[2], site=weeks[1].row["site"], reason="Fire drill"),
        BlackoutRow(days[2].days[0], days[2].days[0], reason="Strike"),
    ]


def test_new_blackouts_move_exactly_the_shifts_they_hit(runner, tmp_path, published):
    company, before = published.company, published.rows
    added = new_blackouts(company, before)
    import_file(runner, tmp_path, "blackouts", company.blackouts_csv(added))
    company.blackouts.extend(added)
    hit = {shift.row["uid"] for shift in shifts_of(company, before) if blackout_on(company, shift)}
    assert len(hit) >= len(added)
    assert export(runner) == before, "a blackout changed assignments before the plan ran again"

    report = plan(runner, "--publish")
    after = by_uid(export(runner))

    assert report["moved"] == len(hit)
    assert after.keys() == by_uid(before).keys()
    for row in before:
        now = after[row["uid"]]
        if row["uid"] in hit:
            assert now["sequence"] == 1 and now["status"] == "published", now
            assert (now["employee_id"], now["kind"]) == (row["employee_id"], row["kind"])
            assert (now["site"], now["start"]) != (row["site"], row["start"]), now
        else:
            assert now == row, "a shift no new blackout touches was changed"
    check_hard_rules(company, report, list(after.values()))


def test_newcomers_are_placed_and_nobody_else_moves(runner, tmp_path, published):
    company, before = published.company, published.rows
    rotation = company.in_rotation()
    newcomers = company.hire(seed=5, count=6)
    import_file(runner, tmp_path, "people", company.people_csv())
    joined = company.in_rotation() - rotation
    # The six people without reports the newcomers now report to, and the three put in the rotation outright.
    assert joined == {person.manager_id for person in newcomers} | {
        person.employee_id for person in newcomers if person.in_rotation == "yes"}
    assert len(joined) == 9

    report = plan(runner, "--publish")
    after = export(runner)

    assert report["moved"] == 0
    old = by_uid(before)
    assert [row for row in after if row["uid"] in old] == before, "someone already planned was changed"
    new = [row for row in after if row["uid"] not in old]
    assert sorted((row["employee_id"], row["kind"]) for row in new) == sorted(
        (employee_id, kind) for employee_id in joined for kind in KINDS)
    assert all(row["status"] == "published" and row["sequence"] == 0 for row in new)
    check_hard_rules(company, report, after)


def leavers_who_change_nothing_else(company: Company, rows: list[dict], count: int) -> list[str]:
    """People with both shifts whose leaving takes nobody else out of the rotation and lowers no department's
    weekly cap: after they leave, the plan has no reason to touch anyone else."""
    rotation = company.in_rotation()
    caps = {department: company.weekly_cap(department) for department in company.rotation_sizes()}
    planned = Counter(row["employee_id"] for row in rows)
    chosen: list[str] = []
    for employee_id in sorted(employee_id for employee_id, shifts in planned.items() if shifts == 2):
        if employee_id == company.chief.employee_id:
            continue
        company.leave([*chosen, employee_id])
        unchanged = (company.in_rotation() == rotation - {*chosen, employee_id}
                     and all(company.weekly_cap(department) == cap for department, cap in caps.items()))
        company.left -= {*chosen, employee_id}
        if unchanged:
            chosen.append(employee_id)
        if len(chosen) == count:
            return chosen
    raise AssertionError("the generated company has too few people who could leave without side effects")


def test_leavers_shifts_are_cancelled_at_the_import_and_nobody_else_moves(runner, tmp_path, published):
    company, before = published.company, published.rows
    leavers = leavers_who_change_nothing_else(company, before, count=3)
    company.leave(leavers)

    import_file(runner, tmp_path, "people", company.people_csv(), "--deactivate-missing")
    after_import = export(runner)

    expected = [{**row, "status": "cancelled", "sequence": 1} if row["employee_id"] in leavers else row
                for row in before]
    assert after_import == expected, "a leaver's future shifts should be cancelled by the import itself"

    report = plan(runner, "--publish")
    assert report["moved"] == 0
    assert export(runner) == after_import
    check_hard_rules(company, report, after_import)


# --- Not enough seats -----------------------------------------------------------------------------


def test_a_tight_company_reports_everyone_it_cannot_place_with_a_reason(runner, tmp_path):
    company = make_company(seed=21, year=next_year(), people=160, tight=True)
    import_company(runner, tmp_path, company)

    report = plan(runner, "--publish")
    rows = export(runner)

    check_hard_rules(company, report, rows)
    rotation = company.in_rotation()
    unplaced = Counter(entry["kind"] for entry in report["unplaced"])
    for kind in KINDS:
        assert report["assigned"][kind] + unplaced[kind] == len(rotation)
    assert report["assigned"][WAREHOUSE] <= open_warehouse_seats(company) < len(rotation)
    held = {(row["employee_id"], row["kind"]) for row in active(rows)}
    for entry in report["unplaced"]:
        assert entry["reason"].strip() and (entry["employee_id"], entry["kind"]) not in held


def open_warehouse_seats(company: Company) -> int:
    """Seats in the warehouse weeks of the year that no company or site blackout touches."""
    monday = date(next_year(), 1, 1) + timedelta(days=-date(next_year(), 1, 1).weekday() % 7)
    seats = 0
    while monday.year == next_year():
        week = [monday + timedelta(days=offset) for offset in range(5)]
        for site in company.sites:
            closed = [b for b in company.blackouts if not b.employee_id and b.site in {"", site.code}]
            if site.kind == WAREHOUSE and not any(b.covers(day) for b in closed for day in week):
                seats += site.seats
        monday += timedelta(days=7)
    return seats


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "exit_code", "message"), [
    ((), 1, lambda: f"{next_year()} has no slots yet"),  # the planned year, read when the test runs
    (("--year", "1999"), 1, "out of range"),
    (("--format", "xml"), 2, "Invalid value for '--format'"),
])
def test_plan_refuses_bad_input_with_a_sentence_and_writes_nothing(runner, tmp_path, options, exit_code, message):
    message = message() if callable(message) else message
    company = make_company(seed=4, year=next_year(), people=60)
    import_file(runner, tmp_path, "sites", company.sites_csv())
    import_file(runner, tmp_path, "people", company.people_csv())

    result = runner.invoke(args=["plan", "--year", str(next_year()), *options])

    assert result.exit_code == exit_code
    assert message in result.output and "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanRun)) == 0
    assert export(runner) == []
