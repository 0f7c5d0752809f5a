"""Change requests in the browser: a manager asks to move a shift; HR approves one request and declines another."""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import Assignment
from rotation.change_requests.models import APPROVED, DECLINED, PENDING, ChangeRequest
from rotation.change_requests.services import ask_for_change
from rotation.extensions import db
from rotation.sites.models import Slot
from tests.fixtures.my_rotation import next_year, shift
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in
from tests.test_accessibility_browser import violations

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(published_manager):
    return published_manager


def check_layout(page, viewport, name: str) -> None:
    page.wait_for_load_state("load")
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"{name}_{'desktop' if viewport == DESKTOP else 'phone'}")
    assert page.console_errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_asks_to_move_a_shift(page, manager, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, manager.email, PASSWORD)
    menu_link(page, "My rotation").click()
    day_card = page.locator("article.shift", has=page.get_by_role("heading", name="Customer-service day"))
    day_card.get_by_role("link", name="Ask for a change").click()
    page.get_by_role("heading", name="Ask for a change", level=1).wait_for()

    page.get_by_role("button", name="Send to HR").click()
    expect(page.get_by_text("Say why you need the change; HR decides on it.")).to_be_visible()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChangeRequest)) == 0

    choice = page.locator(".slot-choices input[type=radio]:not([disabled])").first
    wanted = choice.get_attribute("value")
    choice.check()
    page.get_by_label("Why do you need the change?").fill("Quarter close falls on that day")
    check_layout(page, viewport, "change_request_form")
    page.get_by_role("button", name="Send to HR").click()
    page.get_by_text("Your request is with HR.").wait_for()
    expect(day_card).to_contain_text("Waiting for HR")
    expect(day_card.get_by_role("button", name="Withdraw your change request")).to_be_visible()
    db.session.expire_all()
    change = db.session.scalar(sa.select(ChangeRequest))
    assert (change.status, change.wanted_slot_id, change.reason) == \
        (PENDING, int(wanted), "Quarter close falls on that day")
    check_layout(page, viewport, "my_rotation_waiting")


def test_hr_approves_one_request_and_declines_another(page, manager, make_person, make_user):
    day_shift, week_shift = shift(manager, "customer_service"), shift(manager, "warehouse")
    today = date(next_year() - 1, 12, 1)
    approved = ask_for_change(day_shift, None, "Quarter close", today)
    declined = ask_for_change(week_shift, None, "Holiday", today)
    db.session.commit()
    approved_id, declined_id = approved.id, declined.id
    make_user(roles=["hr"], email="hr@example.com")

    page.set_viewport_size(DESKTOP)
    sign_in(page, "hr@example.com", PASSWORD)
    menu_link(page, "Change requests").click()
    page.get_by_role("heading", name="Change requests", level=1).wait_for()
    page.get_by_role("link", name="Request of Maija Manager, customer-service day").click()
    page.locator(".slot-choices input[type=radio]:not([disabled])").first.check()
    page.get_by_label("Note to the manager (optional)").fill("Moved to the next free day")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Approve and move this shift?").wait_for()
    page.get_by_role("button", name="Approve and move").click()
    page.get_by_text("Approved: Maija Manager's customer-service day moves to").wait_for()

    page.get_by_role("link", name="Request of Maija Manager, warehouse week").click()
    page.get_by_role("button", name="Decline").click()
    expect(page.get_by_text("Say why you decline; the manager reads it.")).to_be_visible()
    page.get_by_label("Why do you decline?").fill("Peak season: every week is full")
    page.get_by_role("button", name="Decline").click()
    page.get_by_text("Declined Maija Manager's request; they are told why.").wait_for()
    expect(page.get_by_text("No request is waiting for you.")).to_be_visible()

    db.session.expire_all()
    assert db.session.get(ChangeRequest, approved_id).status == APPROVED
    assert db.session.get(ChangeRequest, declined_id).status == DECLINED
    moved_to = db.session.get(Slot, db.session.get(ChangeRequest, approved_id).moved_to_slot_id)
    assert shift(manager, "customer_service").slot_id == moved_to.id
    check_layout(page, DESKTOP, "change_requests_queue")

    # The manager reads both answers in the app.
    page.locator("summary", has_text="hr@example.com").click()
    page.get_by_role("button", name="Sign out").click()
    page.set_viewport_size(PHONE)
    sign_in(page, manager.email, PASSWORD)
    # On a phone the menu is folded; its button says that news waits.
    expect(page.get_by_role("button", name="Menu, 2 unread news")).to_be_visible()
    menu_link(page, "News, 2 unread").click()
    expect(page.get_by_text("HR approved your change request.")).to_be_visible()
    expect(page.get_by_text("Peak season: every week is full")).to_be_visible()
    check_layout(page, PHONE, "news")
    page.get_by_role("button", name="Mark all read").click()
    page.get_by_text("Marked 2 notifications read.").wait_for()
    menu_link(page, "My rotation").click()
    expect(page.locator("article.shift", has=page.get_by_role("heading", name="Warehouse week"))) \
        .to_contain_text("HR declined")


def test_hr_takes_back_an_approval_from_the_queue(page, manager, make_user):
    day_shift = shift(manager, "customer_service")
    was = day_shift.slot_id
    change = ask_for_change(day_shift, None, "Quarter close", date(next_year() - 1, 12, 1))
    db.session.commit()
    change_id = change.id
    make_user(roles=["hr"], email="hr@example.com")
    sign_in(page, "hr@example.com", PASSWORD)
    page.goto(f"/changes/{change_id}")
    page.locator(".slot-choices input[type=radio]:not([disabled])").first.check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Approve and move").click()
    page.get_by_text("Approved: Maija Manager's customer-service day moves to").wait_for()
    undo = page.get_by_role("button", name=re.compile(r"^Undo the approval: Maija Manager's shift back to "))
    expect(undo).to_be_visible()
    assert violations(page) == []
    check_layout(page, DESKTOP, "queue_with_undo")
    page.set_viewport_size(PHONE)
    check_layout(page, PHONE, "queue_with_undo")
    undo.click()
    page.get_by_text("Undone: Maija Manager's shift is back where it was and the request waits again").wait_for()
    expect(page.get_by_role("link", name="Request of Maija Manager, customer-service day")).to_be_visible()
    db.session.expire_all()
    assert db.session.get_one(ChangeRequest, change_id).status == PENDING
    assert db.session.get_one(Assignment, day_shift.id).slot_id == was
    assert page.console_errors == []
