"""Plan runs: start one, follow its progress, and finish it with the draft written in one transaction.

The ``plan`` command runs in its own process. The plan page starts a run in a
background thread and returns at once; the page then follows the run's
``step``. Either way the draft, the run's figures and its unplaced shifts are
committed together, or not at all.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from rotation.db import utcnow
from rotation.extensions import db
from rotation.planning.engine import plan_year
from rotation.planning.model import CUSTOMER_SERVICE, WAREHOUSE
from rotation.plans.models import FAILED, FINISHED, RUNNING, STEPS, PlanRun, UnplacedShift
from rotation.plans.planner import PlanningError, load_year, write_draft
from rotation.plans.publish import publish_year
from rotation.sites.models import Slot
from rotation.sites.slots import FIRST_YEAR, LAST_YEAR

log = logging.getLogger(__name__)

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


def running_run(year: int) -> PlanRun | None:
    """The run of ``year`` still in progress, if any (one silent for too long counts as abandoned)."""
    return db.session.scalar(
        sa.select(PlanRun)
        .where(PlanRun.year == year, PlanRun.status == RUNNING, PlanRun.heartbeat_at > utcnow() - ABANDONED_AFTER)
        .order_by(PlanRun.started_at.desc()).limit(1))


def latest_run(year: int) -> PlanRun | None:
    return db.session.scalar(
        sa.select(PlanRun).where(PlanRun.year == year).order_by(PlanRun.id.desc()).limit(1))


def start_run(year: int, user_id: int | None, source: str, publish: bool = False) -> PlanRun:
    """Record a new run of ``year`` and flush; raise ``PlanningError`` when it can't start."""
    check_year(year)
    other = running_run(year)
    if other is not None:
        raise PlanningError(f"A plan of {year} is already running (started {other.started_at:%Y-%m-%d %H:%M} UTC); "
                            "wait for it to finish.")
    run = PlanRun(year=year, status=RUNNING, started_by_id=user_id, source=source,
                  steps=len(STEPS) + (1 if publish else 0))
    db.session.add(run)
    db.session.flush()
    return run


def execute_run(run_id: int, today: date, publish: bool = False, progress: Progress | None = None) -> PlanRun:
    """Plan the run's year and commit the draft with the run's figures; on failure record why and re-raise.

    Slots starting on or before ``today`` are history: nobody is placed in them
    and what is there stays. With ``publish`` the draft is published in the same
    transaction. ``progress`` is called with the run at every step.
    """
    def step(run: PlanRun) -> None:
        if run.step < len(STEPS):
            # Nothing but the run is written before the draft, so the page can follow along.
            db.session.commit()
        if progress:
            progress(run)

    try:
        run = plan_run(db.session.get(PlanRun, run_id), not_before=today + timedelta(days=1), publish=publish,
                       on_step=step)
        db.session.commit()
        if progress:
            progress(run)
        return run
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
    message = str(error) if isinstance(error, PlanningError) else f"The plan stopped: {error.__class__.__name__}: {error}"
    db.session.execute(sa.update(PlanRun).where(PlanRun.id == run_id).values(
        status=FAILED, error=message[:2000], finished_at=utcnow(), heartbeat_at=utcnow()))
    db.session.commit()


def run_in_background(run_id: int, today: date) -> threading.Thread:
    """Plan in a thread of this process, so a page that starts a plan returns at once."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    thread = threading.Thread(target=_background, args=(app, run_id, today), name=f"plan-run-{run_id}", daemon=True)
    thread.start()
    return thread


def _background(app: Flask, run_id: int, today: date) -> None:
    with app.app_context():
        try:
            execute_run(run_id, today)
        except Exception:  # recorded on the run, which the page shows
            log.exception("Plan run %s failed", run_id)
