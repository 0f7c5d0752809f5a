"""Withdrawing several assignments at once: the same rule as one at a time, every one of them or none."""
from __future__ import annotations

from collections.abc import Sequence

from rotation.assignments.changes import problem_with_changing, withdraw_assignment
from rotation.assignments.models import Assignment
from rotation.refusals import Refusal

# The most assignments withdrawn in one confirmation.
BULK_LIMIT = 200


def withdraw_many(assignments: Sequence[Assignment], acting_user_id: int | None) -> None:
    """Withdraw every one of ``assignments`` (flushed), or none: raises ``Refusal`` naming, by assignment id,
    each that cannot be withdrawn now (begun, over or already cancelled)."""
    problems: dict[str | None, str] = {str(assignment.id): problem for assignment in assignments
                if (problem := problem_with_changing(assignment)) is not None}
    if problems:
        raise Refusal(problems)
    for assignment in assignments:
        withdraw_assignment(assignment, acting_user_id)
