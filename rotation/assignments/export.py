"""The assignments of a year as rows of ``assignments export`` (docs/contracts.md)."""
from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot

COLUMNS = ("employee_id", "email", "kind", "site", "start", "end", "status", "uid", "sequence")


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def export_rows(year: int) -> Iterator[dict]:
    """One dict per assignment of ``year``, cancelled ones included, by employee id and kind.

    A customer-service day's ``start`` and ``end`` are ISO 8601 instants with the
    site's UTC offset; a warehouse week's are its first and last day.
    """
    statement = (
        sa.select(Person.employee_id, Person.email, Assignment.kind, Site.code, Site.timezone, Slot.first_day,
                  Slot.last_day, Slot.starts_at, Slot.ends_at, Assignment.status, Assignment.uid, Assignment.sequence)
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .where(Assignment.year == year)
        .order_by(Person.employee_id, Assignment.kind, Assignment.id)
        .execution_options(yield_per=2_000))
    for row in db.session.execute(statement):
        if row.kind == CUSTOMER_SERVICE:
            zone = _zone(row.timezone)
            start = row.starts_at.astimezone(zone).isoformat()
            end = row.ends_at.astimezone(zone).isoformat()
        else:
            start, end = row.first_day.isoformat(), row.last_day.isoformat()
        yield {"employee_id": row.employee_id, "email": row.email, "kind": row.kind, "site": row.code,
               "start": start, "end": end, "status": row.status, "uid": row.uid, "sequence": row.sequence}
