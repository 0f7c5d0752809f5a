"""Mail that waits with no background worker running: the outbox and HR's home say so, and the worker's loops
record that it is at work."""
from __future__ import annotations

import html
import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.db import utcnow
from rotation.extensions import db
from rotation.jobs.models import WorkerSeen
from rotation.jobs.registry import PASSES
from rotation.jobs.seen import NOTE_EVERY, note_worker
from rotation.outbox.models import QUEUED, SET_PASSWORD, OutboxMessage
from tests.helpers import count_queries


def queue(count: int, due_ago: timedelta) -> None:
    """``count`` queued e-mails that fell due ``due_ago``."""
    due = utcnow() - due_ago
    db.session.execute(sa.insert(OutboxMessage), [
        {"purpose": SET_PASSWORD, "recipient": f"p{n}@example.com", "recipient_name": "", "subject": "Set",
         "body_text": "Text", "status": QUEUED, "created_at": due, "next_attempt_at": due} for n in range(count)])
    db.session.commit()


def seen(ago: timedelta) -> None:
    db.session.merge(WorkerSeen(id=1, seen_at=utcnow() - ago, worker="host:1"))
    db.session.commit()


def warning(client, url: str) -> str | None:
    """The warning about waiting mail on the page at ``url``, as a person reads it; None without one."""
    found = re.search(r'<p class="flash flash-warning stalled-mail"[^>]*>(.*?)</p>',
                      client.get(url).get_data(as_text=True), re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())) if found else None


@pytest.fixture
def hr(login_as):
    return login_as("hr")


def test_mail_waiting_with_no_worker_ever_seen_is_told_on_the_outbox_and_hr_home(client, hr):
    queue(160, timedelta(minutes=20))
    shown = warning(client, "/outbox/")
    assert shown is not None
    assert shown.startswith("160 messages wait to be sent and no background worker has run to send them. "
                            "The oldest has been due since ")
    assert shown.endswith("Nothing goes out until a worker runs: ask whoever runs Rotation to start it.")
    assert "flask" not in shown and "worker --" not in shown  # no shell command for HR
    on_home = warning(client, "/")
    assert on_home is not None and on_home.startswith("160 messages wait") and on_home.endswith("See the outbox")


def test_the_warning_says_when_the_worker_was_last_seen(client, hr):
    queue(1, timedelta(minutes=10))
    seen(timedelta(hours=2))
    when = (utcnow() - timedelta(hours=2)).strftime("%Y-%m-%d %H:")
    shown = warning(client, "/outbox/")
    assert shown is not None and shown.startswith(f"1 message waits to be sent and no background worker has run "
                                                  f"since {when}")


@pytest.mark.parametrize(("due_ago", "worker_seen_ago"), [
    (timedelta(minutes=20), timedelta(seconds=30)),  # a worker is at work
    (timedelta(minutes=1), None),  # just queued: a running worker has not had its turn yet
    (-timedelta(minutes=30), None),  # waiting for its next attempt, not yet due
])
def test_no_warning_while_a_worker_is_about_or_nothing_waits_long(client, hr, due_ago, worker_seen_ago):
    queue(5, due_ago)
    if worker_seen_ago is not None:
        seen(worker_seen_ago)
    assert warning(client, "/outbox/") is None
    assert warning(client, "/") is None


def test_the_warning_costs_one_query_and_one_more_when_shown(client, hr):
    queue(3, timedelta(minutes=1))
    client.get("/outbox/")  # the first view also looks up the account and counts the statuses

    def queries() -> int:
        with count_queries() as statements:
            client.get("/outbox/")
        return len(statements)

    quiet = queries()
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    client.get("/outbox/")  # messages were written: the counts are made again
    assert queries() == quiet + 1  # how many wait is counted only when they wait for nobody
    assert warning(client, "/outbox/") is not None


def test_the_workers_loops_note_that_it_is_at_work_at_most_once_a_minute(app, worker):
    def row() -> tuple | None:
        db.session.expire_all()
        found = db.session.get(WorkerSeen, 1)
        return (found.seen_at, found.worker) if found else None

    for _ in range(100):  # the job loop notes it while it waits for work
        if row() is not None:
            break
        time.sleep(0.1)
    first = row()
    assert first is not None and first[1]

    PASSES["worker seen"].run(lambda: True)  # the passes over the outbox note it too, but not again so soon
    assert row() == first
    later = utcnow() + NOTE_EVERY
    assert note_worker(later, name="other:2") and row() == (later, "other:2")
    assert not note_worker(later + timedelta(seconds=5))
