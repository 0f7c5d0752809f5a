from datetime import time

import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.sites.models import Site
from tests.imports_helpers import SITES, count, run_import

HEADER = "code,name,kind,timezone,region,seats,shift_start,shift_end\n"


def test_import_adds_sites_and_reimport_changes_nothing(runner, tmp_path):
    result = run_import(runner, tmp_path, "sites", SITES)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "2 added, 0 updated, 0 deactivated, 0 unchanged"
    helsinki = db.session.scalar(sa.select(Site).where(Site.code == "HEL-CC"))
    assert (helsinki.kind, helsinki.timezone, helsinki.seats) == ("contact_center", "Europe/Helsinki", 3)
    assert (helsinki.shift_start, helsinki.shift_end) == (time(9), time(17))
    again = run_import(runner, tmp_path, "sites", SITES)
    assert again.output.strip().splitlines()[-1] == "0 added, 0 updated, 0 deactivated, 2 unchanged"


def test_changed_sites_are_updated(runner, tmp_path):
    run_import(runner, tmp_path, "sites", SITES)
    result = run_import(runner, tmp_path, "sites", SITES.replace("Nordics,3,09:00,17:00", "Nordics,5,08:30,16:30"))
    assert result.output.strip().splitlines()[-1] == "0 added, 1 updated, 0 deactivated, 1 unchanged"
    db.session.expire_all()
    helsinki = db.session.scalar(sa.select(Site).where(Site.code == "HEL-CC"))
    assert (helsinki.seats, helsinki.shift_start) == (5, time(8, 30))


INVALID = [
    ("unknown time zone", HEADER + "X,X,warehouse,Europe/Atlantis,,3,,\n",
     "sites.csv, line 2, column timezone, value 'Europe/Atlantis': Unknown time zone"),
    ("bad HH:MM", HEADER + "X,X,contact_center,Europe/Helsinki,,3,9am,17:00\n",
     "sites.csv, line 2, column shift_start, value '9am': Not a time in the form HH:MM"),
    ("seats zero", HEADER + "X,X,warehouse,Europe/Helsinki,,0,,\n",
     "sites.csv, line 2, column seats, value '0': Seats: Must be a positive whole number."),
    ("seats fraction", HEADER + "X,X,warehouse,Europe/Helsinki,,2.5,,\n",
     "sites.csv, line 2, column seats, value '2.5': Seats: Must be a positive whole number."),
    ("end before start", HEADER + "X,X,contact_center,Europe/Helsinki,,3,17:00,09:00\n",
     "sites.csv, line 2, column shift_end, value '09:00': The shift ends before it starts (17:00)."),
    ("unknown kind", HEADER + "X,X,shop,Europe/Helsinki,,3,,\n",
     "sites.csv, line 2, column kind, value 'shop': Unknown kind: use contact_center or warehouse."),
    ("contact centre without hours", HEADER + "X,X,contact_center,Europe/Helsinki,,3,,\n",
     "sites.csv, line 2, column shift_start, value '': A contact centre needs shift_start (local HH:MM)."),
    ("duplicate code", HEADER + "X,X,warehouse,Europe/Helsinki,,3,,\nX,Y,warehouse,Europe/Helsinki,,3,,\n",
     "sites.csv, line 3, column code, value 'X': The site code is used twice: already on line 2."),
    ("code with a slash", HEADER + "HEL/CC,X,warehouse,Europe/Helsinki,,3,,\n",
     "sites.csv, line 2, column code, value 'HEL/CC': A site code uses only letters, digits"),
    ("missing required column", "code,name,kind,seats\nX,X,warehouse,3\n",
     "sites.csv, line 1, column timezone: The required column timezone is missing from the header."),
    ("not UTF-8", b"code,name,kind,timezone,seats\nX,Z\xfcrich,warehouse,Europe/Zurich,3\n",
     "sites.csv, line 2: The file is not UTF-8 text"),
    ("empty file", b"", "The file is empty"),
]


@pytest.mark.parametrize("text, message", [case[1:] for case in INVALID], ids=[case[0] for case in INVALID])
def test_each_invalid_sites_file_is_refused_and_nothing_is_written(runner, tmp_path, text, message):
    result = run_import(runner, tmp_path, "sites", text)
    assert result.exit_code == 1
    assert message in result.output
    assert count(Site) == 0
