"""HR changes a published plan in the browser: moves one assignment, withdraws another, on a desktop and a phone."""
import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import CANCELLED, PUBLISHED, Assignment
from rotation.extensions import db
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import Site, Slot
from tests.fixtures.shifts import next_year
from tests.helpers import PASSWORD, PHONE, outbox_of, page_width, save_screenshot, sign_in
from tests.test_accessibility_browser import violations

pytestmark = pytest.mark.browser


@pytest.fixture
def company(five_managers):
    return five_managers


def published_plan(person_id: int, kind: str) -> Assignment:
    """Plan and publish the year as the ``plan --publish`` command does; return one person's shift."""
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()
    shift = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == person_id, Assignment.kind == kind))
    assert shift is not None, kind
    return shift


def screenshot(page, name: str) -> None:
    save_screenshot(page, f"assignments-{name}")


def fits_the_screen(page) -> bool:
    page.wait_for_load_state("load")  # measured with its style sheets applied
    return page_width(page) <= page.viewport_size["width"]


def test_hr_moves_one_assignment_and_withdraws_another(page, make_user, company):
    ann, bo = company["managers"][:2]
    service_day = published_plan(ann.id, "customer_service")
    week = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == bo.id,
                                                         Assignment.kind == "warehouse"))
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)

    page.goto(f"/assignments/?year={next_year()}")
    page.get_by_role("heading", name=f"Assignments {next_year()}").wait_for()
    page.get_by_label("Name, e-mail or employee id").fill("Ann Aalto")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Showing 1–2 of 2 assignments.")).to_be_visible()
    screenshot(page, "list-desktop")
    page.get_by_role("link", name="Ann Aalto, customer-service day").click()
    page.get_by_role("heading", name="Ann Aalto: customer-service day").wait_for()
    screenshot(page, "detail-desktop")

    # The slot finder: nothing chosen, the message sits beside the slots and the first one gets the focus.
    page.get_by_role("link", name="Find a slot…").click()
    page.get_by_role("heading", name="Move Ann Aalto's customer-service day").wait_for()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#slot-error")).to_have_text("Choose the slot to move it to.")
    expect(page.locator(".slot-choices input[type=radio]").first).to_be_focused()
    page.get_by_label("Site", exact=True).select_option("TLL-CC")
    page.get_by_role("button", name="Search").click()
    choice = page.locator(".slot-choices label").first
    assert "home region · 2 seats left" in choice.inner_text()
    choice.click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Move this shift?").wait_for()
    expect(page.get_by_text("is sent an updated invitation")).to_be_visible()
    page.get_by_role("button", name="Move it").click()
    expect(page.get_by_text("Moved Ann Aalto's customer-service day to TLL-CC,")).to_be_visible()
    expect(page.get_by_text("Ann Aalto is not at their home site HEL-CC.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Sequence1")
    screenshot(page, "moved-desktop")

    page.set_viewport_size(PHONE)
    assert fits_the_screen(page)
    screenshot(page, "moved-phone")
    page.goto(f"/assignments/?year={next_year()}&kind=warehouse")
    assert fits_the_screen(page)
    screenshot(page, "list-phone")
    page.get_by_role("link", name="Bo Berg, warehouse week").click()
    page.get_by_role("button", name="Withdraw…").click()
    page.get_by_role("heading", name="Withdraw this assignment?").wait_for()
    assert fits_the_screen(page)
    screenshot(page, "confirm-phone")
    page.get_by_role("button", name="Withdraw", exact=True).click()
    # His invitation was still waiting in the outbox: it is dropped, and nothing is sent.
    expect(page.get_by_text("Withdrew Bo Berg's warehouse week; no invitation had been sent, so nothing is sent.")) \
        .to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "withdrawn-phone")
    db.session.expire_all()
    withdrawn = db.session.get(Assignment, week.id)
    assert (withdrawn.status, withdrawn.sequence) == (CANCELLED, 1)

    # Taken back at once: he never heard of it, so his shift returns and its invitation is queued again.
    expect(page.get_by_text("Undoing puts it back exactly as it was (published) if no message about this change")) \
        .to_be_visible()
    assert violations(page) == []
    page.get_by_role("button", name="Undo: put it back in TMP-WH").click()
    expect(page.get_by_text("Undone: Bo Berg's warehouse week is published at TMP-WH")).to_be_visible()
    expect(page.get_by_text("never received is sent again.")).to_be_visible()
    expect(page.get_by_role("button", name="Undo: put it back in TMP-WH")).to_have_count(0)
    assert fits_the_screen(page)
    screenshot(page, "undone-phone")
    assert page.console_errors == []

    db.session.expire_all()
    moved, put_back = db.session.get(Assignment, service_day.id), db.session.get(Assignment, week.id)
    assert (moved.status, moved.sequence) == (PUBLISHED, 1)
    assert (put_back.status, put_back.sequence) == (PUBLISHED, 0)
    assert outbox_of(moved.id)[-1] == ("invitation", 1, "queued")
    assert outbox_of(put_back.id)[-1] == ("invitation", 0, "queued")


