"""Reminders before each shift: an e-mail a week and a day before (``ROTATION_REMINDER_DAYS``).

A reminder for a lead of L days falls due L days before the shift starts and
may go out up to a day after that (the sender was not running, or HR published
the shift just then). Later than that it is skipped and the next, nearer one
does its job: a shift published three days ahead gets the day-before reminder
only, never a late "week before" one, and a shift that has started gets none.

Each reminder is queued once for each version of the shift (its sequence):
the unique index on (assignment, sequence, lead) holds even when several
workers queue at once, and a moved shift gets fresh reminders for its new date.
A reminder still queued when its shift changes is superseded with the other
news of the shift (see ``queue_assignment_notices``). A shift its attendee
declined in their calendar gets no reminder while HR decides (a new version,
or HR keeping it, brings them back).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager

from rotation.assignments.models import ANSWER_DECLINED, CONFIRMED, PUBLISHED, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import QUEUED, REMINDER, OutboxMessage
from rotation.outbox.signals import reminder_problems
from rotation.outbox.texts import answers_are_read, shift_facts
from rotation.people.models import Person
from rotation.signals import answers
from rotation.sites.models import Site, Slot

# How late a reminder may still go out; after that the next one is nearer anyway.
LATE_BY_AT_MOST = timedelta(days=1)
# A slot's local first day is within a day of the UTC date of its start, whatever the site's zone.
ZONE_SLACK = timedelta(days=1)
# Assignments whose attendee still expects the shift.
REMINDED_STATUSES = (PUBLISHED, CONFIRMED)
_INSERTS: dict[str, Callable[[sa.Table], postgresql.Insert | sqlite.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert}


def queue_due_reminders(now: datetime) -> int:
    """Queue every reminder that is due at ``now`` and not queued before; flush. Returns how many.

    Runs one query for the candidates (with their person and site) and one
    insert; a reminder that another worker queued meanwhile is skipped.
    """
    leads: tuple[int, ...] = tuple(current_app.config["ROTATION_REMINDER_DAYS"])
    if not leads:
        return 0
    candidates = _due(now, leads)
    if not candidates:
        return 0
    queued_at = utcnow()  # as queue_text_message does: ready to send at once, whatever ``now`` says
    problems = problems_for({(assignment.slot.site_id, assignment.kind) for assignment, _ in candidates})
    rows = [_message(assignment, lead, now, queued_at, problems.get((assignment.slot.site_id, assignment.kind), []))
            for assignment, lead in candidates]
    table = OutboxMessage.__table__
    statement = (
        _INSERTS[db.session.get_bind().dialect.name](table)
        .on_conflict_do_nothing(index_elements=["assignment_id", "sequence", "reminder_days"],
                                index_where=table.c.reminder_days.is_not(None))
        .returning(table.c.id))
    queued = len(db.session.execute(statement, rows).all())
    db.session.flush()
    return queued


def declined_in_calendar() -> sa.ColumnElement[bool]:
    """SQL: the attendee declined this version of the shift in their calendar app; HR has not decided yet."""
    return sa.and_(Assignment.answer.is_not(None), Assignment.answer == ANSWER_DECLINED,
                   Assignment.answer_sequence.is_not(None), Assignment.answer_sequence == Assignment.sequence)


def _due(now: datetime, leads: tuple[int, ...]) -> list[tuple[Assignment, int]]:
    """The assignments with a reminder due at ``now`` that is not queued yet, each with its lead in days.

    Only slots starting within the largest lead are looked at, found through
    the index on their first day, so this stays cheap however long the plan.
    """
    windows = [(lead, Slot.starts_at > now + timedelta(days=lead) - LATE_BY_AT_MOST,
                Slot.starts_at <= now + timedelta(days=lead)) for lead in leads]
    # The windows do not overlap: leads are whole, distinct days and each window is one day long.
    lead = sa.case(*((sa.and_(after, until), days) for days, after, until in windows))
    already_queued = sa.exists().where(OutboxMessage.assignment_id == Assignment.id,
                                       OutboxMessage.sequence == Assignment.sequence,
                                       OutboxMessage.reminder_days == lead)
    earliest = (now + timedelta(days=min(leads)) - LATE_BY_AT_MOST - ZONE_SLACK).date()
    latest = (now + timedelta(days=max(leads)) + ZONE_SLACK).date()
    query = (
        sa.select(Assignment, lead)
        .join(Assignment.slot).join(Slot.site).join(Assignment.person)
        .options(contains_eager(Assignment.slot).contains_eager(Slot.site), contains_eager(Assignment.person))
        .where(Assignment.status.in_(REMINDED_STATUSES),
               Person.is_active.is_(True),
               ~declined_in_calendar(),
               Slot.first_day.between(earliest, latest),
               sa.or_(*(sa.and_(after, until) for _, after, until in windows)),
               ~already_queued)
        .order_by(Slot.starts_at, Assignment.id))
    return [(assignment, days) for assignment, days in db.session.execute(query)]


def problems_for(shifts: set[tuple[int, str]]) -> dict[tuple[int, str], list[str]]:
    """Up to three open problems for shifts of each ``(site id, kind)``, the first the briefing lists, as the areas
    above answer (none if no one does)."""
    found: dict[tuple[int, str], list[str]] = {}
    if shifts:
        for answer in answers(reminder_problems, None, shifts=shifts):
            found.update(answer)
    return found


def _message(assignment: Assignment, lead: int, now: datetime, queued_at: datetime, problems: list[str]) -> dict:
    """The outbox row of one reminder, with the same values ``queue_text_message`` gives its messages; it names
    the site's ``problems`` to look out for and links the shift's briefing."""
    facts = shift_facts(assignment)
    site: Site = assignment.slot.site
    days_to_go = (assignment.slot.first_day - now.astimezone(ZoneInfo(site.timezone)).date()).days
    subject = f"Reminder: {facts.summary}, {facts.short_when}"
    body = current_app.jinja_env.get_template("email/reminder.txt").render(
        facts=facts, how_soon=how_soon(days_to_go), confirmed=assignment.status == CONFIRMED, problems=problems,
        answers_read=answers_are_read(),
        my_rotation_url=f"{current_app.config['ROTATION_BASE_URL'].rstrip('/')}/my/")
    person = assignment.person
    return {"purpose": REMINDER, "recipient": person.email, "recipient_name": person.full_name or "",
            "assignment_id": assignment.id, "sequence": assignment.sequence, "reminder_days": lead,
            "subject": subject, "body_text": body, "status": QUEUED, "attempts": 0, "created_at": queued_at,
            "next_attempt_at": queued_at}


def how_soon(days: int) -> str:
    """When the shift starts, counted in the site's calendar days: "today", "tomorrow", "in a week"."""
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == 7:
        return "in a week"
    return f"in {days} days"
