"""Where each person of a scope stands in a year's rotation, tallied once and kept until the data changes.

Each person of the scope who is active and in the rotation counts once per kind of shift:

- **completed** — a shift of that kind has status ``completed``;
- **booked** — otherwise, an announced shift still to be attended (``published`` or ``confirmed``);
- **unbooked** — anything else: nothing planned, only a draft, or a no-show awaiting re-booking.

Someone is **overdue** for a kind when a shift of it ended before today without its attendance recorded,
when a no-show of it is not re-booked, or — in a year that has begun — when nothing of it is booked.

The tally reads the scope's people and the year's shifts once (two queries, whatever the company's size)
and is kept in the process until the people, the shifts or the slots change, or the day turns: a
company of 100,000 managers is tallied in about a second, then every page of coverage reads the kept
figures. The overdue list is kept as person ids in name order with a code per person, so a page of it
costs one query for its 25 people.
"""
from __future__ import annotations

from array import array
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, COMPLETED, CONFIRMED, KIND_LABELS, NO_SHOW, PUBLISHED, Assignment
from rotation.coverage.scope import Scope, people_of
from rotation.data_versions import kept
from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.models import SLOT_KINDS, Slot

# A person's state for one kind of shift; the best of their shifts counts.
UNBOOKED, BOOKED, DONE = 0, 1, 2
STILL_TO_ATTEND = (PUBLISHED, CONFIRMED)

# Why someone is overdue for a kind, as a code per kind (two bits each).
NOT_OVERDUE, UNRECORDED, NO_SHOW_NOT_REBOOKED, NOT_BOOKED = 0, 1, 2, 3
OVERDUE_WORDS = {UNRECORDED: "attendance not recorded", NO_SHOW_NOT_REBOOKED: "no-show, not re-booked",
                 NOT_BOOKED: "not booked"}

# The tables a tally is made from: it is kept until one of them changes.
TALLIED_TABLES = ("person", "assignment", "slot")


@dataclass(frozen=True)
class KindFigures:
    """One kind of shift over ``people`` people: how many completed it, are booked, are not booked."""

    people: int
    completed: int
    booked: int

    @property
    def unbooked(self) -> int:
        return self.people - self.completed - self.booked

    def share(self, count: int) -> float:
        return count / self.people if self.people else 0.0


@dataclass(frozen=True)
class Figures:
    """A group's figures: the whole scope, a department or a direct report's organisation."""

    label: str
    people: int
    kinds: dict[str, KindFigures]
    person_id: int | None = None  # the direct report heading an organisation row
    employee_id: str | None = None


@dataclass
class Coverage:
    """The coverage page's figures: the total, by department and by direct report's organisation."""

    total: Figures
    departments: list[Figures]
    organisations: list[Figures] = field(default_factory=list)


@dataclass(frozen=True)
class Overdue:
    """Someone whose shift of a kind is behind: attendance unrecorded, a no-show, or not booked."""

    person_id: int
    employee_id: str
    full_name: str
    department: str
    reasons: list[str]


@dataclass(frozen=True)
class Standing:
    """A scope's tally for a year: its figures and its overdue people (ids in name order, a code each)."""

    coverage: Coverage
    overdue_ids: array
    overdue_codes: bytes

    def overdue(self, start: int, stop: int) -> list[Overdue]:
        """The overdue people from position ``start`` to ``stop`` (0-based), read in one query."""
        ids = list(self.overdue_ids[start:stop])
        if not ids:
            return []
        people = {row.id: row for row in db.session.execute(
            sa.select(Person.id, Person.employee_id, Person.full_name, Person.department).where(Person.id.in_(ids)))}
        return [Overdue(person_id=person_id, employee_id=people[person_id].employee_id,
                        full_name=people[person_id].full_name, department=people[person_id].department,
                        reasons=reasons(code))
                for person_id, code in zip(ids, self.overdue_codes[start:stop], strict=True) if person_id in people]


def reasons(code: int) -> list[str]:
    """An overdue code in words, one phrase per late kind."""
    words = []
    for index, kind in enumerate(SLOT_KINDS):
        reason = (code >> (2 * index)) & 3
        if reason:
            words.append(f"{KIND_LABELS[kind]}: {OVERDUE_WORDS[reason]}")
    return words


def standing(scope: Scope, year: int, today: date) -> Standing:
    """The tally of ``scope`` in ``year`` as of ``today``: kept until the people, shifts or slots change."""
    root = scope.root.id if scope.root is not None else None
    return kept(("coverage standing", root, year, today), TALLIED_TABLES, lambda: _tally(scope, year, today))


