"""HR's plan page: run the plan from the web, review the draft (figures, charts, changes, unplaced), publish."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import (
    CANCELLED,
    DRAFT,
    MOVE,
    PUBLISHED,
    WITHDRAW,
    Assignment,
)
from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.jobs.models import Job
from rotation.outbox.models import INVITATION, QUEUED, OutboxMessage
from rotation.plans.models import FINISHED, RUNNING, PlanRun, UnplacedShift
from rotation.plans.models import QUEUED as RUN_QUEUED
from rotation.plans.publish import publish_year
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import count_queries, csrf_token, next_page_url


def plan_page() -> str:
    """The address of the planned year's plan page."""
    return f"/plan/{next_year()}"


def start_of_year() -> date:
    """The first day of the planned year."""
    return date(next_year(), 1, 1)


def build_company(make_site, make_person, managers: int = 5) -> dict:
    """Two sites and a chief executive with ``managers`` managers, each with a report (so in the rotation)."""
    home = make_site("HEL-CC", name="Helsinki contact centre", seats=2)
    make_site("TMP-WH", name="Tampere warehouse", kind="warehouse", seats=3)
    chief = make_person("E001", full_name="Carla Chief", department="Board", home_site=home)
    team = [make_person(f"E1{n:02d}", full_name=f"Manager {n:02d}", manager=chief, home_site=home,
                        department=f"Department {n % 3}")
            for n in range(managers)]
    for n, manager in enumerate(team):
        make_person(f"E2{n:02d}", manager=manager)
    generate_slots(next_year())
    db.session.commit()
    return {"chief": chief, "managers": team}


@pytest.fixture
def company(make_site, make_person):
    return build_company(make_site, make_person)


def run_plan() -> PlanRun:
    """Plan the year the way the command does, synchronously."""
    run = plan_run(start_run(next_year(), None, "command"), not_before=start_of_year())
    db.session.commit()
    return run


def publish() -> None:
    publish_year(next_year(), None)
    db.session.commit()


def statuses() -> set[tuple[str, str | None]]:
    db.session.expire_all()
    return set(db.session.execute(
        sa.select(Assignment.status, OutboxMessage.purpose)
        .outerjoin(OutboxMessage, sa.and_(OutboxMessage.assignment_id == Assignment.id,
                                          OutboxMessage.status == QUEUED))).tuples())


def page_token(client) -> str:
    return csrf_token(client.get(plan_page()).get_data(as_text=True))


