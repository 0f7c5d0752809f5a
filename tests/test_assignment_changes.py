"""HR's changes outside a plan run: moving and withdrawing one assignment, leavers, blackout collisions."""
from __future__ import annotations

import re
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from rotation.assignments.changes import move_assignment, valid_slots, withdraw_assignment
from rotation.assignments.models import (
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    MOVE,
    NO_SHOW,
    PUBLISHED,
    WITHDRAW,
    Assignment,
)
from rotation.assignments.roster_effects import mark_collisions, withdraw_future_assignments
from rotation.blackouts.models import Blackout
from rotation.extensions import db
from rotation.people.models import Person
from rotation.plans.runs import plan_run, start_run
from rotation.refusals import FieldRefusal
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.shifts import assign, before_the_year, day, next_year, reloaded, slot_at
from tests.helpers import count_queries, outbox_of
from tests.imports_helpers import run_import


@pytest.fixture
def company(five_managers):
    return five_managers


# --- Moving -----------------------------------------------------------------------------------------

def test_a_draft_just_takes_the_new_slot(company):
    ann = company["managers"][0]
    draft = assign(ann, slot_at("HEL-CC", day(10)), status=DRAFT)
    uid = draft.uid
    target = slot_at("HEL-CC", day(11, 2))
    assert move_assignment(draft, target, None, today=before_the_year()) == []
    db.session.commit()
    moved = reloaded(draft.id)
    assert (moved.slot_id, moved.status, moved.sequence, moved.uid) == (target.id, DRAFT, 0, uid)
    assert outbox_of(moved.id) == []


def test_a_confirmed_assignment_moves_with_a_new_sequence_and_must_be_confirmed_again(company):
    ann = company["managers"][0]
    proposed = slot_at("HEL-CC", day(12))
    confirmed = assign(ann, slot_at("HEL-CC", day(10)), status=CONFIRMED, sequence=1, proposal=MOVE,
                       proposed_slot_id=proposed.id, needs_replan=True)
    target = slot_at("HEL-CC", day(11, 3))
    move_assignment(confirmed, target, None, today=before_the_year())
    db.session.commit()
    moved = reloaded(confirmed.id)
    assert (moved.slot_id, moved.status, moved.sequence) == (target.id, PUBLISHED, 2)
    assert outbox_of(moved.id) == [("invitation", 2, "queued")]
    assert (moved.proposal, moved.proposed_slot_id, moved.needs_replan) == (None, None, False)


def test_a_published_assignment_with_a_withdraw_proposal_keeps_being_planned_when_moved(company):
    ann = company["managers"][0]
    published = assign(ann, slot_at("HEL-CC", day(10)), proposal=WITHDRAW)
    move_assignment(published, slot_at("HEL-CC", day(11)), None, today=before_the_year())
    db.session.commit()
    moved = reloaded(published.id)
    assert (moved.status, moved.sequence, moved.proposal) == (PUBLISHED, 1, None)
    assert outbox_of(moved.id) == [("invitation", 1, "queued")]


def test_a_full_slot_refuses_the_move_counting_assignments_where_they_will_be(company):
    ann, bo, cai, dina, _eli = company["managers"]
    chief = company["chief"]
    target = slot_at("HEL-CC", day(20))  # two seats
    # Holding no seat there: a cancelled one, and one the draft withdraws.
    assign(bo, target, status=CANCELLED)
    assign(cai, target, proposal=WITHDRAW)
    # Holding one: proposed to move in from elsewhere.
    assign(dina, slot_at("HEL-CC", day(30)), proposal=MOVE, proposed_slot_id=target.id)
    mover = assign(ann, slot_at("HEL-CC", day(10)))
    move_assignment(mover, target, None, today=before_the_year())  # the second seat
    db.session.commit()

    late = assign(chief, slot_at("HEL-CC", day(11)))
    with pytest.raises(FieldRefusal, match=r"That slot is full: all 2 seats are taken.") as refused:
        move_assignment(late, target, None, today=before_the_year())
    assert refused.value.field == "slot"
    db.session.rollback()
    assert reloaded(late.id).slot_id == slot_at("HEL-CC", day(11)).id


