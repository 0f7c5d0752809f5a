"""HR takes back a move or a withdrawal just made, while nobody has heard of it: the shift goes back exactly as it
was, the queued message is superseded, and an invitation the attendee never received is queued again; once the
message has gone out, or the shift changed since, or its old slot filled, the undo is refused and changes
nothing."""
from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, CONFIRMED, PUBLISHED
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import INVITATION, QUEUED, REMINDER, SENT, SUPERSEDED, OutboxMessage
from tests.fixtures.shifts import assign, day, reloaded, slot_at
from tests.helpers import csrf_token, outbox_of


@pytest.fixture
def company(five_managers):
    return five_managers


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def invitation(assignment, sequence: int, status: str) -> None:
    """The calendar invitation of ``assignment`` at ``sequence``, as the outbox left it."""
    now = utcnow()
    db.session.add(OutboxMessage(purpose=INVITATION, recipient="ann@example.com", recipient_name="Ann Aalto",
                                 assignment_id=assignment.id, sequence=sequence, status=status, attempts=0,
                                 created_at=now, next_attempt_at=now, sent_at=now if status == SENT else None))
    db.session.commit()


def mark_sent(assignment_id: int, sequence: int) -> None:
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.assignment_id == assignment_id,
                                                      OutboxMessage.sequence == sequence)
                       .values(status=SENT, sent_at=utcnow()))
    db.session.commit()


def move(post_form, assignment, slot) -> str:
    url = f"/assignments/{assignment.id}"
    return text(post_form(f"{url}/move", {"slot": str(slot.id), "confirmed": "yes"}, page=url, follow_redirects=True))


def withdraw(post_form, assignment) -> str:
    url = f"/assignments/{assignment.id}"
    return text(post_form(f"{url}/withdraw", {"confirmed": "yes"}, page=url, follow_redirects=True))


def undo(post_form, assignment) -> str:
    url = f"/assignments/{assignment.id}"
    return text(post_form(f"{url}/undo", {}, page=url, follow_redirects=True))


def test_undoing_a_move_of_a_confirmed_shift_puts_it_back_as_it_was_and_sends_nothing(client, login_as, post_form,
                                                                                      company):
    ann = company["managers"][0]
    home = slot_at("HEL-CC", day(10))
    shift = assign(ann, home, status=CONFIRMED)
    invitation(shift, 0, SENT)
    login_as("hr")
    page = move(post_form, shift, slot_at("TLL-CC", day(11, 2)))
    assert f"Undo: move it back to HEL-CC, Mon {day(10)}" in page
    assert ("Undoing puts it back exactly as it was (confirmed) if no message about this change has gone out yet; "
            "then none will.") in page
    assert (reloaded(shift.id).status, reloaded(shift.id).sequence) == (PUBLISHED, 1)
    back = undo(post_form, shift)
    assert (f"Undone: Ann Aalto's customer-service day is confirmed at HEL-CC, Mon {day(10)}, 09:00–17:00 EET "
            "again. Nothing is sent: Ann Aalto's calendar already shows it there.") in back
    after = reloaded(shift.id)
    assert (after.slot_id, after.status, after.sequence, after.notice) == (home.id, CONFIRMED, 0, None)
    assert outbox_of(shift.id) == [(INVITATION, 0, SENT), (INVITATION, 1, SUPERSEDED)]
    assert "Undo:" not in back  # once


