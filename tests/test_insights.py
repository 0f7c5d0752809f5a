"""Insights: the Pareto charts of pain by process area and by kind, ageing against due dates, access, escaping."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import COMPLETED, Assignment
from rotation.db import utc_today
from rotation.extensions import db
from rotation.observations.models import DECLINED, DRAFT, SUBMITTED, TRIAGED, Observation, Second
from rotation.problems.insights import Group, lumped, pareto_chart
from rotation.problems.models import DUPLICATE, VERIFIED, Problem
from rotation.process_map.models import ProcessArea
from rotation.sites.models import CUSTOMER_SERVICE, WAREHOUSE_WEEK, Slot
from tests.browser_fixtures import PHONE, page_width, sign_in
from tests.conftest import PASSWORD, count_queries

BOLD = "<b>Bold</b> area"


def _area(name: str, parent: ProcessArea | None = None) -> ProcessArea:
    area = ProcessArea(name=name, parent_id=parent.id if parent else None)
    db.session.add(area)
    db.session.flush()
    return area


def _slot(site, kind: str, first_day: date, starts_at: datetime) -> Slot:
    days = 4 if kind == WAREHOUSE_WEEK else 0
    slot = Slot(site_id=site.id, kind=kind, first_day=first_day, last_day=first_day + timedelta(days=days),
                starts_at=starts_at, ends_at=starts_at + timedelta(days=days, hours=8), seats=4)
    db.session.add(slot)
    db.session.flush()
    return slot


def _shift(person, slot: Slot) -> Assignment:
    kind, first_day = slot.kind, slot.first_day
    assignment = Assignment(person_id=person.id, slot_id=slot.id, year=first_day.year, kind=kind, status=COMPLETED)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def observe(shift: Assignment, area: ProcessArea, kind: str, *, problem: Problem | None = None,
            frequency: str = "first_time", visible: bool | None = None, minutes: int | None = None,
            status: str | None = None, severity: int = 3, title: str = "Seen on the floor",
            andon: bool = False) -> Observation:
    """An observation by the shift's person (flushed); triaged when it has a problem, submitted otherwise."""
    status = status or (TRIAGED if problem else SUBMITTED)
    observation = Observation(
        assignment_id=shift.id, author_id=shift.person_id, area_id=area.id, kind=kind, title=title,
        what_happened="What happened.", frequency=frequency, customer_visible=visible, customer_minutes=minutes,
        severity=severity, status=status, andon=andon, problem_id=problem.id if problem else None,
        submitted_at=None if status == DRAFT else datetime(2027, 3, 1, 12, 30, 15, 123456, tzinfo=UTC))
    db.session.add(observation)
    db.session.flush()
    return observation


def second(observation: Observation, shift: Assignment) -> Second:
    row = Second(observation_id=observation.id, person_id=shift.person_id, assignment_id=shift.id, note="Me too.")
    db.session.add(row)
    db.session.flush()
    return row


def problem_in(area: ProcessArea, title: str, severity: int, due_in_days: int, *, status: str = TRIAGED,
               safety: bool = False, owner=None, **values) -> Problem:
    problem = Problem(title=title, area_id=area.id, status=status, severity=severity, safety=safety,
                      due_on=utc_today() + timedelta(days=due_in_days), owner_id=owner.id if owner else None,
                      created_at=datetime(2027, 3, 2, 8, 0, tzinfo=UTC), **values)
    db.session.add(problem)
    db.session.flush()
    return problem


@pytest.fixture
def world(make_site, make_person, make_user):
    yield build_world(make_site, make_person, make_user)
    forget_duplicates()