def test_two_hr_users_cannot_both_take_the_last_seat(app, database_url, company):
    if not database_url.startswith("postgresql"):
        pytest.skip("the row lock is PostgreSQL's; SQLite lets one writer in at a time")
    last_seat = slot_at("AMS-CC", day(20))  # one seat
    first = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    second_id = assign(company["chief"], slot_at("HEL-CC", day(11))).id
    move_assignment(first, last_seat, None, today=before_the_year())  # not committed yet: the slot stays locked
    outcome: dict[str, str] = {}

    def other_hr_user() -> None:
        with app.app_context():
            try:
                move_assignment(db.session.get_one(Assignment, second_id), db.session.get_one(Slot, last_seat.id), None,
                                today=before_the_year())
                db.session.commit()
                outcome["moved"] = "yes"
            except FieldRefusal as problem:
                outcome["refused"] = problem.message
            finally:
                db.session.rollback()
                db.session.remove()

    other = threading.Thread(target=other_hr_user)
    other.start()
    other.join(timeout=0.5)
    assert other.is_alive(), "the second move should wait for the first to finish"
    db.session.commit()
    other.join(timeout=10)
    assert outcome == {"refused": "That slot is full: its one seat is taken."}


BLACKOUT_MESSAGES = {
    "person": "Ann Aalto has a blackout from {start} to {end} (Parental leave).",
    "home": "Ann Aalto's home site HEL-CC is blacked out from {start} to {end} (Parental leave).",
    "slot site": "TLL-CC is blacked out from {start} to {end} (Parental leave).",
    "company": "The whole company is blacked out from {start} to {end} (Parental leave).",
}


def test_every_kind_of_blackout_refuses_the_move(company, make_blackout):
    ann = company["managers"][0]
    assignment = assign(ann, slot_at("HEL-CC", day(10)))
    start, end = day(20, 2), day(20, 4)
    target = slot_at("TLL-CC", day(20, 3))
    owners = {"person": {"person": ann}, "home": {"site": company["hel"]},
              "slot site": {"site": db.session.scalar(sa.select(Site).where(Site.code == "TLL-CC"))},
              "company": {}}
    for scope, message in BLACKOUT_MESSAGES.items():
        blackout = make_blackout(start, end, reason="Parental leave", **owners[scope])
        with pytest.raises(FieldRefusal) as refused:
            move_assignment(assignment, target, None, today=before_the_year())
        assert refused.value.message == message.format(start=start.isoformat(), end=end.isoformat()), scope
        db.session.rollback()
        db.session.delete(blackout)
        db.session.commit()
    assert reloaded(assignment.id).slot_id != target.id
    # Another blackout elsewhere, and a day of the same week outside the blackouts, are fine.
    make_blackout(start, end, site=db.session.scalar(sa.select(Site).where(Site.code == "AMS-CC")))
    move_assignment(reloaded(assignment.id), target, None, today=before_the_year())


def test_a_blackout_on_any_day_of_a_warehouse_week_refuses_it(company, make_blackout):
    ann = company["managers"][0]
    week = assign(ann, slot_at("TMP-WH", day(10)))
    make_blackout(day(30, 5), person=ann)
    with pytest.raises(FieldRefusal, match="Ann Aalto has a blackout on"):
        move_assignment(week, slot_at("TMP-WH", day(30)), None, today=before_the_year())


def test_the_day_and_the_week_must_fall_in_different_iso_weeks(company):
    ann = company["managers"][0]
    assign(ann, slot_at("TMP-WH", day(12)))
    service_day = assign(ann, slot_at("HEL-CC", day(10)))
    with pytest.raises(FieldRefusal, match=f"ISO week 12 of {next_year()}, the week of Ann Aalto's warehouse week"):
        move_assignment(service_day, slot_at("HEL-CC", day(12, 3)), None, today=before_the_year())
    move_assignment(service_day, slot_at("HEL-CC", day(13, 3)), None, today=before_the_year())


def test_the_week_where_the_other_shift_is_proposed_to_go_is_refused_too(company):
    ann = company["managers"][0]
    assign(ann, slot_at("TMP-WH", day(12)), proposal=MOVE, proposed_slot_id=slot_at("TMP-WH", day(14)).id)
    service_day = assign(ann, slot_at("HEL-CC", day(10)))
    with pytest.raises(FieldRefusal, match="ISO week 14"):
        move_assignment(service_day, slot_at("HEL-CC", day(14, 2)), None, today=before_the_year())


