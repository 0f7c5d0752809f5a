"""Recording whether a manager came to a shift that has started: by HR, or by the site's host.

A no-show goes to the person's line manager and back into the plan: the next
plan run books a new shift of the same kind, and nobody is locked out.
Recording changes nothing the attendee sees in their calendar, so the sequence
stays and no calendar message is queued. The services flush; the caller
commits. A refusal is a ``FieldRefusal``; the caller runs the call in
``rotation.refusals.all_or_nothing``, so nothing of a refused call stays.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from rotation.assignments.models import (
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    NO_SHOW,
    PUBLISHED,
    STATUS_LABELS,
    Assignment,
)
from rotation.db import rowcount
from rotation.extensions import db
from rotation.notifications.services import notify
from rotation.outbox.models import NO_SHOW_NOTICE, QUEUED, SUPERSEDED, OutboxMessage
from rotation.outbox.queue import queue_text_message
from rotation.outbox.texts import shift_facts
from rotation.people.models import Person
from rotation.refusals import FieldRefusal, Refusal
from rotation.sites.models import Slot

OUTCOMES = (COMPLETED, NO_SHOW)
# The two answers as HR and hosts see them on buttons and choices.
OUTCOME_LABELS = {COMPLETED: "Came", NO_SHOW: "No-show"}
# Announced shifts whose attendance is still to be recorded.
TO_RECORD = (PUBLISHED, CONFIRMED)
RECORDED = (COMPLETED, NO_SHOW)
MY_ROTATION = "/my/"
# What a recorder's row lock re-reads before deciding.
# The most shifts HR marks in one go (two pages of the list, or a big site's day).
BULK_LIMIT = 200
_STATE = ["status", "person_id", "slot_id", "year", "kind", "sequence", "attendance_by", "attendance_at"]


def load_assignment(assignment_id: int) -> Assignment | None:
    """The assignment with its person and its slot's site loaded, as recording needs it."""
    return db.session.scalar(
        sa.select(Assignment).where(Assignment.id == assignment_id)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site)))


def record_attendance(assignment: Assignment, outcome: str, recorded_by: str, now: datetime, *,
                      may_correct: bool = True) -> None:
    """Record that the attendee came (``completed``) or did not (``no_show``); flush.

    ``assignment`` has its person and its slot's site loaded. Allowed once the
    shift has started, for a published or confirmed assignment. With
    ``may_correct`` (HR) a recorded outcome may be turned into the other one,
    except a no-show into came once the person has been booked a new shift of
    that kind. ``recorded_by`` (an e-mail address) and ``now`` are kept on the
    assignment. Raises ``FieldRefusal`` for anything else.
    """
    _lock([assignment])
    _check(assignment, outcome, now, may_correct)
    _write(assignment, outcome, recorded_by, now)


def record_many(choices: Sequence[tuple[Assignment, str]], recorded_by: str, now: datetime) -> None:
    """Record several outcomes at once (a host's form): every one of them, or none; flush.

    Each assignment must still be waiting for its attendance: a host cannot
    change what HR or anyone else recorded. Raises ``FieldRefusal`` for
    the first that cannot be recorded, before anything is written.
    """
    _lock([assignment for assignment, _ in choices])
    for assignment, outcome in choices:
        _check(assignment, outcome, now, may_correct=False)
    for assignment, outcome in choices:
        _write(assignment, outcome, recorded_by, now)


@dataclass(frozen=True)
class BulkLine:
    """One shift of HR's bulk marking as the confirmation lists it: why it cannot be marked (None when it can),
    and the line manager a no-show e-mails (None when nobody is e-mailed)."""

    assignment: Assignment
    problem: str | None
    emails: Person | None

    @property
    def field(self) -> str:
        return bulk_field(self.assignment)


def bulk_field(assignment: Assignment) -> str:
    """The key of a shift's sentence in a bulk refusal."""
    return f"shift-{assignment.id}"


def bulk_preview(assignments: Sequence[Assignment], outcome: str, now: datetime) -> list[BulkLine]:
    """What marking ``assignments`` (person, slot and site loaded) as ``outcome`` would do, without writing:
    the same checks as :func:`record_bulk`, and who a no-show's notice would be e-mailed to. Two queries at
    most (the line managers, in one)."""
    managers = line_managers([assignment.person for assignment in assignments]) if outcome == NO_SHOW else {}
    lines = []
    for assignment in assignments:
        try:
            _check(assignment, outcome, now, may_correct=False)
            problem = None
        except FieldRefusal as refusal:
            problem = refusal.message
        lines.append(BulkLine(assignment, problem, managers.get(assignment.person_id) if problem is None else None))
    return lines


