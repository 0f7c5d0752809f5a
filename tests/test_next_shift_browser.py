"""In the browser, on a desk and on a phone: My rotation's next shift on top, the executive's home, coverage as a
compact table on a phone, and insights with its numbers open no wider than the screen."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.models import Slot
from tests.fixtures.coverage import YEAR
from tests.fixtures.my_rotation import shift
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
NARROW = {"width": 320, "height": 640}


def name_of(viewport: dict) -> str:
    return "desktop" if viewport == DESKTOP else "phone"


@VIEWPORTS
def test_my_rotation_shows_the_next_shift_on_top_and_confirms_it(page, published_manager, viewport):
    soonest = min(("customer_service", "warehouse"),
                  key=lambda kind: db.session.get_one(Slot, shift(published_manager, kind).slot_id).starts_at)
    page.set_viewport_size(viewport)
    sign_in(page, published_manager.email, PASSWORD)
    menu_link(page, "My rotation").click()
    top = page.get_by_role("region", name="Your next shift")
    expect(top).to_contain_text("Next: confirm it.")
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings.index("Your next shift") < headings.index("Coming up")
    top_box, coming_box = top.bounding_box(), page.get_by_role("region", name="Coming up").bounding_box()
    assert top_box and coming_box and top_box["y"] < coming_box["y"]
    top.get_by_role("button", name="Confirm").click()
    page.get_by_text("Confirmed:").wait_for()
    expect(page.get_by_role("region", name="Your next shift")).to_contain_text("Nothing to do yet.")
    assert shift(published_manager, soonest).status == "confirmed"
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"my_rotation_next_{name_of(viewport)}")
    assert page.console_errors == []


@VIEWPORTS
def test_an_executive_reads_their_organisation_on_home_and_follows_a_figure(page, published_manager, make_user,
                                                                             viewport):
    chief = db.session.scalar(sa.select(Person).where(Person.employee_id == "E001"))
    make_user(roles=["manager"], email=chief.email)
    page.set_viewport_size(viewport)
    sign_in(page, chief.email, PASSWORD)
    summary = page.get_by_role("region", name="Your organisation in")
    expect(summary).to_contain_text("2 people in the rotation")
    expect(summary).to_contain_text("Andon alerts waiting for triage")
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"home_executive_{name_of(viewport)}")
    summary.get_by_role("link", name="2 unbooked: warehouse week").click()
    page.get_by_text("The organisation of").wait_for()
    assert "root=E001" in page.url
    assert page_width(page) <= viewport["width"]
    assert page.console_errors == []


@pytest.mark.parametrize("viewport", [PHONE, NARROW], ids=["390", "320"])
def test_coverage_on_a_phone_is_a_compact_table_that_drills_down(page, make_user, org, viewport):
    hr = make_user(roles=["hr"])
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/coverage/?year={YEAR}&root=E1")
    organisations = page.get_by_role("region", name="By direct report's organisation")
    compact = organisations.locator("table.coverage-compact")
    expect(compact).to_be_visible()
    expect(organisations.locator("table.coverage-table")).to_be_hidden()
    expect(compact.get_by_role("row", name="Ann Aalto")).to_contain_text("1 unbooked")
    overdue = page.locator("table.overdue-table")
    expect(overdue).to_be_visible()
    assert overdue.evaluate("table => getComputedStyle(table.querySelector('tr')).display") == "table-row"
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"coverage_compact_{viewport['width']}")
    compact.get_by_role("link", name="Ann Aalto").click()
    page.get_by_text("The organisation of Ann Aalto").wait_for()
    assert page_width(page) <= viewport["width"]
    assert page.console_errors == []


def test_coverage_on_a_desk_keeps_the_full_table(page, make_user, org):
    hr = make_user(roles=["hr"])
    page.set_viewport_size(DESKTOP)
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/coverage/?year={YEAR}&root=E1")
    organisations = page.get_by_role("region", name="By direct report's organisation")
    expect(organisations.locator("table.coverage-table")).to_be_visible()
    expect(organisations.locator("table.coverage-compact")).to_be_hidden()


@VIEWPORTS
def test_insights_with_the_numbers_open_fits_the_screen_without_breaking_words(page, insights_world, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, "olli@example.com", PASSWORD)
    page.goto("/insights/")
    for summary in page.get_by_text("The numbers", exact=True).all():
        summary.click()
    numbers = page.locator("table.chart-numbers").first
    expect(numbers).to_be_visible()
    assert page_width(page) <= viewport["width"]
    overflowing = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map(el => el.tagName + '.' + el.className)""")
    assert overflowing == []
    broken = page.evaluate("""() => [...document.querySelectorAll('table.chart-numbers th.group')]
        .map(cell => getComputedStyle(cell))
        .filter(style => style.overflowWrap === 'anywhere' || style.wordBreak === 'break-all')
        .length""")
    assert broken == 0
    expect(numbers).to_contain_text("Customer service")
    save_screenshot(page, f"insights_numbers_{name_of(viewport)}")
    assert page.console_errors == []