def build_world(make_site, make_person, make_user) -> dict:
    """Areas Customer service › Refunds and › Returns, Warehouse › Picking, and a top-level "<b>Bold</b> area";
    four people with a shift each; five problems (four open) and a duplicate, as the docstrings of the tests
    below work out by hand.

    Pain = reporters × frequency weight × severity² × (1 + customer-visible minutes ÷ 10):

    - P1 Refunds, severity 3: ann (hourly, seen, 6 min) and bo (daily, not seen, 30 min) blocked, cai seconds
      ann's: 3 × 16 × 9 × 1.6 = 691.2
    - P2 Returns, severity 2: cai contact (weekly, seen, 10 min) and dina blocked (first time, not seen):
      2 × 4 × 4 × 2 = 64; kinds tie one to one, contact is listed first
    - P3 Picking, severity 4: cai waste (daily, unknown), ann and dina second it: 3 × 8 × 16 × 1 = 384
    - P4 Bold area, severity 1: dina defect (first time, seen, 0 min): 1 × 1 × 1 × 1 = 1
    - P5 Picking, severity 5, verified (closed): dina safety (monthly): 1 × 2 × 25 × 1 = 50
    - P6 duplicate of P1: no observations, never counted.
    """
    hel = make_site("HEL-CC", name="Helsinki contact centre")
    tmp = make_site("TMP-WH", name="Tampere warehouse", kind="warehouse")
    people = {name: make_person(f"E{index:03d}", full_name=name.title(), email=f"{name}@example.com")
              for index, name in enumerate(("ann", "bo", "cai", "dina"), start=1)}
    olli = make_user(roles=["owner"], email="olli@example.com", name="Olli Owner")
    day = date(2027, 3, 1)
    # 09:00 in Helsinki (UTC+02:00 in March) is 07:00 UTC.
    service_day = _slot(hel, CUSTOMER_SERVICE, day, datetime.combine(day, time(7), tzinfo=UTC))
    week = _slot(tmp, WAREHOUSE_WEEK, day, datetime.combine(day, time(5), tzinfo=UTC))
    shifts = {name: _shift(person, week if name == "cai" else service_day) for name, person in people.items()}

    service = _area("Customer service")
    refunds, returns = _area("Refunds", service), _area("Returns", service)
    warehouse = _area("Warehouse")
    picking = _area("Picking", warehouse)
    bold = _area(BOLD)

    p1 = problem_in(refunds, "Refunds wait for a supervisor", 3, -5, owner=olli)
    ann_refund = observe(shifts["ann"], refunds, "blocked", problem=p1, frequency="hourly", visible=True, minutes=6,
                         andon=True)
    observe(shifts["bo"], refunds, "blocked", problem=p1, frequency="daily", visible=False, minutes=30)
    second(ann_refund, shifts["cai"])

    p2 = problem_in(returns, "Return labels print blank", 2, 3, owner=olli)
    observe(shifts["cai"], returns, "contact", problem=p2, frequency="weekly", visible=True, minutes=10)
    observe(shifts["dina"], returns, "blocked", problem=p2, frequency="first_time", visible=False)

    p3 = problem_in(picking, "Trolleys too few at noon", 4, -20)
    trolleys = observe(shifts["cai"], picking, "waste", problem=p3, frequency="daily")
    second(trolleys, shifts["ann"])
    second(trolleys, shifts["dina"])

    p4 = problem_in(bold, "<i>Typo</i> on the packing slip", 1, 30)
    observe(shifts["dina"], bold, "defect", problem=p4, frequency="first_time", visible=True, minutes=0)

    p5 = problem_in(picking, "Pallet wrap blade exposed", 5, -100, status=VERIFIED, safety=True,
                    closed_at=datetime(2027, 4, 1, 9, 0, tzinfo=UTC), verification_metric="Cuts a month",
                    countermeasure_type="eliminate")
    observe(shifts["dina"], picking, "safety", problem=p5, frequency="monthly", severity=5)

    p6 = problem_in(refunds, "Supervisor approval for refunds", 3, -1, status=DUPLICATE, duplicate_of_id=p1.id,
                    closed_at=datetime(2027, 3, 5, 9, 0, tzinfo=UTC))

    # Not linked to any problem: a draft, a submitted and a declined observation.
    observe(shifts["ann"], refunds, "blocked", status=DRAFT, title="Half written")
    observe(shifts["bo"], returns, "contact", title="Waiting for triage")
    observe(shifts["bo"], returns, "contact", status=DECLINED, title="Not a process problem")
    db.session.commit()
    return {"people": people, "shifts": shifts, "olli": olli, "problems": [p1, p2, p3, p4, p5, p6],
            "areas": {"service": service, "refunds": refunds, "returns": returns, "warehouse": warehouse,
                      "picking": picking, "bold": bold}}


def forget_duplicates() -> None:
    """Undo the duplicate marks before the tables are emptied: on SQLite, deleting the problem a duplicate points
    at would otherwise clear ``duplicate_of_id`` on a row still marked as a duplicate, which the schema refuses."""
    db.session.rollback()
    db.session.execute(sa.update(Problem).where(Problem.status == DUPLICATE).values(status=VERIFIED,
                                                                                     duplicate_of_id=None))
    db.session.commit()


def get_page(client, **args) -> str:
    response = client.get("/insights/", query_string=args)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def numbers(text: str, caption: str) -> list[tuple[str, str, str, str, str]]:
    """The rows of the numbers table of the chart captioned ``caption``: name, problems, pain, share, cumulative."""
    figure = text.split(f"<strong>{caption}</strong>", 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r'<tr><th scope="row" class="group">(.*?)</th><td class="number">(.*?)</td>'
                      r'<td class="number">(.*?)</td><td class="number">(.*?) %</td><td class="number">(.*?) %</td>',
                      body)
    return [(html.unescape(name), *rest) for name, *rest in rows]


