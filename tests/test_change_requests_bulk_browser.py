"""HR keeps several change requests' shifts as planned in the browser, on a desktop and on a phone."""
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.change_requests.models import DECLINED, PENDING, ChangeRequest
from rotation.change_requests.services import ask_for_change
from rotation.extensions import db
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import DESKTOP, PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def asked(make_site, make_person):
    """Ann, Bo and Cy each ask to move their published day at Helsinki."""
    hel = make_site("HEL-CC", name="Helsinki contact centre", seats=2)
    generate_slots(next_year())
    db.session.flush()
    requests = []
    for n, name in enumerate(("Ann Aalto", "Bo Berg", "Cy Cole")):
        person = make_person(f"E1{n:02d}", full_name=name, department=f"Dept {n}", home_site=hel)
        make_person(f"E2{n:02d}", manager=person, department=f"Dept {n}")
        first_day = date.fromisocalendar(next_year(), 10 + n, 2)
        slot = db.session.scalar(sa.select(Slot).join(Site).where(Site.code == "HEL-CC", Slot.first_day == first_day))
        shift = Assignment(person_id=person.id, slot_id=slot.id, year=next_year(), kind=slot.kind, status=PUBLISHED)
        db.session.add(shift)
        db.session.flush()
        requests.append(ask_for_change(shift, None, "Board meeting", date(next_year() - 1, 12, 1)))
    db.session.commit()
    return requests


def statuses(requests) -> list[str]:
    db.session.expire_all()
    return [db.session.get_one(ChangeRequest, change.id).status for change in requests]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_keeps_two_requests_as_planned_with_one_reason(page, make_user, asked, viewport):
    hr = make_user(roles=["hr"])
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)
    page.goto("/changes/")
    page.get_by_role("checkbox", name="Select the request of Ann Aalto").check()
    page.get_by_role("checkbox", name="Select the request of Cy Cole").check()
    assert page_width(page) <= viewport["width"]
    page.get_by_role("button", name="Keep selected as planned…").click()
    page.get_by_role("heading", name="Keep 2 shifts as planned?").wait_for()
    expect(page.locator("#bulk-lines")).to_contain_text("To Ann Aalto (e100@example.com)")
    expect(page.locator("#bulk-lines")).not_to_contain_text("Bo Berg")
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"change_requests_bulk_{viewport['width']}")
    page.get_by_role("button", name="Keep 2 shifts as planned").click()
    expect(page.get_by_text("Say why you decline; the manager reads it.").first).to_be_visible()
    page.get_by_label("Why do you keep them as planned?").fill("The plan is full that month")
    page.get_by_role("button", name="Keep 2 shifts as planned").click()
    expect(page.get_by_text("Kept 2 shifts as planned: Ann Aalto, Cy Cole.")).to_be_visible()
    assert statuses(asked) == [DECLINED, PENDING, DECLINED]
    assert page.console_errors == []
