"""The slot finder in the browser, on a desktop and a phone: HR approves a request through it (and is steered to the
free seat at home), and HR moves a shift through it, then undoes the move."""
import pytest
from playwright.sync_api import expect

from rotation.assignments.models import DRAFT
from rotation.blackouts.models import Blackout
from rotation.change_requests.models import APPROVED, ChangeRequest
from rotation.change_requests.services import ask_for_change
from rotation.extensions import db
from tests.fixtures.clock import this_year
from tests.fixtures.shifts import assign, day, reloaded, slot_at
from tests.helpers import DESKTOP, PASSWORD, PHONE, outbox_of, page_width, save_screenshot, sign_in
from tests.test_accessibility_browser import violations

pytestmark = pytest.mark.browser
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


@pytest.fixture
def company(five_managers):
    return five_managers


def look(page, viewport, name: str) -> None:
    page.wait_for_load_state("load")
    assert page_width(page) <= viewport["width"], name
    save_screenshot(page, f"slot_finder_{name}_{'desktop' if viewport == DESKTOP else 'phone'}")
    assert page.console_errors == []
    assert violations(page) == [], name


@VIEWPORTS
def test_hr_approves_a_request_through_the_slot_finder(page, company, make_user, viewport):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    far = slot_at("AMS-CC", day(20, 3))
    change = ask_for_change(shift, far.id, "Board meeting in Helsinki that week", day(1).replace(year=this_year()))
    db.session.commit()
    change_id = change.id
    hr = make_user(roles=["hr"])
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)

    page.goto(f"/changes/{change_id}")
    page.get_by_role("heading", name="Ann Aalto asks to move their customer-service day").wait_for()
    expect(page.get_by_text("A better free slot that week:")).to_be_visible()
    asked = page.get_by_label("The slot Ann Aalto asked for")
    expect(asked).to_be_checked()
    look(page, viewport, "request")
    page.get_by_role("button", name="Continue").click()

    # The confirmation says what would happen, and that home has a free seat that very week.
    page.get_by_role("heading", name="Approve and move this shift?").wait_for()
    expect(page.get_by_text("A better free slot exists that week:")).to_be_visible()
    expect(page.get_by_text("Warning: AMS-CC is outside Ann Aalto's home region Nordics.")).to_be_visible()
    look(page, viewport, "confirm_worse")
    page.get_by_role("button", name=f"Use HEL-CC, Wed {day(20, 3)}").click()

    page.get_by_role("heading", name="Approve and move this shift?").wait_for()
    expect(page.get_by_text("A better free slot exists that week:")).to_have_count(0)
    expect(page.get_by_text("is sent an updated invitation")).to_be_visible()
    page.get_by_label("Note to the manager (optional)").fill("Helsinki has a seat that Wednesday")
    page.get_by_role("button", name="Approve and move").click()
    page.get_by_text("Approved: Ann Aalto's customer-service day moves to HEL-CC").wait_for()
    look(page, viewport, "approved")

    db.session.expire_all()
    decided = db.session.get_one(ChangeRequest, change_id)
    assert (decided.status, decided.moved_to_slot_id) == (APPROVED, slot_at("HEL-CC", day(20, 3)).id)


@VIEWPORTS
def test_hr_moves_a_shift(page, company, make_user, viewport):
    bo = company["managers"][1]
    draft = assign(bo, slot_at("HEL-CC", day(10)), status=DRAFT)
    db.session.add(Blackout(person_id=bo.id, start=day(10, 3), end=day(10, 3), reason="Dentist"))
    db.session.commit()
    hr = make_user(roles=["hr"])
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)

    page.goto(f"/assignments/{draft.id}")
    page.get_by_role("link", name="Find a slot…").click()
    page.get_by_role("heading", name="Move Bo Berg's customer-service day").wait_for()
    page.get_by_label("From", exact=True).fill(day(10).isoformat())
    page.get_by_label("To", exact=True).fill(day(11, 7).isoformat())
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(f"from {day(10)} to {day(11, 7)} at HEL-CC")).to_be_visible()
    blocked = page.get_by_role("radio", name=f"HEL-CC Wed {day(10, 3)}")
    expect(blocked).to_be_disabled()
    expect(page.get_by_text(f"Cannot be chosen: Bo Berg has a blackout on {day(10, 3)} (Dentist).")).to_be_visible()
    look(page, viewport, "search")

    # By keyboard: the first slot, chosen with the space bar, then Continue.
    first = page.locator(".slot-choices input[type=radio]:not([disabled])").first
    first.focus()
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    target_id = int(first.get_attribute("value") or 0)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Move this shift?").wait_for()
    expect(page.get_by_text("No e-mail now: the shift is a draft.")).to_be_visible()
    look(page, viewport, "confirm")
    page.get_by_role("button", name="Move it").click()
    expect(page.get_by_text("It is a draft, so nobody was told.")).to_be_visible()
    assert reloaded(draft.id).slot_id == target_id

    page.get_by_role("button", name=f"Undo: move it back to HEL-CC, Mon {day(10)}").click()
    expect(page.get_by_text(f"Undone: Bo Berg's customer-service day is draft at HEL-CC, Mon {day(10)}")) \
        .to_be_visible()
    look(page, viewport, "undone")
    assert reloaded(draft.id).slot_id == slot_at("HEL-CC", day(10)).id
    assert outbox_of(draft.id) == []
