"""The background worker: claims each job once, takes over a job whose worker died, never records work twice."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation import create_app
from rotation.db import utcnow
from rotation.extensions import db
from rotation.jobs import queue
from rotation.jobs.models import FAILED, FINISHED, QUEUED, RUNNING, Job
from rotation.jobs.registry import JOB_HANDLERS, JobHandler
from rotation.plans.background import queue_run
from rotation.plans.models import PlanRun
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year

TEST_KIND = "test_note"


@pytest.fixture
def notes(app):
    """A job kind of the tests' own: each run appends to ``done``; a subject of 13 raises."""
    done: list[int] = []
    failed: list[tuple[int, str]] = []

    def run(subject_id: int, finish) -> str:
        if subject_id == 13:
            raise ValueError("Thirteen is unlucky.")
        done.append(subject_id)
        return f"noted {subject_id}"

    JOB_HANDLERS[TEST_KIND] = JobHandler(TEST_KIND, "note", run,
                                         lambda subject, message: failed.append((subject, message)))
    yield done, failed
    del JOB_HANDLERS[TEST_KIND]


@pytest.fixture
def company(make_site, make_person):
    home = make_site("HEL-CC", seats=2)
    make_site("TMP-WH", kind="warehouse", seats=2)
    chief = make_person("E001", home_site=home)
    for n in range(3):
        make_person(f"E2{n:02d}", manager=make_person(f"E1{n:02d}", manager=chief, home_site=home))
    generate_slots(next_year())
    db.session.commit()


def jobs() -> list[tuple[int, str, int]]:
    db.session.expire_all()
    query = sa.select(Job.subject_id, Job.status, Job.attempts).order_by(Job.id)
    return [tuple(row) for row in db.session.execute(query)]


def test_jobs_run_once_in_the_order_they_were_queued(notes):
    done, _ = notes
    for subject in (1, 2, 3):
        queue.enqueue(TEST_KIND, subject)
    db.session.commit()
    outcomes = queue.run_pending(worker="w1")
    assert [outcome.line for outcome in outcomes] == ["noted 1", "noted 2", "noted 3"]
    assert done == [1, 2, 3]
    assert jobs() == [(1, FINISHED, 1), (2, FINISHED, 1), (3, FINISHED, 1)]
    assert queue.run_pending(worker="w2") == [] and done == [1, 2, 3]


def test_a_job_that_fails_says_why_on_its_subject_and_the_others_go_on(notes):
    done, failed = notes
    for subject in (13, 14):
        queue.enqueue(TEST_KIND, subject)
    db.session.commit()
    outcomes = queue.run_pending(worker="w1")
    assert [outcome.finished for outcome in outcomes] == [False, True]
    assert failed == [(13, "Thirteen is unlucky.")] and done == [14]
    assert jobs() == [(13, FAILED, 1), (14, FINISHED, 1)]
    assert db.session.scalar(sa.select(Job.error).where(Job.subject_id == 13)) == "Thirteen is unlucky."


def test_a_claimed_job_is_not_claimed_again_while_its_worker_is_alive(notes):
    queue.enqueue(TEST_KIND, 1)
    db.session.commit()
    first = queue.claim("w1")
    assert first is not None and (first.status, first.attempts, first.worker) == (RUNNING, 1, "w1")
    assert queue.claim("w2") is None
    # Its heartbeat stops: after STALE_AFTER another worker takes it over with the next attempt.
    db.session.execute(sa.update(Job).values(heartbeat_at=utcnow() - queue.STALE_AFTER - timedelta(seconds=1)))
    db.session.commit()
    second = queue.claim("w2")
    assert second is not None and (second.attempts, second.worker) == (2, "w2")


def test_the_worker_that_lost_its_job_records_nothing(notes):
    _done, _ = notes
    queue.enqueue(TEST_KIND, 1)
    db.session.commit()
    slow = queue.claim("slow")
    db.session.execute(sa.update(Job).values(heartbeat_at=utcnow() - queue.STALE_AFTER - timedelta(seconds=1)))
    db.session.commit()
    quick = queue.claim("quick")
    assert queue.run_claimed(quick).finished
    lost = queue.run_claimed(slow)  # the slow worker comes back and finishes too late
    assert not lost.finished and "taken over by another worker" in lost.line
    assert jobs() == [(1, FINISHED, 2)]


