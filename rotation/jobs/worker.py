"""``flask --app rotation worker``: all background work in one process.

The main thread makes every registered pass (the outbox: reminders and
attendance links falling due, then delivery) every ``interval`` seconds; a
second thread claims and runs jobs the pages queued (plan runs, imports), so
a plan run of a minute never holds up the mail, nor the mail a plan run.
Several workers may run against PostgreSQL; on SQLite run one.
"""
from __future__ import annotations

import signal
import threading
import traceback
from collections.abc import Callable

import click
import sqlalchemy as sa
from flask import Flask, current_app

from rotation.db import utcnow
from rotation.extensions import db
from rotation.jobs import queue, seen  # seen: registers the pass that notes the worker at work
from rotation.jobs.registry import JOB_HANDLERS, PASSES, StopWorker

JOB_POLL_SECONDS = 1.0
# SQLite lets one connection write at a time: the outbox's commit may wait for a plan run's long write.
SQLITE_WORKER_BUSY_TIMEOUT_MS = 120_000

Echo = Callable[[str], None]


def stamp() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def echo(line: str, err: bool = False) -> None:
    click.echo(f"{stamp()} {line}", err=err)


@click.command("worker")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds between passes over the outbox.")
def worker_command(interval: float) -> None:
    """Do all background work in a loop: the outbox, plan runs and imports started from the pages.

    Stop with Ctrl-C or SIGTERM; a job in progress is finished first. Several
    workers may run at once against PostgreSQL without doing anything twice.
    """
    run_worker(interval)


def run_worker(interval: float) -> None:
    stopping = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stopping.set())
                for number in (signal.SIGTERM, signal.SIGINT)}
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    _patient_sqlite()
    click.echo(f"Rotation's worker ({queue.worker_name()}): the outbox every {interval:g} s, jobs as they come; "
               "stop with Ctrl-C or SIGTERM.")
    failure: list[str] = []
    jobs = threading.Thread(target=run_jobs, args=(app, stopping), name="jobs")
    jobs.start()
    try:
        while not stopping.is_set():
            make_passes(stopping, failure)
            stopping.wait(interval)
    finally:
        stopping.set()
        if jobs.is_alive():
            click.echo("Finishing the job in progress before stopping…")
        jobs.join()
        for number, handler in previous.items():
            signal.signal(number, handler)
    if failure:
        raise click.ClickException(failure[0])
    click.echo("Stopped.")


def make_passes(stopping: threading.Event, failure: list[str]) -> None:
    """Every registered pass once; a database that is briefly away is reported and tried again next time."""
    for work in PASSES.values():
        if stopping.is_set():
            return
        try:
            work.run(lambda: not stopping.is_set())
        except StopWorker as error:
            failure.append(str(error))
            stopping.set()
        except sa.exc.DBAPIError as error:
            db.session.rollback()
            echo(f"The database could not be used ({work.name}), trying again: {error.orig}", err=True)
        except Exception:  # a surprise in one pass must not stop the jobs or the next pass
            db.session.rollback()
            echo(f"The {work.name} pass stopped, trying again next time:\n{traceback.format_exc()}", err=True)
        finally:
            db.session.remove()


def run_jobs(app: Flask, stopping: threading.Event, poll: float = JOB_POLL_SECONDS, say: Echo | None = None) -> None:
    """Claim and run jobs until ``stopping`` is set; each job runs to its end."""
    say = say or (lambda line: echo(line))
    name = queue.worker_name()
    with app.app_context():
        while not stopping.is_set():
            try:
                job = queue.claim(name)
                if job is None:
                    seen.note_worker(name=name)  # at most once a minute: the worker is alive while it waits
                    stopping.wait(poll)
                    continue
                say(f"started {_describe(job)}")
                outcome = queue.run_claimed(job)
                say(f"{outcome.line} ({outcome.seconds:.1f} s)" if outcome.finished else outcome.line)
            except sa.exc.DBAPIError as error:
                db.session.rollback()
                say(f"The database could not be used (jobs), trying again: {error.orig}")
                stopping.wait(poll * 5)
            except Exception as error:  # never let one job's surprise stop the others
                db.session.rollback()
                say(f"The job loop hit {error.__class__.__name__}: {error}; going on")
                stopping.wait(poll)
            finally:
                db.session.remove()


def _describe(job) -> str:
    handler = JOB_HANDLERS.get(job.kind)
    attempt = f", attempt {job.attempts}" if job.attempts > 1 else ""
    return f"{handler.describe if handler else job.kind} (job {job.id}{attempt})"


def _patient_sqlite() -> None:
    """On SQLite, let this process's writes wait for another's long write rather than fail."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    def longer_wait(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_WORKER_BUSY_TIMEOUT_MS}")
        cursor.close()

    sa.event.listen(engine, "connect", longer_wait)
    engine.dispose()


