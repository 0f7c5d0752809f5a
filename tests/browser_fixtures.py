"""A live server in a thread and Playwright driving Debian's Chromium against it."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("ROTATION_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / ".artifacts"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)  # assertions wait for a busy machine too
    from tests.conftest import required_or_skip

    if not Path(CHROMIUM).exists():
        required_or_skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """Serves ``app`` on a free local port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def worker(app):
    """The background worker's job loop in a thread, as ``flask --app rotation worker`` runs it; its log lines."""
    from rotation.jobs.worker import run_jobs

    stopping = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(target=run_jobs, args=(app, stopping),
                              kwargs={"poll": 0.2, "say": lines.append}, daemon=True)
    thread.start()
    yield lines
    stopping.set()
    thread.join(timeout=60)


@pytest.fixture
def page(chromium, live_server, request):
    """A fresh browser page at desktop size; ``page.base`` is the live server's address."""
    context = chromium.new_context(viewport=DESKTOP, base_url=live_server.url)
    # Generous: with one test process per core, a page may wait for a busy machine; a failure still fails.
    context.set_default_timeout(30_000)
    context.set_default_navigation_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.console_errors = errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


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
