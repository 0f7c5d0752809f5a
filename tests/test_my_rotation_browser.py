"""A manager on My rotation in the browser: confirms a shift, then adds a blackout over the other one."""

import pytest
from playwright.sync_api import expect

from rotation.assignments.models import CONFIRMED
from rotation.extensions import db
from rotation.sites.models import Slot
from tests.fixtures.my_rotation import shift
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(published_manager):
    return published_manager


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_confirms_a_shift_and_adds_a_colliding_blackout(page, manager, viewport):
    week = shift(manager, "warehouse")
    week_slot = db.session.get(Slot, week.slot_id)
    page.set_viewport_size(viewport)
    sign_in(page, manager.email, PASSWORD)
    menu_link(page, "My rotation").click()
    page.get_by_role("heading", name="My rotation", level=1).wait_for()
    day_card = page.locator("article.shift", has=page.get_by_role("heading", name="Customer-service day"))
    expect(day_card).to_contain_text("Europe/Helsinki")
    expect(day_card).to_contain_text("Hanna Host")

    day_card.get_by_role("button", name="Confirm").click()
    page.get_by_text("Confirmed: customer-service day at Helsinki contact centre").wait_for()
    expect(day_card).to_contain_text("Confirmed by you")
    assert shift(manager, "customer_service").status == CONFIRMED

    page.get_by_label("First day").fill(week_slot.first_day.isoformat())
    page.get_by_label("Last day").fill(week_slot.first_day.isoformat())
    page.get_by_label("Reason").fill("School holiday")
    page.get_by_role("button", name="Add blackout").click()
    page.get_by_text("This blackout collides with your published shift: warehouse week at Tampere warehouse").wait_for()
    expect(page.locator("article.shift", has=page.get_by_role("heading", name="Warehouse week"))) \
        .to_contain_text("HR will move it")
    assert page.get_by_text(f"{week_slot.first_day.isoformat()} — School holiday").is_visible()
    assert shift(manager, "warehouse").needs_replan is True

    page.wait_for_load_state("load")
    assert page_width(page) <= viewport["width"]
    name = "desktop" if viewport == DESKTOP else "phone"
    save_screenshot(page, f"my_rotation_{name}")
    assert page.console_errors == []