@pytest.mark.parametrize("size", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_hr_withdraws_two_assignments_at_once_after_reading_what_each_does(page, make_user, company, size):
    ann, bo = company["managers"][:2]
    first = published_plan(ann.id, "customer_service")
    second = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == bo.id,
                                                           Assignment.kind == "customer_service"))
    make_user(roles=["hr"], email="hr@example.com")
    page.set_viewport_size(size)
    sign_in(page, "hr@example.com", PASSWORD)
    page.goto(f"/assignments/?year={next_year()}&kind=customer_service")
    page.get_by_label(f"Select {ann.full_name}, customer-service day").check()
    page.get_by_label(f"Select {bo.full_name}, customer-service day").check()
    page.get_by_role("button", name="Withdraw selected…").click()
    page.get_by_role("heading", name="Withdraw 2 assignments?").wait_for()
    # Published, but their invitations still wait in the outbox: withdrawing drops them, and nothing is sent.
    expect(page.locator("#bulk-lines")).to_contain_text("Cancelled; nothing is sent: no invitation had been sent.")
    expect(page.locator("#bulk-lines")).to_contain_text(ann.full_name)
    assert fits_the_screen(page)
    screenshot(page, f"withdraw-several-{size['width']}")
    assert db.session.get(Assignment, first.id).status == PUBLISHED  # nothing yet
    page.get_by_role("button", name="Withdraw 2 assignments").click()
    page.get_by_text("Withdrew 2 assignments; nothing is sent, as none had reached anyone by e-mail.").wait_for()
    db.session.expire_all()
    assert {db.session.get(Assignment, first.id).status, db.session.get(Assignment, second.id).status} == {CANCELLED}


@pytest.mark.parametrize("size", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_hr_moves_two_assignments_at_once_after_seeing_where_each_goes(page, make_user, company, size):
    ann, cai = company["managers"][0], company["managers"][2]  # Operations and Finance: no department limit
    first = published_plan(ann.id, "customer_service")
    second = db.session.scalar(sa.select(Assignment).where(Assignment.person_id == cai.id,
                                                           Assignment.kind == "customer_service"))
    make_user(roles=["hr"], email="hr@example.com")
    page.set_viewport_size(size)
    sign_in(page, "hr@example.com", PASSWORD)
    page.goto(f"/assignments/?year={next_year()}&kind=customer_service")
    page.get_by_label(f"Select {ann.full_name}, customer-service day").check()
    page.get_by_label(f"Select {cai.full_name}, customer-service day").check()
    page.get_by_role("button", name="Move selected…").click()
    page.get_by_role("heading", name="Move 2 assignments").wait_for()
    expect(page.locator("#bulk-lines")).to_contain_text("Choose the days above.")
    page.get_by_label("From", exact=True).fill(f"{next_year()}-10-04")
    page.get_by_label("To", exact=True).fill(f"{next_year()}-10-08")
    page.get_by_label("Site").select_option("TLL-CC")
    page.get_by_role("button", name="Find their slots").click()
    expect(page.locator("#bulk-lines")).to_contain_text(f"{ann.full_name} ({ann.email}) is sent an updated invitation")
    expect(page.locator("#bulk-lines")).to_contain_text("TLL-CC, Wed")
    assert fits_the_screen(page)
    assert violations(page) == []
    screenshot(page, f"move-several-{size['width']}")
    page.get_by_role("button", name="Move 2 assignments").click()
    page.get_by_text(re.compile(r"^Moved 2 shifts: .*TLL-CC.* Updated invitations go to 2 of them\.$")).wait_for()
    assert fits_the_screen(page)
    db.session.expire_all()
    moved = db.session.scalars(sa.select(Site.code).join(Slot, Slot.site_id == Site.id)
                               .join(Assignment, Assignment.slot_id == Slot.id)
                               .where(Assignment.id.in_([first.id, second.id]))).all()
    assert moved == ["TLL-CC", "TLL-CC"]
    assert page.console_errors == []
