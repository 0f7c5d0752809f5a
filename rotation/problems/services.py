"""Triage and the life of a problem: create, link, decline, merge, change status, ask a later shift to verify.

Every change is written to the audit trail (who, when, what, before, after) in
the same transaction, and every status change reaches everyone subscribed to
the problem exactly once, by e-mail and in the app: the authors and seconders
of its observations, its owner, and the owners of its area and the areas above
it. The person who made the change is not told about it. The services flush;
the request or command commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from rotation.accounts.models import User
from rotation.assignments.models import CONFIRMED, PUBLISHED, Assignment
from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.notifications.services import notify
from rotation.observations.access import can_triage
from rotation.observations.models import DECLINED as OBSERVATION_DECLINED_STATUS
from rotation.observations.models import SAFETY, SUBMITTED, Observation, Second
from rotation.observations.models import TRIAGED as OBSERVATION_TRIAGED
from rotation.outbox.models import OBSERVATION_DECLINED, PROBLEM_NEWS
from rotation.outbox.queue import queue_text_message
from rotation.people.models import Person
from rotation.problems.models import (
    CLOSED,
    COUNTERMEASURES,
    DECLINED,
    DUPLICATE,
    FIX_IN_PLACE,
    INVESTIGATING,
    NEW,
    STATUS_LABELS,
    STATUSES,
    TRIAGED,
    VERIFIED,
    VERIFIED_BROKEN,
    VERIFIED_FIXED,
    VERIFYING,
    Problem,
    ProblemEvent,
    VerificationRequest,
)
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.refusals import Refusal
from rotation.sites.models import Slot

# Days to fix, by severity; a safety problem is due as soon as a severity 5 one.
DUE_DAYS = {5: 2, 4: 7, 3: 30, 2: 90, 1: 180}
# How many later shifts are asked to look at a fixed process.
VERIFYING_SHIFTS = 3
MAX_TEXT = 5000



def due_on(severity: int, safety: bool, start: date) -> date:
    return start + timedelta(days=DUE_DAYS[5] if safety else DUE_DAYS[severity])


# --- Triage -----------------------------------------------------------------------------------------------------

def create_from(observation: Observation, actor: User, *, title: str, area_id: int, severity: int,
                owner_id: int | None = None, now: datetime | None = None) -> Problem:
    """Make a problem of a submitted observation and link it; the problem starts triaged. Flush."""
    now = now or utcnow()
    _check_triageable(observation)
    problems = _basic_problems(title, area_id, severity)
    if problems:
        raise Refusal(problems)
    safety = observation.kind == SAFETY
    problem = Problem(title=title.strip(), area_id=area_id, owner_id=owner_id or _default_owner(area_id, actor),
                      status=TRIAGED, severity=severity, safety=safety, due_on=due_on(severity, safety, now.date()),
                      created_at=now, updated_at=now)
    db.session.add(problem)
    db.session.flush()
    _event(problem, actor, "created", None, f"from observation #{observation.id}", now)
    _link(observation, problem, actor, now)
    return problem


def link(observation: Observation, problem: Problem, actor: User, now: datetime | None = None) -> None:
    """Link a submitted observation to an existing problem. A verified problem it hits again is reopened. Flush."""
    now = now or utcnow()
    _check_triageable(observation)
    if problem.status in (DECLINED, DUPLICATE):
        raise Refusal({"problem_id": "That problem is closed as "
                                          f"{problem.status_label.lower()}; link to the one it points to, or make a "
                                          "new problem."})
    if problem.status == VERIFIED and not can_triage(actor, problem.area_id):
        raise Refusal({"problem_id": "That problem is verified fixed and belongs to another area's owners; "
                                          "only they can reopen it. Make a new problem, or ask them."})
    _link(observation, problem, actor, now)
    if problem.status == VERIFIED:
        change_status(problem, INVESTIGATING, actor, note=f"Reopened: observation #{observation.id} saw it again.",
                      now=now)


def decline_observation(observation: Observation, actor: User, reason: str, now: datetime | None = None) -> None:
    """Decline a submitted observation with a reason its author reads (e-mail and News). Flush."""
    now = now or utcnow()
    _check_triageable(observation)
    reason = (reason or "").strip()
    if not reason:
        raise Refusal({"reason": "Say why you decline it; the author reads it."})
    if len(reason) > MAX_TEXT:
        raise Refusal({"reason": f"Keep the reason to {MAX_TEXT:,} characters."})
    observation.status = OBSERVATION_DECLINED_STATUS
    observation.decline_reason = reason
    db.session.flush()
    author = db.session.get_one(Person, observation.author_id)
    text = f"{_name(actor)} declined your observation “{observation.title}”: {reason}"
    notify(author.id, text, link=f"/observations/{observation.id}", now=now)
    queue_text_message(OBSERVATION_DECLINED, author.email, author.full_name,
                       f"Your observation was declined: {observation.title}",
                       f"Hello {author.full_name},\n\n{text}\n\nThank you for looking. "
                       f"{_base_url()}/observations/{observation.id}\n")


def merge(duplicate: Problem, survivor: Problem, actor: User, now: datetime | None = None) -> None:
    """Merge ``duplicate`` into ``survivor``: every observation (with its seconds and evidence) and every
    verification request moves over; the survivor takes the higher severity; the duplicate is closed as a
    duplicate pointing at it. Flush."""
    now = now or utcnow()
    if duplicate.id == survivor.id:
        raise Refusal({"survivor_id": "Choose another problem to merge into."})
    if survivor.status == DUPLICATE:
        raise Refusal({"survivor_id": "That problem is itself a duplicate; merge into the one it points to."})
    # Locked (on PostgreSQL) and read again: of two merges submitted at once, the second finds it merged.
    status = db.session.scalar(sa.select(Problem.status).where(Problem.id == duplicate.id).with_for_update())
    if duplicate.status == DUPLICATE or status == DUPLICATE:
        raise Refusal({None: "This problem is already merged."})
    told = _subscribers(duplicate)
    moved = rowcount(db.session.execute(
        sa.update(Observation).where(Observation.problem_id == duplicate.id).values(problem_id=survivor.id)
        .execution_options(synchronize_session=False)))
    db.session.execute(
        sa.update(VerificationRequest).where(
            VerificationRequest.problem_id == duplicate.id,
            ~VerificationRequest.assignment_id.in_(sa.select(VerificationRequest.assignment_id)
                                                   .where(VerificationRequest.problem_id == survivor.id)))
        .values(problem_id=survivor.id).execution_options(synchronize_session=False))
    if duplicate.severity > survivor.severity or (duplicate.safety and not survivor.safety):
        _set(survivor, actor, "severity", max(duplicate.severity, survivor.severity), now)
        survivor.safety = survivor.safety or duplicate.safety
        survivor.due_on = min(survivor.due_on, due_on(survivor.severity, survivor.safety, now.date()))
    _event(survivor, actor, "merged", None,
           f"#{duplicate.id} {duplicate.title} ({moved} observation{'s' if moved != 1 else ''})", now)
    before = duplicate.status
    duplicate.status, duplicate.duplicate_of_id, duplicate.closed_at = DUPLICATE, survivor.id, now
    _event(duplicate, actor, "status", STATUS_LABELS[before], f"Duplicate of #{survivor.id}", now)
    db.session.flush()
    db.session.expire_all()
    survivor = db.session.get_one(Problem, survivor.id)
    recipients = _merge_recipients(told, _subscribers(survivor))
    _tell(recipients, actor, f"“{duplicate.title}” is the same problem as “{survivor.title}” and was merged into "
                             f"it; follow it there.", survivor, now)


# --- Status and details -------------------------------------------------------------------------------------------

def change_status(problem: Problem, status: str, actor: User | None, note: str | None = None,
                  now: datetime | None = None) -> None:
    """Move the problem to ``status`` and tell every subscriber once. Reopening (from verified or declined)
    goes back to investigating and counts the reopening. Flush."""
    now = now or utcnow()
    if status not in STATUSES or status in (NEW, DUPLICATE):
        raise Refusal({"status": "Choose a status from the list; a duplicate is made by merging."})
    if status == problem.status:
        raise Refusal({"status": f"It is already {problem.status_label.lower()}."})
    if problem.status == DUPLICATE:
        raise Refusal({None: "A merged problem does not change any more; change the one it was merged into."})
    note = (note or "").strip() or None
    if status == DECLINED and not note:
        raise Refusal({"note": "Say why you decline the problem; everyone who reported it reads it."})
    if note and len(note) > MAX_TEXT:
        raise Refusal({"note": f"Keep the note to {MAX_TEXT:,} characters."})
    before = problem.status
    if before in CLOSED and status not in CLOSED:
        problem.reopened += 1
        problem.closed_at = None
    problem.status = status
    if status in CLOSED:
        problem.closed_at = now
    if status == DECLINED:
        problem.decline_reason = note
    problem.updated_at = now
    _event(problem, actor, "status", STATUS_LABELS[before], STATUS_LABELS[status], now)
    if note:
        _event(problem, actor, "note", None, note, now)
    db.session.flush()
    words: dict[str, str] = {
        VERIFIED: "is fixed and verified", DECLINED: "was declined", INVESTIGATING: "is being investigated",
        FIX_IN_PLACE: "has a fix in place", VERIFYING: "is being verified by later shifts"}
    text = f"“{problem.title}” {words.get(status, 'is now ' + STATUS_LABELS[status].lower())}"
    if before in CLOSED and status not in CLOSED:
        text = f"“{problem.title}” was reopened and is being investigated again"
    _tell(_subscribers(problem), actor, text + (f". {note}" if note else "."), problem, now)


EDITABLE = ("title", "area_id", "owner_id", "severity", "root_cause", "countermeasure", "countermeasure_type",
            "verification_metric", "verification_baseline", "verification_target", "verify_by", "ticket_links")


def update_details(problem: Problem, values: dict, actor: User, now: datetime | None = None) -> list[str]:
    """Change the problem's details; each changed field goes to the audit trail. Returns the fields changed."""
    now = now or utcnow()
    problems = _basic_problems(values.get("title", problem.title), values.get("area_id", problem.area_id),
                               values.get("severity", problem.severity))
    kind = values.get("countermeasure_type")
    if kind and kind not in COUNTERMEASURES:
        problems["countermeasure_type"] = "Choose a kind of countermeasure from the list."
    owner_id = values.get("owner_id")
    if owner_id is not None and db.session.get(User, owner_id) is None:
        problems["owner_id"] = "Choose the owner from the list."
    if problems:
        raise Refusal(problems)
    changed = []
    for name in EDITABLE:
        if name in values and values[name] != getattr(problem, name):
            _set(problem, actor, name, values[name], now)
            changed.append(name)
    if "severity" in changed:
        problem.due_on = due_on(problem.severity, problem.safety, problem.created_at.date())
    problem.updated_at = now
    db.session.flush()
    return changed


