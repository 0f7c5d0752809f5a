"""Every page each demo role reaches, checked in Chromium with axe-core and at phone width.

The pages are found, not listed: each role's pages are crawled from home through the links on them (one
page of each view), so a new page is covered without a new test. On each, axe-core (vendored from npm in
``tests/vendor/axe-core``) must find no serious or critical violation, and at 320 px, with every disclosure
opened, the page must not be wider than the screen. axe-core's target-size rule (WCAG 2.2, 2.5.8) is on.
"""
from __future__ import annotations

from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from rotation.demo.accounts import DEMO_PASSWORD
from tests.helpers import page_width, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
ROLES = {"hr": "hr@example.com", "manager": "manager@example.com", "owner": "owner@example.com",
         "admin": "admin@example.com", "ceo": "ceo@example.com", "visitor": None}
MOST_PAGES = 45
# The narrowest phone screen in use (an iPhone SE's first generation, small Androids): 320 CSS px.
NARROWEST = {"width": 320, "height": 640}
# Links that end the walk's session or leave HTML behind.
LEAVE_ALONE = ("/logout", ".ics", ".csv", "/download", "/export")
REPORTED = ("serious", "critical")


def view_of(app, path: str) -> str | None:
    try:
        rule, _ = app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except (NotFound, MethodNotAllowed):
        return None
    return rule


def violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")  # not a <script>: the CSP allows none inline
    found = page.evaluate("""async () => {
        // WCAG 2.2's target size (2.5.8, 24 by 24 CSS px) is off in axe-core by default: on here.
        const result = await axe.run(document, {resultTypes: ["violations"], rules: {"target-size": {enabled: true}}});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [f"{item['impact']} {item['id']}: {item['help']} ({', '.join(item['nodes'])})"
            for item in found if item["impact"] in REPORTED]


def narrow_phone_problems(page, state: str) -> list[str]:
    """What is wrong with the page as it is now at the narrowest phone width: every state counts, so with each
    disclosure opened it must still fit the screen, and axe-core must find nothing serious."""
    page.wait_for_load_state("load")
    page.eval_on_selector_all("details", "all => all.forEach(element => { element.open = true; })")
    width = page_width(page)
    wide = [f"{state}: {width} px wide at {NARROWEST['width']} px, with every disclosure open"] \
        if width > NARROWEST["width"] else []
    return wide + [f"{state}: {line}" for line in violations(page)]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_is_accessible_and_fits_a_phone(app, runner, page, role):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    page.set_viewport_size(NARROWEST)
    if ROLES[role]:
        sign_in(page, ROLES[role], DEMO_PASSWORD)
        page.wait_for_load_state("load")
    start = "/" if ROLES[role] else "/login"
    seen_views: set[str] = set()
    queue, visited, problems = deque([start]), set(), []
    while queue and len(visited) < MOST_PAGES:
        path = queue.popleft()
        view = view_of(app, path)
        if path in visited or view is None or view in seen_views or any(part in path for part in LEAVE_ALONE):
            continue
        visited.add(path)
        seen_views.add(view)
        response = page.goto(path)
        assert response is not None and response.status < 500, f"GET {path}"
        if response.status != 200 or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        problems.extend(narrow_phone_problems(page, path))
        for link in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            if link.startswith("/") and not link.startswith(("//", "/static/")):
                queue.append(link.split("#", 1)[0])
    assert len(visited) >= (5 if ROLES[role] else 2), f"the walk found too few pages: {visited}"
    assert not problems, "\n".join(problems)


# An unbroken word longer than a phone is wide, as real data holds them (addresses, names, pasted references).
LONG_WORD = "Frontlinecoordination" * 4


def test_a_leaders_pages_fit_the_narrowest_phone_in_every_state_with_long_words(app, runner, page):
    """The pages of a shift on the floor, including those reached by a button (the observation form) or kept for
    use without signal, with the menu unfolded, every disclosure open and words longer than the screen."""
    import sqlalchemy as sa

    from rotation.extensions import db
    from rotation.people.models import Person
    from rotation.sites.models import Site

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    for site in db.session.scalars(sa.select(Site)):
        site.host_email = f"{LONG_WORD}@example.com"
        site.address = f"Dock {LONG_WORD}, Rotterdam"
    maria = db.session.scalar(sa.select(Person).where(Person.email == ROLES["manager"]))
    maria.department = LONG_WORD
    db.session.commit()
    page.set_viewport_size(NARROWEST)
    sign_in(page, ROLES["manager"], DEMO_PASSWORD)
    problems: list[str] = []

    def check(state: str) -> None:
        problems.extend(narrow_phone_problems(page, state))

    page.get_by_role("button", name="Menu").click()
    check("home with the menu unfolded")
    page.goto("/my/")
    check("My rotation")
    offline_form = page.locator("[data-offline-form]").first.get_attribute("data-offline-form")
    page.get_by_role("link", name="Open the briefing").first.click()
    page.get_by_role("heading", level=1).wait_for()
    check("the briefing")
    page.goto("/my/")
    page.get_by_role("button", name="File an observation").first.click()
    page.get_by_role("button", name="Submit").first.click()  # with every answer missing
    page.locator(".field-error").first.wait_for()
    check("the observation form with its messages")
    page.goto(offline_form)
    page.get_by_role("button", name="Submit").click()
    page.locator("#area_id-error").wait_for()
    check("the form kept for use without signal, with its messages")
    assert not problems, "\n".join(problems)
