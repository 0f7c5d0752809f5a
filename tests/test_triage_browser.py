"""An owner triages in the browser: makes a problem of one observation, links another to it, merges a second
problem into it and moves it to investigating; then an executive who reported one of the observations reads
the news and opens the problem. Screenshots of the queue and the problem page at desktop and phone width."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.observations.models import TRIAGED, Observation
from rotation.problems.models import DUPLICATE, INVESTIGATING, Problem
from tests.helpers import DESKTOP, PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(triage_world):
    return triage_world

def shoot(page, name: str) -> None:
    """A full-page screenshot in the test artifacts."""
    save_screenshot(page, name)


def both_widths(page, name: str) -> None:
    """Screenshots at desktop width and at 390 px, where nothing may scroll sideways."""
    page.set_viewport_size(DESKTOP)
    shoot(page, f"{name}_desktop")
    page.set_viewport_size(PHONE)
    page.wait_for_load_state("load")
    assert page_width(page) <= PHONE["width"], name
    shoot(page, f"{name}_phone")
    page.set_viewport_size(DESKTOP)


def test_an_owner_triages_merges_and_moves_a_problem_and_an_executive_sees_the_news(page, world,
                                                                                    make_user):
    eve_says = world.observe("eve", "refunds", "Refunds over 20 euros wait for a supervisor", severity=4,
                             frequency="daily", minutes=6, visible=True)
    bo_says = world.observe("bo", "refunds", "Supervisor approval holds every refund", severity=3)
    world.observe("dee", "returns", "Return labels do not print", severity=5, andon=True)
    older = world.problem("Refund approval takes too long", "refunds", severity=3, owner=world["rita"])
    cai_says = world.observe("cai", "refunds", "Refund approval slow again", status=TRIAGED, problem=older)
    world.second(cai_says, "dee")
    world.evidence(cai_says, "cai")

    sign_in(page, "olli@example.com", PASSWORD)
    menu_link(page, "Triage").click()
    expect(page.get_by_role("heading", name="Triage", level=1)).to_be_visible()
    entries = page.locator(".queue li")
    expect(entries).to_have_count(3)
    expect(entries.first).to_contain_text("Return labels do not print")  # andon on top
    expect(entries.first).to_contain_text("Andon")
    both_widths(page, "problems_queue")

    # 1. Make a problem of Eve's observation.
    page.get_by_role("button", name="Triage “Refunds over 20 euros wait for a supervisor”").click()
    expect(page.get_by_label("Problem title")).to_have_value("Refunds over 20 euros wait for a supervisor")
    page.get_by_label("Problem title").fill("Refunds over 20 euros need a supervisor's approval")
    page.get_by_role("button", name="Make it a problem").click()
    expect(page.get_by_text("Made the problem “Refunds over 20 euros need a supervisor's approval”")).to_be_visible()
    db.session.expire_all()
    problem = db.session.scalar(sa.select(Problem).where(Problem.id != older.id))
    assert db.session.get(Observation, eve_says.id).problem_id == problem.id

    # 2. Link Bo's observation to it.
    page.get_by_role("button", name="Triage “Supervisor approval holds every refund”").click()
    both_widths(page, "problems_triage_observation")
    page.get_by_label("Problem", exact=True).select_option(str(problem.id))
    page.get_by_role("button", name="Link to this problem").click()
    expect(page.get_by_text("Linked “Supervisor approval holds every refund” to the problem")).to_be_visible()
    expect(page.locator(".queue li")).to_have_count(1)

    # 3. The older problem is the same one: merge it in, after the confirmation.
    page.goto(f"/problems/{older.id}")
    page.get_by_label("This is the same problem as").select_option(str(problem.id))
    page.get_by_role("button", name="Merge into it…").click()
    expect(page.get_by_role("heading", name="Merge into another problem?")).to_be_visible()
    page.get_by_role("button", name="Merge them").click()
    expect(page.get_by_text("Merged “Refund approval takes too long” into this problem")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refunds over 20 euros need a supervisor's approval")
    expect(page.get_by_role("heading", name="Observations (3)")).to_be_visible()

    # 4. Investigating.
    page.get_by_label("New status").select_option(label="Investigating")
    page.get_by_label("Note").fill("Finance and the service desk look at the approval limit this week.")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("The problem is now investigating.")).to_be_visible()
    history = page.locator("table.history")
    expect(history).to_contain_text("Triaged → Investigating")
    expect(history).to_contain_text("Merged in")
    both_widths(page, "problems_detail")
    assert page.console_errors == []

    db.session.expire_all()
    assert db.session.get(Problem, problem.id).status == INVESTIGATING
    assert db.session.get(Problem, older.id).status == DUPLICATE
    assert set(db.session.scalars(sa.select(Observation.id).where(Observation.problem_id == problem.id))) == \
        {eve_says.id, bo_says.id, cai_says.id}

    # The executive reported Eve's observation: she reads the news and opens the problem.
    page.context.clear_cookies()
    make_user(roles=["manager"], email="eve@example.com", name="Eve Executive")
    sign_in(page, "eve@example.com", PASSWORD)
    menu_link(page, "News").click()
    news = page.locator("ul.news li").filter(has_text="is being investigated")
    expect(news).to_have_count(1)
    expect(news).to_contain_text("Finance and the service desk look at the approval limit this week.")
    news.get_by_role("link", name="Open").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refunds over 20 euros need a supervisor's approval")
    expect(page.locator(".status-investigating").first).to_have_text("Investigating")
    expect(page.get_by_role("button", name="Change status")).to_have_count(0)
    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    shoot(page, "problems_detail_executive_phone")
    page.goto("/problems/")
    expect(page.get_by_role("link", name="Refunds over 20 euros need a supervisor's approval")).to_be_visible()
    assert page_width(page) <= PHONE["width"]
    shoot(page, "problems_list_phone")
    assert page.console_errors == []
