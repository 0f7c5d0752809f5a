"""``replies fetch``: read the organizer mailbox once (docs/contracts.md)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from rotation.extensions import db
from rotation.replies.fetching import fetch_replies
from rotation.replies.mailbox import ImapSettings, MailboxUnreachable

replies_cli = AppGroup("replies", help="Attendees' answers to invitations, and bounces, from the organizer mailbox.")


@replies_cli.command("fetch")
def fetch() -> None:
    """Read the organizer mailbox (ROTATION_IMAP_*) once and act on every answer and bounce in it.

    Prints ``N accepted, N declined, N tentative, N proposed, N bounced, N not
    matched``. Exits 1 when the mailbox cannot be reached or is not configured;
    nothing is lost then, the messages wait for the next run.
    """
    settings = ImapSettings.from_config(current_app.config)
    if settings is None:
        raise click.ClickException("Replies are not read: ROTATION_IMAP_HOST is not set, so Rotation does not know "
                                   "the organizer mailbox.")
    try:
        fetched = fetch_replies(settings)
    except MailboxUnreachable as error:
        raise click.ClickException(str(error)) from None
    except sa.exc.DBAPIError as error:
        db.session.rollback()
        raise click.ClickException(f"The database could not be used: {error.orig}") from None
    click.echo(fetched.line())
