"""HR takes back an approval just given, from the queue: the shift returns exactly as it was, the request waits
again, and the person's answer (e-mail and News) and updated invitation are dropped; once the answer has gone
out the undo is refused and nothing changes."""
from __future__ import annotations

import html

import sqlalchemy as sa

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.change_requests.models import APPROVED, PENDING, ChangeRequest
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import OutboxMessage
from tests import test_change_requests as requests
from tests.test_change_requests import day, file_request, news_of, reloaded, slot_at

company, hr = requests.company, requests.hr  # the fixtures: the same company and HR user


def messages_to(email: str) -> list[tuple[str, str]]:
    """(purpose, status) of the messages to ``email``, oldest first."""
    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.purpose, OutboxMessage.status).where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id))]


def approve(post_form, change, slot) -> str:
    return html.unescape(post_form(f"/changes/{change.id}/approve", {"slot": str(slot.id), "confirmed": "yes"},
                                   page=f"/changes/{change.id}", follow_redirects=True).get_data(as_text=True))


def undo(post_form, change) -> str:
    return html.unescape(post_form(f"/changes/{change.id}/undo-approval", {}, page="/changes/",
                                   follow_redirects=True).get_data(as_text=True))


def test_hr_takes_back_an_approval_before_anything_went_out(client, company, hr, post_form):
    manager, shift = company["managers"][0], company["shifts"][0]
    was = (shift.slot_id, shift.status, shift.sequence)
    change = file_request(shift, slot_at("AMS-CC", day(20)))
    queue = approve(post_form, change, slot_at("AMS-CC", day(20)))
    assert f"Undo the approval: {manager.full_name}'s shift back to HEL-CC, Mon {day(10)}" in queue
    assert messages_to(manager.email) == [("invitation", "queued"), ("change_outcome", "queued")]
    back = undo(post_form, change)
    assert (f"Undone: {manager.full_name}'s shift is back where it was and the request waits again; nothing is "
            "sent about the approval.") in back
    after = reloaded(Assignment, shift.id)
    assert (after.slot_id, after.status, after.sequence) == was
    waiting = reloaded(ChangeRequest, change.id)
    assert (waiting.status, waiting.decided_by, waiting.moved_to_slot_id) == (PENDING, None, None)
    assert messages_to(manager.email) == [("invitation", "superseded"), ("change_outcome", "superseded")]
    assert news_of(manager) == []
    assert "Undo the approval" not in back


def test_an_approval_whose_answer_went_out_is_not_taken_back(client, company, hr, post_form):
    manager, shift = company["managers"][0], company["shifts"][0]
    change = file_request(shift, slot_at("AMS-CC", day(20)))
    approve(post_form, change, slot_at("AMS-CC", day(20)))
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.purpose == "change_outcome")
                       .values(status="sent", sent_at=utcnow()))
    db.session.commit()
    page = undo(post_form, change)
    assert "Not undone: HR's answer has reached them already" in page
    assert reloaded(ChangeRequest, change.id).status == APPROVED
    moved = reloaded(Assignment, shift.id)
    assert (moved.slot_id, moved.status, moved.sequence) == (slot_at("AMS-CC", day(20)).id, PUBLISHED, 1)
    assert messages_to(manager.email) == [("invitation", "queued"), ("change_outcome", "sent")]
    assert news_of(manager)[0].startswith("HR approved your change request.")
