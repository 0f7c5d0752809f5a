"""A manager on My rotation in the browser: confirms a shift, then adds a blackout over the other one."""
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import CANCELLED, CONFIRMED, Assignment
from rotation.extensions import db
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.browser_fixtures import ARTIFACTS, DESKTOP, PHONE, page_width, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

YEAR = date.today().year + 1


@pytest.fixture
def manager(make_site, make_person, make_user):
    """A published plan for a chief and one manager; the manager has an account."""
    centre = make_site("HEL-CC", seats=2, name="Helsinki contact centre")
    centre.address, centre.host_name = "Mannerheimintie 1, Helsinki", "Hanna Host"
    make_site("TMP-WH", kind="warehouse", seats=2, name="Tampere warehouse")
    chief = make_person("E001", department="Board", home_site=centre)
    person = make_person("E100", full_name="Maija Manager", manager=chief, home_site=centre)
    make_person("E200", manager=person)
    generate_slots(YEAR)
    plan_run(start_run(YEAR, None, "command", publish=True), not_before=date(YEAR, 1, 1), publish=True)
    db.session.commit()
    make_user(roles=["manager"], email=person.email)
    return person


def shift(person, kind: str) -> Assignment:
    db.session.expire_all()
    found = db.session.scalar(sa.select(Assignment).where(
        Assignment.person_id == person.id, Assignment.kind == kind, Assignment.status != CANCELLED))
    assert found is not None, kind
    return found


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_confirms_a_shift_and_adds_a_colliding_blackout(page, manager, viewport):
    week = shift(manager, "warehouse")
    week_slot = db.session.get(Slot, week.slot_id)
    page.set_viewport_size(viewport)
    sign_in(page, manager.email, PASSWORD)
    page.get_by_role("link", name="My rotation").first.click()
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
    ARTIFACTS.mkdir(exist_ok=True)
    name = "desktop" if viewport == DESKTOP else "phone"
    page.screenshot(path=str(ARTIFACTS / f"my_rotation_{name}.png"), full_page=True)
    assert page.console_errors == []
