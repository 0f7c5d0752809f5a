"""Attendance in the browser: HR records a shift that came and a no-show; a host uses the e-mailed link on a phone."""
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import COMPLETED, NO_SHOW, PUBLISHED, Assignment
from rotation.extensions import db
from rotation.outbox.models import NO_SHOW_NOTICE, OutboxMessage
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


def status_of(assignment_id: int) -> str:
    db.session.expire_all()
    return db.session.get_one(Assignment, assignment_id).status


def fits(page, viewport) -> None:
    page.wait_for_load_state("load")
    assert page_width(page) <= viewport["width"]


def shot(page, name: str) -> None:
    save_screenshot(page, f"attendance_{name}")


def test_hr_records_one_shift_as_came_and_one_as_no_show(page, recent, make_user):
    hr = make_user(roles=["hr"], email="hr.person@example.com")
    sign_in(page, hr.email, PASSWORD)
    menu_link(page, "Attendance").click()
    page.get_by_role("heading", name="Attendance", level=1).wait_for()
    expect(page.get_by_text("Showing 1–3 of 3 shifts waiting for their attendance")).to_be_visible()
    fits(page, DESKTOP)
    shot(page, "list_desktop")
    # A row's two answers side by side, each on one line: a screen shows more rows.
    came = page.get_by_role("button", name="Came: Ann Aalto").bounding_box()
    no_show = page.get_by_role("button", name="No-show: Ann Aalto").bounding_box()
    assert came and no_show and came["y"] == no_show["y"] and came["height"] == no_show["height"]

    page.get_by_role("button", name="Came: Ann Aalto").click()
    expect(page.get_by_text("Recorded: Ann Aalto came to the customer-service day at HEL-CC")).to_be_visible()
    page.get_by_role("button", name="No-show: Bo Berg").click()
    expect(page.get_by_text("Recorded Bo Berg as a no-show at the warehouse week at TMP-WH")).to_be_visible()
    expect(page.get_by_text("Carla Esposito, the line manager, is told")).to_be_visible()
    assert page.get_by_role("button", name="Came: Ann Aalto").count() == 0
    assert (status_of(recent["ann"].id), status_of(recent["bo"].id)) == (COMPLETED, NO_SHOW)
    assert db.session.scalar(sa.select(OutboxMessage.recipient).where(
        OutboxMessage.purpose == NO_SHOW_NOTICE)) == "e001@example.com"

    page.get_by_role("link", name="Recorded").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Bo Berg")
    expect(rows.nth(0).locator("td", has_text="No-show")).to_contain_text(f"by {hr.email}")
    expect(rows.nth(1)).to_contain_text("Came")
    fits(page, DESKTOP)
    shot(page, "recorded_desktop")

    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="To record").click()
    expect(page.get_by_role("button", name="Came: Fay Frost")).to_be_visible()
    fits(page, PHONE)
    shot(page, "list_phone")
    assert page.console_errors == []


def test_a_host_records_attendance_on_a_phone_and_the_link_works_once(page, recent, host_link):
    page.set_viewport_size(DESKTOP)
    page.goto(host_link)
    page.get_by_role("heading", name="Who came?").wait_for()
    fits(page, DESKTOP)
    shot(page, "host_desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    gus = page.locator("fieldset", has=page.get_by_text("Gus Grey"))
    ann = page.locator("fieldset", has=page.get_by_text("Ann Aalto"))
    expect(ann.get_by_role("radio", name="Came")).to_be_checked()
    expect(gus.get_by_role("radio", name="Came")).to_be_checked()
    gus.get_by_role("radio", name="No-show").check()
    fits(page, PHONE)
    shot(page, "host_phone")

    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    expect(page.get_by_text("Gus Grey: No-show")).to_be_visible()
    expect(page.get_by_text("Ann Aalto: Came")).to_be_visible()
    fits(page, PHONE)
    shot(page, "host_done_phone")
    assert (status_of(recent["ann"].id), status_of(recent["gus"].id)) == (COMPLETED, NO_SHOW)

    response = page.goto(host_link)
    assert response.status == 410
    page.get_by_role("heading", name="This link has been used").wait_for()
    fits(page, PHONE)
    shot(page, "host_used_phone")
    assert status_of(recent["bo"].id) == PUBLISHED  # another slot: its host has a link of their own
    assert [error for error in page.console_errors if "410" not in error] == []


def test_hr_marks_a_sites_day_as_attended_and_selects_a_whole_page(page, recent, make_user):
    hr = make_user(roles=["hr"], email="hr.person@example.com")
    sign_in(page, hr.email, PASSWORD)
    page.set_viewport_size(DESKTOP)
    page.goto("/attendance/")
    page.get_by_text("Mark a site's day at once").click()
    page.locator("#day_site").select_option("HEL-CC")
    page.locator("#day").fill(recent["yesterday"].first_day.isoformat())
    page.get_by_role("button", name="All came…").click()
    page.get_by_role("heading", name="Mark 1 shift as came?").wait_for()
    expect(page.locator("#bulk-lines tbody tr")).to_have_count(1)
    expect(page.locator("#bulk-lines")).to_contain_text("Ann Aalto")
    fits(page, DESKTOP)
    shot(page, "bulk_day_desktop")
    page.get_by_role("button", name="Mark 1 shift as came").click()
    expect(page.get_by_text("Marked 1 shift as came: Ann Aalto.")).to_be_visible()
    assert status_of(recent["ann"].id) == COMPLETED

    page.set_viewport_size(PHONE)
    page.get_by_label("Select all on this page").check()
    expect(page.get_by_role("checkbox", name="Select Bo Berg")).to_be_checked()
    page.get_by_role("button", name="Mark selected as no-show…").click()
    page.get_by_role("heading", name="Mark 2 shifts as no-show?").wait_for()
    expect(page.locator("#bulk-lines")).to_contain_text("To Carla Esposito (e001@example.com), the line manager")
    fits(page, PHONE)
    shot(page, "bulk_confirm_phone")
    page.get_by_role("button", name="Mark 2 shifts as no-show").click()
    expect(page.get_by_text("Marked 2 shifts as no-show")).to_be_visible()
    assert (status_of(recent["bo"].id), status_of(recent["fay"].id)) == (NO_SHOW, NO_SHOW)
    fits(page, PHONE)
    assert page.console_errors == []
