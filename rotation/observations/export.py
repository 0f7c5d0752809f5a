"""The observations as rows of ``observations export`` (docs/contracts.md); written by :mod:`rotation.exports`."""
from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.observations import signals
from rotation.observations.models import DRAFT, Observation, Second
from rotation.people.models import Person
from rotation.process_map.tree import area_paths
from rotation.signals import answers
from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot

COLUMNS = ("id", "status", "submitted_at", "author_employee_id", "author_email", "shift_uid", "shift_kind", "site",
           "shift_start", "area", "kind", "title", "severity", "frequency", "customer_minutes", "customer_visible",
           "andon", "problem_id", "problem_status", "seconds")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def instant(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC, to the second."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat() if value else None


def yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def export_rows(area_ids: Collection[int] | None = None) -> Iterator[dict]:
    """One dict per observation in id order; drafts are left out, as they are private to their author.

    ``area_ids``: only those in these process areas, as an owner's "Observations in my areas" page lists them
    (``process_map.tree.owned_area_ids``); None for every area.

    ``shift_start`` is a customer-service day's start with the site's UTC offset,
    or a warehouse week's first day. ``seconds`` counts the "me too"s. One query
    for the process map, one for the problems' statuses (asked of the problems layer), one streamed query for
    the rows.
    """
    paths = area_paths()
    problem_statuses: dict[int, str] = {}
    for answer in answers(signals.problem_statuses, None):
        problem_statuses.update(answer)
    seconds = (sa.select(Second.observation_id, sa.func.count().label("seconds"))
               .group_by(Second.observation_id).subquery())
    statement = (
        sa.select(Observation.id, Observation.status, Observation.submitted_at, Person.employee_id, Person.email,
                  Assignment.uid, Assignment.kind.label("shift_kind"), Site.code, Site.timezone, Slot.first_day,
                  Slot.starts_at, Observation.area_id, Observation.kind, Observation.title, Observation.severity,
                  Observation.frequency, Observation.customer_minutes, Observation.customer_visible,
                  Observation.andon, Observation.problem_id,
                  sa.func.coalesce(seconds.c.seconds, 0).label("seconds"))
        .join(Person, Person.id == Observation.author_id)
        .join(Assignment, Assignment.id == Observation.assignment_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .outerjoin(seconds, seconds.c.observation_id == Observation.id)
        .where(Observation.status != DRAFT,
               *([] if area_ids is None else [Observation.area_id.in_(sorted(area_ids))]))
        .order_by(Observation.id)
        .execution_options(yield_per=2_000))
    for row in db.session.execute(statement):
        if row.shift_kind == CUSTOMER_SERVICE:
            start = row.starts_at.astimezone(_zone(row.timezone)).isoformat()
        else:
            start = row.first_day.isoformat()
        yield {"id": row.id, "status": row.status, "submitted_at": instant(row.submitted_at),
               "author_employee_id": row.employee_id, "author_email": row.email, "shift_uid": row.uid,
               "shift_kind": row.shift_kind, "site": row.code, "shift_start": start,
               "area": paths.get(row.area_id) if row.area_id is not None else None, "kind": row.kind,
               "title": row.title, "severity": row.severity, "frequency": row.frequency,
               "customer_minutes": row.customer_minutes, "customer_visible": yes_no(row.customer_visible),
               "andon": yes_no(bool(row.andon)), "problem_id": row.problem_id,
               "problem_status": problem_statuses.get(row.problem_id) if row.problem_id else None,
               "seconds": int(row.seconds)}


