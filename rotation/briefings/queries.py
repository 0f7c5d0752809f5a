"""What a shift's briefing shows, each part in a fixed number of queries.

- the open problems seen at the shift's site, and those in the process areas that shifts of its kind have
  touched (the areas observations from such shifts were filed in, anywhere), most painful first;
- what the last leaders at the site observed (submitted or triaged, never a draft);
- the problems this shift is asked to check: their fix is in place and the shift says whether it works.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.observations.models import DRAFT, SUBMITTED, TRIAGED, Observation
from rotation.problems.models import CLOSED, VERIFYING, Problem, VerificationRequest
from rotation.problems.pain import Pain, pain_of
from rotation.process_map.tree import area_paths
from rotation.sites.models import Slot

# The most problems a briefing lists, the most a reminder names, and the most recent observations it shows.
MOST_PROBLEMS = 8
MOST_IN_REMINDER = 3
MOST_OBSERVATIONS = 5
# What the last leaders observed: filed and not declined.
SHOWN_OBSERVATIONS = (SUBMITTED, TRIAGED)


@dataclass(frozen=True)
class BriefedProblem:
    """An open problem as the briefing names it: where it is on the map, whether it was seen at this site,
    and the workaround the frontline uses until it is fixed (when the owner recorded one)."""

    problem: Problem
    pain: Pain
    area: str
    seen_here: bool

    @property
    def workaround(self) -> str | None:
        problem = self.problem
        return problem.countermeasure if problem.countermeasure_type == "workaround" else None


def shift_with_uid(uid: str) -> Assignment | None:
    """The assignment with this calendar UID, with its slot, site and person loaded."""
    return db.session.scalar(
        sa.select(Assignment).join(Assignment.slot).where(Assignment.uid == uid)
        .options(contains_eager(Assignment.slot).joinedload(Slot.site), joinedload(Assignment.person)))


def _seen_at(site_ids) -> sa.Select:
    """``(site id, problem id)`` of every problem an observation from a shift at these sites is linked to."""
    return (sa.select(Slot.site_id, Observation.problem_id).distinct()
            .join(Assignment, Assignment.id == Observation.assignment_id).join(Slot, Slot.id == Assignment.slot_id)
            .where(Slot.site_id.in_(site_ids), Observation.problem_id.is_not(None)))


def _briefing_order(problem: Problem, pains: dict[int, Pain], seen_here: bool) -> tuple:
    """Most painful first; of equal pain, those seen at the site first."""
    return (pains[problem.id].sort_key, 0 if seen_here else 1, problem.id)


def open_problems(site_id: int, kind: str, checked: list[Problem]) -> list[BriefedProblem]:
    """The open problems at the site and in the areas shifts of ``kind`` touch, most painful first, but for those
    the shift is asked to ``check`` (listed on their own); four queries."""
    seen_here = _seen_at([site_id]).with_only_columns(Observation.problem_id).scalar_subquery()
    touched = (sa.select(Observation.area_id).join(Assignment, Assignment.id == Observation.assignment_id)
               .where(Assignment.kind == kind, Observation.status != DRAFT, Observation.area_id.is_not(None))
               .distinct().scalar_subquery())
    here = Problem.id.in_(seen_here)
    statement = sa.select(Problem, here).where(Problem.status.not_in(CLOSED),
                                               sa.or_(here, Problem.area_id.in_(touched)))
    if checked:
        statement = statement.where(Problem.id.not_in([problem.id for problem in checked]))
    rows = db.session.execute(statement).tuples().all()
    pains = pain_of([problem for problem, _ in rows])
    paths = area_paths()
    ranked = sorted(rows, key=lambda row: _briefing_order(row[0], pains, bool(row[1])))
    return [BriefedProblem(problem, pains[problem.id], paths.get(problem.area_id, ""), bool(at_site))
            for problem, at_site in ranked[:MOST_PROBLEMS]]


def _touched_by_kind() -> sa.Select:
    """The process areas observations (filed, with an area) from shifts of each kind were filed in."""
    return (sa.select(Assignment.kind, Observation.area_id).join(Assignment, Assignment.id == Observation.assignment_id)
            .where(Observation.status != DRAFT, Observation.area_id.is_not(None)).distinct())


def top_problems_for(shifts: set[tuple[int, str]]) -> dict[tuple[int, str], list[str]]:
    """For each ``(site id, kind of shift)``, the titles of the first open problems the briefing of such a shift
    lists, up to three, in its order; five queries for all the pairs."""
    if not shifts:
        return {}
    seen_at: dict[int, set[int]] = {}
    for site_id, problem_id in db.session.execute(_seen_at({site_id for site_id, _ in shifts})):
        seen_at.setdefault(site_id, set()).add(problem_id)
    touched: dict[str, set[int]] = {}
    for kind, area_id in db.session.execute(_touched_by_kind()):
        touched.setdefault(kind, set()).add(area_id)
    seen_ids = set().union(*seen_at.values())
    area_ids = set().union(*touched.values())
    problems = list(db.session.scalars(sa.select(Problem).where(
        Problem.status.not_in(CLOSED), sa.or_(Problem.id.in_(seen_ids), Problem.area_id.in_(area_ids)))))
    pains = pain_of(problems)
    found: dict[tuple[int, str], list[str]] = {}
    for site_id, kind in shifts:
        here, areas = seen_at.get(site_id, set()), touched.get(kind, set())
        listed = [problem for problem in problems if problem.id in here or problem.area_id in areas]
        listed.sort(key=lambda problem: _briefing_order(problem, pains, problem.id in here))
        found[(site_id, kind)] = [problem.title for problem in listed[:MOST_IN_REMINDER]]
    return found


def recent_observations(site_id: int) -> list[Observation]:
    """The latest observations filed from shifts at the site, newest first, with their author and shift."""
    return list(db.session.scalars(
        sa.select(Observation).join(Assignment, Assignment.id == Observation.assignment_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .where(Slot.site_id == site_id, Observation.status.in_(SHOWN_OBSERVATIONS))
        .options(joinedload(Observation.author), contains_eager(Observation.assignment).contains_eager(Assignment.slot))
        .order_by(Observation.submitted_at.desc(), Observation.id.desc()).limit(MOST_OBSERVATIONS)))


def checks_for(assignment_id: int) -> list[Problem]:
    """The problems this shift is asked to check, whose fix is in place and not yet judged, oldest request first."""
    return list(db.session.scalars(
        sa.select(Problem).join(VerificationRequest, VerificationRequest.problem_id == Problem.id)
        .where(VerificationRequest.assignment_id == assignment_id,
               VerificationRequest.answered_by_observation_id.is_(None), Problem.status == VERIFYING)
        .order_by(VerificationRequest.created_at, Problem.id)))
