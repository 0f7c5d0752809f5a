"""Plan runs started from the plan page, done by the background worker."""
from __future__ import annotations

from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.jobs.queue import enqueue
from rotation.jobs.registry import Finish, job_handler
from rotation.plans.models import QUEUED, RUNNING, PlanRun
from rotation.plans.planner import PlanningError
from rotation.plans.runs import execute_run, record_failure, running_run, start_run

PLAN_RUN = "plan_run"


def queue_run(year: int, user_id: int | None) -> PlanRun:
    """Record a run of ``year`` for the worker to do, in the current transaction; ``PlanningError`` when it can't."""
    run = start_run(year, user_id, "page", queued=True)
    enqueue(PLAN_RUN, run.id)
    return run


@job_handler(PLAN_RUN, "plan run", failed=record_failure)
def run_queued_plan(run_id: int, finish: Finish) -> str:
    """Plan the run's year and commit the draft together with the job's end."""
    run = db.session.get(PlanRun, run_id)
    if run is None or run.status not in (QUEUED, RUNNING):
        return f"plan run {run_id}: nothing to do, it has already ended"
    if run.status == RUNNING:  # its worker stopped; this one takes it over, unless a later run has started
        current = running_run(run.year)
        if current is not None and current.id != run.id:
            raise PlanningError(f"A later plan of {run.year} was started after this one stopped; "
                                "that one counts.")
    run.status, run.step = RUNNING, 0
    run.started_at = run.heartbeat_at = utcnow()
    db.session.commit()
    run = execute_run(run_id, today=utc_today(), before_commit=finish)
    return (f"plan of {run.year}: {run.customer_service} customer-service days and {run.warehouse} warehouse "
            f"weeks, {run.unplaced} unplaced")
