"""HR opens the schedule in the browser, on a desk and on a phone: filters the grid, opens a shift from its cell,
drags one to another week, and reads a week's seats by site."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.people.models import Person
from tests.fixtures.schedule import SCHEDULE_YEAR as YEAR
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser

ANN_DAY = "C HEL-CC: Ann Aalto, Customer-service day at HEL-CC, Tue 2030-03-05, Published"
ANN_WEEK = "W TMP-WH: Ann Aalto, Warehouse week at TMP-WH, Mon 2030-03-11 to Fri 2030-03-15, Draft"


def test_hr_filters_the_grid_to_a_managers_team_and_opens_a_shift_from_its_cell(page, make_user, schedule_world):
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)
    menu_link(page, "Schedule").click()
    page.get_by_role("heading", name=re.compile(r"^Schedule \d{4}$")).wait_for()
    page.goto(f"/schedule/{YEAR}")
    field = page.get_by_role("combobox", name="Line manager's team (name, e-mail or employee ID)")
    field.fill("Nobody Known")  # nobody: said beside the field
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("Nobody on the roster has the name, e-mail address or employee ID “Nobody Known”.").wait_for()
    field.fill("Ann Aa")  # the suggestions under the field: choose her by name
    page.get_by_role("option", name=re.compile(r"^Ann Aalto")).click()
    assert field.input_value() == "e2@example.com"
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("Ann Aalto and everyone below them in the line-manager tree.").wait_for()
    rows = page.locator("table.schedule-grid tbody th")
    assert [name.split("\n")[0] for name in rows.all_inner_texts()] == ["Ann Aalto", "Bob Berg"]
    department = page.get_by_label("Department")
    department.fill("sal")  # the departments whose name holds what is typed, offered by the browser's list
    expect(page.locator("#department-options option")).to_have_count(1)
    assert page.locator("#department-options option").get_attribute("value") == "Sales"
    assert page_width(page) <= DESKTOP["width"]
    save_screenshot(page, "schedule-grid-desktop")
    page.get_by_role("link", name=ANN_DAY).click()
    page.wait_for_url(f"**/assignments/{schedule_world['ann_day'].id}")
    page.get_by_role("heading", level=1).wait_for()
    assert page.console_errors == []


def test_on_a_phone_the_grid_scrolls_in_its_own_box_with_names_and_weeks_in_view(page, make_user, schedule_world):
    hr = make_user(roles=["hr"])
    page.set_viewport_size(PHONE)
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/schedule/{YEAR}?department=Sales")
    page.get_by_role("heading", name=f"Schedule {YEAR}").wait_for()
    assert page_width(page) <= PHONE["width"]
    box = page.locator(".schedule-scroll")
    assert box.evaluate("element => element.scrollWidth > element.clientWidth")  # the weeks scroll sideways
    name = page.locator("table.schedule-grid tbody th").first
    before = name.bounding_box()
    box.evaluate("element => { element.scrollLeft = 2000; }")
    after = name.bounding_box()
    assert before and after and abs(before["x"] - after["x"]) < 1  # the names stay put
    save_screenshot(page, "schedule-grid-phone")
    shift = page.get_by_role("link", name=ANN_WEEK)
    shift.click()
    page.wait_for_url(f"**/assignments/{schedule_world['ann_week'].id}")
    assert page_width(page) <= PHONE["width"]
    assert page.console_errors == []


def test_dragging_a_shift_to_another_week_opens_the_slot_finder_for_that_week(page, make_user, schedule_world):
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/schedule/{YEAR}?department=Sales")
    shift = page.get_by_role("link", name=ANN_DAY)
    row = page.locator("table.schedule-grid tbody tr").filter(has=shift)
    row.locator('td[data-week="2030-W12"]').scroll_into_view_if_needed()
    shift.drag_to(row.locator('td[data-week="2030-W12"]'))
    page.wait_for_url(f"**/assignments/{schedule_world['ann_day'].id}/find?start=2030-03-18&end=2030-03-22&site=any")
    page.get_by_role("heading", name="Move Ann Aalto's customer-service day").wait_for()
    # The finder searches that week, at every site: a slot is chosen, and the move shown, before anything moves.
    assert page.locator("input[name='start']").input_value() == "2030-03-18"
    assert page.console_errors == []


def test_hr_reads_a_weeks_seats_by_site_and_opens_who_sits_there(page, make_user, schedule_world):
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/schedule/{YEAR}")
    page.get_by_role("link", name="W11, from 2030-03-11: seats by site").click()
    page.get_by_role("heading", name="Seats by site, week 11, Mon 2030-03-11 to Fri 2030-03-15").wait_for()
    assert page.get_by_text("Mon–Fri week: 2 of 2 used, 0 free").is_visible()
    save_screenshot(page, "schedule-sites-desktop")
    page.set_viewport_size(PHONE)
    page.get_by_label("Week or month").select_option(label="March 2030")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Seats by site, March 2030").wait_for()
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "schedule-sites-phone")
    page.get_by_role("link", name="2 of 2 used, 0 free at TMP-WH on 2030-03-11: who").click()  # its week names them
    page.get_by_role("heading", name="Seats by site, week 11, Mon 2030-03-11 to Fri 2030-03-15").wait_for()
    page.get_by_role("link", name="Dan Dahl").click()
    page.wait_for_url(f"**/assignments/{schedule_world['dan_week'].id}")
    page.set_viewport_size(DESKTOP)
    assert page.console_errors == []


def test_scrolling_to_the_foot_of_the_grid_brings_in_the_next_people(page, make_user, schedule_world):
    db.session.add_all(Person(employee_id=f"P{number:03d}", full_name=f"Zed {number:03d}",
                              email=f"p{number:03d}@example.com", department="Sales",
                              manager_id=schedule_world["ann"].id, in_rotation_override=True)
                       for number in range(120))
    db.session.commit()
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)
    page.goto(f"/schedule/{YEAR}")
    rows = page.locator("table.schedule-grid tbody tr")
    expect(rows).to_have_count(50)
    summary = page.locator("[data-schedule-summary] [role='status']")
    expect(summary).to_have_text("Showing 1–50 of 124 people.")
    box = page.locator(".schedule-scroll")
    box.evaluate("element => { element.scrollTop = element.scrollHeight; }")
    expect(rows).to_have_count(100)
    expect(summary).to_have_text("Showing 1–100 of 124 people.")
    box.evaluate("element => { element.scrollTop = element.scrollHeight; }")
    expect(rows).to_have_count(124)
    expect(summary).to_have_text("Showing 1–124 of 124 people.")
    expect(page.locator(".pager a[rel='next']")).to_have_count(0)  # nobody left to bring in
    # A shift brought in opens its assignment like any other.
    assert rows.last.locator("th").inner_text().startswith("Zed 119")
    page.get_by_role("link", name=ANN_DAY).click()
    page.wait_for_url(f"**/assignments/{schedule_world['ann_day'].id}")
    assert page.console_errors == []


def test_a_department_typed_before_the_page_finished_loading_is_still_offered(page, make_user, schedule_world):
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)
    held = []  # the grid's script, held back until the text is in the field, as on a slow connection
    page.route("**/static/js/schedule.js", lambda route: held.append(route))
    page.goto(f"/schedule/{YEAR}", wait_until="commit")
    department = page.get_by_label("Department")
    department.fill("sal")
    for _ in range(200):  # the browser asks for the script once the page's head is read
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    expect(page.locator("#department-options option")).to_have_count(1)
    assert page.locator("#department-options option").get_attribute("value") == "Sales"
    assert page.console_errors == []
