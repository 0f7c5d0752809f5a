"""Filing observations: the window, drafts, submitting, the andon alert and "me too".

A person files observations only for their own shift, from its start until
``ROTATION_OBSERVATION_DAYS`` after its end (HR may extend one shift's window).
A draft keeps whatever was typed; submitting needs three answers only (the
process area, the kind and what happened: what a phone on the floor can give),
the rest is detail. The author edits it until an owner triages it. The
services flush; the request commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from rotation.accounts.models import User
from rotation.assignments.models import COMPLETED, CONFIRMED, PUBLISHED, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.notifications.services import notify
from rotation.observations import signals
from rotation.observations.evidence import MAX_FILES
from rotation.observations.evidence import delete as delete_evidence
from rotation.observations.models import (
    DRAFT,
    SAFETY,
    SUBMITTED,
    Evidence,
    Observation,
    Second,
    WindowExtension,
)
from rotation.outbox.models import ANDON
from rotation.outbox.queue import queue_text_message
from rotation.people.models import Person
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.process_map.signals import observations_per_area
from rotation.process_map.tree import area_paths
from rotation.refusals import Refusal
from rotation.signals import answers
from rotation.sites.models import Slot

# Shifts one may file about: announced ones that have happened or are happening.
FILEABLE = (PUBLISHED, CONFIRMED, COMPLETED)
# Left out, the severity is recorded as this middle level; the owner who triages it judges it again.
DEFAULT_SEVERITY = 3
# A title left out is the start of what happened, cut at a word to about this many characters.
TITLE_FROM_TEXT = 80
# The fields the form edits, in the form's order.
FIELDS = ("area_id", "kind", "title", "contact_driver", "waste", "what_happened", "customer_minutes",
          "customer_visible", "frequency", "severity", "why_1", "why_2", "why_3", "why_4", "why_5", "cause",
          "suggested_fix", "frontline_quote", "reference_numbers", "verifies_problem_id", "verdict")



@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime
    extended: bool

    def is_open(self, now: datetime) -> bool:
        return self.opens <= now <= self.closes


def window_of(assignment: Assignment, slot: Slot | None = None) -> Window:
    """When the person may file observations about ``assignment``: its start until N days after its end,
    or until the end of the day HR extended it to."""
    slot = slot or db.session.get_one(Slot, assignment.slot_id)
    closes = slot.ends_at + timedelta(days=current_app.config["ROTATION_OBSERVATION_DAYS"])
    extension = db.session.get(WindowExtension, assignment.id)
    extended = False
    if extension is not None:
        until = datetime.combine(extension.until + timedelta(days=1), time(), tzinfo=UTC)
        if until > closes:
            closes, extended = until, True
    return Window(opens=slot.starts_at, closes=closes, extended=extended)


def filing_problem(assignment: Assignment | None, person: Person | None, now: datetime) -> str | None:
    """Why ``person`` cannot file an observation about ``assignment`` now, or None when they can."""
    if assignment is None or person is None or assignment.person_id != person.id:
        return "You can file observations only about your own shifts."
    if assignment.status not in FILEABLE:
        return "This shift was not worked (it is cancelled, a no-show or not published), so nothing can be filed."
    window = window_of(assignment)
    if now < window.opens:
        return (f"You can file observations from the start of this shift, "
                f"{window.opens:%Y-%m-%d %H:%M} UTC.")
    if now > window.closes:
        return (f"Observations about this shift could be filed until {window.closes:%Y-%m-%d}; ask HR to extend "
                "the window if you still have one.")
    return None


def open_shifts(person: Person, now: datetime) -> list[Assignment]:
    """The person's shifts whose window is open now, most recent first (slot and site loaded)."""
    days = current_app.config["ROTATION_OBSERVATION_DAYS"]
    extended = sa.select(WindowExtension.assignment_id).where(WindowExtension.until >= now.date())
    shifts = db.session.scalars(
        sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id)
        .where(Assignment.person_id == person.id, Assignment.status.in_(FILEABLE), Slot.starts_at <= now,
               sa.or_(Slot.ends_at >= now - timedelta(days=days), Assignment.id.in_(extended)))
        .options(joinedload(Assignment.slot).joinedload(Slot.site))
        .order_by(Slot.starts_at.desc())).unique().all()
    return [shift for shift in shifts if window_of(shift, shift.slot).is_open(now)]


