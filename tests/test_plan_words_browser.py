"""HR reads names, not counts, in the browser: from the home page to the people still unbooked, and a blackout
that names the published shifts it would cover before it is saved; on a desktop and a phone."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import Assignment
from rotation.blackouts.models import Blackout
from rotation.extensions import db
from rotation.plans.publish import publish_year
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import Slot
from tests.fixtures.clock import next_year
from tests.helpers import DESKTOP, PASSWORD, PHONE, page_width, save_screenshot, sign_in
from tests.test_plan_pages import build_company, start_of_year

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_follows_unbooked_to_names_and_sees_a_blackouts_collisions_before_saving(
        page, viewport, make_user, make_site, make_person):
    company = build_company(make_site, make_person)
    plan_run(start_run(next_year(), None, "command"), not_before=start_of_year())
    publish_year(next_year(), None)
    ann = company["managers"][0]
    # Ann's customer-service day is withdrawn outright: she is unbooked.
    db.session.execute(sa.delete(Assignment).where(Assignment.person_id == ann.id,
                                                   Assignment.kind == "customer_service"))
    bo_day = db.session.execute(
        sa.select(Slot.first_day).join(Assignment, Assignment.slot_id == Slot.id)
        .where(Assignment.person_id == company["managers"][1].id, Assignment.kind == "customer_service")).scalar_one()
    db.session.commit()
    hr = make_user(roles=["hr"], name="Henna Salo")
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)

    page.get_by_role("link", name=f"1 person unbooked in {next_year()}").click()
    page.get_by_role("heading", name=f"Unbooked in {next_year()}", level=1).wait_for()
    row = page.get_by_role("row").filter(has_text="Manager 00")
    expect(row).to_contain_text("nothing planned")
    expect(row.get_by_role("link", name="Manager 00")).to_be_visible()
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"plan-unbooked-{viewport['width']}")

    # A blackout over Manager 01's published day: the form names it before anything is saved.
    page.goto("/blackouts/new?scope=person&employee_id=E101")
    page.get_by_label("First day").fill(bo_day.isoformat())
    page.get_by_label("Last day").fill(bo_day.isoformat())
    page.get_by_role("button", name="Add blackout").click()
    collisions = page.locator("#collisions")
    expect(collisions).to_contain_text("1 published shift falls inside this blackout.")
    expect(collisions.get_by_role("link", name="Manager 01's customer-service day")).to_be_visible()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Blackout)) == 0
    assert page_width(page) <= viewport["width"]
    page.get_by_role("button", name="Add the blackout anyway").click()
    flash = page.locator(".flash-warning")
    expect(flash).to_contain_text("1 published shift collides with this blackout")
    expect(flash.get_by_role("link", name=f"Manager 01's customer-service day at HEL-CC on {bo_day.isoformat()}")) \
        .to_be_visible()
    assert page.console_errors == []
