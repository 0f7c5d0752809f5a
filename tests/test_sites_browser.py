"""HR looks through the sites and one site's slots in the browser, on a desktop and on a phone."""
import pytest

from rotation.db import utc_today
from rotation.extensions import db
from rotation.sites.slots import generate_slots
from tests.helpers import PASSWORD, PHONE, page_width, sign_in

pytestmark = pytest.mark.browser


def test_hr_opens_the_sites_and_a_sites_slots(page, make_user, make_site):
    year = utc_today().year
    hr = make_user(roles=["hr"])
    make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    make_site(code="TMP-WH", name="Tampere fulfilment centre", kind="warehouse")
    generate_slots(year)
    db.session.commit()
    sign_in(page, hr.email, PASSWORD)

    page.get_by_role("link", name="Sites", exact=True).click()
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
    assert page.get_by_text(f"flask --app rotation slots generate --year {year + 1} --site HEL-CC").is_visible()
    assert page_width(page) <= PHONE["width"]
    assert page.console_errors == []