def text(html: str) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# Access -------------------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_log_in(client):
    page = plan_page()
    for url in ("/plan/", page, f"{page}/changes", f"{page}/unplaced", f"{page}/runs/1/progress"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


def test_a_manager_may_not_see_or_run_the_plan(client, login_as, company):
    login_as("manager")
    token = csrf_token(client.get("/").get_data(as_text=True))
    page = plan_page()
    for url in ("/plan/", page, f"{page}/changes", f"{page}/unplaced", f"{page}/runs/1/progress"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"{plan_page()}/run", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{plan_page()}/publish", data={"csrf_token": token, "confirmed": "yes"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(PlanRun.id))) == 0


@pytest.mark.dates
def test_the_plan_link_leads_to_this_years_page(client, login_as):
    login_as("hr")
    assert 'href="/plan/"' in client.get("/").get_data(as_text=True)
    response = client.get("/plan/")
    assert response.status_code == 302 and response.headers["Location"] == f"/plan/{utc_today().year}"
    assert client.get("/plan/1850").status_code == 404


# Running ------------------------------------------------------------------------------------------


def test_hr_runs_the_plan_from_the_page_and_the_worker_plans_it(client, login_as, company, run_jobs):
    hr = login_as("hr", name="Henna HR")
    page = client.get(plan_page()).get_data(as_text=True)
    assert "No plan of" in page and f"Run the plan of {next_year()}" in page

    response = client.post(f"{plan_page()}/run", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == plan_page()
    run = db.session.scalar(sa.select(PlanRun))
    assert (run.year, run.source, run.started_by_id, run.status) == (next_year(), "page", hr.id, RUN_QUEUED)
    waiting = text(client.get(plan_page()).get_data(as_text=True))
    assert f"The plan of {next_year()} is running." in waiting  # the flash the redirect carried
    assert "Step 1 of 4: Waiting for the background worker" in waiting
    assert f"Run the plan of {next_year()}" not in waiting and "ask your administrator" not in waiting
    assert client.get(f"{plan_page()}/runs/{run.id}/progress").get_json() == {
        "status": RUN_QUEUED, "done": False, "step": 0, "steps": 4, "label": "Waiting for the background worker",
        "error": None}
    assert statuses() == set()  # the request itself plans nothing

    [outcome] = run_jobs()
    assert outcome.finished and outcome.line == (
        f"plan of {next_year()}: 6 customer-service days and 6 warehouse weeks, 0 unplaced")
    assert client.get(f"{plan_page()}/runs/{run.id}/progress").get_json() == {
        "status": FINISHED, "done": True, "step": 4, "steps": 4, "label": "Finished", "error": None}
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "by Henna HR" in page
    assert "People in the rotation 6" in page
    assert "6 customer-service days and 6 warehouse weeks" in page
    assert "12 new assignments (invitations)" in page
    assert f"Publish the plan of {next_year()}…" in page
    assert statuses() == {(DRAFT, None)}
    assert db.session.scalar(sa.select(Job.status)) == "finished"


def test_a_run_no_worker_takes_says_whom_to_ask(client, login_as, company):
    login_as("hr")
    client.post(f"{plan_page()}/run", data={"csrf_token": page_token(client)})
    db.session.execute(sa.update(Job).values(created_at=utcnow() - timedelta(minutes=2)))
    db.session.commit()
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "No background worker has taken this run for a while" in page and "ask your administrator" in page


def test_a_failing_run_shows_why_on_the_page(client, login_as, company, run_jobs, monkeypatch):
    from rotation.plans import runs

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(runs, "plan_year", broken)
    login_as("hr")
    client.post(f"{plan_page()}/run", data={"csrf_token": page_token(client)})
    [outcome] = run_jobs()
    assert not outcome.finished and "solver exploded" in outcome.line
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "The plan stopped: RuntimeError: solver exploded" in page
    assert f"Run the plan of {next_year()}" in page  # HR may try again
    assert statuses() == set()
    assert db.session.scalar(sa.select(Job.status)) == "failed"


def test_a_running_plan_shows_its_progress_and_no_run_button(client, login_as, company):
    login_as("hr")
    run = start_run(next_year(), None, "command")
    run.step = 1
    db.session.commit()
    page = client.get(plan_page()).get_data(as_text=True)
    assert "Step 2 of 4" in text(page) and "Planning warehouse weeks" in page
    assert f'data-progress-url="{plan_page()}/runs/{run.id}/progress"' in page
    assert "Refresh" in page
    assert f"Run the plan of {next_year()}" not in page
    assert client.get(f"{plan_page()}/runs/{run.id}/progress").get_json() == {
        "status": RUNNING, "done": False, "step": 1, "steps": 4, "label": "Planning warehouse weeks", "error": None}
    assert client.get(f"/plan/{next_year() - 1}/runs/{run.id}/progress").status_code == 404

    refused = client.post(f"{plan_page()}/run", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert f"A plan of {next_year()} is already running" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PlanRun.id))) == 1
    not_now = client.post(f"{plan_page()}/publish", data={"csrf_token": csrf_token(page), "confirmed": "yes"},
                          follow_redirects=True)
    assert "Publish once it has finished" in not_now.get_data(as_text=True)


def test_a_year_without_slots_says_so_and_running_it_writes_nothing(client, login_as, company):
    login_as("hr")
    empty = next_year() + 3
    page = client.get(f"/plan/{empty}").get_data(as_text=True)
    assert f"{empty} has no slots yet, so it cannot be planned." in page
    assert f'<a href="/sites/slots/new?year={empty}">Create the slots of {empty}</a> first.' in page
    assert "slots generate" not in page
    assert f"Run the plan of {empty}" not in page
    response = client.post(f"/plan/{empty}/run", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    answer = response.get_data(as_text=True)
    assert answer.count(f"{empty} has no slots yet, so it cannot be planned.") == 2  # the flash and the page
    assert "slots generate" not in answer
    assert db.session.scalar(sa.select(sa.func.count(PlanRun.id))) == 0


def test_a_failed_run_shows_its_error(client, login_as, company):
    login_as("hr")
    run = start_run(next_year(), None, "command")
    run.status, run.error = "failed", "The plan stopped: RuntimeError: solver exploded"
    db.session.commit()
    page = client.get(plan_page()).get_data(as_text=True)
    assert "stopped." in page and "solver exploded" in page
    assert f"Run the plan of {next_year()}" in page


# Publishing ---------------------------------------------------------------------------------------


def test_publishing_asks_first_then_announces_every_draft(client, login_as, company):
    login_as("hr")
    run_plan()
    confirm = client.post(f"{plan_page()}/publish", data={"csrf_token": page_token(client)})
    assert confirm.status_code == 200
    confirm_page = confirm.get_data(as_text=True)
    assert "12 invitations, 0 updates and 0 cancellations will be queued" in confirm_page
    assert statuses() == {(DRAFT, None)}  # nothing happens before the confirmation

    done = client.post(f"{plan_page()}/publish", data={"csrf_token": csrf_token(confirm_page), "confirmed": "yes"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"Published the plan of {next_year()}: 12 invitations, 0 updates and 0 cancellations are queued." in done
    assert statuses() == {(PUBLISHED, INVITATION)}
    assert "Nothing to publish: the published plan" in done
    assert f"Publish the plan of {next_year()}…" not in done


def test_publishing_is_refused_while_new_blackouts_collide(client, login_as, company):
    login_as("hr")
    run_plan()
    hit = db.session.scalars(sa.select(Assignment).limit(1)).one()
    hit.needs_replan = True
    db.session.commit()
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "1 shift collides with blackouts added since the plan last ran" in page
    assert f"Publish the plan of {next_year()}…" not in page

    refused = client.post(f"{plan_page()}/publish", data={"csrf_token": page_token(client), "confirmed": "yes"},
                          follow_redirects=True).get_data(as_text=True)
    assert f"Run the plan of {next_year()} again, then publish." in refused
    assert statuses() == {(DRAFT, None)}


def test_moves_and_withdrawals_are_listed_from_and_to(client, login_as, company, make_blackout):
    login_as("hr")
    run_plan()
    publish()
    moved_person, leaving = company["managers"][0], company["managers"][1]
    day = db.session.scalar(sa.select(Slot).join(Assignment, Assignment.slot_id == Slot.id).where(
        Assignment.person_id == moved_person.id, Assignment.kind == "customer_service"))
    make_blackout(day.first_day, person=moved_person, reason="Dentist")
    leaving.in_rotation_override = False
    db.session.commit()
    run_plan()

    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "1 move (updates)" in page and "2 withdrawals (cancellations)" in page
    assert f"Manager 00 E100 Customer-service day HEL-CC {day.first_day:%a %Y-%m-%d} →" in page
    assert "Manager 01 E101 Warehouse week" in page and "withdrawn" in page
    listing = client.get(f"{plan_page()}/changes").get_data(as_text=True)
    assert "Showing 1–3 of 3 moves and withdrawals." in listing
    assert f'href="/people/{leaving.id}"' in listing


# Charts -------------------------------------------------------------------------------------------


def _slot(kind: str, monday: date, weekday: int = 0) -> Slot:
    day = monday + timedelta(days=weekday)
    slot = db.session.scalar(sa.select(Slot).where(Slot.kind == kind, Slot.first_day == day))
    assert slot is not None, (kind, day)
    return slot


def _weekdays(year: int, weekday_filter) -> int:
    day, count = date(year, 1, 1), 0
    while day.year == year:
        count += weekday_filter(day.weekday())
        day += timedelta(days=1)
    return count


def test_the_charts_count_each_shift_where_it_will_be(client, login_as, make_site, make_person):
    """A hand-made draft: two days and a week in ISO week 3, a move from week 10 to week 12, and a
    withdrawal and a cancellation that do not count."""
    login_as("hr")
    make_site("HEL-CC", seats=2)
    make_site("TMP-WH", kind="warehouse", seats=3)
    generate_slots(next_year())
    people = [make_person(f"E{n}", in_rotation=True) for n in range(6)]
    week = {n: date.fromisocalendar(next_year(), n, 1) for n in (3, 5, 10, 12)}
    rows = [
        (people[0], "customer_service", _slot("customer_service", week[3], 1), DRAFT, None, None),
        (people[1], "customer_service", _slot("customer_service", week[3], 2), DRAFT, None, None),
        (people[2], "warehouse", _slot("warehouse", week[3]), DRAFT, None, None),
        (people[3], "warehouse", _slot("warehouse", week[10]), PUBLISHED, MOVE, _slot("warehouse", week[12])),
        (people[4], "customer_service", _slot("customer_service", week[5]), PUBLISHED, WITHDRAW, None),
        (people[5], "customer_service", _slot("customer_service", week[5]), CANCELLED, None, None),
    ]
    for person, kind, slot, status, proposal, proposed in rows:
        db.session.add(Assignment(person_id=person.id, slot_id=slot.id, year=next_year(), kind=kind, status=status,
                                  proposal=proposal, proposed_slot_id=proposed.id if proposed else None))
    db.session.commit()

    html = client.get(plan_page()).get_data(as_text=True)

    def week_row(number: int) -> tuple[str, str]:
        match = re.search(rf'<th scope="row">{next_year()}-W{number:02d}</th><td class="[^"]*wide-only">[^<]+</td>'
                          r'<td class="number">(\d+)</td><td class="number">(\d+)</td>', html)
        assert match, number
        return match.group(1), match.group(2)

    assert week_row(3) == ("2", "1")
    assert week_row(5) == ("0", "0")
    assert week_row(10) == ("0", "0")
    assert week_row(12) == ("0", "1")
    assert "The busiest week is" in html and f"{next_year()}-W03 with 3 shifts" in html

    def site_row(code: str) -> tuple[str, str]:
        match = re.search(rf'<th scope="row" class="site">{code} <small[^>]*>[^<]*</small></th>'
                          r'<td class="number">(\d+)</td><td class="number">(\d+)</td>', html)
        assert match, code
        return match.group(1), match.group(2)

    working_days = _weekdays(next_year(), lambda weekday: weekday < 5)
    mondays = _weekdays(next_year(), lambda weekday: weekday == 0)
    assert site_row("HEL-CC") == ("2", str(2 * working_days))
    assert site_row("TMP-WH") == ("2", str(3 * mondays))
    assert html.count('role="img"') == 2 and "<title" in html


def _week_rows(html: str) -> dict[str, tuple[int, int]]:
    """The week chart's numbers: customer-service days and warehouse weeks per ISO week."""
    return {label: (int(days), int(weeks)) for label, days, weeks in re.findall(
        r'<th scope="row">(\d{4}-W\d\d)</th><td class="[^"]*wide-only">[^<]+</td>'
        r'<td class="number">(\d+)</td><td class="number">(\d+)</td>', html)}


def _site_row(html: str, code: str) -> tuple[int, int]:
    match = re.search(rf'<th scope="row" class="site">{code} <small[^>]*>[^<]*</small></th>'
                      r'<td class="number">(\d+)</td><td class="number">(\d+)</td>', html)
    assert match, code
    return int(match.group(1)), int(match.group(2))


def test_the_kept_figures_follow_every_write_that_changes_them(client, login_as, company):
    """The year page keeps its counts and charts between requests; a moved shift, more seats, new slots and
    publishing each show on the very next request; so does a new draft, though PostgreSQL writes it by COPY."""
    login_as("hr")
    assert "Nothing to publish yet: run the plan first." in text(client.get(plan_page()).get_data(as_text=True))
    run_plan()
    before = client.get(plan_page()).get_data(as_text=True)
    assert "<strong>12</strong> new assignments" in before

    shift = db.session.scalar(sa.select(Assignment).where(Assignment.kind == "warehouse")
                              .order_by(Assignment.id).limit(1))
    weeks = _week_rows(before)
    here = db.session.get(Slot, shift.slot_id)
    there = db.session.scalar(sa.select(Slot).where(
        Slot.kind == "warehouse", Slot.site_id == here.site_id, Slot.first_day > here.first_day,
        Slot.first_day < date(next_year(), 12, 1)).order_by(Slot.first_day.desc()).limit(1))
    here_week, there_week = (f"{slot.first_day.isocalendar().year}-W{slot.first_day.isocalendar().week:02d}"
                             for slot in (here, there))
    shift.slot_id = there.id
    db.session.commit()
    moved = _week_rows(client.get(plan_page()).get_data(as_text=True))
    assert moved[here_week] == (weeks[here_week][0], weeks[here_week][1] - 1)
    assert moved[there_week] == (weeks[there_week][0], weeks[there_week][1] + 1)

    used, offered = _site_row(before, "TMP-WH")
    slots = db.session.execute(sa.update(Slot).where(Slot.site_id == here.site_id, Slot.first_day >= start_of_year())
                               .values(seats=Slot.seats + 1)).rowcount
    db.session.commit()
    assert _site_row(client.get(plan_page()).get_data(as_text=True), "TMP-WH") == (used, offered + slots)

    this_year = utc_today().year
    assert f'{this_year}</a> <small class="muted">(no slots)</small>' in before
    generate_slots(this_year)
    db.session.commit()
    assert f'{this_year}</a> <small class="muted">(no slots)</small>' not in (
        client.get(plan_page()).get_data(as_text=True))

    publish()
    published = text(client.get(plan_page()).get_data(as_text=True))
    assert (f"Nothing to publish: the published plan of {next_year()} is up to date, with 12 shifts announced."
            in published)
    assert "new assignments" not in published


# Unplaced -----------------------------------------------------------------------------------------


def test_unplaced_people_are_listed_with_the_reason_and_a_link(client, login_as, company, make_blackout):
    login_as("hr")
    away = company["managers"][3]
    make_blackout(start_of_year(), date(next_year(), 12, 31), person=away, reason="Sabbatical")
    run_plan()
    page = client.get(plan_page()).get_data(as_text=True)
    assert "could not place 2 shifts" in text(page)
    assert f'<a href="/people/{away.id}">Manager 03</a>' in page
    assert "blacked out for the whole year" in page
    listing = client.get(f"{plan_page()}/unplaced").get_data(as_text=True)
    assert "Showing 1–2 of 2 unplaced shifts." in listing
    assert text(listing).count("blacked out for the whole year") == 2


def test_a_long_unplaced_list_pages_within_its_year(client, login_as, company, make_person):
    login_as("hr")
    run = run_plan()
    extra = [make_person(f"U{number:03d}", full_name=f"Unplaced {number:03d}") for number in range(60)]
    db.session.execute(sa.insert(UnplacedShift), [
        {"plan_run_id": run.id, "person_id": person.id, "kind": "warehouse", "reason": "every slot is full"}
        for person in extra])
    db.session.execute(sa.update(PlanRun).where(PlanRun.id == run.id).values(unplaced=60))
    db.session.commit()
    listing = client.get(f"{plan_page()}/unplaced").get_data(as_text=True)
    assert "Showing 1–50 of 60 unplaced shifts." in listing
    following = next_page_url(listing)
    assert following.startswith(f"{plan_page()}/unplaced?after=")
    assert "Showing 51–60 of 60 unplaced shifts." in client.get(following).get_data(as_text=True)


# Home and query counts ----------------------------------------------------------------------------


@pytest.mark.dates
def test_hrs_home_shows_each_years_plan(client, login_as, company):
    login_as("hr")
    run_plan()
    home = text(client.get("/").get_data(as_text=True))
    assert f"Plan {next_year()} draft with 12 changes to publish" in home
    assert f"Plan {next_year() - 1} not planned yet" in home
    publish()
    assert f"Plan {next_year()} published" in text(client.get("/").get_data(as_text=True))


def _year_page_queries(client, make_site, make_person, make_blackout, managers: int) -> int:
    people = build_company(make_site, make_person, managers=managers)
    run_plan()
    publish()
    make_blackout(start_of_year(), date(next_year(), 12, 31), person=people["managers"][0])  # withdrawn, unplaced
    people["managers"][1].in_rotation_override = False  # withdrawn
    db.session.commit()
    run_plan()
    client.get(plan_page())  # the signed-in account's rotation check is then cached, as it is after any first page
    with count_queries() as queries:
        page = client.get(plan_page()).get_data(as_text=True)
    assert "Moves and withdrawals" in page and "Unplaced" in page
    return len(queries)


def test_the_year_page_reads_the_same_few_queries_whatever_the_size(make_app, make_site, make_person,
                                                                     make_blackout, login_as, client):
    login_as("hr")
    small = _year_page_queries(client, make_site, make_person, make_blackout, managers=4)
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in ("user_account", "role_grant"):
            db.session.execute(table.delete())
    db.session.commit()
    large = _year_page_queries(client, make_site, make_person, make_blackout, managers=30)
    assert small == large
    # the account and its roles, the tables' versions (the slots, the summary, the announced shifts and the
    # charts are kept until those change), the runs (up to 3), the proposals and why (2), the unplaced, where
    # the shifts are
    assert large <= 10, large