# --- Verification by a later shift ---------------------------------------------------------------------------------

def request_verification(problem: Problem, actor: User, now: datetime | None = None) -> list[Assignment]:
    """The fix is in place: ask the next planned shifts at the sites where it was seen to look at the process,
    and move the problem to verifying. Returns the shifts asked. Flush."""
    now = now or utcnow()
    if problem.status not in (FIX_IN_PLACE, VERIFYING):
        raise Refusal({None: "Ask for verification once the fix is in place."})
    sites = sa.select(Slot.site_id).join(Assignment, Assignment.slot_id == Slot.id).join(
        Observation, Observation.assignment_id == Assignment.id).where(Observation.problem_id == problem.id)
    asked = sa.select(VerificationRequest.assignment_id).where(VerificationRequest.problem_id == problem.id)
    shifts = list(db.session.scalars(
        sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id)
        .where(Slot.site_id.in_(sites), Slot.starts_at > now, Assignment.status.in_((PUBLISHED, CONFIRMED)),
               ~Assignment.id.in_(asked))
        .order_by(Slot.starts_at, Assignment.id).limit(VERIFYING_SHIFTS)))
    if not shifts:
        raise Refusal({None: "No shift is planned yet at the sites where this was seen; ask again once the "
                                  "next plan is published."})
    for shift in shifts:
        db.session.add(VerificationRequest(problem_id=problem.id, assignment_id=shift.id, created_at=now))
        notify(shift.person_id, f"On your coming shift, please look at “{problem.title}”: its fix is in place. "
                                f"File an observation saying whether it is fixed.", link="/my/", now=now)
    _event(problem, actor, "verification asked", None, f"{len(shifts)} later shifts", now)
    if problem.status != VERIFYING:
        change_status(problem, VERIFYING, actor, now=now)
    db.session.flush()
    return shifts


