"""A manager opens a shift's briefing from My rotation in the browser, on a desktop and on a phone, and prints it."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.observations.models import TRIAGED, Observation
from rotation.problems.models import Problem
from rotation.process_map.models import ProcessArea
from tests.fixtures.my_rotation import shift
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def manager(published_manager):
    """The manager's customer-service day, and a problem seen on it with a long workaround."""
    day = shift(published_manager, "customer_service")
    area = ProcessArea(name="Refunds")
    db.session.add(area)
    db.session.flush()
    problem = Problem(title="Refund screen freezes when the order has more than nine lines", area_id=area.id,
                      severity=4, status="triaged", due_on=date(2030, 1, 1), countermeasure_type="workaround",
                      countermeasure="Refund from the old screen under Tools › Legacy refunds, line by line, and "
                                     "note the order number in the ticket so the owner can count them")
    db.session.add(problem)
    db.session.flush()
    db.session.add(Observation(assignment_id=day.id, author_id=published_manager.id, area_id=area.id, kind="blocked",
                               title="Refund screen froze twice before lunch", what_happened="It froze.",
                               severity=4, frequency="daily", status=TRIAGED, problem_id=problem.id,
                               submitted_at=datetime(2026, 3, 3, tzinfo=UTC)))
    db.session.commit()
    return published_manager


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_manager_reads_the_briefing_of_a_shift(page, manager, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, manager.email, PASSWORD)
    menu_link(page, "My rotation").click()
    day_card = page.locator("article.shift", has=page.get_by_role("heading", name="Customer-service day"))
    day_card.get_by_role("link", name="Open the briefing").click()
    page.get_by_role("heading", name="Briefing: customer-service day at Helsinki contact centre", level=1).wait_for()
    expect(page.get_by_text("Europe/Helsinki").first).to_be_visible()
    problems = page.locator("section", has=page.get_by_role("heading", name="Open problems to look out for"))
    expect(problems.get_by_role("link", name="Refund screen freezes when the order has more than nine lines")) \
        .to_be_visible()
    expect(problems).to_contain_text("Workaround: Refund from the old screen")
    seen = page.locator("section", has=page.get_by_role("heading", name="What the last leaders here saw"))
    expect(seen.get_by_role("link", name="Refund screen froze twice before lunch")).to_be_visible()

    page.wait_for_load_state("load")
    assert page_width(page) <= viewport["width"]
    name = "desktop" if viewport == DESKTOP else "phone"
    save_screenshot(page, f"briefing_{name}")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="File what you see")).to_be_hidden()
    expect(problems).to_be_visible()
    assert page.console_errors == []
