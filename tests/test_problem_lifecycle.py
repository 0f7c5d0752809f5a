"""A problem's life through the services: pain ordering, news exactly once, and verification by a later shift."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.observations.models import Observation, Second
from rotation.observations.services import save, start_draft, submit
from rotation.outbox.models import OutboxMessage
from rotation.problems.models import (
    FIX_IN_PLACE,
    INVESTIGATING,
    VERIFIED,
    VERIFYING,
    Problem,
    ProblemEvent,
    VerificationRequest,
)
from rotation.problems.pain import Pain, pain_of
from rotation.problems.services import change_status, create_from, link, request_verification
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import this_year


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def world(make_site, make_person, make_user):
    """Helsinki and Tampere contact centres; Customer service › Refunds, owned by Olli (Customer service) and
    Rita (Refunds); four managers: Ann and Bo worked at Helsinki an hour ago, Cai and Dee are booked there next
    month, Eve is booked at Tampere."""
    make_site("HEL-CC", name="Helsinki contact centre", seats=6)
    make_site("TMP-CC", name="Tampere contact centre", seats=6)
    generate_slots(this_year())
    generate_slots(this_year() + 1)
    chief = make_person("E001", full_name="Carla Chief", department="Board")
    people = {}
    for number, name in enumerate(("Ann", "Bo", "Cai", "Dee", "Eve")):
        people[name] = make_person(f"E1{number:02d}", full_name=f"{name} Manager", manager=chief,
                                   department=f"Dept {name}")
        make_person(f"E2{number:02d}", manager=people[name])
    service = ProcessArea(name="Customer service")
    db.session.add(service)
    db.session.flush()
    refunds = ProcessArea(name="Refunds", parent_id=service.id)
    db.session.add(refunds)
    db.session.flush()
    olli = make_user(roles=["owner"], email="olli@example.com", name="Olli Owner")
    rita = make_user(roles=["owner"], email="rita@example.com", name="Rita Refunds")
    db.session.add_all([AreaOwner(area_id=service.id, user_id=olli.id), AreaOwner(area_id=refunds.id, user_id=rita.id)])
    past = _slot("HEL-CC", now() - timedelta(hours=1))
    shifts = {name: _assign(people[name], past) for name in ("Ann", "Bo")}
    shifts["Cai"] = _assign(people["Cai"], _future_slot("HEL-CC", 30))
    shifts["Dee"] = _assign(people["Dee"], _future_slot("HEL-CC", 31))
    shifts["Eve"] = _assign(people["Eve"], _future_slot("TMP-CC", 30))
    db.session.commit()
    return {"people": people, "shifts": shifts, "refunds": refunds, "olli": olli, "rita": rita}


def _slot(code: str, start: datetime) -> Slot:
    slot = db.session.scalar(sa.select(Slot).join(Site).where(Site.code == code, Slot.first_day >= start.date())
                             .order_by(Slot.first_day))
    assert slot is not None, code
    slot.first_day = slot.last_day = start.date()
    slot.starts_at, slot.ends_at = start, start + timedelta(hours=8)
    db.session.flush()
    return slot


def _future_slot(code: str, days: int) -> Slot:
    slot = db.session.scalar(sa.select(Slot).join(Site).where(
        Site.code == code, Slot.starts_at >= now() + timedelta(days=days)).order_by(Slot.starts_at))
    assert slot is not None, code
    return slot


def _assign(person, slot: Slot) -> Assignment:
    assignment = Assignment(person_id=person.id, slot_id=slot.id, year=slot.first_day.year, kind=slot.kind,
                            status=PUBLISHED)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def under_way(shift: Assignment) -> Assignment:
    """Moves the shift's hours so that it started two hours ago (committed): its person may file about it."""
    slot = db.session.get_one(Slot, shift.slot_id)
    slot.starts_at, slot.ends_at = now() - timedelta(hours=2), now() + timedelta(hours=6)
    db.session.commit()
    return shift


def observe(world, who: str, title: str, **values) -> Observation:
    observation = start_draft(world["shifts"][who], world["people"][who], now())
    save(observation, {"area_id": world["refunds"].id, "kind": "blocked", "title": title,
                       "what_happened": "It happened.", "severity": 3, "frequency": "daily", **values}, now())
    submit(observation, now())
    db.session.flush()
    return observation