def test_a_department_is_never_emptied_beyond_its_weekly_cap(company):
    ann, bo = company["managers"][:2]
    # Three Operations managers in the rotation: at most max(1, floor(3 / 5)) = 1 on a shift a week.
    assign(bo, slot_at("TMP-WH", day(14)))
    service_day = assign(ann, slot_at("HEL-CC", day(10)))
    with pytest.raises(FieldRefusal) as refused:
        move_assignment(service_day, slot_at("TLL-CC", day(14, 4)), None, today=before_the_year())
    assert refused.value.message == (f"Operations already has 1 of its 3 rotation members on a shift in ISO week 14 "
                                     f"of {next_year()}; at most 1 may be away at once.")
    # The chief executive is in another department, so the same week is open to them.
    chief_day = assign(company["chief"], slot_at("HEL-CC", day(10)))
    move_assignment(chief_day, slot_at("TLL-CC", day(14, 4)), None, today=before_the_year())


def test_a_slot_of_the_other_kind_or_another_year_is_refused(company):
    ann = company["managers"][0]
    service_day = assign(ann, slot_at("HEL-CC", day(10)))
    with pytest.raises(FieldRefusal, match=r"That slot is a warehouse week, not a customer-service day."):
        move_assignment(service_day, slot_at("TMP-WH", day(20)), None, today=before_the_year())
    generate_slots(next_year() + 1, "HEL-CC")
    the_year_after = slot_at("HEL-CC", date.fromisocalendar(next_year() + 1, 10, 1))
    with pytest.raises(FieldRefusal,
                       match=rf"That slot is in {next_year() + 1}; this assignment belongs to {next_year()}."):
        move_assignment(service_day, the_year_after, None, today=before_the_year())
    with pytest.raises(FieldRefusal, match="already in this slot"):
        move_assignment(service_day, slot_at("HEL-CC", day(10)), None, today=before_the_year())


def test_history_is_neither_moved_into_nor_out_of(company):
    ann, bo = company["managers"][:2]
    today = day(20, 3)
    upcoming = assign(ann, slot_at("HEL-CC", day(30)))
    for past in (day(20, 3), day(19, 2)):  # today, and earlier
        with pytest.raises(FieldRefusal, match="which is not in the future"):
            move_assignment(upcoming, slot_at("HEL-CC", past), None, today=today)
    started = assign(bo, slot_at("TMP-WH", day(20)))  # Monday of this week
    with pytest.raises(FieldRefusal, match="history is not moved") as refused:
        move_assignment(started, slot_at("TMP-WH", day(40)), None, today=today)
    assert refused.value.field == "assignment"


def test_a_shift_that_is_cancelled_or_over_is_not_moved(company):
    for manager, status in zip(company["managers"], (CANCELLED, COMPLETED, NO_SHOW), strict=False):
        assignment = assign(manager, slot_at("HEL-CC", day(10)), status=status)
        with pytest.raises(FieldRefusal, match="only a shift still to come can be moved or withdrawn"):
            move_assignment(assignment, slot_at("HEL-CC", day(11)), None, today=before_the_year())


def test_leaving_the_home_site_or_region_only_warns(company):
    ann = company["managers"][0]
    service_day = assign(ann, slot_at("HEL-CC", day(10)))
    assert move_assignment(service_day, slot_at("TLL-CC", day(11)), None, today=before_the_year()) == [
        "Ann Aalto is not at their home site HEL-CC."]
    assert move_assignment(service_day, slot_at("AMS-CC", day(12)), None, today=before_the_year()) == [
        "Ann Aalto is not at their home site HEL-CC.", "AMS-CC is outside Ann Aalto's home region Nordics."]
    db.session.commit()
    assert reloaded(service_day.id).slot_id == slot_at("AMS-CC", day(12)).id
    # A warehouse week can never be at a contact centre: only the region counts.
    week = assign(ann, slot_at("TMP-WH", day(30)))
    assert move_assignment(week, slot_at("TMP-WH", day(31)), None, today=before_the_year()) == []