def record_verdict(observation: Observation, now: datetime | None = None) -> None:
    """A submitted observation that answers a verification request: fixed verifies the problem (when it is
    being verified), still broken reopens it. Flush."""
    now = now or utcnow()
    problem = db.session.get(Problem, observation.verifies_problem_id) if observation.verifies_problem_id else None
    if problem is None or observation.verdict not in (VERIFIED_FIXED, VERIFIED_BROKEN):
        return
    db.session.execute(
        sa.update(VerificationRequest).where(VerificationRequest.problem_id == problem.id,
                                             VerificationRequest.assignment_id == observation.assignment_id)
        .values(answered_by_observation_id=observation.id).execution_options(synchronize_session=False))
    author = db.session.get_one(Person, observation.author_id)
    actor = db.session.scalar(sa.select(User).where(User.email == author.email))
    if observation.verdict == VERIFIED_FIXED and problem.status == VERIFYING:
        change_status(problem, VERIFIED, actor, note=f"{author.full_name} checked on a later shift: it is fixed.",
                      now=now)
    elif observation.verdict == VERIFIED_BROKEN and problem.status in (FIX_IN_PLACE, VERIFYING, VERIFIED):
        was_closed = problem.status in CLOSED
        change_status(problem, INVESTIGATING, actor,
                      note=f"{author.full_name} checked on a later shift: it is still broken.", now=now)
        if not was_closed:  # the fix did not hold: that is a reopening too
            problem.reopened += 1
    # The observation itself is evidence about this problem.
    if observation.status == SUBMITTED and observation.problem_id is None:
        _link(observation, problem, actor, now)


