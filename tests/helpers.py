"""Plain helpers shared by the tests: importable, no fixtures (those are in ``tests/fixtures/``)."""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from rotation.extensions import db

# Every environment variable the app reads; each test starts without them.
ENVIRONMENT_SETTINGS = (
    "DATABASE_URL", "SECRET_KEY", "ROTATION_BASE_URL", "ROTATION_MAIL_FROM", "ROTATION_SMTP_HOST",
    "ROTATION_SMTP_PORT", "ROTATION_SMTP_USER", "ROTATION_SMTP_PASSWORD", "ROTATION_SMTP_SECURITY",
    "ROTATION_PROXIES", "ROTATION_REMINDER_DAYS", "ROTATION_OBSERVATION_DAYS", "ROTATION_EVIDENCE_DIR",
)
PASSWORD = "correct horse battery"

ARTIFACTS = Path(__file__).parent / ".artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def required_or_skip(reason: str):
    """Skip, or fail under CI where everything the suite needs must be present."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required when CI is set)", pytrace=False)
    pytest.skip(reason)


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def next_page_url(html: str) -> str:
    """The address of a list page's "Next" link."""
    match = re.search(r'<a href="([^"]+)" rel="next">', html)
    assert match, "the page has no link to a next page"
    return match.group(1).replace("&amp;", "&")


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


def outbox_of(assignment_id: int) -> list[tuple[str, int, str]]:
    """The outbox messages of one assignment, oldest first: (purpose, sequence, status)."""
    from rotation.outbox.models import OutboxMessage

    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.purpose, OutboxMessage.sequence, OutboxMessage.status)
        .where(OutboxMessage.assignment_id == assignment_id).order_by(OutboxMessage.id))]


# --- In the browser ---------------------------------------------------------------------------------------------

def artifacts_dir() -> Path:
    """Where this test process keeps its screenshots: ``tests/.artifacts/<xdist worker>/``, ``main`` without
    xdist, so parallel workers never write over each other's files."""
    folder = ARTIFACTS / os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(page, name: str) -> Path:
    """A full-page screenshot of ``page`` as ``<name>.png`` in this process's artifacts folder."""
    path = artifacts_dir() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def page_width(page) -> int:
    """How wide the page lays out, once its stylesheets have loaded (a page reached by a click may still be
    loading them)."""
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")


def settle_menu(page) -> None:
    """Waits until the menu is folded or unfolded for the page's current width: the page's script does it on load
    and again when the width changes, which it learns of at the next frame (a test that just resized the window
    would otherwise find a group still open from the phone width, about to close)."""
    page.wait_for_load_state("load")
    page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")


def menu_link(page, label: str):
    """The main menu's entry ``label``, made visible as a person would: the Menu button on a phone, then the
    entry's group (Roster, Plan, Follow-up, Improvement) on a wide screen. "News" is also "News, 2 unread"."""
    settle_menu(page)
    nav = page.get_by_role("navigation", name="Main")
    name = re.compile(rf"^{re.escape(label)}(,.*)?$")  # "News" is also "News, 2 unread"
    link = nav.get_by_role("link", name=name)
    if not link.is_visible():
        button = nav.get_by_role("button", name="Menu")
        if button.is_visible():
            button.click()
        if not link.is_visible():
            entry = page.get_by_role("link", name=name, include_hidden=True)  # in a closed group
            nav.locator("details.menu-group", has=entry).locator("summary").click()
    return link


def open_account_menu(page, name: str | None = None) -> None:
    """Opens the menu under the signed-in person's name (their account, password, signing out)."""
    settle_menu(page)
    nav = page.get_by_role("navigation", name="Main")
    summary = nav.get_by_text(name, exact=True) if name else nav.locator(".account-menu summary")
    if not summary.is_visible():
        nav.get_by_role("button", name="Menu").click()
    summary.click()
