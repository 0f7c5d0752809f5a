"""Who a coverage page is about: the whole company, or one person's organisation.

An organisation is that person and everyone below them in the line-manager tree, found with a
recursive CTE; only people who are active and in the rotation count.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from rotation.extensions import db
from rotation.people.models import Person, in_rotation_clause


@dataclass(frozen=True)
class Scope:
    """Whose figures a page shows: everyone (``root`` None) or ``root``'s organisation."""

    root: Person | None = None

    @property
    def is_company(self) -> bool:
        return self.root is None


# Scope -------------------------------------------------------------------------------------------


def organisation(root_id: int):
    """CTE ``(id, branch)``: everyone below ``root_id`` in the line-manager tree, with the direct
    report of ``root_id`` whose organisation they belong to. UNION (not UNION ALL) ends even if
    the roster's manager links ever form a loop."""
    anchor = sa.select(Person.id.label("id"), Person.id.label("branch")).where(Person.manager_id == root_id)
    tree = anchor.cte("organisation", recursive=True)
    report = aliased(Person)
    return tree.union(sa.select(report.id, tree.c.branch).where(report.manager_id == tree.c.id))


def is_in_organisation(person_id: int, root_id: int) -> bool:
    """Whether ``person_id`` is ``root_id`` or somewhere below them."""
    if person_id == root_id:
        return True
    tree = organisation(root_id)
    return bool(db.session.scalar(sa.select(sa.exists().where(tree.c.id == person_id))))


def people_of(scope: Scope, *columns) -> sa.Select:
    """SELECT ``columns`` over the people of ``scope`` who are active and in the rotation; a column
    ``branch`` names the direct report of the root whose organisation each one is in (None for the
    root and in the company scope)."""
    if scope.root is None:
        return sa.select(*columns, sa.null().label("branch")).select_from(Person).where(in_rotation_clause())
    tree = organisation(scope.root.id)
    return (sa.select(*columns, tree.c.branch.label("branch"))
            .select_from(Person).outerjoin(tree, tree.c.id == Person.id)
            .where(in_rotation_clause(), sa.or_(Person.id == scope.root.id, tree.c.id.is_not(None))))