def test_pain_puts_severity_5_and_safety_first_then_the_higher_score():
    many = Pain(reporters=9, frequency_weight=16, severity=3, visible_minutes=30, critical=False)
    five = Pain(reporters=1, frequency_weight=1, severity=5, visible_minutes=0, critical=True)
    safety = Pain(reporters=1, frequency_weight=1, severity=2, visible_minutes=0, critical=True)
    few = Pain(reporters=1, frequency_weight=2, severity=3, visible_minutes=0, critical=False)
    assert many.score == 9 * 16 * 9 * 4 and few.score == 18
    assert sorted([few, safety, many, five], key=lambda pain: pain.sort_key) == [five, safety, many, few]
    assert many.explained() == "9 reporters × 16 (how often) × 9 (severity 3) × (1 + 30 min ÷ 10) = 5184"


def test_pain_counts_distinct_reporters_and_seconders_and_the_worst_answers(world):
    first = observe(world, "Ann", "Refunds wait", frequency="weekly", customer_minutes=6, customer_visible=True)
    second = observe(world, "Bo", "Refund approvals", frequency="hourly", customer_minutes=40,
                     customer_visible=False)
    problem = create_from(first, world["olli"], title="Refunds wait for approval", area_id=world["refunds"].id,
                          severity=3)
    link(second, problem, world["olli"])
    db.session.add(Second(observation_id=first.id, person_id=world["people"]["Bo"].id,
                          assignment_id=world["shifts"]["Bo"].id))
    db.session.add(Second(observation_id=first.id, person_id=world["people"]["Cai"].id,
                          assignment_id=world["shifts"]["Cai"].id))
    db.session.commit()
    pain = pain_of([problem])[problem.id]
    # Ann and Bo filed, Bo and Cai seconded: three people. Hourly is the most frequent answer; only Ann's six
    # minutes were seen by the customer.
    assert (pain.reporters, pain.frequency_weight, pain.visible_minutes, pain.severity) == (3, 16, 6, 3)
    assert pain.score == 3 * 16 * 9 * 1.6


def test_a_status_change_reaches_every_subscriber_exactly_once_and_not_the_actor(world):
    ann, bo = world["people"]["Ann"], world["people"]["Bo"]
    first = observe(world, "Ann", "Refunds wait")
    second = observe(world, "Bo", "Refund approvals")
    problem = create_from(first, world["rita"], title="Refunds wait for approval", area_id=world["refunds"].id,
                          severity=3)
    link(second, problem, world["rita"])
    # Ann also says "me too" to Bo's observation: she is told once all the same.
    db.session.add(Second(observation_id=second.id, person_id=ann.id, assignment_id=world["shifts"]["Ann"].id))
    db.session.commit()
    db.session.query(OutboxMessage).delete()
    db.session.query(Notification).delete()
    db.session.commit()

    change_status(problem, INVESTIGATING, world["rita"])
    db.session.commit()
    news = sorted(db.session.scalars(sa.select(OutboxMessage.recipient)
                                     .where(OutboxMessage.purpose == "problem_news")))
    assert news == sorted([ann.email, bo.email, "olli@example.com"])  # Rita made the change
    notified = sorted(db.session.scalars(sa.select(Notification.person_id)))
    assert notified == sorted([ann.id, bo.id])
    event = db.session.scalar(sa.select(ProblemEvent).where(ProblemEvent.what == "status"))
    assert (event.actor, event.before, event.after) == ("rita@example.com", "Triaged", "Investigating")


