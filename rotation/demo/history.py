"""The demo company's year so far: attendance of past shifts and a few change requests.

It goes through the same services people use, so every page has something true to show: coverage
with completed shifts and no-shows, HR's attendance list with the last fortnight still to record,
change requests waiting and decided, and news for the managers concerned.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rotation.assignments.changes import valid_slots
from rotation.assignments.models import COMPLETED, CONFIRMED, NO_SHOW, PUBLISHED, Assignment
from rotation.attendance.services import record_many
from rotation.change_requests.services import approve, ask_for_change, decline
from rotation.db import utcnow
from rotation.demo.accounts import DEMO_ACCOUNTS
from rotation.extensions import db
from rotation.people.models import Person
from rotation.plans.runs import plan_run, start_run
from rotation.sites.models import Site, Slot

# Shifts that started in the last fortnight wait for HR or the host to record them.
STILL_TO_RECORD = timedelta(days=14)
# Every NO_SHOW_EVERY-th past shift was missed.
NO_SHOW_EVERY = 9
HR_EMAIL = "hr@example.com"


def play_the_year(today: date) -> None:
    """Record attendance of this year's past shifts, re-book the no-shows as HR's next plan run does, and
    file and decide a few change requests; flush."""
    _record_attendance(today)
    plan_run(start_run(today.year, user_id=None, source="demo", publish=True), not_before=today + timedelta(days=1),
             publish=True)
    _change_requests(today)


def _record_attendance(today: date) -> None:
    # Recorded at noon of ``today``, or now if that is still ahead: attendance is never stamped in the future.
    noon = datetime.combine(today, time(12), tzinfo=UTC)
    now = min(noon, utcnow()) if today == utcnow().date() else noon
    past = db.session.scalars(
        sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id)
        .where(Assignment.status.in_((PUBLISHED, CONFIRMED)), Slot.starts_at <= now - STILL_TO_RECORD)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .order_by(Slot.starts_at, Assignment.id)).unique().all()
    by_host: dict[str, list[tuple[Assignment, str]]] = {}
    demo_logins = {email for email, _name, _roles in DEMO_ACCOUNTS}
    for number, assignment in enumerate(past, start=1):
        # The demo log-ins attended: their shifts are moved to today and tomorrow for newcomers to try.
        missed = number % NO_SHOW_EVERY == 0 and assignment.person.email not in demo_logins
        outcome = NO_SHOW if missed else COMPLETED
        recorder = assignment.slot.site.host_email or HR_EMAIL
        by_host.setdefault(recorder, []).append((assignment, outcome))
    for recorder, choices in by_host.items():
        record_many(choices, recorder, now)


def _change_requests(today: date) -> None:
    """Maria waits for an answer about next year's warehouse week; the chief executive's request about her
    customer-service day was approved, and another manager's declined."""
    requests = [("manager@example.com", "warehouse", "Our product launch is that week; any week in spring works.",
                 None),
                ("ceo@example.com", "customer_service", "The board meets that day.", "approve"),
                ("ceo@example.com", "warehouse", "I would rather go in the autumn peak.", "decline")]
    for email, kind, reason, decision in requests:
        shift = _next_years_shift(email, kind, today)
        if shift is None:
            continue
        choices = valid_slots(shift, today)
        wanted = choices[len(choices) // 2].slot if choices and decision != "decline" else None
        change = ask_for_change(shift, wanted.id if wanted else None, reason, today)
        if decision == "approve" and wanted is not None:
            approve(change, db.session.get_one(Slot, wanted.id), HR_EMAIL, "Done: enjoy the day.", today=today)
        elif decision == "decline":
            decline(change, HR_EMAIL, "The autumn weeks are full already; your week stays as planned.")


def _next_years_shift(email: str, kind: str, today: date) -> Assignment | None:
    return db.session.scalar(
        sa.select(Assignment).join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id).join(Site, Site.id == Slot.site_id)
        .where(Person.email == email, Assignment.kind == kind, Assignment.year == today.year + 1,
               Assignment.status.in_((PUBLISHED, CONFIRMED)))
        .options(joinedload(Assignment.slot).joinedload(Slot.site), joinedload(Assignment.person)))

