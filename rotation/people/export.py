"""The roster as rows of ``people export`` (docs/contracts.md), and the filters the People page and the command
share: the page's "Download CSV" and the command with the same filters write the same rows."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.extensions import db
from rotation.people import search
from rotation.people.models import Person, in_rotation_expression
from rotation.sites.models import Site

# The columns of people.csv first, as the import reads them, so a file exported re-imports unchanged.
COLUMNS = ("employee_id", "full_name", "email", "department", "manager_id", "home_site", "in_rotation", "active",
           "rotation_member")
YES_NO = ("yes", "no")
ANY = "any"


@dataclass(frozen=True)
class PeopleFilter:
    """Which people a list or an export shows: ``active`` and ``in_rotation`` are "yes", "no" or anything else
    for both; ``search`` the words of a name, an e-mail address or a department, or an employee id."""

    search: str = ""
    active: str = "yes"
    in_rotation: str = ""

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if self.search:
            conditions.append(search.matching(self.search))
        if self.active in YES_NO:
            conditions.append(Person.is_active.is_(self.active == "yes"))
        if self.in_rotation in YES_NO:
            conditions.append(in_rotation_expression() == (self.in_rotation == "yes"))
        return conditions


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def export_rows(filters: PeopleFilter) -> Iterator[dict]:
    """One dict per person ``filters`` select, by employee id; read in batches as the rows are written.

    ``in_rotation`` is HR's own setting as people.csv has it (empty: the rule decides); ``rotation_member``
    whether the person is in the rotation, by that setting or the rule, as the People page shows.
    """
    manager = aliased(Person)
    statement = (
        sa.select(Person.employee_id, Person.full_name, Person.email, Person.department,
                  manager.employee_id.label("manager_id"), Site.code.label("home_site"),
                  Person.in_rotation_override, Person.is_active, in_rotation_expression().label("member"))
        .outerjoin(manager, manager.id == Person.manager_id)
        .outerjoin(Site, Site.id == Person.home_site_id)
        .where(*filters.conditions())
        .order_by(Person.employee_id)
        .execution_options(yield_per=2_000))
    for row in db.session.execute(statement):
        yield {"employee_id": row.employee_id, "full_name": row.full_name, "email": row.email,
               "department": row.department, "manager_id": row.manager_id, "home_site": row.home_site,
               "in_rotation": _yes_no(row.in_rotation_override), "active": _yes_no(row.is_active),
               "rotation_member": _yes_no(bool(row.member))}
