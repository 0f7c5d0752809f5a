"""HR looks through the sites and one site's slots in the browser, and starts a new year's slots, on a desktop
and on a phone."""
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.db import utc_today
from rotation.extensions import db
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


def test_hr_opens_the_sites_and_a_sites_slots(page, make_user, make_site):
    year = utc_today().year
    hr = make_user(roles=["hr"])
    make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    make_site(code="TMP-WH", name="Tampere fulfilment centre", kind="warehouse")
    generate_slots(year)
    db.session.commit()
    sign_in(page, hr.email, PASSWORD)

    menu_link(page, "Sites").click()
    page.get_by_role("heading", name="Sites", exact=True).wait_for()
    row = page.get_by_role("row").filter(has_text="Helsinki contact centre")
    assert "Contact centre" in row.inner_text() and "09:00–17:00" in row.inner_text()
    assert page.get_by_role("columnheader", name=f"Slots in {year}").is_visible()

    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    page.get_by_role("link", name="HEL-CC", exact=True).click()
    page.get_by_role("heading", name="Helsinki contact centre", level=1).wait_for()
    assert page_width(page) <= PHONE["width"]
    assert page.get_by_role("heading", name=f"Slots in {year}").is_visible()
    # The page opens at this month's slots, one month at a time; January is a click away.
    month = utc_today()
    assert page.get_by_role("heading", name=f"{month:%B %Y}").is_visible()
    assert f"{month:%Y-%m}-" in page.locator("tbody tr").first.inner_text()
    page.get_by_role("navigation", name="Months").get_by_role("link", name="January").click()
    page.get_by_role("heading", name=f"January {year}").wait_for()
    first_row = page.locator("tbody tr").first
    assert f"{year}-01-0" in first_row.inner_text() and "09:00–17:00 EET" in first_row.inner_text()
    assert page_width(page) <= PHONE["width"]

    page.get_by_role("link", name=f"{year + 1} →").click()
    page.get_by_role("heading", name=f"Slots in {year + 1}").wait_for()
    assert page.get_by_text(f"There are no slots at Helsinki contact centre in {year + 1} yet.").is_visible()
    assert page.get_by_role("button", name=f"Create {year + 1}'s slots for this site").is_visible()
    save_screenshot(page, "site-without-slots-phone")
    assert page_width(page) <= PHONE["width"]
    assert page.console_errors == []


def slots_per_site() -> dict[str, int]:
    db.session.rollback()  # read what the server committed
    return dict(db.session.execute(
        sa.select(Site.code, sa.func.count(Slot.id)).join(Slot).group_by(Site.code).order_by(Site.code)).tuples().all())


def fits(page, viewport) -> None:
    assert page_width(page) <= viewport["width"]


@pytest.fixture
def two_sites(make_user, make_site, make_blackout):
    make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    make_site(code="TMP-WH", name="Tampere fulfilment centre", kind="warehouse", seats=4)
    year = utc_today().year + 2
    make_blackout(date(year, 12, 24), date(year, 12, 26), reason="Christmas")
    return make_user(roles=["hr"]), year


def test_hr_starts_the_year_after_next_from_the_sites_page_on_a_desktop(page, two_sites):
    hr, year = two_sites
    sign_in(page, hr.email, PASSWORD)
    menu_link(page, "Sites").click()
    page.get_by_role("link", name=f"{year - 1} →").click()
    page.get_by_role("link", name=f"{year} →").click()
    page.get_by_role("link", name=f"Create the slots of {year}").click()

    page.get_by_role("heading", name=f"Slots of {year}", level=1).wait_for()
    expect(page.get_by_role("status").filter(has_text="Creating adds")).to_contain_text("at 2 sites")
    helsinki = page.get_by_role("row").filter(has_text="Helsinki contact centre")
    expect(helsinki).to_contain_text("customer-service days")
    expect(helsinki).to_contain_text(f"{year}-12-2")  # a Christmas day left out
    assert page.get_by_role("checkbox", name="Tampere fulfilment centre").is_checked()
    fits(page, DESKTOP)
    save_screenshot(page, "year-slots-preview-desktop")
    assert slots_per_site() == {}

    page.get_by_role("checkbox", name="Tampere fulfilment centre").uncheck()
    page.get_by_role("button", name="Create the slots").click()
    expect(page.get_by_text(f"slots of {year} at HEL-CC Helsinki contact centre.")).to_be_visible()
    assert list(slots_per_site()) == ["HEL-CC"]
    expect(page.get_by_role("row").filter(has_text="Helsinki contact centre")).to_contain_text("none added")
    assert page.get_by_role("checkbox", name="Tampere fulfilment centre").is_checked()  # still to do
    fits(page, DESKTOP)
    save_screenshot(page, "year-slots-created-desktop")

    page.get_by_role("link", name=f"Next: plan {year}").click()
    page.get_by_role("heading", name=f"Plan {year}", level=1).wait_for()
    expect(page.get_by_role("button", name=f"Run the plan of {year}")).to_be_visible()
    assert page.console_errors == []


def test_hr_starts_the_year_after_next_from_the_plan_page_on_a_phone(page, two_sites):
    hr, year = two_sites
    page.set_viewport_size(PHONE)
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/plan/{year}")
    expect(page.get_by_text(f"{year} has no slots yet, so it cannot be planned.")).to_be_visible()
    fits(page, PHONE)
    page.get_by_role("link", name=f"Create the slots of {year}").click()

    page.get_by_role("heading", name=f"Slots of {year}", level=1).wait_for()
    fits(page, PHONE)
    save_screenshot(page, "year-slots-preview-phone")
    page.get_by_role("spinbutton", name="Year").fill(str(year + 100))
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text(f"The year must be between 2000 and 2100; {year + 100} is not.")).to_be_visible()
    fits(page, PHONE)
    save_screenshot(page, "year-slots-refused-phone")
    page.get_by_role("spinbutton", name="Year").fill(str(year))
    page.get_by_role("button", name="Preview").click()

    page.get_by_role("button", name="Create the slots").click()
    expect(page.get_by_text("Created ")).to_contain_text(f" slots of {year}: ")
    assert sorted(slots_per_site()) == ["HEL-CC", "TMP-WH"]
    fits(page, PHONE)
    save_screenshot(page, "year-slots-created-phone")
    page.get_by_role("link", name=f"Next: plan {year}").click()
    expect(page.get_by_role("button", name=f"Run the plan of {year}")).to_be_visible()
    fits(page, PHONE)
    assert page.console_errors == []