def start_draft(assignment: Assignment | None, person: Person, now: datetime,
                device_key: str | None = None) -> Observation:
    """A new draft about the person's shift; flushed. With ``device_key`` (a phone's key for an observation begun
    without signal), the person's observation that already has that key when there is one: sent twice, one."""
    if device_key:
        already = db.session.scalar(sa.select(Observation).where(
            Observation.author_id == person.id, Observation.device_key == device_key))
        if already is not None:
            return already
    problem = filing_problem(assignment, person, now)
    if problem:
        raise Refusal({None: problem})
    assert assignment is not None, "filing_problem refuses a missing shift"
    if not device_key:  # "File an observation" tapped again opens the empty draft it began, not a second one
        empty = db.session.scalars(_untouched_drafts(person, assignment).order_by(Observation.id).limit(1)).first()
        if empty is not None:
            return empty
    observation = Observation(assignment_id=assignment.id, author_id=person.id, status=DRAFT, created_at=now,
                              updated_at=now, device_key=device_key or None)
    db.session.add(observation)
    db.session.flush()
    return observation


def save(observation: Observation, values: dict, now: datetime) -> None:
    """Keep what the author typed (a draft may be incomplete); a submitted one must stay complete. Flush."""
    _check_editable(observation)
    problems = {**_area_problem(values.get("area_id")),
                **_verification_problem(observation, values.get("verifies_problem_id"), values.get("verdict"))}
    if problems:
        raise Refusal(problems)
    before = {name: getattr(observation, name) for name in FIELDS}
    for name in FIELDS:
        value = values.get(name)
        setattr(observation, name, "" if value is None and name in ("title", "what_happened") else value)
    if observation.status == SUBMITTED:
        _fill_defaults(observation)
        missing = completeness_problems(observation)
        if missing:
            for name, value in before.items():
                setattr(observation, name, value)
            raise Refusal(missing)
        _raise_andon_if_needed(observation)
    observation.updated_at = now
    db.session.flush()


def submit(observation: Observation, now: datetime) -> bool:
    """Submit a complete draft (the author's shift window must still be open); flush.

    Returns whether it raised the andon: severity 5 or safety alerts the area's
    owners at once by e-mail and in the app.
    """
    _check_editable(observation)
    if observation.status != DRAFT:
        raise Refusal({None: "This observation is already submitted."})
    problem = filing_problem(db.session.get(Assignment, observation.assignment_id),
                             db.session.get(Person, observation.author_id), now)
    if problem:
        raise Refusal({None: problem})
    problems = completeness_problems(observation)
    if problems:
        raise Refusal(problems)
    _fill_defaults(observation)
    observation.status = SUBMITTED
    observation.submitted_at = now
    observation.updated_at = now
    db.session.flush()
    andon = _raise_andon_if_needed(observation)
    signals.submitted.send(observation, now=now)
    return andon


def delete_draft(observation: Observation) -> None:
    if observation.status != DRAFT:
        raise Refusal({None: "Only a draft can be deleted; a submitted observation stays on record."})
    for evidence in db.session.scalars(sa.select(Evidence).where(Evidence.observation_id == observation.id)):
        delete_evidence(evidence)
    db.session.delete(observation)
    db.session.flush()


def completeness_problems(observation: Observation) -> dict[str | None, str]:
    """What a submission still lacks, field by field: the area, the kind and what happened (and a verdict
    when a fix to check is chosen). Everything else is detail the author may add."""
    problems: dict[str | None, str] = {}
    if observation.area_id is None:
        problems["area_id"] = "Choose the process area where you saw it."
    if not observation.kind:
        problems["kind"] = "Choose what kind of observation this is."
    if not (observation.what_happened or "").strip():
        problems["what_happened"] = "Say what happened: the facts you saw or heard."
    if observation.verifies_problem_id is not None and not observation.verdict:
        problems["verdict"] = "Say whether the fix works: is it fixed, or still broken?"
    return problems


