"""The plan as the app writes it: drafts, proposals, publishing, history, runs."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import (
    CANCELLED,
    CONFIRMED,
    DRAFT,
    MOVE,
    PUBLISHED,
    WITHDRAW,
    Assignment,
)
from rotation.extensions import db
from rotation.outbox.models import SENT, OutboxMessage
from rotation.plans.models import FAILED, FINISHED, PlanRun, UnplacedShift
from rotation.plans.planner import PlanningError
from rotation.plans.publish import draft_summary, publish_year
from rotation.plans.runs import execute_run, plan_run, start_run
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import outbox_of


def start_of_year() -> date:
    """The first day of the planned year."""
    return date(next_year(), 1, 1)


@pytest.fixture
def company(make_site, make_person):
    """Two contact centres and a warehouse; a chief executive and five managers with a report each."""
    home = make_site("HEL-CC", seats=2)
    make_site("TLL-CC", seats=2, timezone="Europe/Tallinn")
    make_site("TMP-WH", kind="warehouse", seats=3)
    chief = make_person("E001", department="Board", home_site=home)
    managers = [make_person(f"E1{n:02d}", manager=chief, home_site=home) for n in range(5)]
    for n, manager in enumerate(managers):
        make_person(f"E2{n:02d}", manager=manager)
    generate_slots(next_year())
    db.session.commit()
    return {"chief": chief, "managers": managers}


def run_plan(publish: bool = False, not_before: date | None = None) -> PlanRun:
    not_before = not_before or start_of_year()
    run = plan_run(start_run(next_year(), None, "command", publish=publish), not_before=not_before, publish=publish)
    db.session.commit()
    return run


def assignments() -> dict[tuple[int, str], Assignment]:
    rows = db.session.scalars(sa.select(Assignment).where(Assignment.status != CANCELLED)).all()
    return {(row.person_id, row.kind): row for row in rows}


def test_a_first_run_writes_drafts_for_everyone_in_the_rotation(company):
    run = run_plan()
    placed = assignments()
    in_rotation = {company["chief"].id, *(manager.id for manager in company["managers"])}
    assert {person for person, _ in placed} == in_rotation
    assert all(row.status == DRAFT and row.sequence == 0 and outbox_of(row.id) == [] for row in placed.values())
    assert (run.status, run.people, run.customer_service, run.warehouse, run.placed) == (FINISHED, 6, 6, 6, 12)
    assert run.lower_bound <= run.objective
    assert draft_summary(next_year()).new == 12


def test_running_again_keeps_the_draft_where_it_is(company):
    run_plan()
    before = {key: (row.uid, row.slot_id) for key, row in assignments().items()}
    again = run_plan()
    assert {key: (row.uid, row.slot_id) for key, row in assignments().items()} == before
    assert again.placed == 0 and again.moved == 0


def test_publishing_announces_every_draft(company):
    run = run_plan()
    summary = publish_year(next_year(), None)
    db.session.commit()
    assert summary.new == 12
    assert all(row.status == PUBLISHED and row.sequence == 0 and outbox_of(row.id) == [("invitation", 0, "queued")]
               for row in assignments().values())
    assert db.session.get(PlanRun, run.id).published_at is not None
    assert draft_summary(next_year()).changes == 0


def test_a_move_is_proposed_until_published_then_keeps_its_uid_and_raises_the_sequence(company, make_blackout):
    run_plan(publish=True)
    hit = assignments()[(company["managers"][0].id, "customer_service")]
    hit.status = CONFIRMED
    db.session.commit()
    uid, old_slot = hit.uid, hit.slot_id
    slot = db.session.get(Slot, old_slot)
    make_blackout(slot.first_day, person=company["managers"][0])

    run = run_plan()
    row = db.session.get(Assignment, hit.id)
    assert (row.proposal, row.slot_id, row.status, row.sequence) == (MOVE, old_slot, CONFIRMED, 0)
    assert row.proposed_slot_id != old_slot
    assert run.moved == 1 and run.kept == 11

    publish_year(next_year(), None)
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(Assignment, hit.id)
    assert (row.uid, row.status, row.sequence, row.proposal) == (uid, PUBLISHED, 1, None)
    # The first invitation had not gone out yet: the update replaces it.
    assert outbox_of(row.id) == [("invitation", 0, "superseded"), ("invitation", 1, "queued")]
    assert row.slot_id != old_slot and row.proposed_slot_id is None
    untouched = [a for key, a in assignments().items() if a.id != hit.id]
    assert all(a.sequence == 0 for a in untouched)


def test_someone_taken_out_of_the_rotation_has_their_shifts_withdrawn_on_publish(company):
    run_plan(publish=True)
    db.session.execute(sa.update(OutboxMessage).values(status=SENT))
    leaving = company["managers"][1]
    leaving.in_rotation_override = False
    db.session.commit()
    run = run_plan()
    theirs = db.session.scalars(sa.select(Assignment).where(Assignment.person_id == leaving.id)).all()
    assert [row.proposal for row in theirs] == [WITHDRAW, WITHDRAW]
    assert run.withdrawn == 2
    publish_year(next_year(), None)
    db.session.commit()
    db.session.expire_all()
    theirs = db.session.scalars(sa.select(Assignment).where(Assignment.person_id == leaving.id)).all()
    assert {(row.status, row.sequence) for row in theirs} == {(CANCELLED, 1)}
    for row in theirs:  # the invitations were sent, so the withdrawals are cancelled in their calendars
        assert outbox_of(row.id) == [("invitation", 0, "sent"), ("cancellation", 1, "queued")]


def test_a_draft_no_longer_needed_is_deleted_not_announced(company):
    run_plan()
    leaving = company["managers"][2]
    leaving.in_rotation_override = False
    db.session.commit()
    run_plan()
    assert not db.session.scalars(sa.select(Assignment).where(Assignment.person_id == leaving.id)).all()


@pytest.mark.dates
def test_history_stays_as_it_is(company, make_blackout):
    run_plan(publish=True)
    placed = assignments()
    middle = date(next_year(), 7, 1)
    past = {key: row.slot_id for key, row in placed.items()
            if db.session.get(Slot, row.slot_id).first_day < middle}
    assert past, "the plan should have put someone in the first half of the year"
    make_blackout(start_of_year(), middle - timedelta(days=1))  # the whole company, after the fact
    run_plan(not_before=middle)
    after = assignments()
    assert {key: after[key].slot_id for key in past} == past
    assert all(after[key].proposal is None for key in past)


def test_unplaced_people_are_recorded_with_a_reason(company, make_blackout):
    make_blackout(start_of_year(), date(next_year(), 12, 31), person=company["managers"][3], reason="Parental leave")
    run = run_plan()
    unplaced = db.session.scalars(sa.select(UnplacedShift).where(UnplacedShift.plan_run_id == run.id)).all()
    assert {(row.person_id, row.kind) for row in unplaced} == {
        (company["managers"][3].id, "customer_service"), (company["managers"][3].id, "warehouse")}
    assert all("blacked out" in row.reason for row in unplaced)
    assert run.unplaced == 2


def test_publishing_is_refused_while_a_new_blackout_collides(company):
    run_plan()
    row = next(iter(assignments().values()))
    row.needs_replan = True
    db.session.commit()
    with pytest.raises(PlanningError, match=r"Run the plan of .* again"):
        publish_year(next_year(), None)
    db.session.rollback()
    assert all(a.status == DRAFT for a in assignments().values())


def test_a_year_without_slots_cannot_be_planned(app):
    with pytest.raises(PlanningError, match="no slots"):
        start_run(next_year() + 5, None, "command")
    assert db.session.scalar(sa.select(sa.func.count(PlanRun.id))) == 0


def test_a_second_run_cannot_start_while_one_is_running(company):
    start_run(next_year(), None, "page")
    db.session.commit()
    with pytest.raises(PlanningError, match="already running"):
        start_run(next_year(), None, "page")


def test_a_run_that_fails_is_recorded_with_its_error_and_writes_no_draft(company, monkeypatch):
    run = start_run(next_year(), None, "page")
    db.session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("rotation.plans.runs.plan_year", broken)
    with pytest.raises(RuntimeError):
        execute_run(run.id, today=start_of_year() - timedelta(days=1))
    run = db.session.get(PlanRun, run.id)
    assert run.status == FAILED and "solver exploded" in run.error
    assert not assignments()


@pytest.mark.dates
def test_execute_run_reports_every_step(company):
    run = start_run(next_year(), None, "command", publish=True)
    db.session.commit()
    seen = []
    execute_run(run.id, today=start_of_year() - timedelta(days=1), publish=True,
                progress=lambda current: seen.append(current.step))
    assert seen == [1, 2, 3, 4, 5]
    assert all(row.status == PUBLISHED for row in assignments().values())