def test_a_home_site_without_a_region_makes_every_other_site_far(company):
    company["hel"].region = None
    db.session.commit()
    service_day = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    assert move_assignment(service_day, slot_at("TLL-CC", day(11)), None, today=before_the_year()) == [
        "Ann Aalto is not at their home site HEL-CC.",
        "TLL-CC is not near Ann Aalto's home site HEL-CC, which belongs to no region."]


# --- The slots HR may choose ------------------------------------------------------------------------

def test_valid_slots_keep_every_rule_and_say_how_near_and_how_full(company, make_blackout):
    ann, bo = company["managers"][:2]
    assign(ann, slot_at("TMP-WH", day(12)))
    assign(bo, slot_at("TMP-WH", day(14)))  # Operations' one place in week 14
    service_day = assign(ann, slot_at("HEL-CC", day(10)))
    full = slot_at("AMS-CC", day(20))  # one seat
    assign(company["chief"], full)
    make_blackout(day(22), day(22, 5), person=ann)
    today = day(9, 3)

    db.session.expire_all()
    with count_queries() as queries:
        choices = valid_slots(service_day, today=today)
    assert len(queries) <= 12, queries  # the seats taken are kept between pages: two more when counted
    by_slot = {choice.slot.id: choice for choice in choices}
    days = {choice.slot.first_day for choice in choices}
    assert slot_at("HEL-CC", day(10)).id not in by_slot  # where it is now
    assert full.id not in by_slot
    assert not days & {day(12, n) for n in range(1, 6)}  # the warehouse week's
    assert not days & {day(14, n) for n in range(1, 6)}  # the department's cap
    assert not days & {day(22, n) for n in range(1, 6)}  # Ann's blackout
    assert min(days) == day(9, 4)  # tomorrow
    assert by_slot[slot_at("HEL-CC", day(11)).id].note == "home site · 2 seats left"
    assert by_slot[slot_at("TLL-CC", day(11)).id].note == "home region · 2 seats left"
    assert by_slot[slot_at("AMS-CC", day(11)).id].note == "outside home region · 1 seat left"
    assert [choice.where for choice in choices[:1]] == ["home site"]
    assert choices[-1].site.code == "AMS-CC"

    generate_slots(next_year() + 1)  # a year of slots more does not cost a query more
    db.session.commit()
    with count_queries() as more:
        valid_slots(service_day, today=today)
    assert len(more) <= len(queries)


def test_a_slot_that_is_full_only_because_of_this_assignment_is_offered(company):
    ann = company["managers"][0]
    proposed = slot_at("AMS-CC", day(20))  # one seat, held by Ann's own proposed move
    service_day = assign(ann, slot_at("HEL-CC", day(10)), proposal=MOVE, proposed_slot_id=proposed.id)
    assert proposed.id in {choice.slot.id for choice in valid_slots(service_day, today=before_the_year())}


# --- Withdrawing --------------------------------------------------------------------------------------

def test_withdrawing_a_draft_deletes_it(company):
    draft = assign(company["managers"][0], slot_at("HEL-CC", day(10)), status=DRAFT)
    withdraw_assignment(draft, None, today=before_the_year())
    db.session.commit()
    assert reloaded(draft.id) is None


def test_withdrawing_an_announced_assignment_cancels_it_with_a_cancellation(company):
    confirmed = assign(company["managers"][0], slot_at("HEL-CC", day(10)), status=CONFIRMED, sequence=2,
                       proposal=MOVE, proposed_slot_id=slot_at("HEL-CC", day(11)).id)
    withdraw_assignment(confirmed, None, today=before_the_year())
    db.session.commit()
    cancelled = reloaded(confirmed.id)
    assert (cancelled.status, cancelled.sequence) == (CANCELLED, 3)
    assert outbox_of(cancelled.id) == [("cancellation", 3, "queued")]
    assert (cancelled.proposal, cancelled.proposed_slot_id) == (None, None)


def test_history_and_finished_shifts_are_not_withdrawn(company):
    started = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    with pytest.raises(FieldRefusal, match="history is not moved or withdrawn"):
        withdraw_assignment(started, None, today=day(10))
    done = assign(company["managers"][1], slot_at("HEL-CC", day(11)), status=COMPLETED)
    with pytest.raises(FieldRefusal, match="It is completed"):
        withdraw_assignment(done, None, today=before_the_year())
    assert reloaded(started.id).status == PUBLISHED


