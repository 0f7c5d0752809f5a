"""Reading problems and the observations triaged into them, for the triage queue, the list and a problem's
page: each a fixed number of queries whatever the numbers involved."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from rotation.accounts.models import RoleGrant, User
from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.observations.models import SUBMITTED, Evidence, Observation
from rotation.observations.queries import seconds_counted
from rotation.people.models import Person
from rotation.problems.models import CLOSED, STATUS_LABELS, Problem, ProblemEvent, VerificationRequest
from rotation.problems.pain import Pain, pain_of
from rotation.process_map.models import ProcessArea
from rotation.process_map.tree import area_paths, owned_area_ids, subtree_ids
from rotation.roles import OWNER
from rotation.sites.models import Slot

# Problems offered to link an observation to or merge into: those near it in the process map, then the rest.
NEAR_CHOICES = 200
OTHER_CHOICES = 50


def observations_of(problem_ids: list[int]) -> dict[int, int]:
    """How many observations are linked to each problem, in one query."""
    if not problem_ids:
        return {}
    rows = db.session.execute(
        sa.select(Observation.problem_id, sa.func.count()).where(Observation.problem_id.in_(problem_ids))
        .group_by(Observation.problem_id)).tuples()
    return {problem_id: count for problem_id, count in rows if problem_id is not None}


def problem_choices(area_id: int | None, *, exclude_id: int | None = None,
                     query: str = "") -> dict[str, list[tuple[int, str]]]:
    """Open problems to choose from, as option groups: those in the area's part of the process map (the area,
    the areas above it and below it) first, then others; each group most painful first. ``query`` narrows both
    to titles containing it."""
    parents = dict(db.session.execute(sa.select(ProcessArea.id, ProcessArea.parent_id)).tuples().all())
    near: set[int] = set()
    if area_id is not None:
        near = subtree_ids([area_id])
        above = parents.get(area_id)
        while above is not None and above not in near:
            near.add(above)
            above = parents.get(above)
    base = sa.select(Problem.id, Problem.title, Problem.severity, Problem.safety, Problem.area_id, Problem.status) \
        .where(Problem.status.not_in(CLOSED))
    if exclude_id is not None:
        base = base.where(Problem.id != exclude_id)
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        base = base.where(Problem.title.ilike(f"%{escaped}%", escape="\\"))
    close = db.session.execute(base.where(Problem.area_id.in_(near)).order_by(Problem.updated_at.desc())
                               .limit(NEAR_CHOICES)).all() if near else []
    rest = db.session.execute((base.where(Problem.area_id.not_in(near)) if near else base)
                              .order_by(Problem.updated_at.desc()).limit(OTHER_CHOICES)).all()
    pains = pain_of([*close, *rest])
    paths = area_paths()

    def options(rows) -> list[tuple[int, str]]:
        ranked = sorted(rows, key=lambda row: (pains[row.id].sort_key, row.id))
        return [(row.id, f"{row.title} — {paths.get(row.area_id, '')} ({STATUS_LABELS[row.status]}, "
                         f"pain {pains[row.id].score:g})") for row in ranked]

    groups = {}
    if close:
        groups["In this part of the process map"] = options(close)
    if rest:
        groups["Elsewhere" if close else "Open problems"] = options(rest)
    return groups


def names_of(emails: set[str]) -> dict[str, str]:
    """Accounts' names by their address, for the audit trail."""
    emails = {email for email in emails if email and email != "system"}
    if not emails:
        return {}
    return {email: display_name or email for email, display_name in db.session.execute(
        sa.select(User.email, User.display_name).where(User.email.in_(emails))).all()}


def _with_shift_and_author(statement: sa.Select) -> sa.Select:
    return statement.options(joinedload(Observation.author),
                             joinedload(Observation.assignment).joinedload(Assignment.slot).joinedload(Slot.site))


def triage_queue(scope: set[int] | None) -> sa.Select:
    """Submitted observations waiting for triage in ``scope``'s areas (None: everywhere): andon first, then the
    oldest, each with its author and shift."""
    statement = _with_shift_and_author(sa.select(Observation).where(Observation.status == SUBMITTED)) \
        .order_by(Observation.andon.desc(), Observation.submitted_at, Observation.id)
    return statement if scope is None else statement.where(Observation.area_id.in_(scope))


def evidence_count(observation_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)
                             .where(Evidence.observation_id == observation_id)) or 0


