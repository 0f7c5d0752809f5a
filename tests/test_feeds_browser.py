"""A manager gets their calendar link in the browser: creates it, copies it, resets it; desktop and phone."""
from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.plans.runs import plan_run, start_run
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


def screenshot(page, name: str) -> None:
    save_screenshot(page, f"feeds-{name}")


def fits_the_screen(page) -> bool:
    page.wait_for_load_state("load")  # measured with its style sheets applied
    return page_width(page) <= page.viewport_size["width"]


def test_a_manager_creates_copies_and_resets_their_calendar_link(page, live_server, app, make_user, make_person,
                                                                  make_site):
    app.config["ROTATION_BASE_URL"] = live_server.url  # the links the page shows point at this server
    home = make_site("HEL-CC", name="Helsinki contact centre")
    make_site("TMP-WH", name="Tampere warehouse", kind="warehouse")
    chief = make_person("E001", full_name="Chief, Cora", home_site=home)
    manager = make_person("E100", full_name="Ann Aalto", manager=chief, home_site=home)
    make_person("E200", manager=manager)
    make_user(roles=["manager"], email=manager.email)
    generate_slots(next_year())
    db.session.commit()
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, manager.email, PASSWORD)

    menu_link(page, "Calendar").click()
    page.get_by_role("heading", name="Your calendar", exact=True).wait_for()
    expect(page.get_by_text("You have no calendar link yet.")).to_be_visible()
    shifts = page.locator("tbody tr")
    expect(shifts).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("Customer-service day")
    expect(page.locator("tbody")).to_contain_text("Warehouse week")
    expect(page.get_by_role("link", name=re.compile(r"^Download \.ics: "))).to_have_count(2)
    page.get_by_role("button", name="Create my calendar link").click()

    page.get_by_role("heading", name="Your calendar link").wait_for()
    expect(page.get_by_text("Copy it now.")).to_be_visible()
    https_box = page.get_by_label('For Google Calendar ("From URL") and anything else')
    first_link = https_box.input_value()
    assert first_link.startswith(f"{live_server.url}/calendar/") and first_link.endswith(".ics")
    webcal = page.get_by_label("For a calendar app (Apple Calendar, Outlook, Thunderbird)").input_value()
    assert webcal == "webcal://" + first_link.split("://", 1)[1]
    page.get_by_role("button", name="Copy").last.click()
    expect(page.get_by_text("Copied. Paste it into your calendar app.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == first_link
    assert page.request.get(first_link).status == 200
    screenshot(page, "created-desktop")

    menu_link(page, "Calendar").click()
    expect(page.get_by_text("Copy it now.")).to_have_count(0)  # shown once only
    expect(page.get_by_text("Last used")).to_be_visible()
    screenshot(page, "existing-desktop")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "existing-phone")
    page.get_by_role("button", name="Reset the link…").click()
    page.get_by_role("heading", name="Reset your calendar link?").wait_for()
    expect(page.get_by_text("stops working at once")).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "confirm-phone")
    page.get_by_role("button", name="Reset the link", exact=True).click()

    page.get_by_role("heading", name="Your new calendar link").wait_for()
    expect(page.get_by_text("The old link has stopped working.")).to_be_visible()
    new_link = page.get_by_label('For Google Calendar ("From URL") and anything else').input_value()
    assert new_link != first_link
    assert fits_the_screen(page)
    screenshot(page, "reset-phone")
    assert page.request.get(first_link).status == 410  # gone: calendar apps drop it
    assert page.request.get(new_link).status == 200
    assert page.console_errors == []


def test_a_manager_chooses_the_subscribed_calendar_instead_of_invitations(page, live_server, app, make_user,
                                                                           make_person, make_site):
    app.config["ROTATION_BASE_URL"] = live_server.url
    home = make_site("HEL-CC", name="Helsinki contact centre")
    make_site("TMP-WH", name="Tampere warehouse", kind="warehouse")
    chief = make_person("E001", full_name="Chief, Cora", home_site=home)
    manager = make_person("E100", full_name="Ann Aalto", manager=chief, home_site=home)
    make_person("E200", manager=manager)
    make_user(roles=["manager"], email=manager.email)
    generate_slots(next_year())
    db.session.commit()
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()
    sign_in(page, manager.email, PASSWORD)

    menu_link(page, "Calendar").click()
    page.get_by_role("heading", name="How your shifts reach your calendar").wait_for()
    expect(page.get_by_label("Invitations by e-mail")).to_be_checked()
    screenshot(page, "choice-desktop")
    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "choice-phone")

    feed = page.get_by_label("Subscribed calendar (feed)")
    expect(feed).to_have_accessible_description(re.compile(r"refreshes it by itself, about every hour"))
    feed.check()
    page.get_by_role("button", name="Save my choice").click()

    expect(page.get_by_text("Saved: subscribed calendar only.")).to_be_visible()
    page.get_by_role("heading", name="Your calendar link").wait_for()
    link = page.get_by_label('For Google Calendar ("From URL") and anything else').input_value()
    assert page.request.get(link).status == 200
    expect(page.get_by_label("Subscribed calendar (feed)")).to_be_checked()
    assert fits_the_screen(page)
    screenshot(page, "feed-chosen-phone")

    menu_link(page, "Calendar").click()
    expect(page.get_by_text("Now: Subscribed calendar (feed).")).to_be_visible()
    expect(page.get_by_text("Last used")).to_be_visible()
    page.set_viewport_size(DESKTOP)
    screenshot(page, "feed-chosen-desktop")
    assert page.console_errors == []
