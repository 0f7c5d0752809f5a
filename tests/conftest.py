"""Fixtures shared by every test.

Each test runs on SQLite; when ``TEST_DATABASE_URL`` names a PostgreSQL server
it runs there as well, in a database created for the run and dropped after it.
Browser tests drive Debian's Chromium. Without PostgreSQL or Chromium those
tests are skipped with the reason, except under CI, where that fails the run.
"""
from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from rotation import create_app
from rotation.extensions import db

pytest_plugins = ["tests.browser_fixtures", "tests.fixtures.clock"]

ENVIRONMENT_SETTINGS = (
    "DATABASE_URL", "SECRET_KEY", "ROTATION_BASE_URL", "ROTATION_MAIL_FROM", "ROTATION_SMTP_HOST",
    "ROTATION_SMTP_PORT", "ROTATION_SMTP_USER", "ROTATION_SMTP_PASSWORD", "ROTATION_SMTP_SECURITY",
    "ROTATION_PROXIES", "ROTATION_REMINDER_DAYS", "ROTATION_OBSERVATION_DAYS", "ROTATION_EVIDENCE_DIR",
)
PASSWORD = "correct horse battery"


def required_or_skip(reason: str):
    """Skip, or fail under CI where everything the suite needs must be present."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required when CI is set)", pytrace=False)
    pytest.skip(reason)


def migrate(url: str) -> None:
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "migrate", "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def postgresql_database(server_url: str):
    """A new, empty database on the server of ``server_url``; dropped afterwards."""
    url = sa.make_url(server_url)
    name = f"{url.database or 'rotation_test'}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        required_or_skip(f"PostgreSQL at {url.host}:{url.port} is not reachable: {error.orig}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated database for the whole run, on each backend in turn."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'rotation.sqlite3'}"
        migrate(url)
        yield url
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        required_or_skip("PostgreSQL tests need TEST_DATABASE_URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/rotation_test")
    with postgresql_database(server) as url:
        migrate(url)
        yield url


@pytest.fixture
def make_app(database_url, tmp_path, monkeypatch):
    """Builds apps on the test database; each test starts with empty tables."""
    for name in ENVIRONMENT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    built = []

    def build(**overrides):
        config = {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SERVER_NAME": None,
        }
        config.update(overrides)
        app = create_app(config)
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        # The map's areas point at each other; SQLite checks that row by row as they go.
        connection.execute(sa.text("UPDATE process_area SET parent_id = NULL"))
        # A merged problem points at the one it was merged into: it goes first.
        connection.execute(sa.text("DELETE FROM observation"))
        connection.execute(sa.text("DELETE FROM problem WHERE duplicate_of_id IS NOT NULL"))
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def run_jobs(app):
    """Does what the background worker would: runs every queued job, in order; returns their outcomes."""
    from rotation.jobs.queue import run_pending

    return lambda: run_pending(worker="test-worker")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def next_page_url(html: str) -> str:
    """The address of a list page's "Next" link."""
    match = re.search(r'<a href="([^"]+)" rel="next">', html)
    assert match, "the page has no link to a next page"
    return match.group(1).replace("&amp;", "&")


@pytest.fixture
def post_form(client):
    """POST a form the way a browser does: fetch the page, then send it with its CSRF token."""

    def post(url: str, data: dict, page: str | None = None, **kwargs):
        token = csrf_token(client.get(page or url).get_data(as_text=True))
        return client.post(url, data={"csrf_token": token, **data}, **kwargs)

    return post


@pytest.fixture
def make_user(app):
    """Creates an account (committed) and returns it."""
    from rotation.accounts.services import save_user

    counter = iter(range(1, 10_000))

    def make(roles=("manager",), email: str | None = None, password: str | None = PASSWORD,
             name: str | None = None, enabled: bool = True):
        email = email or f"user{next(counter)}@example.com"
        user, _ = save_user(email, list(roles), password, name)
        user.is_enabled = enabled
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client, post_form, make_user):
    """Signs the test client in as a new account holding ``roles``; returns the account."""

    def login(*roles: str, **kwargs):
        user = make_user(roles=roles or ("manager",), **kwargs)
        response = post_form("/login", {"email": user.email, "password": kwargs.get("password", PASSWORD)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@contextmanager
def count_queries():
    """Counts the SQL statements run inside the block: ``with count_queries() as queries``."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def make_site(app):
    """Creates a site (committed); defaults give a Helsinki contact centre."""
    from datetime import time

    from rotation.sites.models import Site

    counter = iter(range(1, 10_000))

    def make(code: str | None = None, kind: str = "contact_center", timezone: str = "Europe/Helsinki",
             seats: int = 2, region: str | None = "Nordics", name: str | None = None,
             shift_start: time | None = time(9, 0), shift_end: time | None = time(17, 0)):
        code = code or f"S{next(counter):03d}"
        if kind == "warehouse" and shift_start == time(9, 0):
            shift_start = shift_end = None
        site = Site(code=code, name=name or f"Site {code}", kind=kind, timezone=timezone, seats=seats,
                    region=region, shift_start=shift_start, shift_end=shift_end)
        db.session.add(site)
        db.session.commit()
        return site

    return make


@pytest.fixture
def make_person(app):
    """Creates a roster person (committed)."""
    from rotation.people.models import Person

    counter = iter(range(1, 100_000))

    def make(employee_id: str | None = None, full_name: str | None = None, email: str | None = None,
             department: str = "Operations", manager=None, home_site=None, in_rotation: bool | None = None,
             active: bool = True):
        number = next(counter)
        employee_id = employee_id or f"E{number:05d}"
        person = Person(employee_id=employee_id, full_name=full_name or f"Person {employee_id}",
                        email=(email or f"{employee_id.lower()}@example.com").lower(), department=department,
                        manager=manager, home_site=home_site, in_rotation_override=in_rotation,
                        is_active=active)
        db.session.add(person)
        db.session.commit()
        return person

    return make


@pytest.fixture
def make_blackout(app):
    """Creates a blackout (committed) for a person, a site, or (neither given) the company."""
    from rotation.blackouts.models import Blackout

    def make(start, end=None, person=None, site=None, reason: str = ""):
        blackout = Blackout(start=start, end=end or start, person=person, site=site, reason=reason)
        db.session.add(blackout)
        db.session.commit()
        return blackout

    return make


def outbox_of(assignment_id: int) -> list[tuple[str, int, str]]:
    """The outbox messages of one assignment, oldest first: (purpose, sequence, status)."""
    from rotation.outbox.models import OutboxMessage

    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.purpose, OutboxMessage.sequence, OutboxMessage.status)
        .where(OutboxMessage.assignment_id == assignment_id).order_by(OutboxMessage.id))]


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
