"""Moving several assignments at once: each to the best free slot it may take in the days (and at the site) HR
chose, ranked by the slot finder; the same rules as one at a time, every one of them or none.

The proposal counts the seats it hands out, so two of the chosen shifts never get the last seat of a slot.
Rules that hold between the chosen shifts themselves (a department's share of a week) are checked on
confirming, when each move sees the ones made before it in the same transaction: if any is refused, nothing
moves and each refusal is named.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from rotation.assignments.changes import limits_for, move_assignment, problem_with_changing
from rotation.assignments.finder import Candidate, Search, ranked_slots
from rotation.assignments.models import Assignment
from rotation.db import utc_today
from rotation.refusals import FieldRefusal, Refusal
from rotation.sites.models import Slot

# The most assignments moved in one confirmation: each is a slot search of its own.
MOVE_LIMIT = 50


@dataclass(frozen=True)
class PlannedMove:
    """Where one of the chosen shifts would go, or why it cannot."""

    assignment: Assignment
    to: Candidate | None
    problem: str | None
    warnings: list[str] = field(default_factory=list)


def plan_moves(assignments: Sequence[Assignment], search: Search, today: date | None = None) -> list[PlannedMove]:
    """For each of ``assignments`` in turn, the best slot in ``search`` that keeps its rules and still has a seat
    after the ones handed out before it."""
    today = today or utc_today()
    handed_out: Counter[int] = Counter()
    planned = []
    for assignment in assignments:
        problem = problem_with_changing(assignment, today)
        if problem is not None:
            planned.append(PlannedMove(assignment, None, problem))
            continue
        choice = next((candidate for candidate in ranked_slots(assignment, search, today)
                       if candidate.choosable and candidate.seats_left > handed_out[candidate.slot.id]), None)
        if choice is None:
            where = f" at {search.site_code}" if search.site_code else ""
            planned.append(PlannedMove(assignment, None, f"No slot it may take has a free seat{where} from "
                                                         f"{search.start.isoformat()} to {search.end.isoformat()}."))
            continue
        handed_out[choice.slot.id] += 1
        planned.append(PlannedMove(assignment, choice, None, limits_for(assignment).warnings(choice.site)))
    return planned


def move_many(moves: Sequence[tuple[Assignment, Slot]], acting_user_id: int | None) -> None:
    """Move each assignment to its slot (flushed), or none: raises ``Refusal`` naming, by assignment id, each
    move a rule refuses, the moves before it counted."""
    problems: dict[str | None, str] = {}
    for assignment, slot in moves:
        try:
            move_assignment(assignment, slot, acting_user_id)
        except FieldRefusal as refusal:
            problems[str(assignment.id)] = refusal.message
    if problems:
        raise Refusal(problems)