def record_bulk(assignments: Sequence[Assignment], outcome: str, recorded_by: str, now: datetime) -> None:
    """HR marks several shifts still waiting for their attendance as ``outcome`` at once: all, or none; flush.

    Each shift is checked as one at a time is, except that a recorded outcome is never changed here (HR
    corrects one at a time). When any cannot be marked, raises ``Refusal`` with a sentence for each of them
    (keyed by :func:`bulk_field`) before anything is written; the caller's savepoint leaves nothing behind.
    """
    if not assignments:
        raise FieldRefusal(None, "Choose at least one shift to mark.")
    if len(assignments) > BULK_LIMIT:
        raise FieldRefusal(None, f"Mark at most {BULK_LIMIT} shifts at once.")
    _lock(assignments)
    problems: dict[str | None, str] = {}
    for assignment in assignments:
        try:
            _check(assignment, outcome, now, may_correct=False)
        except FieldRefusal as refusal:
            problems[bulk_field(assignment)] = refusal.message
    if problems:
        raise Refusal(problems)
    for assignment in assignments:
        _write(assignment, outcome, recorded_by, now)


def line_managers(people: Sequence[Person]) -> dict[int, Person]:
    """Each person's line manager, when active and reachable by e-mail (as :func:`line_manager`), in one query."""
    wanted = {person.id: person.manager_id for person in people
              if person.manager_id is not None and person.manager_id != person.id}
    if not wanted:
        return {}
    found = {manager.id: manager for manager in db.session.scalars(
        sa.select(Person).where(Person.id.in_(set(wanted.values())), Person.is_active.is_(True), Person.email != ""))}
    return {person_id: found[manager_id] for person_id, manager_id in wanted.items() if manager_id in found}


def line_manager(person: Person) -> Person | None:
    """The person's line manager from the roster, when active and reachable by e-mail."""
    if person.manager_id is None or person.manager_id == person.id:
        return None
    manager = db.session.get(Person, person.manager_id)
    return manager if manager is not None and manager.is_active and manager.email else None


def shift_words(assignment: Assignment) -> str:
    """E.g. ``Ann Aalto's customer-service day``."""
    return f"{assignment.person.full_name}'s {assignment.kind_label.lower()}"


def _lock(assignments: Sequence[Assignment]) -> None:
    """Re-read each assignment's state under a row lock (PostgreSQL), so two recorders cannot both act."""
    for assignment in sorted(assignments, key=lambda row: row.id):
        db.session.refresh(assignment, _STATE, with_for_update=True)


def _check(assignment: Assignment, outcome: str, now: datetime, may_correct: bool) -> None:
    whose = shift_words(assignment)
    if outcome not in OUTCOMES:
        raise FieldRefusal(None, "Choose whether the shift was attended (came) or missed (no-show).")
    if assignment.status == DRAFT:
        raise FieldRefusal(None, f"{whose} is still a draft that nobody was told about, so there is no "
                                 "attendance to record.")
    if assignment.status == CANCELLED:
        raise FieldRefusal(None, f"{whose} was cancelled, so there is no attendance to record.")
    if assignment.slot.starts_at > now:
        raise FieldRefusal(None, f"{whose} has not started yet; record the attendance once it has.")
    if assignment.status not in RECORDED:
        return
    already = "came" if assignment.status == COMPLETED else "a no-show"
    if assignment.status == outcome:
        raise FieldRefusal(None, f"{whose} is already recorded as {already}.")
    if not may_correct:
        by = f" by {assignment.attendance_by}" if assignment.attendance_by else ""
        raise FieldRefusal(None, f"{whose} was already recorded as {already}{by}; only HR can change that.")
    if outcome == COMPLETED:
        rebooked = _rebooking(assignment)
        if rebooked is not None:
            slot = rebooked.slot
            raise FieldRefusal(
                None, f"{assignment.person.full_name} has already been booked a new {assignment.kind_label.lower()} "
                f"({slot.site.code}, {slot.first_day:%a} {slot.first_day.isoformat()}, "
                f"{STATUS_LABELS[rebooked.status].lower()}), so this one cannot be marked as came. "
                "Withdraw the new one first if the person did come.")


