"""The pain score: how much a problem hurts, from what its observations say.

    pain = reporters × frequency weight × severity weight × (1 + customer-visible minutes ÷ 10)

- **reporters**: the distinct people who filed an observation linked to it or said "me too" to one;
- **frequency weight**: from the most frequent answer to "how often does the frontline see it":
  first time 1, a few times a month 2, weekly 4, daily 8, hourly or more 16;
- **severity weight**: the problem's severity squared (1, 4, 9, 16, 25);
- **customer-visible minutes**: the largest estimate of minutes lost among observations the customer saw.

Severity 5 and safety problems always come first, whatever their score; within each group the higher
score comes first. Every part is shown beside the score, so an owner can see why a problem ranks where
it does. It is computed in two grouped queries for a whole list.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.extensions import db
from rotation.observations.models import Observation, Second

FREQUENCY_WEIGHTS = {"first_time": 1, "monthly": 2, "weekly": 4, "daily": 8, "hourly": 16}


@dataclass(frozen=True)
class Pain:
    """A problem's pain score and its parts."""

    reporters: int
    frequency_weight: int
    severity: int
    visible_minutes: int
    critical: bool  # severity 5 or safety: always first

    @property
    def severity_weight(self) -> int:
        return self.severity * self.severity

    @property
    def score(self) -> float:
        return round(max(self.reporters, 1) * self.frequency_weight * self.severity_weight
                     * (1 + self.visible_minutes / 10), 1)

    @property
    def sort_key(self) -> tuple:
        """Sorts most painful first: critical ones, then by score."""
        return (0 if self.critical else 1, -self.score)

    def explained(self) -> str:
        """E.g. ``3 reporters × 8 (daily) × 9 (severity 3) × (1 + 6 min ÷ 10) = 345.6``."""
        reporters = max(self.reporters, 1)
        return (f"{reporters} reporter{'s' if reporters != 1 else ''} × {self.frequency_weight} (how often) × "
                f"{self.severity_weight} (severity {self.severity}) × (1 + {self.visible_minutes} min ÷ 10) "
                f"= {self.score:g}")


def pain_of(problems) -> dict[int, Pain]:
    """The pain of each of ``problems`` (objects with ``id``, ``severity`` and ``safety``), in two queries."""
    problems = list(problems)
    if not problems:
        return {}
    parts = _parts([problem.id for problem in problems])
    return {problem.id: Pain(reporters=parts.get(problem.id, (0, 1, 0))[0],
                             frequency_weight=parts.get(problem.id, (0, 1, 0))[1],
                             severity=problem.severity,
                             visible_minutes=parts.get(problem.id, (0, 1, 0))[2],
                             critical=problem.severity == 5 or problem.safety)
            for problem in problems}


def _parts(problem_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """``problem id → (reporters, frequency weight, customer-visible minutes)``."""
    frequency = sa.case(*[(Observation.frequency == key, weight) for key, weight in FREQUENCY_WEIGHTS.items()],
                        else_=1)
    visible = sa.case((Observation.customer_visible.is_(True), sa.func.coalesce(Observation.customer_minutes, 0)),
                      else_=0)
    observed = db.session.execute(
        sa.select(Observation.problem_id, sa.func.max(frequency), sa.func.max(visible))
        .where(Observation.problem_id.in_(problem_ids)).group_by(Observation.problem_id)).all()
    linked = aliased(Observation)
    people = sa.union(
        sa.select(Observation.problem_id.label("problem_id"), Observation.author_id.label("person_id"))
        .where(Observation.problem_id.in_(problem_ids)),
        sa.select(linked.problem_id, Second.person_id).join(linked, linked.id == Second.observation_id)
        .where(linked.problem_id.in_(problem_ids))).subquery()
    reporters = dict(db.session.execute(
        sa.select(people.c.problem_id, sa.func.count()).group_by(people.c.problem_id)).tuples().all())
    return {problem_id: (reporters.get(problem_id, 0), int(weight or 1), int(minutes or 0))
            for problem_id, weight, minutes in observed}
