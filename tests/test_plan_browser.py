"""HR plans next year in the browser: runs the plan, reviews the draft and publishes it, on a desktop and a phone."""
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.db import utc_today
from rotation.extensions import db
from rotation.outbox.models import INVITATION, QUEUED, OutboxMessage
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_runs_reviews_and_publishes_next_years_plan(page, worker, viewport, make_user, make_site, make_person,
                                                       make_blackout):
    hr = make_user(roles=["hr"], name="Henna Salo")
    home = make_site("HEL-CC", name="Helsinki contact centre", seats=2)
    make_site("TMP-WH", name="Tampere warehouse", kind="warehouse", seats=3)
    chief = make_person("E001", full_name="Carla Chief", department="Board", home_site=home)
    managers = [make_person(f"E1{n:02d}", full_name=f"Manager {n:02d}", manager=chief, home_site=home)
                for n in range(4)]
    for n, manager in enumerate(managers):
        make_person(f"E2{n:02d}", manager=manager)
    make_blackout(date(next_year(), 1, 1), date(next_year(), 12, 31), person=managers[3], reason="Sabbatical")
    generate_slots(next_year())
    db.session.commit()
    name = viewport["width"]
    page.set_viewport_size(viewport)
    sign_in(page, hr.email, PASSWORD)

    if viewport == PHONE:
        page.get_by_role("link", name=f"Plan {next_year()}").click()  # from the home card
    else:
        menu_link(page, "Year plan").click()
        page.get_by_role("heading", name=f"Plan {utc_today().year}", level=1).wait_for()
        page.get_by_role("navigation", name="Years").get_by_role("link", name=str(next_year())).click()
    page.get_by_role("heading", name=f"Plan {next_year()}", level=1).wait_for()
    page.get_by_role("button", name=f"Run the plan of {next_year()}").click()

    # The page follows the run in the background and shows the draft when it is done.
    expect(page.get_by_text("8 new assignments")).to_be_visible(timeout=30_000)
    changes = page.get_by_role("region", name="What publishing would change")
    assert "8 new assignments" in changes.inner_text() and "0 withdrawals" in changes.inner_text()
    figures = page.locator(".run-figures").inner_text()
    assert "Henna Salo" in figures and "4 customer-service days and 4 warehouse weeks" in figures
    expect(page.get_by_role("img", name=f"Shifts per ISO week in {next_year()}")).to_be_visible()
    expect(page.get_by_role("img", name=f"Seats used and offered per site in {next_year()}")).to_be_visible()
    unplaced = page.get_by_role("region", name="Unplaced")
    assert "Manager 03" in unplaced.inner_text() and "blacked out for the whole year" in unplaced.inner_text()
    # The new placements by name, each person a link; where the shifts are, in words.
    placements = changes.get_by_role("table")
    expect(placements.get_by_role("link", name="Carla Chief")).to_have_count(2)
    assert "Manager 03" not in placements.inner_text()
    assert "at the person's home site" in figures and "2 unplaced" in figures
    page.get_by_text("The numbers by site").click()
    seats_used = page.locator(".chart-numbers").get_by_role("row", name="HEL-CC").locator("td").first
    expect(seats_used).to_have_text("4")  # everyone placed has their customer-service day at home
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"plan-draft-{name}")

    page.get_by_role("button", name=f"Publish the plan of {next_year()}…").click()
    page.get_by_role("heading", name=f"Publish the plan of {next_year()}?").wait_for()
    expect(page.get_by_text("8 invitations, 0 updates and 0 cancellations will be queued")).to_be_visible()
    # Who gets what, before anything is sent: the invitations by name and the e-mails that go out.
    expect(page.get_by_text("8 e-mails go out.")).to_be_visible()
    invitations = page.get_by_role("region", name="Invitations: a new shift")
    expect(invitations.get_by_role("link", name="Manager 00")).to_have_count(2)
    assert "Manager 03" not in invitations.inner_text()
    expect(page.get_by_role("region", name="Cancellations: a shift is withdrawn")).to_have_count(0)
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"plan-confirm-{name}")
    page.get_by_role("button", name="Publish and queue the invitations").click()

    page.get_by_text(f"Published the plan of {next_year()}: 8 invitations, 0 updates and 0 cancellations are queued.") \
        .wait_for()
    expect(page.get_by_text(f"Nothing to publish: the published plan of {next_year()} is up to date")).to_be_visible()
    expect(page.get_by_role("button", name=f"Publish the plan of {next_year()}…")).to_have_count(0)
    save_screenshot(page, f"plan-published-{name}")
    db.session.expire_all()
    assert {row.status for row in db.session.scalars(sa.select(Assignment))} == {PUBLISHED}
    assert set(db.session.execute(sa.select(OutboxMessage.purpose, OutboxMessage.status)).tuples()) == {
        (INVITATION, QUEUED)}
    assert page.console_errors == []
