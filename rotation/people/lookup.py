"""Finding one person from what HR types in a field: a name, an e-mail address or an employee ID.

A form that names a person (a blackout's, the coverage filter) accepts any of the three. An employee ID
or an e-mail address names one person exactly; a name (or the start of one) is looked up through the
people search's index (:mod:`rotation.people.search`) and names a person when exactly one has that full
name, or when the search finds one person only. When several match, the field says so and lists them.
Every query is bounded: at most :data:`SUGGESTIONS` people (and one more, to know there are more).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from rotation.extensions import db
from rotation.people import search
from rotation.people.models import Person

# The most people a suggestion list or a "several match" sentence names.
SUGGESTIONS = 10
# Fewer letters than this suggest nobody: every second person's name has an "a" in it.
SHORTEST = 2


@dataclass(frozen=True)
class Lookup:
    """What a typed text names: ``person`` when exactly one, else the ``candidates`` (several, or none)."""

    text: str
    person: Person | None = None
    candidates: list[Person] = field(default_factory=list)
    more: bool = False  # more people match than the candidates listed

    @property
    def problem(self) -> str | None:
        """The sentence beside the field when the text names nobody, or several people; None when it names one."""
        if self.person is not None or not self.text:
            return None
        if not self.candidates:
            return f"Nobody on the roster has the name, e-mail address or employee ID “{self.text}”."
        listed = "; ".join(f"{person.full_name} ({person.employee_id}, {person.email})" for person in self.candidates)
        if self.more:
            return (f"More than {len(self.candidates)} people match “{self.text}”, among them {listed}. "
                    "Type more of the name, or an e-mail address or employee ID.")
        return (f"{len(self.candidates)} people match “{self.text}”: {listed}. "
                "Type the e-mail address or employee ID of the one you mean.")


def suggestions(text: str, limit: int = SUGGESTIONS) -> list[Person]:
    """Up to ``limit`` people the text finds by name, e-mail or employee ID (active ones first, by name), from
    the search index; nobody for fewer than :data:`SHORTEST` characters."""
    text = text.strip()
    if len(text) < SHORTEST:
        return []
    return list(db.session.scalars(
        sa.select(Person).where(search.matching(text))
        .order_by(Person.is_active.desc(), Person.full_name, Person.id).limit(limit)))


def look_up(text: str) -> Lookup:
    """The person ``text`` names (see the module's description), or the candidates when it names none or several."""
    text = " ".join(text.split())[:254]
    if not text:
        return Lookup(text)
    exact = db.session.scalar(sa.select(Person).where(
        sa.or_(Person.employee_id == text, Person.email == text.lower())).order_by(Person.id).limit(1))
    if exact is not None:
        return Lookup(text, person=exact)
    found = suggestions(text, SUGGESTIONS + 1)
    named = [person for person in found if person.full_name.casefold() == text.casefold()]
    if len(named) == 1:
        return Lookup(text, person=named[0])
    if len(found) == 1:
        return Lookup(text, person=found[0])
    return Lookup(text, candidates=(named if len(named) > 1 else found)[:SUGGESTIONS], more=len(found) > SUGGESTIONS
                  and len(named) <= 1)