def test_a_job_that_keeps_killing_its_worker_is_given_up(notes):
    _, failed = notes
    queue.enqueue(TEST_KIND, 7)
    db.session.commit()
    stale = utcnow() - queue.STALE_AFTER - timedelta(seconds=1)
    db.session.execute(sa.update(Job).values(status=RUNNING, attempts=queue.MAX_ATTEMPTS, heartbeat_at=stale))
    db.session.commit()
    assert queue.claim("w1") is None
    assert jobs() == [(7, FAILED, queue.MAX_ATTEMPTS)]
    assert failed and "stopped 3 times" in failed[0][1]


def test_a_plan_run_whose_worker_died_is_planned_by_the_next_one(company):
    run = queue_run(next_year(), None)
    db.session.commit()
    dead = queue.claim("dead")  # it claimed the run and died before writing anything
    db.session.execute(sa.update(PlanRun).values(status=RUNNING, step=2))
    db.session.execute(sa.update(Job).values(heartbeat_at=utcnow() - queue.STALE_AFTER - timedelta(seconds=1)))
    db.session.commit()
    outcomes = queue.run_pending(worker="alive")
    assert [outcome.finished for outcome in outcomes] == [True]
    db.session.expire_all()
    finished = db.session.get(PlanRun, run.id)
    assert (finished.status, finished.customer_service, finished.warehouse) == ("finished", 4, 4)
    assert jobs() == [(run.id, FINISHED, 2)]
    assert queue.run_claimed(dead).finished is False  # the dead worker's late return writes nothing
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanRun)) == 1


def test_old_jobs_are_forgotten_after_a_month(notes):
    queue.enqueue(TEST_KIND, 1)
    queue.enqueue(TEST_KIND, 2)
    db.session.commit()
    queue.run_pending(worker="w1")
    db.session.execute(sa.update(Job).where(Job.subject_id == 1).values(finished_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    assert queue.forget_old_jobs() == 1
    assert [subject for subject, *_ in jobs()] == [2]


def test_the_worker_command_runs_page_jobs_and_stops_cleanly(runner, company):
    run_id = queue_run(next_year(), None).id
    db.session.commit()
    finished = threading.Event()
    engine = db.engine

    def stop_when_planned() -> None:
        deadline = utcnow() + timedelta(seconds=60)
        while utcnow() < deadline and not finished.is_set():
            with engine.connect() as connection:
                status = connection.scalar(sa.select(PlanRun.status).where(PlanRun.id == run_id))
            if status == "finished":
                break
            finished.wait(0.1)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_planned)
    stopper.start()
    try:
        result = runner.invoke(args=["worker", "--interval", "0.2"])
    finally:
        finished.set()
        stopper.join()
    assert result.exit_code == 0, result.output
    assert "started plan run (job " in result.output
    assert f"plan of {next_year()}: 4 customer-service days and 4 warehouse weeks, 0 unplaced" in result.output
    assert result.output.strip().splitlines()[-1] == "Stopped."
    assert jobs()[0][1] == FINISHED


def _claim_in_a_process(config: dict, results) -> None:
    app = create_app(config)
    with app.app_context():
        claimed = []
        while (job := queue.claim(f"worker-{os.getpid()}")) is not None:
            claimed.append(job.subject_id)
        results.put(claimed)


def test_several_workers_on_postgresql_claim_each_job_once(app, database_url, notes):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no row locks: one worker only")
    for subject in range(40):
        queue.enqueue(TEST_KIND, subject)
    db.session.commit()
    config = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY")}
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_claim_in_a_process, args=(config, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    claimed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=10)
    everything = sorted(subject for batch in claimed for subject in batch)
    assert everything == list(range(40))
    assert all(status == RUNNING and attempts == 1 for _, status, attempts in jobs())


def test_a_queued_job_the_tests_leave_is_still_queued(notes):
    queue.enqueue(TEST_KIND, 1)
    db.session.commit()
    assert jobs() == [(1, QUEUED, 0)]
