import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.people.models import Person, in_rotation_expression
from tests.imports_helpers import PEOPLE, SITES, count, run_import

HEADER = "employee_id,full_name,email,department,manager_id,home_site,in_rotation\n"


@pytest.fixture
def sites(runner, tmp_path):
    assert run_import(runner, tmp_path, "sites", SITES).exit_code == 0


def roster() -> dict[str, tuple]:
    db.session.expire_all()
    manager = sa.orm.aliased(Person)
    rows = db.session.execute(
        sa.select(Person.employee_id, Person.email, Person.department, manager.employee_id, Person.is_active,
                  in_rotation_expression())
        .outerjoin(manager, Person.manager_id == manager.id)
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_import_adds_people_with_their_managers_and_home_sites(runner, tmp_path, sites):
    result = run_import(runner, tmp_path, "people", PEOPLE)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "4 added, 0 updated, 0 deactivated, 0 unchanged"
    people = roster()
    assert people["E2"] == ("maria@example.com", "Operations", "E1", True, True)
    assert people["E1"][2] is None  # the chief executive has no manager


def test_default_in_rotation_rule_and_its_overrides(runner, tmp_path, sites):
    text = (PEOPLE
            + "E5,Lone Manager,lone@example.com,Sales,E1,,no\n"
            "E6,Team Lead,lead@example.com,Sales,E1,,\n"
            "E7,Report,rep@example.com,Sales,E6,,\n")
    assert run_import(runner, tmp_path, "people", text).exit_code == 0
    in_rotation = {employee: row[4] for employee, row in roster().items()}
    assert in_rotation == {
        "E1": True,   # people report to the chief executive
        "E2": True,   # Anna reports to Maria
        "E3": False,  # nobody reports to Anna
        "E4": True,   # HR says yes though nobody reports to Ben
        "E5": False,  # HR says no
        "E6": True,
        "E7": False,
    }


def test_default_rule_ignores_reports_who_left(runner, tmp_path, sites):
    assert run_import(runner, tmp_path, "people", PEOPLE).exit_code == 0
    without_anna = PEOPLE.replace("E3,Anna Worker,anna@example.com,Operations,E2,,\n", "")
    assert run_import(runner, tmp_path, "people", without_anna, "--deactivate-missing").exit_code == 0
    assert roster()["E2"][4] is False  # Maria's only report has left


def test_reimporting_the_same_file_changes_nothing(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    before = roster()
    result = run_import(runner, tmp_path, "people", PEOPLE)
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1] == "0 added, 0 updated, 0 deactivated, 4 unchanged"
    assert roster() == before


def test_changed_rows_are_updated(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    changed = PEOPLE.replace("E3,Anna Worker,anna@example.com,Operations,E2",
                             "E3,Anna Worker,Anna.W@Example.com,Finance,E4")
    result = run_import(runner, tmp_path, "people", changed)
    assert result.output.strip().splitlines()[-1] == "0 added, 1 updated, 0 deactivated, 3 unchanged"
    assert roster()["E3"][:3] == ("anna.w@example.com", "Finance", "E4")


def test_addresses_can_move_between_people_in_one_file(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    swapped = PEOPLE.replace("maria@example.com", "SWAP").replace("anna@example.com", "maria@example.com") \
                    .replace("SWAP", "anna@example.com")
    result = run_import(runner, tmp_path, "people", swapped)
    assert result.exit_code == 0, result.output
    assert roster()["E2"][0] == "anna@example.com" and roster()["E3"][0] == "maria@example.com"


def test_deactivate_missing_deactivates_leavers_only_when_asked(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    without_ben = PEOPLE.replace("E4,Ben Expert,ben@example.com,Finance,E1,,yes\n", "")
    result = run_import(runner, tmp_path, "people", without_ben)
    assert result.output.strip().splitlines()[-1] == "0 added, 0 updated, 0 deactivated, 3 unchanged"
    assert roster()["E4"][3] is True
    result = run_import(runner, tmp_path, "people", without_ben, "--deactivate-missing")
    assert result.output.strip().splitlines()[-1] == "0 added, 0 updated, 1 deactivated, 3 unchanged"
    assert roster()["E4"][3] is False
    # Coming back reactivates.
    result = run_import(runner, tmp_path, "people", PEOPLE)
    assert result.output.strip().splitlines()[-1] == "0 added, 1 updated, 0 deactivated, 3 unchanged"
    assert roster()["E4"][3] is True


def test_dry_run_writes_nothing(runner, tmp_path, sites):
    result = run_import(runner, tmp_path, "people", PEOPLE, "--dry-run")
    assert result.exit_code == 0
    assert "Dry run: nothing was written." in result.output
    assert result.output.strip().splitlines()[-1] == "4 added, 0 updated, 0 deactivated, 0 unchanged"
    assert count(Person) == 0


def test_byte_order_mark_any_header_case_and_order_extra_columns_and_blank_lines(runner, tmp_path, sites):
    text = ("\ufeffEMAIL,Full_Name,Employee_ID,Department,Notes\n"
            "ceo@example.com,Carla,E1,Executive,ignored\n\n"
            "x@example.com,Xavier,E2,Executive,\n")
    result = run_import(runner, tmp_path, "people", text)
    assert result.exit_code == 0, result.output
    assert set(roster()) == {"E1", "E2"}


INVALID = [
    ("missing required column", "employee_id,full_name,email\nE1,A,a@example.com\n",
     "people.csv, line 1, column department: The required column department is missing from the header."),
    ("duplicate employee id", HEADER + "E1,A,a@example.com,Ops,,,\nE1,B,b@example.com,Ops,,,\n",
     "people.csv, line 3, column employee_id, value 'E1': The employee id is used twice: already on line 2."),
    ("duplicate email ignoring case", HEADER + "E1,A,a@example.com,Ops,,,\nE2,B,A@Example.com,Ops,,,\n",
     "people.csv, line 3, column email, value 'A@Example.com': "
     "The e-mail address is used twice (ignoring case): already on line 2 for E1."),
    ("malformed email", HEADER + "E1,A,a-at-example.com,Ops,,,\n",
     "people.csv, line 2, column email, value 'a-at-example.com': Not a valid e-mail address"),
    ("unknown manager", HEADER + "E1,A,a@example.com,Ops,E9,,\n",
     "people.csv, line 2, column manager_id, value 'E9': "
     "This manager id is found neither in the file nor in the roster."),
    ("reporting cycle",
     HEADER + "E1,A,a@example.com,Ops,E3,,\n"
              "E2,B,b@example.com,Ops,E1,,\n"
              "E3,C,c@example.com,Ops,E2,,\n",
     "people.csv, line 2, column manager_id, value 'E3': "
     "Reporting cycle: E1 → E3 → E2 → E1. Line managers must lead up to someone who has none."),
    ("own manager", HEADER + "E1,A,a@example.com,Ops,E1,,\n",
     "people.csv, line 2, column manager_id, value 'E1': A person cannot be their own line manager."),
    ("unknown home site", HEADER + "E1,A,a@example.com,Ops,,OSL-CC,\n",
     "people.csv, line 2, column home_site, value 'OSL-CC': Unknown home site"),
    ("unknown in_rotation", HEADER + "E1,A,a@example.com,Ops,,,maybe\n",
     "people.csv, line 2, column in_rotation, value 'maybe': Unknown value: use yes, no, or leave it empty"),
    ("missing value", HEADER + "E1,,a@example.com,Ops,,,\n",
     "people.csv, line 2, column full_name, value '': A value is required in full_name."),
    ("not UTF-8", (HEADER + "E1,J\xf6rg,a@example.com,Ops,,,\n").encode("latin-1"),
     "people.csv, line 2: The file is not UTF-8 text: byte F6 at line 2 cannot be read."),
    ("a NUL in a name", HEADER + "E1,Ann\x00Smith,a@example.com,Ops,,,\n",
     "people.csv, line 2, column full_name, value 'Ann\\x00Smith': Remove a NUL character from this value."),
    ("a line break in a name", HEADER + 'E1,"Ann\nBcc: x@example.com",a@example.com,Ops,,,\n',
     "people.csv, line 2, column full_name, value 'Ann\\nBcc: x@example.com': Remove a line break from this value."),
    ("empty file", "", "people.csv, The file is empty"),
    ("header only", HEADER, "people.csv, The file has a header line but no rows."),
]


@pytest.mark.parametrize("text, message", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_each_invalid_file_is_refused_with_its_line_and_nothing_is_written(runner, tmp_path, sites, text, message):
    result = run_import(runner, tmp_path, "people", text)
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing was imported" in result.output
    assert "Traceback" not in result.output
    assert count(Person) == 0


def test_every_problem_is_reported_at_once(runner, tmp_path, sites):
    text = HEADER + "E1,A,bad-address,Ops,,,\nE2,B,b@example.com,Ops,E9,,\nE3,C,c@example.com,Ops,,NOPE,maybe\n"
    result = run_import(runner, tmp_path, "people", text)
    lines = [line for line in result.output.splitlines() if line.startswith("people.csv, line")]
    assert [line.split(",")[1].strip() for line in lines] == ["line 2", "line 3", "line 4", "line 4"]
    assert "4 problems found" in result.output


def test_email_taken_by_someone_outside_the_file_is_refused(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    result = run_import(runner, tmp_path, "people", HEADER + "E9,New,maria@example.com,Ops,,,\n")
    assert result.exit_code == 1
    assert "line 2, column email, value 'maria@example.com': The e-mail address already belongs to E2" in result.output
    assert count(Person) == 4


def test_manager_may_come_from_the_roster(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    result = run_import(runner, tmp_path, "people", HEADER + "E9,New,new@example.com,Ops,E2,,\n")
    assert result.exit_code == 0, result.output
    assert roster()["E9"][2] == "E2"


def test_cycle_through_people_already_in_the_roster(runner, tmp_path, sites):
    run_import(runner, tmp_path, "people", PEOPLE)
    # E1 (in the file) would report to E3, who reports to E2, who reports to E1 in the roster.
    result = run_import(runner, tmp_path, "people", HEADER + "E1,Carla,ceo@example.com,Executive,E3,,\n")
    assert result.exit_code == 1
    assert "Reporting cycle: E1 → E3 → E2 → E1" in result.output


def test_unreadable_path_is_a_sentence(runner):
    result = runner.invoke(args=["people", "import", "/no/such/people.csv"])
    assert result.exit_code != 0
    assert "Cannot read /no/such/people.csv" in result.output
