"""The date-sensitive tests pass at any hour in any time zone: they run again here under pinned clocks.

Each clock is the last minute of a year, local time, on one side of the date line, with the process's time
zone set to match (``tests/fixtures/clock.py``), ticking on from there:

- Pacific/Kiritimati (UTC+14), from 23:59:55: UTC is the morning of 31 December. Five seconds in,
  local midnight passes and the local date is New Year's Day of the next year while the app's (UTC) is not.
- Etc/GMT+12 (UTC−12), from 23:59: UTC is already midday on New Year's Day while the local date is still
  31 December.

Any test that reads the server's local date, or computes "today" when its module is imported, fails here.
The tests marked ``dates`` (observation windows, reminders, My rotation, attendance, change requests, plan
years, the forms' date range, feeds, coverage) run in a fresh pytest on SQLite, one process per clock.
Runs under CI, or when ROTATION_CLOCK_TESTS is set.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fixtures.clock import CLOCK_VARIABLE, parse_clock

ROOT = Path(__file__).resolve().parents[1]
CLOCKS = (
    "2027-12-31T23:59:55 Pacific/Kiritimati",
    "2027-12-31T23:59 Etc/GMT+12",
)
# What the run of the outer suite says about itself, which the inner run must not inherit: the database
# server (these tests run on SQLite; the clock is Python's), xdist's worker and pytest's options.
NOT_INHERITED = ("TEST_DATABASE_URL", "CI", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER",
                 "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")

pytestmark = [
    pytest.mark.skipif(not (os.environ.get("CI") or os.environ.get("ROTATION_CLOCK_TESTS")),
                       reason="runs under CI, or with ROTATION_CLOCK_TESTS=1"),
    pytest.mark.skipif(bool(os.environ.get(CLOCK_VARIABLE)), reason="already running under a pinned clock"),
]


@pytest.mark.parametrize("clock", CLOCKS)
def test_the_date_sensitive_tests_pass_at_the_last_minute_of_the_year(clock, tmp_path):
    zone = parse_clock(clock)[1].key
    environment = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    environment.update({CLOCK_VARIABLE: clock, "TZ": zone})
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "dates", "-k", "not postgresql", "-p", "no:xdist",
         "-p", "no:cacheprovider", "-q", "--tb=short", f"--basetemp={tmp_path / 'inner'}"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    output = result.stdout + result.stderr
    summary = output.strip().splitlines()[-1] if output.strip() else "no output"
    print(f"{clock}: {summary} ({took:.0f} s)")
    assert result.returncode == 0, f"under the clock {clock} (TZ={zone}):\n{output}"