def test_undoing_a_move_queues_again_the_reminder_the_move_had_dropped(client, login_as, post_form, company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    invitation(shift, 0, SENT)
    now = utcnow()
    db.session.add(OutboxMessage(purpose=REMINDER, recipient=ann.email, recipient_name=ann.full_name,
                                 assignment_id=shift.id, sequence=0, reminder_days=7, status=QUEUED, attempts=0,
                                 created_at=now, next_attempt_at=now))
    db.session.commit()
    login_as("hr")
    move(post_form, shift, slot_at("TLL-CC", day(11, 2)))
    assert (REMINDER, 0, SUPERSEDED) in outbox_of(shift.id)  # the week-before reminder of the old day
    undo(post_form, shift)
    assert outbox_of(shift.id) == [(INVITATION, 0, SENT), (REMINDER, 0, QUEUED), (INVITATION, 1, SUPERSEDED)]


def test_an_undo_is_refused_once_the_updated_invitation_has_gone_out(client, login_as, post_form, company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    invitation(shift, 0, SENT)
    target = slot_at("TLL-CC", day(11, 2))
    login_as("hr")
    move(post_form, shift, target)
    mark_sent(shift.id, 1)  # the sender got to it first
    page = undo(post_form, shift)
    assert "The updated invitation has gone out already; move it back with “Find a slot…”" in page
    after = reloaded(shift.id)
    assert (after.slot_id, after.status, after.sequence) == (target.id, PUBLISHED, 1)
    assert outbox_of(shift.id) == [(INVITATION, 0, SENT), (INVITATION, 1, SENT)]


def test_undoing_a_withdrawal_before_its_cancellation_goes_out(client, login_as, post_form, company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    invitation(shift, 0, SENT)
    login_as("hr")
    page = withdraw(post_form, shift)
    assert f"Undo: put it back in HEL-CC, Mon {day(10)}" in page
    assert reloaded(shift.id).status == CANCELLED
    back = undo(post_form, shift)
    assert "Undone: Ann Aalto's customer-service day is published at HEL-CC" in back
    after = reloaded(shift.id)
    assert (after.status, after.sequence) == (PUBLISHED, 0)
    assert outbox_of(shift.id) == [(INVITATION, 0, SENT), ("cancellation", 1, SUPERSEDED)]


def test_undoing_a_withdrawal_queues_again_the_invitation_that_never_left(client, login_as, post_form, company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    invitation(shift, 0, QUEUED)
    login_as("hr")
    withdraw(post_form, shift)
    assert outbox_of(shift.id) == [(INVITATION, 0, SUPERSEDED)]  # never heard of, so no cancellation
    back = undo(post_form, shift)
    assert f"The invitation {ann.email} never received is sent again." in back
    assert (reloaded(shift.id).status, reloaded(shift.id).sequence) == (PUBLISHED, 0)
    assert outbox_of(shift.id) == [(INVITATION, 0, SUPERSEDED), (INVITATION, 0, QUEUED)]


def test_an_undo_is_refused_when_the_old_slot_filled_or_the_shift_changed_since(client, login_as, post_form,
                                                                                 company):
    ann, _, cai, dina, _ = company["managers"]
    home = slot_at("HEL-CC", day(10))
    shift = assign(ann, home, status=CONFIRMED)
    invitation(shift, 0, SENT)
    target = slot_at("TLL-CC", day(11, 2))
    login_as("hr")
    move(post_form, shift, target)
    taken = [assign(cai, home), assign(dina, home)]  # its two seats, taken meanwhile
    page = undo(post_form, shift)
    assert "Its old slot is full now; nothing was undone." in page
    assert (reloaded(shift.id).slot_id, reloaded(shift.id).sequence) == (target.id, 1)
    for other in taken:
        db.session.delete(other)
    db.session.commit()
    move(post_form, shift, slot_at("AMS-CC", day(12, 2)))
    db.session.execute(sa.update(type(shift)).where(type(shift).id == shift.id).values(sequence=7))  # someone else
    db.session.commit()
    assert "It has changed since; nothing was undone." in undo(post_form, shift)
    assert reloaded(shift.id).sequence == 7


def test_hr_undoes_only_the_change_they_just_made(client, login_as, post_form, company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    login_as("hr")
    assert "There is no change of yours to this shift to undo." in undo(post_form, shift)
    assert reloaded(shift.id).slot_id == slot_at("HEL-CC", day(10)).id


def test_a_manager_cannot_undo(client, login_as, post_form, company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    login_as("manager")
    token = csrf_token(text(client.get("/my/")))  # a valid form token of theirs: the role is what stops them
    response = client.post(f"/assignments/{shift.id}/undo", data={"csrf_token": token})
    assert response.status_code == 403
    assert reloaded(shift.id).slot_id == slot_at("HEL-CC", day(10)).id
