"""HR in the browser: a shift declined in a calendar app and a proposed new time reach the change queue, and HR
resolves both; the replies page says what came back and what Rotation did."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.changes import valid_slots
from rotation.assignments.models import Assignment
from rotation.change_requests.models import APPROVED, DECLINED, FROM_COUNTER, FROM_DECLINE, ChangeRequest
from rotation.extensions import db
from tests.calendar_replies import google_reply, outlook_counter
from tests.fixtures.mail import received_invitation, send
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser



def look(page, name: str) -> None:
    for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(viewport)
        page.wait_for_load_state("load")
        assert page_width(page) <= viewport["width"]
        save_screenshot(page, f"{name}_{label}")
    page.set_viewport_size(DESKTOP)


def test_hr_resolves_a_declined_shift_and_a_proposed_new_time(page, published_invitations, runner, mailbox,
                                                             make_user):
    assert send(runner).exit_code == 0
    declined_raw, declined_shift = received_invitation(published_invitations, "maria@example.com", "customer_service")
    counter_raw, counter_shift = received_invitation(published_invitations, "ben@example.com", "customer_service")
    proposed = valid_slots(counter_shift)[0].slot
    mailbox.deliver(google_reply(declined_raw, "DECLINED", comment="Parental leave that week"))
    mailbox.deliver(outlook_counter(counter_raw, proposed.starts_at, proposed.starts_at + timedelta(hours=8),
                                    comment="A week later works better"))
    result = runner.invoke(args=["replies", "fetch"])
    assert result.output.strip() == "0 accepted, 1 declined, 0 tentative, 1 proposed, 0 bounced, 0 not matched"
    make_user(roles=["hr"], email="hr@example.com")

    sign_in(page, "hr@example.com", PASSWORD)
    page.goto("/outbox/replies/")
    page.get_by_role("heading", name="Replies to invitations", level=1).wait_for()
    expect(page.get_by_text("Parental leave that week")).to_be_visible()
    expect(page.get_by_text("Proposed a new time").first).to_be_visible()
    look(page, "replies_list")

    menu_link(page, "Change requests").click()
    expect(page.get_by_text("Declined the invitation in their calendar")).to_be_visible()
    expect(page.get_by_text("Proposed a new time in their calendar")).to_be_visible()
    look(page, "change_queue_with_calendar_answers")

    page.get_by_role("link", name="Request of Maria Jansen, customer-service day").click()
    page.get_by_role("heading", name="Maria Jansen declined their customer-service day").wait_for()
    look(page, "declined_shift_request")
    page.get_by_label("Why do you decline?").fill("We need you that day; your manager agreed the leave ends before.")
    page.get_by_role("button", name="Keep the shift").click()
    page.get_by_text("Maria Jansen's shift stays as planned and its reminders resume").wait_for()

    page.goto("/changes/")
    page.get_by_role("link", name="Request of Ben Expert, customer-service day").click()
    page.get_by_role("heading", name="Ben Expert proposed a new time for their customer-service day").wait_for()
    expect(page.get_by_label("The slot Ben Expert asked for")).to_be_checked()
    expect(page.get_by_label("The slot Ben Expert asked for")).to_have_value(str(proposed.id))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Approve and move this shift?").wait_for()
    page.get_by_role("button", name="Approve and move").click()
    page.get_by_text("Approved: Ben Expert's customer-service day moves to").wait_for()

    db.session.expire_all()
    outcomes = {change.source: change for change in db.session.scalars(sa.select(ChangeRequest))}
    assert outcomes[FROM_DECLINE].status == DECLINED
    assert outcomes[FROM_COUNTER].status == APPROVED
    assert db.session.get_one(Assignment, counter_shift.id).slot_id == proposed.id
    kept = db.session.get_one(Assignment, declined_shift.id)
    assert (kept.slot_id, kept.current_answer) == (declined_shift.slot_id, None)  # kept, and its reminders resume