def coverage(scope: Scope, year: int, today: date) -> Coverage:
    """The figures of ``scope`` in ``year``: the total, by department and, for an organisation, by the
    direct report heading each part of it."""
    return standing(scope, year, today).coverage


def overdue(scope: Scope, year: int, today: date) -> list[Overdue]:
    """Every overdue person of ``scope`` in ``year``, by name."""
    found = standing(scope, year, today)
    return found.overdue(0, len(found.overdue_ids))


def _tally(scope: Scope, year: int, today: date) -> Standing:
    people = db.session.execute(people_of(scope, Person.id, Person.department, Person.full_name)).all()
    shifts = (sa.select(Assignment.person_id, Assignment.kind, Assignment.status, Slot.last_day)
              .join(Slot, Slot.id == Assignment.slot_id)
              .where(Assignment.year == year, Assignment.status != CANCELLED))
    if scope.root is not None:
        shifts = shifts.where(Assignment.person_id.in_(people_of(scope, Person.id).with_only_columns(Person.id)))
    kinds = {kind: index for index, kind in enumerate(SLOT_KINDS)}
    # Per person and kind: [state, a shift ended unrecorded, a no-show]
    marks: dict[int, list[list[int]]] = {}
    for person_id, kind, status, last_day in db.session.execute(shifts):
        per_kind = marks.setdefault(person_id, [[UNBOOKED, 0, 0] for _ in SLOT_KINDS])[kinds[kind]]
        if status == COMPLETED:
            per_kind[0] = DONE
        elif status in STILL_TO_ATTEND:
            per_kind[0] = max(per_kind[0], BOOKED)
            if last_day < today:
                per_kind[1] = 1
        elif status == NO_SHOW:
            per_kind[2] = 1
    open_year = year <= today.year
    nothing = [[UNBOOKED, 0, 0] for _ in SLOT_KINDS]
    departments: dict[str, list[int]] = defaultdict(lambda: [0] * (1 + 2 * len(SLOT_KINDS)))
    branches: dict[int | None, list[int]] = defaultdict(lambda: [0] * (1 + 2 * len(SLOT_KINDS)))
    late: list[tuple[str, int, int]] = []
    for person_id, department, full_name, branch in people:
        states = marks.get(person_id, nothing)
        code = 0
        for group in (departments[department], branches[branch]):
            group[0] += 1
            for index, (state, _, _) in enumerate(states):
                group[1 + 2 * index] += state == DONE
                group[2 + 2 * index] += state == BOOKED
        for index, (state, unrecorded, no_show) in enumerate(states):
            reason = (UNRECORDED if unrecorded else NO_SHOW_NOT_REBOOKED if state == UNBOOKED and no_show
                      else NOT_BOOKED if state == UNBOOKED and open_year else NOT_OVERDUE)
            code |= reason << (2 * index)
        if code:
            late.append((full_name, person_id, code))
    late.sort()
    department_figures = [_figures(name, counts) for name, counts in sorted(departments.items())]
    result = Coverage(total=_sum("Everyone", department_figures), departments=department_figures)
    if scope.root is not None:
        result.organisations = _organisations(scope.root, branches)
    return Standing(coverage=result, overdue_ids=array("q", (person_id for _, person_id, _ in late)),
                    overdue_codes=bytes(code for _, _, code in late))


def _organisations(root: Person, branches: dict[int | None, list[int]]) -> list[Figures]:
    """The root's own row first, then one row per direct report's organisation, by the report's name."""
    heads = {row.id: row for row in db.session.execute(
        sa.select(Person.id, Person.full_name, Person.employee_id)
        .where(Person.id.in_([branch for branch in branches if branch is not None])))}
    rows = []
    if None in branches:
        rows.append(_figures(f"{root.full_name} (own shifts)", branches[None]))
    for branch in sorted((branch for branch in branches if branch is not None),
                         key=lambda branch: (heads[branch].full_name, branch)):
        rows.append(_figures(heads[branch].full_name, branches[branch], person_id=branch,
                             employee_id=heads[branch].employee_id))
    return rows


def _figures(label: str, counts: list[int], **extra) -> Figures:
    people = counts[0]
    kinds = {kind: KindFigures(people=people, completed=counts[1 + 2 * index], booked=counts[2 + 2 * index])
             for index, kind in enumerate(SLOT_KINDS)}
    return Figures(label=label, people=people, kinds=kinds, **extra)


def _sum(label: str, groups: list[Figures]) -> Figures:
    people = sum(group.people for group in groups)
    kinds = {kind: KindFigures(people=people, completed=sum(group.kinds[kind].completed for group in groups),
                               booked=sum(group.kinds[kind].booked for group in groups))
             for kind in SLOT_KINDS}
    return Figures(label=label, people=people, kinds=kinds)
