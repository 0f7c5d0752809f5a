"""The problems as rows of ``problems export`` (docs/contracts.md)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.db import utc_today
from rotation.extensions import db
from rotation.observations.export import instant, yes_no
from rotation.observations.models import DRAFT, Observation, Second
from rotation.problems.models import CLOSED, Problem
from rotation.problems.pain import pain_of
from rotation.process_map.tree import area_paths

COLUMNS = ("id", "title", "area", "owner_email", "status", "severity", "safety", "pain_score", "due_on", "overdue",
           "created_at", "closed_at", "duplicate_of", "observations", "reporters", "seconders",
           "verification_metric", "countermeasure_type")
BATCH = 500  # problems per round of queries (SQLite's old limit on bound values is 999)


def export_rows(today: date | None = None) -> Iterator[dict]:
    """One dict per problem in id order, every status included.

    ``overdue`` is "yes" for an open problem whose due date has passed;
    ``observations`` counts the observations linked to it, ``seconders`` the
    "me too"s on them and ``reporters`` the distinct people who filed or
    seconded them. Four queries per ``BATCH`` problems, plus one for the
    process map.
    """
    today = today or utc_today()
    paths = area_paths()
    after = 0
    while True:
        batch = db.session.execute(
            sa.select(Problem.id, Problem.title, Problem.area_id, User.email.label("owner_email"), Problem.status,
                      Problem.severity, Problem.safety, Problem.due_on, Problem.created_at, Problem.closed_at,
                      Problem.duplicate_of_id, Problem.verification_metric, Problem.countermeasure_type)
            .outerjoin(User, User.id == Problem.owner_id)
            .where(Problem.id > after)
            .order_by(Problem.id)
            .limit(BATCH)).all()
        if not batch:
            return
        ids = [row.id for row in batch]
        pains = pain_of(batch)
        counts = {problem_id: (observations, seconders) for problem_id, observations, seconders in db.session.execute(
            sa.select(Observation.problem_id, sa.func.count(sa.distinct(Observation.id)), sa.func.count(Second.id))
            .outerjoin(Second, Second.observation_id == Observation.id)
            .where(Observation.problem_id.in_(ids), Observation.status != DRAFT)
            .group_by(Observation.problem_id))}
        for row in batch:
            pain = pains[row.id]
            observations, seconders = counts.get(row.id, (0, 0))
            yield {"id": row.id, "title": row.title, "area": paths.get(row.area_id), "owner_email": row.owner_email,
                   "status": row.status, "severity": row.severity, "safety": yes_no(bool(row.safety)),
                   "pain_score": pain.score, "due_on": row.due_on.isoformat(),
                   "overdue": yes_no(row.status not in CLOSED and row.due_on < today),
                   "created_at": instant(row.created_at), "closed_at": instant(row.closed_at),
                   "duplicate_of": row.duplicate_of_id, "observations": int(observations),
                   "reporters": pain.reporters, "seconders": int(seconders),
                   "verification_metric": row.verification_metric, "countermeasure_type": row.countermeasure_type}
        after = ids[-1]
