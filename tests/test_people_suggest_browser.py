"""HR chooses a person from the suggestions as they type: on the blackout form and the coverage filter."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from rotation.db import utc_today
from tests.helpers import DESKTOP, PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def jansens(make_person):
    maria = make_person("E2", full_name="Maria Jansen", email="maria.jansen@example.com", department="Finance")
    make_person("E3", full_name="Mark Jansen", email="m.jansen@example.com", manager=maria)
    make_person("E4", full_name="Marta Smit", email="marta@example.com", manager=maria)
    return maria


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_chooses_a_person_for_a_blackout_from_the_suggestions(page, make_user, jansens, viewport):
    first = utc_today() + timedelta(days=30)
    hr = make_user(roles=["hr"])
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)
    page.goto("/blackouts/new")
    person = page.get_by_role("combobox", name="Person")
    person.press_sequentially("jans", delay=30)
    options = page.get_by_role("listbox", name="People found").get_by_role("option")
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text("Maria Jansen")
    expect(person).to_have_attribute("aria-expanded", "true")
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"suggest_blackout_{viewport['width']}")
    person.press("ArrowDown")
    person.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    person.press("Enter")
    expect(person).to_have_value("m.jansen@example.com")
    expect(person).to_have_attribute("aria-expanded", "false")
    page.get_by_label("First day").fill(first.isoformat())
    page.get_by_label("Last day").fill(first.isoformat())
    page.get_by_role("button", name="Add blackout").click()
    expect(page.get_by_text("Added a blackout for Mark Jansen (E3)")).to_be_visible()
    assert page.console_errors == []


def test_the_coverage_filter_takes_a_suggested_person_and_says_when_several_match(page, make_user, jansens):
    hr = make_user(roles=["hr"])
    page.set_viewport_size(PHONE)
    sign_in(page, hr.email, PASSWORD)
    page.goto("/coverage/")
    root = page.get_by_role("combobox", name="One line manager's organisation")
    root.fill("Jansen")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#root-error")).to_contain_text("2 people match “Jansen”: Maria Jansen (E2, ")
    assert page_width(page) <= PHONE["width"]
    root = page.get_by_role("combobox", name="One line manager's organisation")
    root.fill("")
    root.press_sequentially("maria j", delay=30)
    page.get_by_role("option", name="Maria Jansen").click()
    expect(root).to_have_value("maria.jansen@example.com")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_text("The organisation of Maria Jansen")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "suggest_coverage_phone")
    assert page.console_errors == []
