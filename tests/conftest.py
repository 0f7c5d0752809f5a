"""The suite's set-up: its fixtures are plugins in ``tests/fixtures/``, its helpers in ``tests/helpers.py``.

Each test runs on SQLite; when ``TEST_DATABASE_URL`` names a PostgreSQL server
it runs there as well, in a database created for the run and dropped after it.
Browser tests drive Debian's Chromium, and mailbox tests read a Dovecot IMAP server. Without
PostgreSQL, Chromium or Dovecot those tests are skipped with the reason, except under CI, where that
fails the run.
"""
from __future__ import annotations

import os

pytest_plugins = [
    "tests.fixtures.clock",  # first: the other plugins import its functions
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.people",
    "tests.fixtures.browser",
    "tests.fixtures.mail",
    "tests.fixtures.imap",
    "tests.fixtures.shifts",
    "tests.fixtures.attendance",
    "tests.fixtures.observations",
    "tests.fixtures.findings",
    "tests.fixtures.insights",
    "tests.fixtures.coverage",
    "tests.fixtures.schedule",
    "tests.fixtures.my_rotation",
    "tests.fixtures.person_page",
]


def pytest_collection_modifyitems(config, items):
    """Browser tests walk the pages as a user does; the database under those pages is tested on both backends
    by the page and service tests. With PostgreSQL at hand the walks run on it alone, production's database,
    which keeps the suite's time in check; without it they run on SQLite."""
    if not os.environ.get("TEST_DATABASE_URL"):
        return
    kept, dropped = [], []
    for item in items:
        on_sqlite = getattr(item, "callspec", None) is not None and \
            item.callspec.params.get("database_url") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("browser") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
