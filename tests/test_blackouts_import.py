import pytest
import sqlalchemy as sa

from rotation.blackouts.models import Blackout
from rotation.extensions import db
from tests.imports_helpers import PEOPLE, SITES, count, run_import

HEADER = "employee_id,site,start,end,reason\n"
BLACKOUTS = HEADER + ("E2,,2027-07-01,2027-07-31,Parental leave\n"
                      ",TMP-WH,2027-12-20,2027-12-31,Peak season\n"
                      ",,2027-12-24,2027-12-26,Company holiday\n")


@pytest.fixture
def roster(runner, tmp_path):
    assert run_import(runner, tmp_path, "sites", SITES).exit_code == 0
    assert run_import(runner, tmp_path, "people", PEOPLE).exit_code == 0


def test_import_adds_blackouts_of_all_three_kinds(runner, tmp_path, roster):
    result = run_import(runner, tmp_path, "blackouts", BLACKOUTS)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "3 added, 0 updated, 0 deactivated, 0 unchanged"
    scopes = {b.reason: b.scope for b in db.session.scalars(sa.select(Blackout))}
    assert scopes == {"Parental leave": "person", "Peak season": "site", "Company holiday": "company"}


def test_reimport_changes_nothing_and_a_new_reason_updates(runner, tmp_path, roster):
    run_import(runner, tmp_path, "blackouts", BLACKOUTS)
    again = run_import(runner, tmp_path, "blackouts", BLACKOUTS)
    assert again.output.strip().splitlines()[-1] == "0 added, 0 updated, 0 deactivated, 3 unchanged"
    changed = run_import(runner, tmp_path, "blackouts", BLACKOUTS.replace("Peak season", "Stock count"))
    assert changed.output.strip().splitlines()[-1] == "0 added, 1 updated, 0 deactivated, 2 unchanged"
    assert count(Blackout) == 3


INVALID = [
    ("bad date", HEADER + "E2,,2027-02-30,2027-03-01,\n",
     "blackouts.csv, line 2, column start, value '2027-02-30': Not a real calendar date."),
    ("not a date", HEADER + "E2,,1.7.2027,2027-07-31,\n",
     "blackouts.csv, line 2, column start, value '1.7.2027': Not a date in the form YYYY-MM-DD."),
    ("end before start", HEADER + "E2,,2027-07-31,2027-07-01,\n",
     "blackouts.csv, line 2, column end, value '2027-07-01': The blackout ends before it starts (2027-07-31)."),
    ("unknown person", HEADER + "E99,,2027-07-01,2027-07-02,\n",
     "blackouts.csv, line 2, column employee_id, value 'E99': No person in the roster has this employee id."),
    ("unknown site", HEADER + ",OSL-CC,2027-07-01,2027-07-02,\n",
     "blackouts.csv, line 2, column site, value 'OSL-CC': No site has this code."),
    ("person and site", HEADER + "E2,TMP-WH,2027-07-01,2027-07-02,\n",
     "blackouts.csv, line 2, column site, value 'TMP-WH': Give either employee_id"),
    ("missing column", "employee_id,start\nE2,2027-07-01\n",
     "blackouts.csv, line 1, column end: The required column end is missing from the header."),
    ("empty", b"\xef\xbb\xbf\n\n", "The file is empty"),
]


@pytest.mark.parametrize("text, message", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_each_invalid_blackouts_file_is_refused_and_nothing_is_written(runner, tmp_path, roster, text, message):
    result = run_import(runner, tmp_path, "blackouts", text)
    assert result.exit_code == 1
    assert message in result.output
    assert count(Blackout) == 0


def test_one_bad_row_stops_the_good_ones_too(runner, tmp_path, roster):
    result = run_import(runner, tmp_path, "blackouts", BLACKOUTS + "E2,,2027-13-01,2027-07-31,\n")
    assert result.exit_code == 1
    assert "line 5, column start" in result.output
    assert count(Blackout) == 0
