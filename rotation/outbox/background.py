"""The outbox as the worker's periodic pass: queue what time has made due, then deliver what is due."""
from __future__ import annotations

from collections.abc import Callable

from rotation.jobs.registry import StopWorker, periodic
from rotation.jobs.worker import echo
from rotation.outbox.due import queue_due_messages
from rotation.outbox.sender import SendingError, send_due


@periodic("outbox")
def outbox_pass(keep_going: Callable[[], bool]) -> None:
    """Reminders and attendance links falling due, then every due message, batch by batch."""
    due = queue_due_messages()
    if due.total:
        echo(due.summary())
    try:
        send_due(on_batch=print_batch, keep_going=keep_going)
    except SendingError as error:
        raise StopWorker(str(error)) from None

def print_batch(report) -> None:
    """A line for the batch, one per message that did not go, but the mail server's trouble only once."""
    echo(report.summary())
    for line in report.problems:
        if not report.server_trouble or not line.endswith(report.server_trouble):
            echo(line, err=True)
    if report.server_trouble:
        echo(report.server_trouble, err=True)

