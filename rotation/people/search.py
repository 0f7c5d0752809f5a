"""Finding people by the words of their name, e-mail address or department, served by an index.

HR types a few letters: every word typed must begin a word of the person's name, e-mail address or
department ("ann sm" finds Ann Smith and ann.smithson@example.com; "fin" finds Finance), or the text
is an employee ID exactly. A ``LIKE '%…%'`` scan read all 434,000 people of a company of 100,000
managers for every search; the index answers from the words alone:

- **SQLite**: the FTS5 table ``person_search`` (kept by triggers on ``person``), queried with prefix terms;
- **PostgreSQL**: a GIN index on ``to_tsvector('simple', …)`` of the same text, queried with ``:*`` prefixes.

Both split the text at anything that is not a letter or a digit, so an e-mail address is its words.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from rotation.extensions import db
from rotation.people.models import Person

# The words of a search: letters and digits, as both indexes split the text.
WORD = re.compile(r"[^\W_]+")
MAX_WORDS = 8

# PostgreSQL: the indexed text, written exactly as the migration's expression index is, so the index is used.
DOCUMENT = ("to_tsvector('simple'::regconfig, regexp_replace("
            "person.full_name || ' ' || person.email || ' ' || person.department, '[^[:alnum:]]+', ' ', 'g'))")

# A list found by a search counts at most this many ("more than 1,000"): a common surname matches thousands.
SEARCH_COUNT_LIMIT = 1_000

# Tables and indexes the search keeps outside the models (for schema comparisons).
SEARCH_OBJECTS = ("person_search", "ix_person_search")


def words_of(text: str) -> list[str]:
    return WORD.findall(text.lower())[:MAX_WORDS]


def matching(text: str) -> sa.ColumnElement[bool]:
    """SQL: the people ``text`` finds (see the module's description)."""
    text = text.strip()
    exact = Person.employee_id == text
    words = words_of(text)
    if not words:
        return exact
    # A subquery of ids, so the database reads the index first rather than testing each person in the list's order.
    if db.session.get_bind().dialect.name == "postgresql":
        query = " & ".join(f"{word}:*" for word in words)
        found = sa.text(f"SELECT person.id FROM person WHERE {DOCUMENT} @@ to_tsquery('simple'::regconfig, "
                        ":person_words)").bindparams(person_words=query).columns(sa.column("id", sa.Integer))
    else:
        query = " AND ".join(f'"{word}"*' for word in words)
        found = (sa.text("SELECT rowid FROM person_search WHERE person_search MATCH :person_words")
                 .bindparams(person_words=query).columns(sa.column("rowid", sa.Integer)))
    return sa.or_(exact, Person.id.in_(found))


def outside_the_models(obj, name, type_, reflected, compare_to) -> bool:
    """For schema comparisons: False for the search's own table and index, which no model describes."""
    return not (name or "").startswith(SEARCH_OBJECTS)
