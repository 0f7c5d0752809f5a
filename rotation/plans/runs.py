"""Plan runs: start one, follow its progress, and finish it with the draft written in one transaction.

The ``plan`` command runs in its own process. The plan page queues a run for
the background worker (``plans.background``) and returns at once; the page then
follows the run's ``step``. Either way the draft, the run's figures and its
unplaced shifts are committed together, or not at all.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa

from rotation.db import utcnow
from rotation.extensions import db
from rotation.jobs.queue import JobTakenOver
from rotation.planning.engine import plan_year
from rotation.planning.model import CUSTOMER_SERVICE, WAREHOUSE
from rotation.plans.models import FAILED, FINISHED, QUEUED, RUNNING, STEPS, PlanRun, UnplacedShift
from rotation.plans.planner import PlanningError, load_year, write_draft
from rotation.plans.publish import publish_year
from rotation.sites.models import Slot
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR

# A run whose heartbeat is older than this died with its process; another may start.
ABANDONED_AFTER = timedelta(minutes=15)
Progress = Callable[[PlanRun], None]


def check_year(year: int) -> None:
    """Raise ``PlanningError`` unless ``year`` can be planned: a sensible year that has slots."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PlanningError(f"The year {year} is out of range; plan a year from {FIRST_YEAR} to {LAST_YEAR}.")
    has_slots = db.session.scalar(sa.select(Slot.id).where(
        Slot.first_day.between(date(year, 1, 1), date(year, 12, 31))).limit(1))
    if has_slots is None:
        raise PlanningError(f"{year} has no slots yet. Generate them first with `slots generate --year {year}`, "
                            "or from a site's page.")


def in_progress() -> sa.ColumnElement[bool]:
    """Waiting for the worker, or running and heard from lately (one silent for too long counts as abandoned)."""
    return sa.or_(PlanRun.status == QUEUED,
                  sa.and_(PlanRun.status == RUNNING, PlanRun.heartbeat_at > utcnow() - ABANDONED_AFTER))


def running_run(year: int) -> PlanRun | None:
    """The run of ``year`` waiting or in progress, if any."""
    return db.session.scalar(
        sa.select(PlanRun).where(PlanRun.year == year, in_progress()).order_by(PlanRun.id.desc()).limit(1))


def latest_run(year: int) -> PlanRun | None:
    return db.session.scalar(
        sa.select(PlanRun).where(PlanRun.year == year).order_by(PlanRun.id.desc()).limit(1))


def start_run(year: int, user_id: int | None, source: str, publish: bool = False, queued: bool = False) -> PlanRun:
    """Record a new run of ``year`` and flush; raise ``PlanningError`` when it can't start.

    ``queued``: the run waits for the background worker rather than starting here.
    """
    check_year(year)
    other = running_run(year)
    if other is not None:
        raise PlanningError(f"A plan of {year} is already running (started {other.started_at:%Y-%m-%d %H:%M} UTC); "
                            "wait for it to finish.")
    run = PlanRun(year=year, status=QUEUED if queued else RUNNING, started_by_id=user_id, source=source,
                  steps=len(STEPS) + (1 if publish else 0))
    db.session.add(run)
    db.session.flush()
    return run


def execute_run(run_id: int, today: date, publish: bool = False, progress: Progress | None = None,
                before_commit: Callable[[], None] | None = None) -> PlanRun:
    """Plan the run's year and commit the draft with the run's figures; on failure record why and re-raise.

    Slots starting on or before ``today`` are history: nobody is placed in them
    and what is there stays. With ``publish`` the draft is published in the same
    transaction. ``progress`` is called with the run at every step;
    ``before_commit`` just before the draft is committed (the worker records its
    job as done in the same transaction).
    """
    def step(run: PlanRun) -> None:
        if run.step < len(STEPS):
            # Nothing but the run is written before the draft, so the page can follow along.
            db.session.commit()
        if progress:
            progress(run)

    try:
        run = plan_run(db.session.get_one(PlanRun, run_id), not_before=today + timedelta(days=1), publish=publish,
                       on_step=step)
        if before_commit:
            before_commit()
        db.session.commit()
        if progress:
            progress(run)
        return run
    except JobTakenOver:
        db.session.rollback()  # another worker plans this run now; it records the outcome
        raise
    except Exception as error:
        db.session.rollback()
        _fail(run_id, error)
        raise


def plan_run(run: PlanRun, not_before: date | None, publish: bool = False,
             on_step: Progress | None = None) -> PlanRun:
    """Plan ``run.year``, write the draft, the run's figures and its unplaced shifts, and flush.

    Slots before ``not_before`` are history. With ``publish`` the draft is
    published too. ``on_step`` is called with the run as each step starts.
    """
    started = time.perf_counter()

    def step(number: int) -> None:
        run.step = number
        run.heartbeat_at = utcnow()
        if on_step:
            on_step(run)

    loaded = load_year(run.year, not_before=not_before)
    step(1)
    result = plan_year(loaded.request, on_stage=lambda kind: step(2) if kind == CUSTOMER_SERVICE else None)
    step(3)
    changes = write_draft(loaded, result)
    if result.unplaced:
        db.session.execute(sa.insert(UnplacedShift), [
            {"plan_run_id": run.id, "person_id": entry.person_id, "kind": entry.kind, "reason": entry.reason}
            for entry in result.unplaced])
    run.people = len(loaded.request.people)
    run.customer_service = result.assigned(CUSTOMER_SERVICE)
    run.warehouse = result.assigned(WAREHOUSE)
    run.kept, run.moved, run.placed, run.withdrawn = changes.kept, changes.moved, changes.placed, changes.withdrawn
    run.unplaced = len(result.unplaced)
    run.objective, run.lower_bound = result.objective, result.lower_bound
    if publish:
        step(4)
        publish_year(run.year, run.started_by_id)
        run.published_at = utcnow()
        run.published_by_id = run.started_by_id
    run.status = FINISHED
    run.step = run.steps
    run.finished_at = run.heartbeat_at = utcnow()
    run.seconds = round(time.perf_counter() - started, 3)
    db.session.flush()
    return run


def _fail(run_id: int, error: Exception) -> None:
    message = (str(error) if isinstance(error, PlanningError)
               else f"The plan stopped: {error.__class__.__name__}: {error}")
    record_failure(run_id, message)


def record_failure(run_id: int, message: str) -> None:
    """Mark the run failed with ``message`` and commit, unless it already ended (finished, or failed saying why)."""
    db.session.execute(sa.update(PlanRun).where(PlanRun.id == run_id, PlanRun.status.in_((QUEUED, RUNNING))).values(
        status=FAILED, error=message[:2000], finished_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()
