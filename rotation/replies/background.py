"""Reading the organizer mailbox as one of the worker's periodic passes."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from rotation.jobs.registry import periodic
from rotation.jobs.worker import echo
from rotation.replies.fetching import fetch_replies
from rotation.replies.mailbox import ImapSettings, MailboxUnreachable


@periodic("replies")
def replies_pass(keep_going: Callable[[], bool]) -> None:
    """Every waiting answer and bounce; a mailbox that cannot be reached is reported and tried next time."""
    settings = ImapSettings.from_config(current_app.config)
    if settings is None:
        return
    try:
        fetched = fetch_replies(settings, keep_going)
    except MailboxUnreachable as error:
        echo(f"{error} Trying again next time.", err=True)
        return
    if fetched.total:
        echo(f"Replies: {fetched.line()}")
