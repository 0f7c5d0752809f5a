"""``invites send [--limit N]`` and ``invites worker [--interval S]``: deliver the outbox over SMTP.

The sending machinery, with the calendar libraries behind it, is imported when
a command runs, so starting the web app or another command does not load it.
"""
from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from rotation.extensions import db

if TYPE_CHECKING:
    from rotation.outbox.sender import SendReport

invites_cli = AppGroup("invites", help="Calendar invitations and account e-mails waiting in the outbox.")


@invites_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most N messages.")
def send(limit: int | None) -> None:
    """Send what the outbox holds, once, over the ROTATION_SMTP_* server.

    First queues what time has made due: reminders before shifts and the site
    hosts' attendance links after them.

    Prints how many were sent and failed and how many are still queued. Exits
    non-zero when any message failed or could not be delivered this time; a
    message the server asked to retry, or that did not get through because the
    server was down, stays queued for the next run.
    """
    from rotation.outbox.due import queue_due_messages
    from rotation.outbox.sender import SendingError, send_due, still_queued

    try:
        queue_due_messages()
        report = send_due(limit=limit)
        queued = still_queued()
    except SendingError as error:
        raise click.ClickException(str(error)) from None
    except sa.exc.DBAPIError as error:
        db.session.rollback()
        raise click.ClickException(f"The database could not be used: {error.orig}") from None
    for line in report.problems:
        click.echo(line, err=True)
    if report.server_trouble:
        click.echo(report.server_trouble, err=True)
    click.echo(f"{report.sent} sent, {report.failed} failed, {queued} still queued")
    if not report.complete:
        sys.exit(1)


@invites_cli.command("worker")
@click.option("--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds to wait between looks at the outbox.")
def worker(interval: float) -> None:
    """Send the outbox in a loop, for production; stop with Ctrl-C or SIGTERM.

    Prints a line for each batch it sends. Several workers may run at once
    against PostgreSQL without sending anything twice.
    """
    stopping = threading.Event()
    previous = {number: signal.signal(number, lambda *_: stopping.set())
                for number in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Sending the outbox every {interval:g} s; stop with Ctrl-C or SIGTERM.")
    try:
        while not stopping.is_set():
            _one_pass(stopping)
            stopping.wait(interval)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("Stopped.")


def _one_pass(stopping: threading.Event) -> None:
    """One pass over what is due; a database that is briefly away is reported and tried again."""
    from rotation.outbox.due import queue_due_messages
    from rotation.outbox.sender import SendingError, send_due

    try:
        due = queue_due_messages()
        if due.reminders or due.attendance_requests:
            click.echo(f"{_now()} {due.summary()}")
        send_due(on_batch=_print_batch, keep_going=lambda: not stopping.is_set())
    except SendingError as error:
        raise click.ClickException(str(error)) from None
    except sa.exc.DBAPIError as error:
        db.session.rollback()
        click.echo(f"{_now()} The database could not be used, trying again: {error.orig}", err=True)
    finally:
        db.session.remove()


def _print_batch(report: SendReport) -> None:
    click.echo(f"{_now()} {report.summary()}")
    for line in report.problems:
        click.echo(f"{_now()} {line}", err=True)
    if report.server_trouble:
        click.echo(f"{_now()} {report.server_trouble}", err=True)


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