def open_verifications(person_id: int) -> list[tuple[VerificationRequest, Problem, Assignment]]:
    """The problems the person is asked to look at on their shifts, not yet answered."""
    return list(db.session.execute(
        sa.select(VerificationRequest, Problem, Assignment)
        .join(Problem, Problem.id == VerificationRequest.problem_id)
        .join(Assignment, Assignment.id == VerificationRequest.assignment_id)
        .where(Assignment.person_id == person_id, VerificationRequest.answered_by_observation_id.is_(None),
               Problem.status == VERIFYING)
        .order_by(VerificationRequest.created_at)).tuples().all())


# --- Helpers ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    person_id: int | None


def _subscribers(problem: Problem) -> dict[str, Recipient]:
    """Everyone subscribed to the problem, once each, by e-mail address (lower case)."""
    people = db.session.execute(
        sa.select(Person.id, Person.email, Person.full_name).where(Person.is_active.is_(True), Person.id.in_(
            sa.union(sa.select(Observation.author_id).where(Observation.problem_id == problem.id),
                     sa.select(Second.person_id).join(Observation, Observation.id == Second.observation_id)
                     .where(Observation.problem_id == problem.id))))).all()
    recipients = {email.lower(): Recipient(email.lower(), name, person_id) for person_id, email, name in people}
    for user in _owners(problem):
        email = user.email.lower()
        if email not in recipients:
            person_id = db.session.scalar(sa.select(Person.id).where(Person.email == email))
            recipients[email] = Recipient(email, _name(user), person_id)
    return recipients


def _owners(problem: Problem) -> list[User]:
    area_ids, area_id = [], problem.area_id
    while area_id is not None and area_id not in area_ids:
        area_ids.append(area_id)
        area_id = db.session.scalar(sa.select(ProcessArea.parent_id).where(ProcessArea.id == area_id))
    owners = list(db.session.scalars(sa.select(User).join(AreaOwner, AreaOwner.user_id == User.id)
                                     .where(AreaOwner.area_id.in_(area_ids), User.is_enabled.is_(True))))
    if problem.owner_id is not None:
        owner = db.session.get(User, problem.owner_id)
        if owner is not None and owner.is_enabled and owner not in owners:
            owners.append(owner)
    return owners


def _merge_recipients(*groups: dict[str, Recipient]) -> dict[str, Recipient]:
    merged: dict[str, Recipient] = {}
    for group in groups:
        for email, recipient in group.items():
            merged.setdefault(email, recipient)
    return merged


