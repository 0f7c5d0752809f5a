"""HR and an executive read the coverage page in the browser, on a desk and on a phone."""

import pytest

from tests.fixtures.coverage import YEAR
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser

def test_hr_reads_the_company_then_drills_into_an_organisation(page, make_user, org):
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)
    menu_link(page, "Coverage").click()
    page.get_by_role("heading", name="Where the rotation stands").wait_for()
    page.goto(f"/coverage/?year={YEAR}")
    assert page.get_by_text("Of 4 people in the rotation.").is_visible()
    sales = page.get_by_role("row", name="Sales 2", exact=False).first
    assert sales.inner_text().split() == ["Sales", "2", "0", "(0", "%)", "1", "(50", "%)", "1", "(50", "%)",
                                          "0", "(0", "%)", "1", "(50", "%)", "1", "(50", "%)"]
    page.get_by_label("One line manager's organisation (name, e-mail or employee ID)").fill("E1")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="By direct report's organisation").wait_for()
    save_screenshot(page, "coverage-hr-desktop")
    organisations = page.get_by_role("region", name="By direct report's organisation")
    organisations.get_by_role("link", name="Ann Aalto").click()
    page.get_by_text("The organisation of Ann Aalto").wait_for()
    assert page.get_by_text("Of 2 people in the rotation.").is_visible()
    assert page.locator("svg[role=img]").count() >= 3  # two share bars and at least one site's weekly load

    page.set_viewport_size(PHONE)
    page.goto(f"/coverage/?year={YEAR}&root=E1")
    page.wait_for_load_state("load")
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "coverage-hr-phone")
    assert page.console_errors == []


def test_an_executive_sees_only_their_organisation_on_a_phone(page, make_user, org):
    ann = make_user(roles=["manager"], email=org["ann"].email)
    page.set_viewport_size(PHONE)
    sign_in(page, ann.email, PASSWORD)
    page.goto(f"/coverage/?year={YEAR}")
    page.get_by_text("The organisation of Ann Aalto: you and everyone below").wait_for()
    assert page.get_by_text("Bob Berg").first.is_visible()
    assert page.get_by_text("Cleo Chief").count() == 0
    assert page_width(page) <= PHONE["width"]
    # The years line up with the heading, not half into the page's margin.
    heading = page.get_by_role("heading", level=1).bounding_box()
    years = page.get_by_role("navigation", name="Years").locator("ul").bounding_box()
    assert heading and years and years["x"] == heading["x"]
    save_screenshot(page, "coverage-manager-phone")
    page.set_viewport_size(DESKTOP)
    assert page.console_errors == []
