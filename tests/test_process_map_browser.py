"""An administrator draws the process map in the browser; a manager reads it on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from rotation.extensions import db
from tests.helpers import PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser

def shot(page, name: str) -> None:
    save_screenshot(page, f"process_map_{name}")


def test_an_admin_adds_an_area_and_its_owner(page, make_user):
    from rotation.demo.process_map import load_process_map

    admin = make_user(roles=["admin"], name="Ada Lindqvist")
    make_user(roles=["owner"], name="Olli Laine", email="owner@example.com")
    load_process_map()
    db.session.commit()
    sign_in(page, admin.email, PASSWORD)

    page.goto("/process-map/")
    page.get_by_role("heading", name="Process map").wait_for()
    shot(page, "tree_admin_desktop")
    page.get_by_role("link", name="Add an area").click()

    # A mistake first: a name that its new siblings already use.
    page.get_by_label("Name").fill("returns")
    page.get_by_label("Sits under").select_option(label="Customer service")
    page.get_by_label("What it covers").fill("Buying, sending and redeeming gift cards.")
    page.get_by_role("button", name="Add area").click()
    page.locator("#name-error").get_by_text(
        "There is already an area called Returns under Customer service; choose another name.").wait_for()
    expect(page.get_by_label("Name")).to_be_focused()
    shot(page, "add_error_desktop")

    page.get_by_label("Name").fill("Gift cards")
    page.get_by_role("button", name="Add area").click()
    page.get_by_text("Added Customer service › Gift cards. Add its owners below.").wait_for()
    page.get_by_role("heading", name="Gift cards").wait_for()
    assert page.get_by_text("Nobody owns this area itself; the owners of Customer service see what is observed "
                            "here.").is_visible()

    page.get_by_label("Account").select_option(label="Olli Laine (owner@example.com)")
    page.get_by_role("button", name="Add owner").click()
    page.get_by_text("Olli Laine now owns Customer service › Gift cards.").wait_for()
    expect(page.get_by_role("button", name="Remove Olli Laine as an owner")).to_be_visible()
    shot(page, "area_desktop")

    page.get_by_role("link", name="Back to the process map").click()
    gift_cards = page.locator("li", has=page.get_by_role("link", name="Gift cards", exact=True)).last
    expect(gift_cards).to_contain_text("Owner: Olli Laine")
    expect(gift_cards).to_contain_text("0 observations")

    # The area's page works on a phone as well.
    page.set_viewport_size(PHONE)
    gift_cards.get_by_role("link", name="Gift cards", exact=True).click()
    page.get_by_role("heading", name="Owners").wait_for()
    page.wait_for_load_state("load")
    assert page_width(page) <= PHONE["width"]
    shot(page, "area_phone")
    assert page.console_errors == []


def test_the_tree_fits_a_phone(page, make_user):
    from rotation.demo.process_map import load_process_map

    make_user(roles=["owner"], name="Olli Laine", email="owner@example.com")
    make_user(roles=["manager", "owner"], name="Carla Esposito", email="ceo@example.com")
    manager = make_user(roles=["manager"])
    areas = load_process_map()
    areas["Customer service › Returns › Return labels"].name = (
        "Return labels for parcels sent from abroad through the partner network")
    db.session.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, manager.email, PASSWORD)

    page.goto("/process-map/")
    page.get_by_role("heading", name="Process map").wait_for()
    page.wait_for_load_state("load")  # measured with its style sheets applied
    assert page_width(page) <= PHONE["width"]
    expect(page.get_by_text("Handheld scanners")).to_be_visible()
    expect(page.get_by_text("Fax orders")).to_have_count(0)  # retired: only administrators see it
    expect(page.get_by_role("link", name="Add an area")).to_have_count(0)
    shot(page, "tree_phone")
    assert page.console_errors == []
