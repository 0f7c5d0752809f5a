"""Pagination for list pages: keyset pages and a bounded count, so the cost of a page never grows with the list.

A page is read by its position in the list's order, not by an offset: the
link to the next page carries the sort key of the last row shown (``after``),
the link to the previous page that of the first row (``before``), and the last
page is the first page of the reversed order (``page=last``). Each page costs
one query for the rows and one bounded count (at most ``COUNT_LIMIT`` + 1 rows
are counted; a longer list says "more than 10,000").

The statement's ORDER BY is the key: it must end with a unique column (an id),
and its columns must not be NULL for the rows listed.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import request
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from rotation.extensions import db

COUNT_LIMIT = 10_000
CURSOR_ARGUMENTS = ("after", "before", "page")


@dataclass
class Page:
    """One page of a list: its items and what the pager needs to offer the neighbouring pages."""

    items: list
    per_page: int
    # Exact when the list has at most COUNT_LIMIT rows, else None ("more than COUNT_LIMIT").
    total: int | None
    # 1-based position of the first item in the list, when known (it is unless the page was reached from the end
    # of a list too long to count).
    start: int | None = None
    has_previous: bool = False
    has_next: bool = False
    is_last: bool = False
    previous_cursor: str | None = None
    next_cursor: str | None = None
    count_limit: int = COUNT_LIMIT
    _arguments: dict[str, str] = field(default_factory=dict)

    @property
    def first_index(self) -> int:
        return self.start or 0 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.start + len(self.items) - 1) if self.start and self.items else 0

    @property
    def is_first(self) -> bool:
        return not self.has_previous

    def link_arguments(self, which: str) -> dict[str, str]:
        """The query arguments of the link to the ``first``, ``previous``, ``next`` or ``last`` page."""
        arguments = {key: value for key, value in self._arguments.items() if key not in CURSOR_ARGUMENTS}
        if which == "previous" and self.previous_cursor:
            arguments["before"] = self.previous_cursor
        elif which == "next" and self.next_cursor:
            arguments["after"] = self.next_cursor
        elif which == "last":
            arguments["page"] = "last"
        return arguments


def order_keys(statement: sa.Select) -> list[tuple[sa.ColumnElement, bool]]:
    """The statement's ORDER BY as (expression, descending) pairs; NULLS FIRST/LAST are set aside."""
    keys = []
    for clause in statement._order_by_clauses:  # the order is the key; no public accessor
        descending = False
        while isinstance(clause, UnaryExpression) and clause.modifier in (
                operators.desc_op, operators.asc_op, operators.nulls_first_op, operators.nulls_last_op):
            if clause.modifier == operators.desc_op:
                descending = True
            clause = clause.element
        keys.append((clause, descending))
    if not keys:
        raise ValueError("a paginated statement needs an ORDER BY ending with a unique column")
    return keys


def _beyond(keys: list[tuple[sa.ColumnElement, bool]], values: list[Any], backwards: bool) -> sa.ColumnElement:
    """Rows after ``values`` in the order of ``keys`` (before them when ``backwards``)."""
    directions = {descending != backwards for _, descending in keys}
    if len(directions) == 1:  # one direction: a row-value comparison, which an index on the keys serves
        descending = directions.pop()
        left = sa.tuple_(*[key for key, _ in keys])
        right = sa.tuple_(*[sa.literal(value, key.type) for (key, _), value in zip(keys, values, strict=True)])
        return left < right if descending else left > right
    conditions = []
    for number, ((key, descending), value) in enumerate(zip(keys, values, strict=True)):
        earlier = [keys[index][0] == values[index] for index in range(number)]
        step = key < value if descending != backwards else key > value
        conditions.append(sa.and_(*earlier, step))
    return sa.or_(*conditions)