# --- Leavers ---------------------------------------------------------------------------------------------

SITES_CSV = """code,name,kind,timezone,region,seats,shift_start,shift_end
HEL-CC,Helsinki contact centre,contact_center,Europe/Helsinki,Nordics,3,09:00,17:00
TMP-WH,Tampere warehouse,warehouse,Europe/Helsinki,Nordics,4,,
"""
PEOPLE_CSV = """employee_id,full_name,email,department,manager_id,home_site,in_rotation
E1,Carla Esposito,ceo@example.com,Executive,,HEL-CC,
E2,Maria Jansen,maria@example.com,Operations,E1,HEL-CC,
E3,Anna Worker,anna@example.com,Operations,E2,,
E4,Ben Expert,ben@example.com,Finance,E1,,yes
E5,Lea Leaver,lea@example.com,Finance,E1,HEL-CC,yes
E6,Dan Draft,dan@example.com,Finance,E1,HEL-CC,yes
"""


def test_a_leavers_future_assignments_are_withdrawn_by_people_import(runner, tmp_path):
    assert run_import(runner, tmp_path, "sites", SITES_CSV).exit_code == 0
    assert run_import(runner, tmp_path, "people", PEOPLE_CSV).exit_code == 0
    generate_slots(next_year())
    generate_slots(next_year() - 2, "HEL-CC")
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()
    lea, dan = (db.session.scalar(sa.select(Person).where(Person.employee_id == e)) for e in ("E5", "E6"))
    old_day = db.session.scalar(sa.select(Slot).where(Slot.first_day < date(next_year() - 1, 1, 1)).limit(1))
    past = assign(lea, old_day, status=COMPLETED)
    db.session.execute(sa.update(Assignment).where(Assignment.person_id == dan.id).values(status=DRAFT))
    db.session.commit()
    published = {a.id: a.sequence for a in db.session.scalars(
        sa.select(Assignment).where(Assignment.person_id == lea.id, Assignment.status == PUBLISHED))}
    assert len(published) == 2

    leavers_gone = PEOPLE_CSV.replace("E5,Lea Leaver,lea@example.com,Finance,E1,HEL-CC,yes\n", "").replace(
        "E6,Dan Draft,dan@example.com,Finance,E1,HEL-CC,yes\n", "")
    result = run_import(runner, tmp_path, "people", leavers_gone, "--deactivate-missing")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "0 added, 0 updated, 2 deactivated, 4 unchanged"

    db.session.expire_all()
    for assignment_id, sequence in published.items():
        cancelled = db.session.get(Assignment, assignment_id)
        assert (cancelled.status, cancelled.sequence) == (CANCELLED, sequence + 1)
        # The invitation had not gone out yet: it is superseded, and there is nothing to cancel.
        assert outbox_of(assignment_id) == [("invitation", sequence, "superseded")]
    assert db.session.get(Assignment, past.id).status == COMPLETED  # history stays
    assert db.session.scalars(sa.select(Assignment).where(Assignment.person_id == dan.id)).all() == []
    stayers = db.session.scalars(sa.select(Assignment).where(Assignment.person_id.not_in([lea.id, dan.id]))).all()
    assert stayers and all(a.status == PUBLISHED and a.sequence == 0 for a in stayers)


def test_withdrawing_leavers_leaves_started_shifts_alone(company):
    ann = company["managers"][0]
    started = assign(ann, slot_at("TMP-WH", day(10)))
    later = assign(ann, slot_at("HEL-CC", day(20)), status=CONFIRMED)
    withdrawn = withdraw_future_assignments([ann.id], today=day(10, 3))
    db.session.commit()
    assert (withdrawn.deleted, withdrawn.cancelled) == (0, 1)
    assert reloaded(started.id).status == PUBLISHED
    assert reloaded(later.id).status == CANCELLED
    assert outbox_of(later.id) == [("cancellation", 1, "queued")]


# --- Blackout collisions -------------------------------------------------------------------------------