def expected(groups: list[tuple[str, int, float]]) -> list[tuple[str, str, str, str, str]]:
    """Table rows worked out from (name, problems, pain): shares and running shares of the total, one decimal."""
    total = sum(pain for _, _, pain in groups)
    rows, running = [], 0.0
    for name, problems, pain in groups:
        running += pain
        rows.append((name, str(problems), f"{pain:,g}", f"{100 * pain / total:.1f}", f"{100 * running / total:.1f}"))
    return rows


# --- The Pareto charts ----------------------------------------------------------------------------------------

def test_pain_by_top_level_area_is_sorted_with_its_cumulative_share(client, login_as, world):
    login_as("owner")
    text = get_page(client)
    # Customer service 691.2 + 64, Warehouse 384, the bold area 1; the verified and the duplicate left out.
    assert numbers(text, "By top-level process area") == expected(
        [("Customer service", 2, 755.2), ("Warehouse", 1, 384), (BOLD, 1, 1)])
    assert numbers(text, "By top-level process area")[0][3:] == ("66.2", "66.2")
    assert numbers(text, "By top-level process area")[-1][4] == "100.0"
    assert "4 open problems, pain 1,140.2 in all." in html.unescape(text)


def test_pain_by_each_area_uses_the_full_path(client, login_as, world):
    login_as("manager")
    text = get_page(client, areas="each")
    assert numbers(text, "By process area") == expected(
        [("Customer service › Refunds", 1, 691.2), ("Warehouse › Picking", 1, 384),
         ("Customer service › Returns", 1, 64), (BOLD, 1, 1)])


def test_all_problems_adds_the_closed_ones_but_never_a_merged_duplicate(client, login_as, world):
    login_as("admin")
    text = get_page(client, problems="all")
    assert numbers(text, "By top-level process area") == expected(
        [("Customer service", 2, 755.2), ("Warehouse", 2, 434), (BOLD, 1, 1)])
    assert "Supervisor approval for refunds" not in text


def test_a_problems_kind_is_the_most_common_among_its_observations(client, login_as, world):
    login_as("owner")
    assert numbers(get_page(client), "By kind") == expected(
        [("The computer (or a policy) says no", 1, 691.2), ("Waste (one of the eight lean wastes)", 1, 384),
         ("A customer contact and its driver", 1, 64), ("A quality defect", 1, 1)])
    assert ("Safety", "1", "50") in [row[:3] for row in numbers(get_page(client, problems="all"), "By kind")]


def test_the_chart_draws_the_same_order_with_tooltips_and_a_cumulative_line(client, login_as, world):
    login_as("owner")
    text = get_page(client)
    chart = text.split("<strong>By top-level process area</strong>", 1)[1].split("</svg>", 1)[0]
    titles = [html.unescape(title) for title in re.findall(r'<g class="pareto-row"><title>(.*?)</title>', chart)]
    assert [title.split(":")[0] for title in titles] == ["Customer service", "Warehouse", BOLD]
    assert titles[0] == "Customer service: pain 755.2 from 2 problems, 66% of all the pain, 66% cumulative"
    points = re.search(r'<polyline class="cumulative" points="([^"]+)"', chart).group(1).split()
    assert len(points) == 3
    assert 'viewBox="0 0 400 ' in chart


def test_the_chart_lumps_the_smallest_groups_into_one_bar():
    groups = [Group(key=str(n), name=f"Area {n}", short=f"Area {n}", problems=1, pain=float(20 - n),
                    share=0.0, cumulative=0.0) for n in range(12)]
    bars = lumped(groups, most=10)
    assert [bar.name for bar in bars][-2:] == ["Area 8", "3 others"]
    assert (bars[-1].problems, bars[-1].pain, bars[-1].cumulative) == (3, 30.0, 100.0)
    assert len(pareto_chart(groups).bars) == 10


def test_an_empty_company_says_so(client, login_as):
    login_as("owner")
    text = get_page(client)
    assert "No open problems: nothing hurts right now." in text
    assert "Nothing is overdue." in text
    assert "<svg" not in text


# --- Ageing ---------------------------------------------------------------------------------------------------

def test_ageing_counts_open_problems_against_their_due_dates(client, login_as, world):
    login_as("owner")
    text = get_page(client)
    table = text.split('<table class="stack compact ageing">', 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r'<th scope="row" class="group">(.*?)</th>\s*<td data-label="Overdue" class="number[^"]*">(\d+)'
                      r'</td>\s*<td data-label="Due soon" class="number">(\d+)</td>\s*'
                      r'<td data-label="Later" class="number">(\d+)</td>', table)
    # The verified problem was due 100 days ago and the duplicate yesterday: neither is open.
    assert [(html.unescape(name), *counts) for name, *counts in rows] == [
        ("Customer service", "1", "1", "0"), ("Warehouse", "1", "0", "0"), (BOLD, "0", "0", "1")]


