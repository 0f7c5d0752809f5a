"""The assignments of a year as rows of ``assignments export`` (docs/contracts.md), and the filters the
Assignments page and the command share: the page's "Download CSV" and the command with the same filters write
the same rows."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from rotation.assignments.models import KIND_LABELS, STATUS_LABELS, Assignment
from rotation.extensions import db
from rotation.people import search
from rotation.people.models import Person
from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot

COLUMNS = ("employee_id", "email", "kind", "site", "start", "end", "status", "uid", "sequence")
NEEDS_REPLAN = "replan"  # a status filter of its own: blackouts now cover these
STATUS_FILTERS = {**STATUS_LABELS, NEEDS_REPLAN: "Needs re-planning"}


@dataclass(frozen=True)
class AssignmentFilter:
    """Which assignments of ``year`` a list or an export shows. An empty value, or one that means nothing
    (an unknown status or kind), does not narrow the list."""

    year: int
    status: str = ""  # a status, or NEEDS_REPLAN
    kind: str = ""
    site: str = ""  # a site's code
    search: str = ""  # the words of a name, an e-mail address or an employee id (``people.search``)

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """SQL for a statement that joins ``Assignment`` to its ``Person``, ``Slot`` and ``Site``."""
        conditions = [Assignment.year == self.year]
        if self.status == NEEDS_REPLAN:
            conditions.append(Assignment.needs_replan.is_(True))
        elif self.status in STATUS_LABELS:
            conditions.append(Assignment.status == self.status)
        if self.kind in KIND_LABELS:
            conditions.append(Assignment.kind == self.kind)
        if self.site:
            conditions.append(Site.code == self.site)
        if self.search:
            conditions.append(search.matching(self.search))
        return conditions


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def export_rows(filters: AssignmentFilter) -> Iterator[dict]:
    """One dict per assignment ``filters`` select, cancelled ones included unless filtered out, by employee id
    and kind; read in batches as the rows are written.

    A customer-service day's ``start`` and ``end`` are ISO 8601 instants with the
    site's UTC offset; a warehouse week's are its first and last day.
    """
    statement = (
        sa.select(Person.employee_id, Person.email, Assignment.kind, Site.code, Site.timezone, Slot.first_day,
                  Slot.last_day, Slot.starts_at, Slot.ends_at, Assignment.status, Assignment.uid, Assignment.sequence)
        .join(Person, Person.id == Assignment.person_id)
        .join(Slot, Slot.id == Assignment.slot_id)
        .join(Site, Site.id == Slot.site_id)
        .where(*filters.conditions())
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
