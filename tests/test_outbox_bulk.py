"""HR retries several failed messages at once: those ticked on the outbox list, nothing else."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.extensions import db
from rotation.outbox.models import FAILED, INVITATION, QUEUED, SENT, SET_PASSWORD, SUPERSEDED, OutboxMessage
from rotation.sites.models import Slot
from tests.helpers import csrf_token

MONDAY = date(2031, 3, 3)
REPLY = "550 5.1.1 Recipient address rejected"


@pytest.fixture
def shift(make_site, make_person):
    site = make_site(code="HEL-CC", name="Helsinki contact centre")
    slot = Slot(site=site, kind="customer_service", first_day=MONDAY, last_day=MONDAY, seats=4,
                starts_at=datetime(2031, 3, 3, 7, tzinfo=UTC), ends_at=datetime(2031, 3, 3, 15, tzinfo=UTC))
    db.session.add(slot)
    db.session.commit()

    def make(name: str, email: str) -> Assignment:
        person = make_person(full_name=name, email=email, in_rotation=True)
        assignment = Assignment(person_id=person.id, slot_id=slot.id, year=2031, kind="customer_service",
                                status=PUBLISHED)
        db.session.add(assignment)
        db.session.commit()
        return assignment

    return make


def message(assignment: Assignment | None, recipient: str, status: str = FAILED, sequence: int = 0,
            **values) -> OutboxMessage:
    row = OutboxMessage(purpose=values.pop("purpose", INVITATION), recipient=recipient, recipient_name=recipient,
                        status=status, assignment_id=assignment.id if assignment else None,
                        sequence=sequence if assignment else None, last_error=REPLY, **values)
    db.session.add(row)
    db.session.commit()
    return row


def statuses(*rows: OutboxMessage) -> list[str]:
    db.session.expire_all()
    return [db.session.get_one(OutboxMessage, row.id).status for row in rows]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_hr_retries_the_ticked_failed_messages_only(client, login_as, shift):
    ann, bo, cy = shift("Ann Aalto", "ann@example.com"), shift("Bo Berg", "bo@example.com"), shift("Cy", "cy@x.com")
    first = message(ann, "ann@example.com")
    second = message(bo, "bo@example.com")
    untouched = message(cy, "cy@x.com")
    sent = message(None, "d@example.com", status=SENT, purpose=SET_PASSWORD, subject="s", body_text="b")
    login_as("hr")
    page = text(client.get("/outbox/?status=failed"))
    assert re.findall(r'<input type="checkbox" name="message" value="(\d+)" form="retry-selected"', page) == [
        str(untouched.id), str(second.id), str(first.id)]
    assert 'aria-label="Select the failed message to ann@example.com"' in page

    response = client.post("/outbox/retry-selected", data={
        "csrf_token": csrf_token(page), "next": "/outbox/?status=failed",
        "message": [first.id, second.id, sent.id]})
    assert response.headers["Location"] == "/outbox/?status=failed"
    assert statuses(first, second, untouched, sent) == [QUEUED, QUEUED, FAILED, SENT]
    assert ("2 failed messages are queued again. 1 of those ticked was no longer failed and left as they are."
            in text(client.get("/outbox/")))


def test_a_ticked_message_overtaken_by_a_newer_one_is_superseded(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    old = message(ann, "ann@example.com")
    message(ann, "ann@example.com", status=QUEUED, sequence=1)
    login_as("hr")
    token = csrf_token(text(client.get("/outbox/")))
    client.post("/outbox/retry-selected", data={"csrf_token": token, "message": [old.id]})
    assert statuses(old) == [SUPERSEDED]
    assert "1 overtaken by newer messages is superseded." in text(client.get("/outbox/"))


def test_nothing_ticked_changes_nothing_and_only_hr_or_admins_may(client, login_as, shift, make_user):
    ann = shift("Ann Aalto", "ann@example.com")
    failed = message(ann, "ann@example.com")
    login_as("manager")
    assert client.post("/outbox/retry-selected", data={"message": [failed.id]}).status_code in (400, 403)
    assert statuses(failed) == [FAILED]


def test_nothing_ticked_says_so(client, login_as, shift):
    login_as("admin")
    token = csrf_token(text(client.get("/outbox/")))
    response = client.post("/outbox/retry-selected", data={"csrf_token": token}, follow_redirects=True)
    assert "Tick the failed messages to retry first." in text(response)
