"""Insights: the Pareto charts of pain by process area and by kind, ageing against due dates, access, escaping."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.db import utc_today
from rotation.extensions import db
from rotation.insights.figures import Group, lumped, pareto_chart
from rotation.problems.models import Problem
from tests.fixtures.insights import BOLD, add_area, observe, problem_in, second
from tests.helpers import PASSWORD, PHONE, count_queries, menu_link, page_width, save_screenshot, sign_in


@pytest.fixture
def world(insights_world):
    return insights_world


def get_page(client, **args) -> str:
    response = client.get("/insights/", query_string=args)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def numbers(text: str, caption: str) -> list[tuple[str, str, str, str, str]]:
    """The rows of the numbers table of the chart captioned ``caption``: name, problems, pain, share, cumulative."""
    figure = text.split(f"<strong>{caption}</strong>", 1)[1].split("</figure>", 1)[0]
    body = figure.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cell = r'<td class="number"[^>]*>'  # each cell names its column for a phone (data-label)
    rows = re.findall(rf'<tr><th scope="row" class="group">(.*?)</th>{cell}(.*?)</td>'
                      rf'{cell}(.*?)</td>{cell}(.*?) %</td>{cell}(.*?) %</td>', body)
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
        area = add_area(f"Area {number}", areas["warehouse"] if number % 2 else None)
        problem = problem_in(area, f"Problem {number}", 1 + number % 5, number - 7)
        observation = observe(shifts["bo"], area, "waste", problem=problem, frequency="weekly")
        second(observation, shifts["cai"])
    db.session.commit()
    with count_queries() as many:
        text = get_page(client, areas="each")
    assert "19 open problems" in text
    assert len(many) == len(few) <= 10, many


# --- In a browser -----------------------------------------------------------------------------------------------

@pytest.mark.browser
def test_an_owner_reads_the_charts_on_a_laptop_and_a_phone(page, world):
    sign_in(page, "olli@example.com", PASSWORD)
    menu_link(page, "Insights").click()
    page.wait_for_url("**/insights/")
    area_chart = page.get_by_role("img", name="Pain by top-level process area")
    area_chart.wait_for()
    assert page.get_by_role("img", name="Pain by kind").is_visible()
    page.get_by_role("link", name="Each area").click()
    page.get_by_role("img", name="Pain by process area").wait_for()
    page.get_by_text("The numbers").first.click()
    assert page.get_by_role("row", name=re.compile("Customer service › Refunds")).first.is_visible()
    page.get_by_role("link", name=f"#{world['problems'][2].id} Trolleys too few at noon").wait_for()
    save_screenshot(page, "insights-desktop")

    page.set_viewport_size(PHONE)
    page.reload()
    width = page_width(page)
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"
    box = page.get_by_role("img", name="Pain by process area").bounding_box()
    assert box["width"] <= PHONE["width"]
    save_screenshot(page, "insights-phone")
    assert page.console_errors == []
