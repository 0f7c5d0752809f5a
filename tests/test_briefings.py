"""A shift's briefing: the site, the problems to look out for there, what the last leaders saw, and the fixes to
check; who may read it; and the reminder the day before that names the site's worst problems and links it."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from rotation.assignments.models import DRAFT
from rotation.briefings.queries import shift_with_uid
from rotation.extensions import db
from rotation.observations.models import DRAFT as DRAFT_NOTE
from rotation.observations.models import SUBMITTED, TRIAGED, Observation
from rotation.outbox.models import REMINDER, OutboxMessage
from rotation.outbox.reminders import queue_due_reminders
from rotation.outbox.texts import event_description
from rotation.problems.models import VERIFIED, VERIFYING, Problem, VerificationRequest
from rotation.process_map.models import ProcessArea
from rotation.sites.models import Slot
from tests.fixtures.shifts import assign, day, slot_at
from tests.helpers import count_queries

BASE_URL = "https://rotation.example.com"


@pytest.fixture(autouse=True)
def base_url(app):
    app.config["ROTATION_BASE_URL"] = BASE_URL


def _area(name: str, parent: ProcessArea | None = None) -> ProcessArea:
    area = ProcessArea(name=name, parent_id=parent.id if parent else None)
    db.session.add(area)
    db.session.flush()
    return area


def _problem(title: str, area: ProcessArea, severity: int, status: str = "triaged", **values) -> Problem:
    problem = Problem(title=title, area_id=area.id, severity=severity, status=status, due_on=date(2030, 1, 1),
                      **values)
    db.session.add(problem)
    db.session.flush()
    return problem


def _observe(shift, title: str, area: ProcessArea, problem: Problem | None = None, status: str = TRIAGED,
             when: datetime | None = None) -> Observation:
    observation = Observation(
        assignment_id=shift.id, author_id=shift.person_id, area_id=area.id, kind="blocked", title=title,
        what_happened="It happened.", severity=3, frequency="first_time",
        status=status if problem or status != TRIAGED else SUBMITTED, problem_id=problem.id if problem else None,
        submitted_at=None if status == DRAFT_NOTE else (when or datetime(2026, 1, 1, tzinfo=UTC)))
    db.session.add(observation)
    db.session.flush()
    return observation


@pytest.fixture
def briefed(five_managers):
    """Dina is booked at Helsinki in week 20. Ann worked there in week 10, Bo at Tallinn (another contact centre),
    Cai at the Tampere warehouse; each filed what they saw."""
    chief, (ann, bo, cai, dina, _eli) = five_managers["chief"], five_managers["managers"]
    service, warehouse = _area("Customer service"), _area("Warehouse")
    refunds, picking = _area("Refunds", service), _area("Picking", warehouse)
    ann_shift = assign(ann, slot_at("HEL-CC", day(10, 2)))
    bo_shift = assign(bo, slot_at("TLL-CC", day(10, 3)))
    cai_shift = assign(cai, slot_at("TMP-WH", day(10, 1)))
    dina_shift = assign(dina, slot_at("HEL-CC", day(20, 2)))
    frozen = _problem("Refund screen freezes", refunds, 3, countermeasure_type="workaround",
                      countermeasure="Refund from the old screen under Tools")
    callbacks = _problem("Callbacks get lost overnight", service, 2)
    music = _problem("Hold music loops the same ten seconds", service, 1)
    queue_music = _problem("Queue announcement is in the wrong language", service, 1)
    supervisor = _problem("Address change needs a supervisor", refunds, 4)
    printing = _problem("Pick lists print twice", picking, 4)
    solved = _problem("Old refund form", refunds, 5, status=VERIFIED)
    recheck = _problem("Refund e-mail has no order number", refunds, 2, status=VERIFYING,
                       verification_metric="Refund e-mails carry the order number")
    _observe(ann_shift, "Refund screen froze twice", refunds, frozen, when=datetime(2026, 3, 3, tzinfo=UTC))
    _observe(ann_shift, "Callback list empty at nine", service, callbacks)
    _observe(ann_shift, "Hold music", service, music)
    _observe(ann_shift, "Wrong language", service, queue_music)
    _observe(ann_shift, "The old form again", refunds, solved)
    _observe(ann_shift, "Customer waited on hold for a refund", refunds, status=SUBMITTED,
             when=datetime(2026, 3, 4, tzinfo=UTC))
    _observe(ann_shift, "Half-written note", refunds, status=DRAFT_NOTE)
    _observe(bo_shift, "Supervisor needed for an address", refunds, supervisor)
    _observe(cai_shift, "Printer doubles every list", picking, printing)
    db.session.add(VerificationRequest(problem_id=recheck.id, assignment_id=dina_shift.id))
    db.session.commit()
    return {"chief": chief, "ann": ann, "dina": dina, "shift": dina_shift, "ann_shift": ann_shift}


def page(client, shift) -> str:
    response = client.get(f"/my/shifts/{shift.uid}/briefing")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_briefing_shows_the_site_problems_seen_there_or_in_its_areas_and_what_leaders_saw(client, briefed,
                                                                                              login_as):
    login_as("manager", email=briefed["dina"].email)
    html = page(client, briefed["shift"])
    assert "Briefing: customer-service day at Helsinki contact centre" in html
    assert "Europe/Helsinki" in html
    # The fix to check comes first, then the site, then the problems.
    assert html.index("Refund e-mail has no order number") < html.index("Where and when") \
        < html.index("Open problems to look out for")
    problems = html[html.index("Open problems to look out for"):html.index("What the last leaders here saw")]
    # Most painful first; Tallinn's problem is in an area customer-service shifts touch; the site's are marked.
    assert problems.index("Address change needs a supervisor") < problems.index("Refund screen freezes") \
        < problems.index("Callbacks get lost overnight")
    assert "Workaround: Refund from the old screen under Tools" in problems
    assert "seen here" in problems
    # The warehouse's problem, a closed one and one only being verified are not listed.
    for absent in ("Pick lists print twice", "Old refund form", "Refund e-mail has no order number"):
        assert absent not in problems
    seen = html[html.index("What the last leaders here saw"):]
    # Newest first, with the author's name and the day, linked; never a draft, never another site's.
    assert seen.index("Customer waited on hold for a refund") < seen.index("Refund screen froze twice")
    assert "Ann Aalto" in seen and "/observations/" in seen
    for absent in ("Half-written note", "Supervisor needed for an address", "Printer doubles every list"):
        assert absent not in seen
    assert f"/observations/new?assignment={briefed['shift'].uid}" in html


def test_the_briefing_keeps_a_fixed_number_of_queries(client, briefed, login_as):
    login_as("manager", email=briefed["dina"].email)
    page(client, briefed["shift"])
    with count_queries() as before:
        page(client, briefed["shift"])
    refunds = db.session.scalar(sa.select(ProcessArea).where(ProcessArea.name == "Refunds"))
    for number in range(12):
        problem = _problem(f"Another refund problem {number}", refunds, 2)
        _observe(briefed["ann_shift"], f"Seen again {number}", refunds, problem)
    db.session.commit()
    with count_queries() as after:
        html = page(client, briefed["shift"])
    assert "Another refund problem" in html
    assert len(after) == len(before) <= 30, after


@pytest.mark.parametrize(("roles", "status"), [(("hr",), 200), (("admin",), 200), (("manager",), 403),
                                                (("owner",), 403)])
def test_only_the_shifts_person_hr_and_admins_read_it(client, briefed, login_as, roles, status):
    login_as(*roles)
    assert client.get(f"/my/shifts/{briefed['shift'].uid}/briefing").status_code == status


def test_another_manager_on_the_roster_cannot_read_someone_elses_briefing(client, briefed, login_as):
    login_as("manager", email=briefed["ann"].email)
    assert client.get(f"/my/shifts/{briefed['shift'].uid}/briefing").status_code == 403
    assert client.get("/my/shifts/no-such-shift/briefing").status_code == 404


def test_a_draft_shift_has_no_briefing_for_its_person_yet(client, briefed, login_as):
    briefed["shift"].status = DRAFT
    db.session.commit()
    login_as("manager", email=briefed["dina"].email)
    assert client.get(f"/my/shifts/{briefed['shift'].uid}/briefing").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, briefed):
    response = client.get(f"/my/shifts/{briefed['shift'].uid}/briefing")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_rotation_links_each_shifts_briefing(client, briefed, login_as):
    login_as("manager", email=briefed["dina"].email)
    html = client.get("/my/").get_data(as_text=True)
    assert f'href="/my/shifts/{briefed["shift"].uid}/briefing"' in html and "Open the briefing" in html


@pytest.mark.dates
def test_the_day_before_reminder_names_the_briefings_first_three_problems_and_links_it(briefed):
    shift = briefed["shift"]
    starts = db.session.get_one(Slot, shift.slot_id).starts_at
    assert queue_due_reminders(starts - timedelta(hours=20)) == 1
    db.session.commit()
    body = db.session.scalars(sa.select(OutboxMessage.body_text).where(
        OutboxMessage.purpose == REMINDER, OutboxMessage.assignment_id == shift.id)).one()
    listed = body[body.index("Open problems to look out for at Helsinki contact centre"):]
    listed = listed[:listed.index("\n\n")]
    # The briefing's first three, in its order: Tallinn's problem is in an area customer-service days touch.
    assert listed.splitlines()[1:] == ["- Address change needs a supervisor", "- Refund screen freezes",
                                       "- Callbacks get lost overnight"]
    assert f"{BASE_URL}/my/shifts/{quote(shift.uid, safe='')}/briefing" in body


def test_the_invitations_calendar_text_links_the_briefing(briefed):
    shift = shift_with_uid(briefed["shift"].uid)
    assert shift is not None
    lines = event_description(shift).splitlines()
    assert f"Before you go, read the briefing: {BASE_URL}/my/shifts/{quote(shift.uid, safe='')}/briefing" in lines