def test_ageing_per_area_follows_the_area_toggle(client, login_as, world):
    login_as("owner")
    text = get_page(client, areas="each")
    table = text.split('<table class="stack compact ageing">', 1)[1].split("</tbody>", 1)[0]
    names = [html.unescape(name) for name in re.findall(r'<th scope="row" class="group">(.*?)</th>', table)]
    # One overdue each in Refunds and Picking (by name), then Returns with one due soon, then one due later.
    assert names == ["Customer service › Refunds", "Warehouse › Picking", "Customer service › Returns", BOLD]


def test_the_longest_overdue_are_listed_with_days_and_owner(client, login_as, world):
    login_as("owner")
    text = get_page(client)
    table = text.split('<table class="stack compact overdue"', 1)[1].split("</table>", 1)[0]
    p1, _, p3, *_ = world["problems"]
    links = re.findall(r'<a href="/problems/(\d+)">', table)
    assert links == [str(p3.id), str(p1.id)]
    rows = table.split("<tr>")[2:]
    assert "Nobody yet" in rows[0] and '<td data-label="Days overdue" class="number late">20</td>' in rows[0]
    assert "Olli Owner" in rows[1] and '<td data-label="Days overdue" class="number late">5</td>' in rows[1]
    assert (utc_today() - timedelta(days=20)).isoformat() in rows[0]


# --- Access, escaping, queries ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "admin", "manager"])
def test_owners_admins_and_managers_see_insights(client, login_as, role):
    login_as(role)
    assert client.get("/insights/").status_code == 200


def test_hr_alone_is_refused_and_strangers_are_sent_to_sign_in(client, login_as):
    response = client.get("/insights/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as("hr")
    assert client.get("/insights/").status_code == 403


def test_unknown_filters_fall_back_to_the_defaults(client, login_as, world):
    login_as("owner")
    text = get_page(client, problems="<script>", areas="sideways")
    assert "By top-level process area" in text and "4 open problems" in text
    assert "<script>" not in text


def test_names_and_titles_are_escaped_everywhere(client, login_as, world):
    login_as("owner")
    for args in ({}, {"areas": "each"}, {"problems": "all"}):
        text = get_page(client, **args)
        assert "<b>Bold</b>" not in text and "<i>Typo</i>" not in text
        assert "&lt;b&gt;Bold&lt;/b&gt; area" in text
    # The bold area's one problem is not overdue; make it so to see its title in the list.
    db.session.execute(sa.update(Problem).where(Problem.title.startswith("<i>"))
                       .values(due_on=utc_today() - timedelta(days=1)))
    db.session.commit()
    text = get_page(client)
    assert "&lt;i&gt;Typo&lt;/i&gt; on the packing slip" in text and "<i>Typo</i>" not in text


def test_the_page_runs_the_same_queries_however_many_problems(client, login_as, world):
    login_as("owner")
    get_page(client)
    with count_queries() as few:
        get_page(client)
    shifts, areas = world["shifts"], world["areas"]
    for number in range(15):
        area = _area(f"Area {number}", areas["warehouse"] if number % 2 else None)
        problem = problem_in(area, f"Problem {number}", 1 + number % 5, number - 7)
        observation = observe(shifts["bo"], area, "waste", problem=problem, frequency="weekly")
        second(observation, shifts["cai"])
    db.session.commit()
    with count_queries() as many:
        text = get_page(client, areas="each")
    assert "19 open problems" in text
    assert len(many) == len(few) <= 10, many


# --- In a browser -----------------------------------------------------------------------------------------------

def test_an_owner_reads_the_charts_on_a_laptop_and_a_phone(page, world):
    sign_in(page, "olli@example.com", PASSWORD)
    page.get_by_role("link", name="Insights").click()
    page.wait_for_url("**/insights/")
    area_chart = page.get_by_role("img", name="Pain by top-level process area")
    area_chart.wait_for()
    assert page.get_by_role("img", name="Pain by kind").is_visible()
    page.get_by_role("link", name="Each area").click()
    page.get_by_role("img", name="Pain by process area").wait_for()
    page.get_by_text("The numbers").first.click()
    assert page.get_by_role("row", name=re.compile("Customer service › Refunds")).first.is_visible()
    page.get_by_role("link", name=f"#{world['problems'][2].id} Trolleys too few at noon").wait_for()
    page.screenshot(path="/tmp/insights-desktop.png", full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    width = page_width(page)
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
    box = page.get_by_role("img", name="Pain by process area").bounding_box()
    assert box["width"] <= PHONE["width"]
    page.screenshot(path="/tmp/insights-phone.png", full_page=True)
    assert page.console_errors == []
