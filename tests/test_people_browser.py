"""HR reads a manager's page (shifts, requests, attendance, why the plan left a shift out) and a site's slots
with the names in each seat, on a desktop and a phone, nothing wider than the screen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.fixtures.clock import this_year
from tests.helpers import DESKTOP, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_hr_follows_a_manager_from_their_page_to_a_site_and_back(page, make_user, maria_history, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    following = this_year() + 1
    page.set_viewport_size(viewport)
    hr = make_user(roles=["hr"], email="hanna@example.com")
    maria_id, moving_id = maria_history["maria"].id, maria_history["moving"].id
    sign_in(page, hr.email, "correct horse battery")
    page.goto(f"/people/{maria_id}")

    page.get_by_role("heading", name="Maria Jansen", level=1).wait_for()
    for heading in ("Shifts", "Not placed by the plan", "Change requests", "Attendance", "Observations"):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    expect(page.get_by_text("Every warehouse week with a free seat falls in her blackouts")).to_be_visible()
    expect(page.get_by_text("Accepted in their calendar")).to_be_visible()
    page.get_by_text("Earlier years (2 shifts)").click()
    expect(page.get_by_text("No-show, recorded by hr@example.com")).to_be_visible()
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"person-page-{size}")

    page.get_by_role("link", name=f"Customer-service day {following}").click()
    page.get_by_role("heading", name="Maria Jansen: customer-service day").wait_for()
    assert page.url.endswith(f"/assignments/{moving_id}")
    page.go_back()

    page.goto(f"/sites/HEL-CC?year={following}&month=3")
    page.get_by_role("heading", name=f"March {following}").wait_for()
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("Ben Berg")
    expect(first_row).to_contain_text("Maria Jansen")
    expect(first_row).to_contain_text("the draft moves it here")
    assert page.locator("tbody tr").filter(has_text=f"{following}-04-").count() == 0  # one month at a time
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"site-page-{size}")

    first_row.get_by_role("link", name="Maria Jansen", exact=True).click()
    page.get_by_role("heading", name="Maria Jansen", level=1).wait_for()
    assert page.console_errors == []