def encode_cursor(values: list[Any], position: int | None) -> str:
    def tagged(value: Any) -> Any:
        if isinstance(value, datetime):
            return {"t": value.isoformat()}
        if isinstance(value, date):
            return {"d": value.isoformat()}
        return value

    text = json.dumps({"k": [tagged(value) for value in values], "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, length: int) -> tuple[list[Any], int | None] | None:
    """The key values and position a cursor carries; None for anything not made by ``encode_cursor``."""
    def untagged(value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (tag, text), = value.items()
            if tag == "t":
                return datetime.fromisoformat(text)
            if tag == "d":
                return date.fromisoformat(text)
            raise ValueError(tag)
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
        raise ValueError(value)

    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = [untagged(value) for value in data["k"]]
        position = data.get("p")
        if len(values) != length or not (position is None or (isinstance(position, int) and position > 0)):
            return None
        return values, position
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def paginate(statement: sa.Select, per_page: int = 50, rows: bool = False, count_limit: int = COUNT_LIMIT,
             known_total: int | None = None) -> Page:
    """The requested page of ``statement`` (ordered, ending with a unique column): entities, or rows when ``rows``.

    The rows are counted (up to ``count_limit``) unless their number is ``known_total`` already. A cursor the
    app did not make, or one past the end of the list (its last row was just dealt with), shows the nearest
    sensible page instead of an error.
    """
    arguments = request.args.to_dict()
    keys = order_keys(statement)
    counted = known_total if known_total is not None else count_rows(statement, count_limit)
    total = counted if counted <= count_limit else None
    after = decode_cursor(arguments["after"], len(keys)) if arguments.get("after") else None
    before = decode_cursor(arguments["before"], len(keys)) if arguments.get("before") else None

    if before is not None:
        found = _fetch(statement, keys, per_page, rows, before[0], backwards=True)
        if found:
            start = before[1] - min(len(found), per_page) if before[1] else None
            return _page(found, keys, per_page, total, start, arguments, count_limit,
                         has_previous=len(found) > per_page, has_next=True, backwards=True)
    elif after is not None:
        found = _fetch(statement, keys, per_page, rows, after[0], backwards=False)
        if found:
            start = after[1] + 1 if after[1] else None
            return _page(found, keys, per_page, total, start, arguments, count_limit,
                         has_previous=True, has_next=len(found) > per_page)
    if arguments.get("page") == "last" or after is not None:  # the last page, or nothing left after the cursor
        found = _fetch(statement, keys, per_page, rows, None, backwards=True)
        shown = min(len(found), per_page)
        start = total - shown + 1 if total is not None and shown else None
        return _page(found, keys, per_page, total, start, arguments, count_limit,
                     has_previous=len(found) > per_page, has_next=False, backwards=True)
    found = _fetch(statement, keys, per_page, rows, None, backwards=False)
    return _page(found, keys, per_page, total, 1 if found else None, arguments, count_limit,
                 has_previous=False, has_next=len(found) > per_page)


def count_rows(statement: sa.Select, count_limit: int = COUNT_LIMIT) -> int:
    """How many rows ``statement`` gives, counted up to ``count_limit`` + 1 (more means "more than the limit")."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(_countable(statement, count_limit))) or 0


def _countable(statement: sa.Select, count_limit: int) -> sa.Subquery:
    """The list's first ``count_limit`` + 1 rows, with none of the columns it shows (they may cost a subquery
    each), for counting."""
    if statement._distinct:
        return statement.order_by(None).limit(count_limit + 1).subquery()
    return (statement.order_by(None).with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
            .limit(count_limit + 1).subquery())


def _fetch(statement: sa.Select, keys, per_page: int, rows: bool, values: list[Any] | None,
           backwards: bool) -> list[tuple[Any, list[Any]]]:
    """Up to ``per_page`` + 1 (item, key values) pairs beyond ``values``, in the direction asked."""
    width = len(keys)
    query = statement.add_columns(*[key.label(f"page_key_{number}") for number, (key, _) in enumerate(keys)])
    if values is not None:
        query = query.where(_beyond(keys, values, backwards))
    if backwards:
        query = query.order_by(None).order_by(*[key.asc() if descending else key.desc() for key, descending in keys])
    found = []
    for row in db.session.execute(query.limit(per_page + 1)):
        item = ListedRow(row._fields[:-width], tuple(row[:-width])) if rows else row[0]
        found.append((item, list(row[-width:])))
    return found


class ListedRow(tuple):
    """A result row without the page's key columns: unpacked, indexed, or read by name as a Row is."""

    _fields: tuple[str, ...]

    def __new__(cls, fields: tuple[str, ...], values: tuple) -> ListedRow:
        row = super().__new__(cls, values)
        row._fields = fields
        return row

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None


def _page(found, keys, per_page: int, total: int | None, start: int | None, arguments: dict[str, str],
          count_limit: int, has_previous: bool, has_next: bool, backwards: bool = False) -> Page:
    found = found[:per_page]
    if backwards:
        found.reverse()
    items = [item for item, _ in found]
    if start is not None and start < 1:
        start = None
    end = start + len(found) - 1 if start is not None and found else None
    return Page(items=items, per_page=per_page, total=total, start=start, has_previous=has_previous,
                has_next=has_next, is_last=not has_next,
                previous_cursor=encode_cursor(found[0][1], start) if has_previous and found else None,
                next_cursor=encode_cursor(found[-1][1], end) if has_next and found else None,
                count_limit=count_limit, _arguments=arguments)


def paginate_sequence(sequence: Sequence[Any], per_page: int = 50) -> Page:
    """The requested page of a list already ordered in Python (its cursors hold positions), for pages that must
    rank rows by a figure the database cannot order by."""
    arguments = request.args.to_dict()
    total = len(sequence)
    after = decode_cursor(arguments["after"], 1) if arguments.get("after") else None
    before = decode_cursor(arguments["before"], 1) if arguments.get("before") else None
    if before is not None and 0 < before[0][0] <= total + 1 and isinstance(before[0][0], int):
        end = before[0][0] - 1
        start = max(end - per_page, 0)
    elif after is not None and isinstance(after[0][0], int) and 0 <= after[0][0] < total:
        start = after[0][0]
    elif arguments.get("page") == "last" or after is not None:
        start = max(total - per_page, 0) if total % per_page == 0 else total - total % per_page
    else:
        start = 0
    items = list(sequence[start:start + per_page])
    has_previous, has_next = start > 0, start + per_page < total
    return Page(items=items, per_page=per_page, total=total, start=start + 1 if items else None,
                has_previous=has_previous, has_next=has_next, is_last=not has_next,
                previous_cursor=encode_cursor([start + 1], None) if has_previous else None,
                next_cursor=encode_cursor([start + per_page], None) if has_next else None,
                _arguments=arguments)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
SEARCH_LENGTH = 100  # characters of a list's search box that count


def search_text(name: str = "q") -> str:
    """What was typed in a list's search box: trimmed, control characters made spaces, at most 100 characters
    (a search is a few words; a megabyte pasted in is not, and SQLite refuses such a pattern)."""
    typed = request.args.get(name, "")[:SEARCH_LENGTH * 4]
    return " ".join(_CONTROL_CHARACTERS.sub(" ", typed).split())[:SEARCH_LENGTH]
