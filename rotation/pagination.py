"""Pagination for list pages: one query for the rows, one for the total."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import request

from rotation.extensions import db


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)


def requested_page() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def paginate(statement: sa.Select, per_page: int = 50, rows: bool = False) -> Page:
    """The requested page of ``statement``: its entities, or whole rows when ``rows``."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())) or 0
    # A page past the end (the last row of the last page was just dealt with) shows the last page.
    number = min(requested_page(), max(1, -(-total // per_page)))
    page = statement.limit(per_page).offset((number - 1) * per_page)
    result = db.session.execute(page) if rows else db.session.scalars(page)
    return Page(items=list(result), number=number, per_page=per_page, total=total or 0)
