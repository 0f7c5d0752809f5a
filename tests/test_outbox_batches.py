"""A pass over an outbox of many batches: two batches in flight at once, yet every message once, in order."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.outbox.models import INVITATION, QUEUED, SENT, OutboxMessage
from rotation.outbox.sender import BATCH_SIZE, IN_FLIGHT_AT_MOST, send_due
from tests.fixtures.mail import last_line, make_all_due, messages, send

MESSAGES = 40
_MESSAGE_ID = re.compile(r"<outbox-(\d+)\.")


@pytest.fixture
def many(published_invitations):
    """Forty invitations queued: the six of a published plan and 34 more for the same shifts."""
    assignments = db.session.scalars(sa.select(Assignment.id)).all()
    db.session.execute(sa.insert(OutboxMessage), [
        {"purpose": INVITATION, "recipient": f"leader{number}@example.com", "recipient_name": f"Leader {number}",
         "assignment_id": assignments[number % len(assignments)], "sequence": 0}
        for number in range(MESSAGES - 6)])
    db.session.commit()
    assert len(messages(status=QUEUED)) == MESSAGES > 2 * BATCH_SIZE
    return published_invitations


def delivered_ids(server) -> list[int]:
    """The outbox ids of the messages the server accepted, in the order it accepted them."""
    ids = []
    for received in server.received:
        match = _MESSAGE_ID.match(received.email["Message-ID"])
        assert match, received.email["Message-ID"]
        ids.append(int(match.group(1)))
    return ids


def test_many_batches_deliver_every_message_once_in_the_order_queued(runner, many):
    result = send(runner)

    assert (result.exit_code, last_line(result)) == (0, f"{MESSAGES} sent, 0 failed, 0 still queued")
    queued_ids = [message.id for message in messages(purpose=INVITATION)]
    assert delivered_ids(many) == queued_ids  # each once, in the order they were queued
    assert all(message.status == SENT and message.attempts == 1 for message in messages(purpose=INVITATION))


def test_a_limit_across_batches_sends_exactly_the_oldest(runner, many):
    result = send(runner, "--limit", str(BATCH_SIZE * 2 + 5))

    assert last_line(result) == f"{BATCH_SIZE * 2 + 5} sent, 0 failed, {MESSAGES - BATCH_SIZE * 2 - 5} still queued"
    statuses = [message.status for message in messages(purpose=INVITATION)]
    assert statuses == [SENT] * (BATCH_SIZE * 2 + 5) + [QUEUED] * (MESSAGES - BATCH_SIZE * 2 - 5)


def test_a_server_gone_with_two_batches_in_flight_loses_nothing_and_repeats_nothing(runner, many):
    accepted = BATCH_SIZE + 3  # in the middle of the second batch
    many.go_down_after(accepted)

    result = send(runner)

    assert (result.exit_code, last_line(result)) == (
        1, f"{accepted} sent, 0 failed, {MESSAGES - accepted} still queued")
    assert len(many.received) == accepted
    many.restart()
    make_all_due()
    assert last_line(send(runner)) == f"{MESSAGES - accepted} sent, 0 failed, 0 still queued"
    assert sorted(delivered_ids(many)) == [message.id for message in messages(purpose=INVITATION)]


def test_a_pass_that_dies_repeats_at_most_the_batches_in_flight(app, runner, many):
    """The crash window: messages the server accepted whose batch was not yet committed go again, no more."""
    def die(report) -> None:
        raise RuntimeError("the worker was killed")

    with pytest.raises(RuntimeError):
        send_due(on_batch=die)  # dies right after committing its first batch
    db.session.expire_all()
    recorded = len(messages(status=SENT, purpose=INVITATION))
    assert recorded == BATCH_SIZE
    assert recorded <= len(many.received) <= recorded + IN_FLIGHT_AT_MOST

    assert last_line(send(runner)) == f"{MESSAGES - recorded} sent, 0 failed, 0 still queued"
    ids = delivered_ids(many)
    assert sorted(set(ids)) == [message.id for message in messages(purpose=INVITATION)]
    assert len(ids) - MESSAGES <= IN_FLIGHT_AT_MOST - BATCH_SIZE  # only the second batch's may repeat


def test_a_message_that_cannot_be_made_amid_a_batch_fails_alone(runner, many):
    """Each e-mail is made while the server takes the one before: a bad one among them changes nothing else."""
    queued = messages(purpose=INVITATION)
    broken = {queued[4].id, queued[BATCH_SIZE + 1].id}
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id.in_(broken)).values(recipient="not an address"))
    db.session.commit()

    result = send(runner)

    assert (result.exit_code, last_line(result)) == (1, f"{MESSAGES - 2} sent, 2 failed, 0 still queued")
    assert delivered_ids(many) == [message.id for message in queued if message.id not in broken]
    assert all("'not an address' is not a valid e-mail address" in message.last_error
               for message in messages(status="failed"))