def test_a_later_shift_at_the_same_site_verifies_the_fix(world):
    ann = world["people"]["Ann"]
    observation = observe(world, "Ann", "Refunds wait")
    problem = create_from(observation, world["olli"], title="Refunds wait for approval",
                          area_id=world["refunds"].id, severity=3)
    change_status(problem, FIX_IN_PLACE, world["olli"])
    asked = request_verification(problem, world["olli"])
    db.session.commit()
    # The next shifts at Helsinki, where it was seen: Cai's and Dee's; not Eve's at Tampere.
    assert [shift.person_id for shift in asked] == [world["people"]["Cai"].id, world["people"]["Dee"].id]
    assert db.session.get(Problem, problem.id).status == VERIFYING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.person_id == world["people"]["Cai"].id, Notification.text.like("%please look at%")))

    # Cai's shift comes; Cai files an observation answering the request: fixed.
    cai_shift = under_way(world["shifts"]["Cai"])
    check = start_draft(cai_shift, world["people"]["Cai"], now())
    save(check, {"area_id": world["refunds"].id, "kind": "good_practice", "title": "Refunds now instant",
                 "what_happened": "Agents approve refunds themselves.", "severity": 1, "frequency": "daily",
                 "verifies_problem_id": problem.id, "verdict": "fixed"}, now())
    submit(check, now())
    db.session.commit()
    verified = db.session.get(Problem, problem.id)
    assert verified.status == VERIFIED and verified.closed_at is not None
    assert db.session.get(Observation, check.id).problem_id == problem.id
    request = db.session.scalar(sa.select(VerificationRequest).where(
        VerificationRequest.assignment_id == cai_shift.id))
    assert request.answered_by_observation_id == check.id
    assert any("is fixed and verified" in text for text in db.session.scalars(
        sa.select(Notification.text).where(Notification.person_id == ann.id)))


def test_still_broken_reopens_the_problem(world):
    observation = observe(world, "Ann", "Refunds wait")
    problem = create_from(observation, world["olli"], title="Refunds wait for approval",
                          area_id=world["refunds"].id, severity=3)
    change_status(problem, FIX_IN_PLACE, world["olli"])
    request_verification(problem, world["olli"])
    cai_shift = under_way(world["shifts"]["Cai"])
    check = start_draft(cai_shift, world["people"]["Cai"], now())
    save(check, {"area_id": world["refunds"].id, "kind": "blocked", "title": "Refunds still wait",
                 "what_happened": "Still a supervisor.", "severity": 3, "frequency": "daily",
                 "verifies_problem_id": problem.id, "verdict": "still_broken"}, now())
    submit(check, now())
    db.session.commit()
    reopened = db.session.get(Problem, problem.id)
    assert (reopened.status, reopened.reopened) == (INVESTIGATING, 1)


def test_verification_is_refused_before_the_fix_and_without_later_shifts(world):
    from rotation.refusals import Refusal

    observation = observe(world, "Ann", "Refunds wait")
    problem = create_from(observation, world["olli"], title="Refunds wait", area_id=world["refunds"].id,
                          severity=3)
    with pytest.raises(Refusal, match="once the fix is in place"):
        request_verification(problem, world["olli"])
    change_status(problem, FIX_IN_PLACE, world["olli"])
    db.session.execute(sa.delete(Assignment).where(Assignment.id.in_(
        [world["shifts"][name].id for name in ("Cai", "Dee")])))
    with pytest.raises(Refusal, match="No shift is planned yet"):
        request_verification(problem, world["olli"])


def test_the_form_offers_the_fix_to_check_and_asks_for_a_verdict(client, world, login_as, post_form):
    import html

    observation = observe(world, "Ann", "Refunds wait")
    problem = create_from(observation, world["olli"], title="Refunds wait <for> approval",
                          area_id=world["refunds"].id, severity=3)
    change_status(problem, FIX_IN_PLACE, world["olli"])
    request_verification(problem, world["olli"])
    cai_shift = under_way(world["shifts"]["Cai"])
    login_as("manager", email=world["people"]["Cai"].email)
    my_page = client.get("/my/").get_data(as_text=True)
    assert "Please check" in my_page and "Refunds wait &lt;for&gt; approval" in my_page
    draft = start_draft(db.session.get(Assignment, cai_shift.id), world["people"]["Cai"], now())
    db.session.commit()
    page = html.unescape(client.get(f"/observations/{draft.id}/edit").get_data(as_text=True))
    assert "Checking a fix" in page and "Refunds wait <for> approval" in page
    response = post_form(f"/observations/{draft.id}/edit", {
        "area_id": str(world["refunds"].id), "kind": "blocked", "title": "Checked", "what_happened": "Looked.",
        "severity": "2", "frequency": "daily", "verifies_problem_id": str(problem.id), "action": "submit"})
    assert "Say whether the fix works" in html.unescape(response.get_data(as_text=True))
    assert db.session.get(Problem, problem.id).status == VERIFYING
