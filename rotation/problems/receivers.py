"""How the problems layer answers what observations ask and tell (``rotation.observations.signals``).

Connected when this module is imported; the application factory imports it with the other areas.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from rotation.extensions import db
from rotation.observations import signals
from rotation.observations.models import Observation
from rotation.observations.signals import ProblemLink
from rotation.problems.models import VERIFYING, Problem, VerificationRequest
from rotation.problems.services import record_verdict


@signals.submitted.connect
def _record_verdict(observation: Observation, now: datetime) -> None:
    """A submitted observation that answers a request to check a fix verifies or reopens the problem."""
    if observation.verifies_problem_id is not None:
        record_verdict(observation, now)


@signals.verification_choices.connect
def _verification_choices(assignment_id: int) -> dict[int, str]:
    return dict(db.session.execute(
        sa.select(Problem.id, Problem.title).join(VerificationRequest, VerificationRequest.problem_id == Problem.id)
        .where(VerificationRequest.assignment_id == assignment_id, Problem.status == VERIFYING)
        .order_by(Problem.title)).tuples().all())


@signals.problem_link.connect
def _problem_link(problem_id: int) -> ProblemLink | None:
    problem = db.session.get(Problem, problem_id)
    return ProblemLink(problem.id, problem.title, problem.status_label) if problem else None


@signals.problem_statuses.connect
def _problem_statuses(_sender: None) -> dict[int, str]:
    return dict(db.session.execute(sa.select(Problem.id, Problem.status)).tuples().all())