def _tell(recipients: dict[str, Recipient], actor: User | None, text: str, problem: Problem, now: datetime) -> None:
    """One e-mail and one notification per subscriber; the person who made the change is left out."""
    actor_email = actor.email.lower() if actor is not None else None
    link = f"/problems/{problem.id}"
    person_ids = []
    for email, recipient in sorted(recipients.items()):
        if email == actor_email:
            continue
        queue_text_message(PROBLEM_NEWS, recipient.email, recipient.name, f"News about a problem: {problem.title}",
                           f"Hello {recipient.name or recipient.email},\n\n{text}\n\n"
                           f"{_base_url()}{link}\n\nYou hear about it because you reported it, said "
                           "“me too”, or own its process.\n")
        if recipient.person_id is not None:
            person_ids.append(recipient.person_id)
    notify(person_ids, text, link=link, now=now)


def _link(observation: Observation, problem: Problem, actor: User | None, now: datetime) -> None:
    # Only while it still waits: of two owners (or two clicks) triaging it at once, the second is refused here
    # and its whole request (a problem it made included) rolls back.
    linked = db.session.execute(
        sa.update(Observation).where(Observation.id == observation.id, Observation.status == SUBMITTED)
        .values(problem_id=problem.id, status=OBSERVATION_TRIAGED).execution_options(synchronize_session=False))
    if rowcount(linked) != 1:
        raise Refusal({None: "This observation was triaged meanwhile; nothing was changed."})
    observation.problem_id, observation.status = problem.id, OBSERVATION_TRIAGED
    db.session.flush()
    _event(problem, actor, "observation linked", None, f"#{observation.id} {observation.title}", now)
    if observation.andon and not problem.safety and observation.kind == SAFETY:
        problem.safety = True
    author = db.session.get_one(Person, observation.author_id)
    if actor is None or author.email != actor.email.lower():
        notify(author.id, f"Your observation “{observation.title}” is now part of the problem “{problem.title}”; "
                          "you will hear when its status changes.", link=f"/problems/{problem.id}", now=now)


def _check_triageable(observation: Observation) -> None:
    # Locked (on PostgreSQL) and read again: a problem is made of an observation once, however many submit.
    status = db.session.scalar(sa.select(Observation.status).where(Observation.id == observation.id)
                               .with_for_update())
    if observation.status != SUBMITTED or status != SUBMITTED:
        raise Refusal({None: "Only a submitted observation waiting for triage can be triaged; this one is "
                                  f"{observation.status}."})


def _basic_problems(title, area_id, severity) -> dict[str | None, str]:
    problems: dict[str | None, str] = {}
    if not (title or "").strip():
        problems["title"] = "Give the problem a title that names the broken process."
    elif len(title.strip()) > 200:
        problems["title"] = "Keep the title to 200 characters."
    area = db.session.get(ProcessArea, area_id) if isinstance(area_id, int) else None
    if area is None:
        problems["area_id"] = "Choose the process area from the list."
    if severity not in DUE_DAYS:
        problems["severity"] = "Choose a severity from 1 to 5."
    return problems


def _default_owner(area_id: int, actor: User) -> int | None:
    """The acting owner when they own the area (or one above it), else the area's nearest owner."""
    probe = Problem(area_id=area_id, owner_id=None)
    owners = _owners(probe)
    if any(owner.id == actor.id for owner in owners):
        return actor.id
    return owners[0].id if owners else actor.id


def _set(problem: Problem, actor: User | None, name: str, value, now: datetime) -> None:
    before = getattr(problem, name)
    setattr(problem, name, value)
    _event(problem, actor, name, _shown(name, before), _shown(name, value), now)


def _shown(name: str, value) -> str | None:
    if value is None or value == "":
        return None
    if name == "area_id":
        area = db.session.get(ProcessArea, value)
        return area.name if area else str(value)
    if name == "owner_id":
        user = db.session.get(User, value)
        return _name(user) if user else str(value)
    if name == "countermeasure_type":
        return COUNTERMEASURES.get(value, value).split(":")[0]
    return str(value)


def _event(problem: Problem, actor: User | None, what: str, before, after, now: datetime) -> None:
    db.session.add(ProblemEvent(problem_id=problem.id, actor=actor.email if actor is not None else "system", at=now,
                                what=what, before=before, after=after))


def _name(user: User | None) -> str:
    return (user.display_name or user.email) if user is not None else "Rotation"


def _base_url() -> str:
    return current_app.config["ROTATION_BASE_URL"].rstrip("/")
