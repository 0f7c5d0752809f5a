"""``invites send [--limit N]``: deliver the outbox over SMTP once; ``invites worker`` is ``worker``'s old name.

The sending machinery, with the calendar libraries behind it, is imported when
a command runs, so starting the web app or another command does not load it.
"""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from rotation.extensions import db
from rotation.jobs.worker import run_worker
from rotation.outbox.due import queue_due_messages
from rotation.outbox.sender import SendingError, send_due, still_queued

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
              help="Seconds between passes over the outbox.")
def worker(interval: float) -> None:
    """The same as ``worker``: all background work in a loop, the outbox included.

    Kept under this name for the services that already run it.
    """
    run_worker(interval)
