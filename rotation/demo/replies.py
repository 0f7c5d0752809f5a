"""Answers to the demo's invitations, as people's calendar apps send them to the organizer mailbox.

They go through the same rules as answers read over IMAP (``rotation.replies.services.handle``), so the
Replies page, HR's change queue and the shifts' pages show the loop closed: an acceptance that confirmed a
shift, a decline with its reason and a proposed new time waiting for HR, a tentative, and an acceptance sent
by an assistant that nobody trusts on its own.
"""
from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rotation.assignments.changes import valid_slots
from rotation.assignments.models import PUBLISHED, Assignment
from rotation.demo.accounts import DEMO_ACCOUNTS
from rotation.extensions import db
from rotation.people.models import Person
from rotation.replies.reading import COUNTER, REPLY, CalendarAnswer, Reading
from rotation.replies.services import handle
from rotation.sites.models import CUSTOMER_SERVICE, Slot

# (method, PARTSTAT, the person's comment, who sent it: None for the person themself)
ANSWERS = [
    (REPLY, "ACCEPTED", None, None),
    (REPLY, "DECLINED", "I am on parental leave from March to May; any day from June works.", None),
    (COUNTER, "TENTATIVE", "Our quarterly review is that day; the day I propose is free.", None),
    (REPLY, "TENTATIVE", "Waiting to hear whether the customer visit moves.", None),
    (REPLY, "ACCEPTED", None, "assistant.office@example.com"),
]


def answer_demo_invitations(today: date, now: datetime) -> None:
    """Next year's first customer-service days of people without a demo log-in, answered one each; flush."""
    demo = [email for email, _name, _roles in DEMO_ACCOUNTS]
    shifts = list(db.session.scalars(
        sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id).join(Person, Person.id == Assignment.person_id)
        .where(Assignment.year == today.year + 1, Assignment.kind == CUSTOMER_SERVICE,
               Assignment.status == PUBLISHED, Person.email.not_in(demo))
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .order_by(Slot.starts_at, Assignment.id).limit(len(ANSWERS))))
    for number, (shift, (method, partstat, comment, sender)) in enumerate(zip(shifts, ANSWERS, strict=False), 1):
        email = shift.person.email.lower()
        proposed = None
        if method == COUNTER:
            choices = valid_slots(shift, today)
            if not choices:
                continue
            proposed = choices[len(choices) // 2].slot.starts_at
        answer = CalendarAnswer(method=method, uid=shift.uid, sequence=shift.sequence, attendee=email,
                                partstat=partstat, comment=comment, proposed_start=proposed)
        words = "New time proposed" if method == COUNTER else partstat.capitalize()
        handle(Reading(key=f"demo:{number}", sender=sender or email, subject=f"{words}: {shift.kind_label}",
                       received_at=datetime.combine(today, time(8, number), tzinfo=now.tzinfo), answer=answer),
               today)
    db.session.flush()