def test_a_blackout_saved_on_its_form_marks_what_it_covers_and_says_how_many(client, login_as, post_form, company):
    ann, bo, cai = company["managers"][:3]
    hit = assign(ann, slot_at("HEL-CC", day(20, 2)))
    hit_draft = assign(bo, slot_at("HEL-CC", day(20, 3)), status=DRAFT)
    # Proposed to move into the blackout: that collides too.
    proposed = assign(cai, slot_at("HEL-CC", day(18)), proposal=MOVE, proposed_slot_id=slot_at("HEL-CC", day(20, 4)).id)
    outside = assign(ann, slot_at("TMP-WH", day(21)))
    login_as("hr")
    values = {"scope": "site", "site": "HEL-CC", "start": day(20).isoformat(), "end": day(20, 5).isoformat(),
              "reason": "Move to new office"}
    # First the form names the published shifts inside the blackout, and saves nothing yet.
    page = post_form("/blackouts/new", values).get_data(as_text=True)
    assert "2 published shifts fall inside this blackout." in page and "Nothing is saved yet." in page
    assert re.findall(r'<a href="/assignments/(\d+)">([^<]*)</a> at ([A-Z-]+) on ([\d-]+)', page) == [
        (str(hit.id), "Ann Aalto's customer-service day", "HEL-CC", day(20, 2).isoformat()),
        (str(proposed.id), "Cai Castro's customer-service day", "HEL-CC", day(20, 4).isoformat())]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Blackout)) == 0
    assert not reloaded(hit.id).needs_replan
    confirmed = re.search(r'name="confirmed" value="([^"]+)"', page).group(1)
    # Changing the days after seeing the list asks again; confirming the same values saves it.
    page = post_form("/blackouts/new", {**values, "end": day(20, 4).isoformat(), "confirmed": confirmed},
                     page="/blackouts/new").get_data(as_text=True)
    assert "Nothing is saved yet." in page
    response = post_form("/blackouts/new", {**values, "confirmed": confirmed}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "2 published shifts collide with this blackout and now need re-planning: " in page
    assert (f'<a href="/assignments/{hit.id}">Ann Aalto\'s customer-service day at HEL-CC on '
            f'{day(20, 2).isoformat()}</a>') in page
    assert [reloaded(a.id).needs_replan for a in (hit, hit_draft, proposed, outside)] == [True, True, True, False]


def test_blackouts_import_marks_collisions_of_people_sites_homes_and_the_company(runner, tmp_path, company):
    ann, bo, cai, dina = company["managers"][:4]
    ann_day = assign(ann, slot_at("TLL-CC", day(20, 2)))        # Ann's own blackout
    bo_day = assign(bo, slot_at("TLL-CC", day(22, 2)))          # the home site HEL-CC is closed (Bo lives there)
    cai_day = assign(cai, slot_at("AMS-CC", day(24, 2)))        # AMS-CC itself is closed
    dina_week = assign(dina, slot_at("TMP-WH", day(26)))        # the whole company, on Friday only
    untouched = assign(company["chief"], slot_at("AMS-CC", day(30)))
    csv = ("employee_id,site,start,end,reason\n"
           f"E100,,{day(20).isoformat()},{day(20, 5).isoformat()},Leave\n"
           f",HEL-CC,{day(22).isoformat()},{day(22, 5).isoformat()},Renovation\n"
           f",AMS-CC,{day(24).isoformat()},{day(24, 5).isoformat()},Renovation\n"
           f",,{day(26, 5).isoformat()},{day(26, 5).isoformat()},Company day\n")
    result = run_import(runner, tmp_path, "blackouts", csv)
    assert result.exit_code == 0, result.output
    marked = [reloaded(a.id).needs_replan for a in (ann_day, bo_day, cai_day, dina_week, untouched)]
    assert marked == [True, True, True, True, False]


def test_mark_collisions_leaves_history_and_cancelled_shifts_alone(company, make_blackout):
    ann, bo = company["managers"][:2]
    started = assign(ann, slot_at("HEL-CC", day(20, 2)))
    cancelled = assign(bo, slot_at("HEL-CC", day(20, 3)), status=CANCELLED)
    upcoming = assign(company["chief"], slot_at("HEL-CC", day(20, 4)))
    blackout = make_blackout(day(20), day(20, 5))
    assert mark_collisions(blackout, today=day(20, 2)) == 1
    db.session.commit()
    assert [reloaded(a.id).needs_replan for a in (started, cancelled, upcoming)] == [False, False, True]