def _rebooking(assignment: Assignment) -> Assignment | None:
    """The person's other open shift of the same kind and year: the re-booking of a no-show."""
    return db.session.scalar(
        sa.select(Assignment).where(*_same_shift_elsewhere(Assignment, assignment))
        .options(joinedload(Assignment.slot).joinedload(Slot.site)).limit(1))


def _same_shift_elsewhere(other, assignment: Assignment) -> tuple:
    return (other.person_id == assignment.person_id, other.year == assignment.year,
            other.kind == assignment.kind, other.id != assignment.id,
            other.status.not_in((CANCELLED, NO_SHOW)))


def _write(assignment: Assignment, outcome: str, recorded_by: str, now: datetime) -> None:
    was = assignment.status
    whose = shift_words(assignment)
    # A shift that has happened is not moved any more: drop what an unpublished draft proposed for it.
    values = {"status": outcome, "attendance_by": recorded_by, "attendance_at": now, "proposal": None,
              "proposed_slot_id": None, "needs_replan": False, "updated_at": now}
    statement = sa.update(Assignment).where(Assignment.id == assignment.id, Assignment.status == was)
    if outcome == COMPLETED and was == NO_SHOW:
        other = aliased(Assignment)
        statement = statement.where(~sa.exists().where(*_same_shift_elsewhere(other, assignment)))
    try:
        changed = rowcount(db.session.execute(
            statement.values(**values).execution_options(synchronize_session=False)))
    except sa.exc.IntegrityError as error:
        raise FieldRefusal(None, f"{assignment.person.full_name} has just been booked a new "
                                 f"{assignment.kind_label.lower()}, so this one cannot be marked as came.") from error
    if changed != 1:
        raise FieldRefusal(None, f"{whose} changed a moment ago and nothing was recorded; look at it again.")
    for key, value in values.items():
        set_committed_value(assignment, key, value)
    db.session.flush()
    if outcome == NO_SHOW:
        _tell_about_no_show(assignment, now)
    elif was == NO_SHOW:
        _tell_about_correction(assignment, now)
    current_app.logger.info("%s recorded %s for assignment %s", recorded_by, outcome, assignment.uid)


def _tell_about_no_show(assignment: Assignment, now: datetime) -> None:
    """E-mail and notify the line manager, and notify the person: a new shift comes, nobody is locked out."""
    person = assignment.person
    facts = shift_facts(assignment)
    manager = line_manager(person)
    if manager is not None:
        body = current_app.jinja_env.get_template("email/no_show.txt").render(
            manager=manager, person=person, facts=facts)
        queue_text_message(NO_SHOW_NOTICE, manager.email, manager.full_name,
                           f"{person.full_name} missed their {facts.kind_words}, {facts.short_when}", body,
                           assignment_id=assignment.id, sequence=assignment.sequence)
        notify(manager.id, f"{person.full_name} missed their {facts.kind_words} at {facts.site_name} "
                           f"({facts.short_when}). Rotation books a new one in the next plan run; nobody is "
                           "locked out.", now=now)
    notify(person.id, f"You were recorded as not coming to your {facts.kind_words} at {facts.site_name} "
                      f"({facts.short_when}). Rotation books you a new one in the next plan run and its "
                      "invitation comes by e-mail. If this is wrong, tell HR.", link=MY_ROTATION, now=now)


def _tell_about_correction(assignment: Assignment, now: datetime) -> None:
    """A no-show turned into came: withdraw the manager's notice if it is still queued, and tell both."""
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.assignment_id == assignment.id, OutboxMessage.purpose == NO_SHOW_NOTICE,
               OutboxMessage.status == QUEUED)
        .values(status=SUPERSEDED).execution_options(synchronize_session=False))
    person = assignment.person
    facts = shift_facts(assignment)
    manager = line_manager(person)
    if manager is not None:
        notify(manager.id, f"Correction: {person.full_name} did come to their {facts.kind_words} at "
                           f"{facts.site_name} ({facts.short_when}); it is not a no-show.", now=now)
    notify(person.id, f"Correction: your {facts.kind_words} at {facts.site_name} ({facts.short_when}) is now "
                      "recorded as done, not missed. Thank you.", link=MY_ROTATION, now=now)
