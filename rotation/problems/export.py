"""The problems as rows of ``problems export`` (docs/contracts.md), and the filters the Problems page and the
command share: the page's "Download CSV" and the command with the same filters write the same rows."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.db import utc_today
from rotation.extensions import db
from rotation.observations.export import instant, yes_no
from rotation.observations.models import DRAFT, Observation, Second
from rotation.problems.models import CLOSED, Problem
from rotation.problems.pain import pain_of
from rotation.process_map.tree import area_paths, owned_area_ids, subtree_ids

COLUMNS = ("id", "title", "area", "owner_email", "status", "severity", "safety", "pain_score", "due_on", "overdue",
           "created_at", "closed_at", "duplicate_of", "observations", "reporters", "seconders",
           "verification_metric", "countermeasure_type")
BATCH = 500  # problems per round of queries (SQLite's old limit on bound values is 999)
GROUPS = ("open", "closed", "all")


@dataclass(frozen=True)
class ProblemFilter:
    """Which problems a list or an export shows: ``status`` "open", "closed" or "all"; those in ``area_id``'s
    part of the process map (the area and below); those the account ``owner_id`` owns or whose area it owns."""

    status: str = "all"
    area_id: int | None = None
    owner_id: int | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.status == "open":
            conditions.append(Problem.status.not_in(CLOSED))
        elif self.status == "closed":
            conditions.append(Problem.status.in_(CLOSED))
        if self.area_id is not None:
            conditions.append(Problem.area_id.in_(sorted(subtree_ids([self.area_id]))))
        if self.owner_id is not None:
            conditions.append(sa.or_(Problem.owner_id == self.owner_id,
                                     Problem.area_id.in_(sorted(owned_area_ids(self.owner_id)))))
        return conditions


def export_rows(filters: ProblemFilter | None = None, today: date | None = None) -> Iterator[dict]:
    """One dict per problem ``filters`` select (every one without), in id order, every status included unless
    filtered out.

    ``overdue`` is "yes" for an open problem whose due date has passed;
    ``observations`` counts the observations linked to it, ``seconders`` the
    "me too"s on them and ``reporters`` the distinct people who filed or
    seconded them. Four queries per ``BATCH`` problems, plus one for the
    process map and those of the filters' areas.
    """
    today = today or utc_today()
    paths = area_paths()
    conditions = (filters or ProblemFilter()).conditions()
    after = 0
    while True:
        batch = db.session.execute(
            sa.select(Problem.id, Problem.title, Problem.area_id, User.email.label("owner_email"), Problem.status,
                      Problem.severity, Problem.safety, Problem.due_on, Problem.created_at, Problem.closed_at,
                      Problem.duplicate_of_id, Problem.verification_metric, Problem.countermeasure_type)
            .outerjoin(User, User.id == Problem.owner_id)
            .where(Problem.id > after, *conditions)
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
