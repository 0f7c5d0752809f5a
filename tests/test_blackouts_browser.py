"""HR keeps blackouts in the browser: add a site's, see it listed, change it, delete it."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rotation.db import utc_today
from tests.helpers import PASSWORD, PHONE, menu_link, page_width, sign_in

pytestmark = pytest.mark.browser


def test_hr_adds_changes_and_deletes_a_site_blackout(page, make_user, make_site):
    first = utc_today() + timedelta(days=20)
    last = first + timedelta(days=2)
    days = f"{first.isoformat()} to {last.isoformat()}"
    hr = make_user(roles=["hr"])
    make_site(code="HEL-CC", name="Helsinki contact centre")
    make_site(code="TMP-WH", name="Tampere warehouse", kind="warehouse")
    sign_in(page, hr.email, PASSWORD)

    menu_link(page, "Blackouts").click()
    page.get_by_role("heading", name="Blackouts").wait_for()
    assert page.get_by_text("No blackout matches.").is_visible()
    page.get_by_role("link", name="Add a blackout").click()

    # A mistake first: the site is missing, and the message sits beside the site.
    page.get_by_label("A whole site").check()
    page.get_by_label("First day").fill(first.isoformat())
    page.get_by_label("Last day").fill(last.isoformat())
    page.get_by_role("button", name="Add blackout").click()
    page.locator("#site-error").get_by_text("Choose the site the blackout is for.").wait_for()
    expect(page.get_by_label("Site", exact=True)).to_be_focused()  # app.js focuses the first field at fault

    page.get_by_label("Site", exact=True).select_option("TMP-WH")
    page.get_by_label("Reason").fill("Stock-taking")
    page.get_by_role("button", name="Add blackout").click()
    page.get_by_text(f"Added a blackout for the site TMP-WH (Tampere warehouse), {days}.").wait_for()
    row = page.locator("tbody tr")
    assert row.count() == 1
    assert "Tampere warehouse" in row.inner_text() and "Stock-taking" in row.inner_text()
    assert page.get_by_role("cell", name="3", exact=True).is_visible()  # days, both ends included

    page.set_viewport_size(PHONE)
    page.wait_for_load_state("load")
    assert page_width(page) <= PHONE["width"]
    page.get_by_role("link", name=f"Edit the blackout of TMP-WH, {days}").click()
    page.get_by_role("heading", name="Change a blackout").wait_for()
    page.wait_for_load_state("load")  # measured with its style sheets applied
    assert page_width(page) <= PHONE["width"]
    assert page.get_by_label("A whole site").is_checked()
    page.get_by_label("Reason").fill("Annual stock-taking")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text(f"Saved the blackout for the site TMP-WH (Tampere warehouse), {days}.").wait_for()
    assert "Annual stock-taking" in page.locator("tbody tr").inner_text()

    page.get_by_role("link", name=f"Edit the blackout of TMP-WH, {days}").click()
    page.get_by_role("button", name="Delete this blackout…").click()
    page.get_by_role("heading", name="Delete this blackout?").wait_for()
    page.get_by_role("button", name="Delete blackout").click()
    page.get_by_text(f"Deleted the blackout for the site TMP-WH (Tampere warehouse), {days}.").wait_for()
    assert page.get_by_text("No blackout matches.").is_visible()
    assert page.console_errors == []