def title_from(text: str) -> str:
    """A title from what happened: its first line, cut at a word near ``TITLE_FROM_TEXT`` characters."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    if len(line) <= TITLE_FROM_TEXT:
        return line
    cut = line[:TITLE_FROM_TEXT].rsplit(" ", 1)[0].rstrip(" ,.;:-") or line[:TITLE_FROM_TEXT]
    return cut + "…"


def _fill_defaults(observation: Observation) -> None:
    """What a submission left out and the record needs: a title from what happened, the middle severity."""
    if not (observation.title or "").strip():
        observation.title = title_from(observation.what_happened)
    if observation.severity is None:
        observation.severity = DEFAULT_SEVERITY


def _area_problem(area_id) -> dict[str | None, str]:
    if area_id is None:
        return {}
    area = db.session.get(ProcessArea, area_id)
    if area is None or not area.is_active:
        return {"area_id": "That process area is not on the map any more; choose another."}
    return {}


def verification_choices(assignment_id: int) -> dict[int, str]:
    """The problems this shift was asked to check (still being verified): ``id → title``, by title."""
    choices: dict[int, str] = {}
    for answer in answers(signals.verification_choices, assignment_id):
        choices.update(answer)
    return choices


def _verification_problem(observation: Observation, problem_id, verdict) -> dict[str | None, str]:
    if problem_id is None:
        if verdict:
            return {"verifies_problem_id": "Choose the fix you checked, or leave the verdict empty."}
        return {}
    if problem_id == observation.verifies_problem_id:  # already chosen (it may have been verified meanwhile)
        return {}
    if problem_id not in verification_choices(observation.assignment_id):
        return {"verifies_problem_id": "Choose one of the fixes this shift was asked to check."}
    return {}


def _check_editable(observation: Observation) -> None:
    if observation.status not in (DRAFT, SUBMITTED):
        raise Refusal({None: "An owner has triaged this observation, so it can no longer be changed."})


def _raise_andon_if_needed(observation: Observation) -> bool:
    """Severity 5 or safety: tell the owners of the area (and the areas above it) now, once."""
    if observation.andon or not (observation.severity == 5 or observation.kind == SAFETY):
        return False
    observation.andon = True
    owners = area_owners(observation.area_id)
    author = db.session.get_one(Person, observation.author_id)
    path = area_paths().get(observation.area_id, "") if observation.area_id is not None else ""
    base_url = current_app.config["ROTATION_BASE_URL"].rstrip("/")
    why = "a safety observation" if observation.kind == SAFETY else "a severity 5 observation"
    subject = f"Andon: {observation.title} ({path})"
    for owner in owners:
        body = (f"Hello {owner.name},\n\n{author.full_name} has filed {why} in {path}, an area you own:\n\n"
                f"{observation.title}\n\n{observation.what_happened}\n\n"
                f"It is at the top of your queue: {base_url}/observations/{observation.id}\n")
        queue_text_message(ANDON, owner.email, owner.display_name or "", subject, body)
    emails = [owner.email for owner in owners]
    if emails:
        notify(db.session.scalars(sa.select(Person.id).where(Person.email.in_(emails))),
               f"Andon in {path}: {observation.title}", link=f"/observations/{observation.id}")
    db.session.flush()
    return True


def area_owners(area_id: int | None) -> list[User]:
    """The enabled accounts owning the area or an area above it, nearest first."""
    owners: list[User] = []
    seen_areas: set[int] = set()
    while area_id is not None and area_id not in seen_areas:
        seen_areas.add(area_id)
        for user in db.session.scalars(sa.select(User).join(AreaOwner, AreaOwner.user_id == User.id)
                                       .where(AreaOwner.area_id == area_id, User.is_enabled.is_(True))
                                       .order_by(User.email)):
            if user not in owners:
                owners.append(user)
        area_id = db.session.scalar(sa.select(ProcessArea.parent_id).where(ProcessArea.id == area_id))
    return owners


# --- "Me too" --------------------------------------------------------------------------------------------

def second(observation: Observation, person: Person, assignment: Assignment | None, note: str | None,
           now: datetime, area_id: int | None = None) -> Second:
    """Second someone else's submitted observation from one of one's own shifts with an open window; flush.

    It counts only from a shift of the same kind (a customer-service day for one seen on a customer-service
    day) or, when the seconder names the process area they saw it in (``area_id``), the same area.
    """
    if observation.author_id == person.id:
        raise Refusal({None: "This is your own observation; edit it instead."})
    if observation.status not in (SUBMITTED, "triaged"):
        raise Refusal({None: "Only a submitted observation can be seconded."})
    problem = filing_problem(assignment, person, now)
    if problem:
        raise Refusal({"assignment_id": problem})
    assert assignment is not None, "filing_problem refuses a missing shift"
    seen_on = db.session.get_one(Assignment, observation.assignment_id)
    if assignment.kind != seen_on.kind and (area_id is None or area_id != observation.area_id):
        raise Refusal({"assignment_id": f"This was seen on a {seen_on.kind_label.lower()}, and your shift is a "
                                        f"{assignment.kind_label.lower()} in another process area, so your "
                                        "“me too” would not count: file your own observation instead."})
    if db.session.scalar(sa.select(sa.exists().where(Second.observation_id == observation.id,
                                                     Second.person_id == person.id))):
        raise Refusal({None: "You have already said “me too” to this one."})
    note = (note or "").strip() or None
    if note and len(note) > 2000:
        raise Refusal({"note": "Keep the note to 2,000 characters."})
    seconded = Second(observation_id=observation.id, person_id=person.id, assignment_id=assignment.id, note=note,
                      created_at=now)
    db.session.add(seconded)
    _drop_untouched_drafts(person, assignment)
    db.session.flush()
    notify(observation.author_id, f"{person.full_name} saw it too: “{observation.title}”.",
           link=f"/observations/{observation.id}")
    return seconded


def _untouched_drafts(person: Person, assignment: Assignment) -> sa.Select:
    """The person's drafts on this shift with nothing in them yet: no answer given and no photo. A phone's draft
    (its device key) may still be filled in without signal, so it is never one of them."""
    columns = Observation.__table__.c
    empty = [sa.or_(columns[name].is_(None), columns[name] == "") if isinstance(columns[name].type, sa.String)
             else columns[name].is_(None) for name in FIELDS]
    return sa.select(Observation).where(
        Observation.author_id == person.id, Observation.assignment_id == assignment.id, Observation.status == DRAFT,
        Observation.device_key.is_(None), *empty, ~sa.exists().where(Evidence.observation_id == Observation.id))


def _drop_untouched_drafts(person: Person, assignment: Assignment) -> None:
    """The drafts "File an observation" began on this shift with nothing in them yet: a "me too" said instead of
    filing leaves none of them behind as "Draft · No area yet"."""
    for draft in db.session.scalars(_untouched_drafts(person, assignment)):
        db.session.delete(draft)


def second_instead(observation: Observation, draft: Observation, person: Person, now: datetime) -> Second:
    """"Me too" from the form of one's own draft, instead of filing it: the draft's shift and area count, what it
    says becomes the note, its photos move to the "me too", and the draft is gone (none is left behind). Flush."""
    if draft.author_id != person.id or draft.status != DRAFT:
        raise Refusal({None: "Only your own draft can become a “me too”."})
    note = (draft.what_happened or "").strip()[:2000] or None
    photos = list(db.session.scalars(sa.select(Evidence).where(Evidence.observation_id == draft.id)))
    held = db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)
                             .where(Evidence.observation_id == observation.id)) or 0
    if photos and held + len(photos) > MAX_FILES:
        raise Refusal({None: f"That observation already has {held} photos and files; with your {len(photos)} it "
                             f"would have more than {MAX_FILES}. Remove some of yours first."})
    seconded = second(observation, person, db.session.get(Assignment, draft.assignment_id), note, now,
                      area_id=draft.area_id)
    for evidence in photos:
        evidence.observation_id, evidence.second_id = observation.id, seconded.id
    db.session.flush()
    if not sa.inspect(draft).deleted:  # an empty draft went already with the others "me too" removes
        db.session.delete(draft)
        db.session.flush()
    return seconded


def take_back(seconded: Second, person: Person, now: datetime, restore: dict | None = None) -> Observation | None:
    """Undo one's own "me too"; flush. With ``restore`` (the draft's answers, when the "me too" came from a
    draft's form), a draft with those answers is filed again on the same shift and its photos move back to it;
    returns that draft."""
    if seconded.person_id != person.id:
        raise Refusal({None: "Only the person who said “me too” can take it back."})
    draft = None
    photos = list(db.session.scalars(sa.select(Evidence).where(Evidence.second_id == seconded.id)))
    if restore is not None:
        draft = start_draft(db.session.get(Assignment, seconded.assignment_id), person, now)
        try:
            save(draft, restore, now)
        except Refusal:
            save(draft, {"what_happened": seconded.note or ""}, now)
        for evidence in photos:
            evidence.observation_id, evidence.second_id = draft.id, None
    else:
        for evidence in photos:
            delete_evidence(evidence)
    db.session.flush()
    db.session.delete(seconded)
    db.session.flush()
    return draft


def extend_window(assignment: Assignment, until: date, granted_by: str) -> None:
    """HR lets the person file about ``assignment`` until the end of ``until``; flush."""
    extension = db.session.get(WindowExtension, assignment.id)
    if extension is None:
        db.session.add(WindowExtension(assignment_id=assignment.id, until=until, granted_by=granted_by,
                                       created_at=utcnow()))
    else:
        extension.until, extension.granted_by = until, granted_by
    db.session.flush()


@observations_per_area.connect
def _observations_per_area(area_id: int | None, drafts: bool) -> dict[int, int]:
    """How many observations each area holds, for the process map (which may not delete an area that has any)."""
    statement = (sa.select(Observation.area_id, sa.func.count(Observation.id))
                 .where(Observation.area_id.is_not(None)).group_by(Observation.area_id))
    if area_id is not None:
        statement = statement.where(Observation.area_id == area_id)
    if not drafts:
        statement = statement.where(Observation.status != DRAFT)
    return {area: count for area, count in db.session.execute(statement).tuples() if area is not None}