def problem_ids_by_pain(group: str, area_id: int | None, mine: int | None) -> tuple[list[int], dict[int, Pain]]:
    """The ids of the problems in ``group`` ("open", "closed" or "all"), in ``area_id``'s part of the map and
    owned by (or in an area owned by) the account ``mine``, most painful first; and every one's pain.

    The order is by pain across every matching problem, so the pain of all of them is computed (two grouped
    queries) and sorted here; that is quick up to a few thousand problems."""
    statement = sa.select(Problem.id, Problem.severity, Problem.safety)
    if group == "open":
        statement = statement.where(Problem.status.not_in(CLOSED))
    elif group == "closed":
        statement = statement.where(Problem.status.in_(CLOSED))
    if area_id is not None:
        statement = statement.where(Problem.area_id.in_(subtree_ids([area_id])))
    if mine is not None:
        statement = statement.where(sa.or_(Problem.owner_id == mine, Problem.area_id.in_(owned_area_ids(mine))))
    rows = db.session.execute(statement).all()
    pains = pain_of(rows)
    return [row.id for row in sorted(rows, key=lambda row: (pains[row.id].sort_key, row.id))], pains


def problems_by_id(ids: list[int]) -> dict[int, Problem]:
    """These problems with their area and owner loaded, by id."""
    if not ids:
        return {}
    return {problem.id: problem for problem in db.session.scalars(
        sa.select(Problem).where(Problem.id.in_(ids)).options(joinedload(Problem.area), joinedload(Problem.owner)))}


def problem(problem_id: int) -> Problem | None:
    """One problem with its area and owner loaded."""
    return problems_by_id([problem_id]).get(problem_id)


@dataclass
class ProblemFacts:
    """What a problem's page shows besides the problem itself."""

    observations: list[Observation]
    seconds: dict[int, int]
    evidence: dict[int, int]
    events: list[ProblemEvent]
    actors: dict[str, str]
    survivor: Problem | None
    merged_in: list
    asked: list


def problem_facts(problem: Problem) -> ProblemFacts:
    """Its observations (andon first, then the oldest) with their "me too"s and evidence counted, its audit
    trail with the actors' names, the problem it was merged into and those merged into it, and the shifts
    asked to verify its fix."""
    observations = list(db.session.scalars(
        _with_shift_and_author(sa.select(Observation).where(Observation.problem_id == problem.id))
        .order_by(Observation.andon.desc(), Observation.submitted_at, Observation.id)))
    ids = [observation.id for observation in observations]
    evidence = dict(db.session.execute(
        sa.select(Evidence.observation_id, sa.func.count()).where(Evidence.observation_id.in_(ids))
        .group_by(Evidence.observation_id)).tuples().all()) if ids else {}
    events = list(db.session.scalars(sa.select(ProblemEvent).where(ProblemEvent.problem_id == problem.id)
                                     .order_by(ProblemEvent.at.desc(), ProblemEvent.id.desc())))
    merged_in = list(db.session.execute(sa.select(Problem.id, Problem.title)
                                        .where(Problem.duplicate_of_id == problem.id).order_by(Problem.id)))
    asked = list(db.session.execute(
        sa.select(Person.full_name, Slot.first_day, VerificationRequest.answered_by_observation_id)
        .join(Assignment, Assignment.id == VerificationRequest.assignment_id)
        .join(Person, Person.id == Assignment.person_id).join(Slot, Slot.id == Assignment.slot_id)
        .where(VerificationRequest.problem_id == problem.id).order_by(Slot.first_day, Person.full_name)))
    return ProblemFacts(
        observations=observations, seconds=seconds_counted(ids), evidence=evidence, events=events,
        actors=names_of({event.actor for event in events}),
        survivor=db.session.get(Problem, problem.duplicate_of_id) if problem.duplicate_of_id else None,
        merged_in=merged_in, asked=asked)


def verifiers(shift_ids: list[int]) -> list:
    """``(name, first day)`` of the people on these shifts, soonest first."""
    return list(db.session.execute(
        sa.select(Person.full_name, Slot.first_day).join(Assignment, Assignment.person_id == Person.id)
        .join(Slot, Slot.id == Assignment.slot_id).where(Assignment.id.in_(shift_ids))
        .order_by(Slot.first_day, Person.full_name)))


def process_owners() -> list[User]:
    """Every enabled account holding the process-owner role, by e-mail address."""
    return list(db.session.scalars(sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role == OWNER, User.is_enabled.is_(True)).order_by(User.email)))
