"""The year as the engine indexes it: people, departments and caps, open slots, ISO weeks, blocked days.

A *unit* is the time one slot covers: a day for customer service, a Monday–Friday
span for a warehouse. A person's blackouts (their own and their home site's) are
turned once into the set of units they touch; company and site blackouts close
slots instead.
"""
from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np

from rotation.planning.model import (
    ANYWHERE,
    CUSTOMER_SERVICE,
    HOME,
    LOAD_SCALE,
    REGION,
    SLOT_KINDS,
    TIER_COSTS,
    WAREHOUSE,
    PlanPerson,
    PlanRequest,
    PlanSlot,
)

# A slot spans at most one ISO week.
_LONGEST_SLOT = timedelta(days=6)


class KindCalendar:
    """The open slots of one kind, grouped into units and ISO weeks."""

    def __init__(self, kind: str, open_slots: list[int], slots: Sequence[PlanSlot], slot_week: np.ndarray) -> None:
        self.kind = kind
        spans = sorted({(slots[s].first_day, slots[s].last_day) for s in open_slots})
        unit_of_span = {span: u for u, span in enumerate(spans)}
        self.unit_first = [first for first, _ in spans]
        self.unit_last = [last for _, last in spans]
        self.unit_of_slot = {s: unit_of_span[(slots[s].first_day, slots[s].last_day)] for s in open_slots}
        self.slots_of_unit: list[list[int]] = [[] for _ in spans]
        for s in open_slots:
            self.slots_of_unit[self.unit_of_slot[s]].append(s)
        self.unit_week = np.array([slot_week[members[0]] for members in self.slots_of_unit], dtype=np.int64)
        self.week_units: dict[int, list[int]] = defaultdict(list)
        for u, week in enumerate(self.unit_week.tolist()):
            self.week_units[week].append(u)
        self.open_slots = open_slots

    @property
    def unit_count(self) -> int:
        """How many units (days or Monday–Friday spans) have an open slot."""
        return len(self.unit_first)

    def units_touching(self, first_day: date, last_day: date) -> list[int]:
        """The units with any day from ``first_day`` to ``last_day``."""
        low = bisect.bisect_left(self.unit_first, first_day - _LONGEST_SLOT)
        high = bisect.bisect_right(self.unit_first, last_day)
        return [u for u in range(low, high) if self.unit_last[u] >= first_day]

    def fully_blocked_weeks(self, blocked: frozenset[int]) -> set[int]:
        """The weeks in which ``blocked`` covers every unit."""
        counts: dict[int, int] = defaultdict(int)
        for u in blocked:
            counts[int(self.unit_week[u])] += 1
        return {w for w, n in counts.items() if n == len(self.week_units[w])}


class PlanningYear:
    """Indexes over a ``PlanRequest``; people and slots are referred to by position (``p``, ``s``)."""

    def __init__(self, request: PlanRequest) -> None:
        self.request = request
        self.people: list[PlanPerson] = sorted(request.people, key=lambda person: person.id)
        self.person_index = {person.id: p for p, person in enumerate(self.people)}
        if len(self.person_index) != len(self.people):
            raise ValueError("A person is passed twice.")
        self.departments = sorted({person.department for person in self.people})
        department_index = {name: d for d, name in enumerate(self.departments)}
        self.department_of = np.array([department_index[person.department] for person in self.people],
                                      dtype=np.int64)
        counted = np.bincount(self.department_of, minlength=len(self.departments))
        self.caps = np.array([
            max(1, int(request.department_share * request.department_sizes.get(name, int(counted[d]))))
            for d, name in enumerate(self.departments)], dtype=np.int64)

        self.slots: list[PlanSlot] = sorted(request.slots, key=lambda slot: (slot.first_day, slot.site_id, slot.id))
        for slot in self.slots:
            check_slot(slot, request.year)
        self.slot_index = {slot.id: s for s, slot in enumerate(self.slots)}
        if len(self.slot_index) != len(self.slots):
            raise ValueError("A slot is passed twice.")
        self.weeks = sorted({slot.first_day.isocalendar()[:2] for slot in self.slots})
        week_index = {week: w for w, week in enumerate(self.weeks)}
        self.slot_week = np.array([week_index[slot.first_day.isocalendar()[:2]] for slot in self.slots],
                                  dtype=np.int64)
        self.slot_open = [not self._closed(slot) for slot in self.slots]
        self.calendars = {
            kind: KindCalendar(kind, [s for s, slot in enumerate(self.slots)
                                      if slot.kind == kind and self.slot_open[s]], self.slots, self.slot_week)
            for kind in SLOT_KINDS}
        self.blocked: dict[str, list[frozenset[int]]] = {
            kind: self._blocked_units(self.calendars[kind]) for kind in SLOT_KINDS}
        self.week_seats = {kind: np.bincount(self.slot_week[calendar.open_slots], minlength=len(self.weeks),
                                             weights=[self.slots[s].seats for s in calendar.open_slots]
                                             ).astype(np.int64)
                           for kind, calendar in self.calendars.items()}
        # Homes and regions as numbers, for costing many placements at once. A missing home or region
        # is near nothing: a person's -1 never equals a slot's site, and a slot's -2 never a person's region.
        regions: dict[str | None, int] = {None: -1}
        self._person_home = np.array([-1 if person.home_site_id is None else person.home_site_id
                                      for person in self.people], dtype=np.int64)
        self._person_region = np.array([regions.setdefault(person.region, len(regions) - 1)
                                        for person in self.people], dtype=np.int64)
        self._slot_site = np.array([slot.site_id for slot in self.slots], dtype=np.int64)
        self._slot_region = np.array([-2 if slot.region is None else regions.setdefault(slot.region, len(regions) - 1)
                                      for slot in self.slots], dtype=np.int64)

    def _closed(self, slot: PlanSlot) -> bool:
        if self.is_history(slot):
            return True
        ranges = [*self.request.company_blackouts, *self.request.site_blackouts.get(slot.site_id, ())]
        return any(blackout.overlaps(slot.first_day, slot.last_day) for blackout in ranges)

    def is_history(self, slot: PlanSlot) -> bool:
        """True when ``slot`` starts before the request's ``not_before``: nobody is placed in it or moved."""
        return self.request.not_before is not None and slot.first_day < self.request.not_before

    def _blocked_units(self, calendar: KindCalendar) -> list[frozenset[int]]:
        """Per person, the units their own or their home site's blackouts touch (one shared empty set)."""
        nothing: frozenset[int] = frozenset()
        by_site: dict[int, frozenset[int]] = {}
        blocked: list[frozenset[int]] = []
        for person in self.people:
            units = nothing
            site = person.home_site_id
            if site is not None and site in self.request.site_blackouts:
                if site not in by_site:
                    by_site[site] = frozenset(u for blackout in self.request.site_blackouts[site]
                                              for u in calendar.units_touching(blackout.start, blackout.end))
                units = by_site[site]
            own = self.request.person_blackouts.get(person.id)
            if own:
                units = units | {u for blackout in own for u in calendar.units_touching(blackout.start, blackout.end)}
            blocked.append(units)
        return blocked

    def tier_costs(self, people: Sequence[int], slots: Sequence[int]) -> int:
        """The summed TIER_COSTS of placing each of ``people`` in the slot at the same position of ``slots``."""
        p, s = np.asarray(people, dtype=np.int64), np.asarray(slots, dtype=np.int64)
        home = (self._person_home[p] == self._slot_site[s]) & (self._person_home[p] >= 0)
        region = self._person_region[p] == self._slot_region[s]
        tiers = np.where(home, HOME, np.where(region, REGION, ANYWHERE))
        return int(np.asarray(TIER_COSTS, dtype=np.int64)[tiers].sum())

    def week_label(self, w: int) -> str:
        """ISO week ``w`` as HR reads it, e.g. 2026-W07."""
        iso_year, iso_week = self.weeks[w]
        return f"{iso_year}-W{iso_week:02d}"


def check_slot(slot: PlanSlot, year: int) -> None:
    """Raise ``ValueError`` for a slot the engine can't plan with."""
    if slot.kind not in SLOT_KINDS:
        raise ValueError(f"Slot {slot.id} has an unknown kind {slot.kind!r}.")
    if slot.first_day.year != year:
        raise ValueError(f"Slot {slot.id} starts on {slot.first_day}, outside {year}.")
    if slot.seats < 0:
        raise ValueError(f"Slot {slot.id} has a negative number of seats.")
    if slot.kind == CUSTOMER_SERVICE and slot.last_day != slot.first_day:
        raise ValueError(f"Customer-service slot {slot.id} runs from {slot.first_day} to {slot.last_day}; "
                         "a customer-service slot is one day.")
    if slot.kind == WAREHOUSE and (slot.first_day.weekday() != 0 or slot.last_day != slot.first_day + timedelta(4)):
        raise ValueError(f"Warehouse slot {slot.id} runs from {slot.first_day} to {slot.last_day}; "
                         "a warehouse slot runs from a Monday to the Friday after it.")


class PlanState:
    """Seats left, department-week usage and placements, as the plan fills up."""

    def __init__(self, year: PlanningYear) -> None:
        self.year = year
        self.seats_left = np.array(
            [slot.seats if open_ else 0 for slot, open_ in zip(year.slots, year.slot_open, strict=True)],
            dtype=np.int64)
        self.occupancy = np.zeros(len(year.slots), dtype=np.int64)
        self.used = np.zeros((len(year.departments), len(year.weeks)), dtype=np.int64)
        self.slot_of: dict[str, dict[int, int]] = {kind: {} for kind in SLOT_KINDS}
        self.kept_uid: dict[tuple[int, str], str] = {}

    def place(self, kind: str, people: Sequence[int], slots: Sequence[int]) -> None:
        """Put each of ``people`` in the slot at the same position of ``slots``; the flows guarantee
        the seats and the department caps, and this checks them."""
        if not people:
            return
        p, s = np.asarray(people, dtype=np.int64), np.asarray(slots, dtype=np.int64)
        np.subtract.at(self.seats_left, s, 1)
        np.add.at(self.occupancy, s, 1)
        departments, weeks = self.year.department_of[p], self.year.slot_week[s]
        np.add.at(self.used, (departments, weeks), 1)
        if self.seats_left.min(initial=0) < 0 or (self.used[departments, weeks] > self.year.caps[departments]).any():
            raise AssertionError("a flow overfilled a slot or a department's week")
        self.slot_of[kind].update(zip(people, slots, strict=True))

    def fix(self, kind: str, people: Sequence[int], slots: Sequence[int]) -> None:
        """Record history: each of ``people`` already had their shift of ``kind`` in a closed slot of
        ``slots``. It counts towards its department's week, and no rule is checked."""
        if not people:
            return
        p, s = np.asarray(people, dtype=np.int64), np.asarray(slots, dtype=np.int64)
        np.add.at(self.occupancy, s, 1)
        np.add.at(self.used, (self.year.department_of[p], self.year.slot_week[s]), 1)
        self.slot_of[kind].update(zip(people, slots, strict=True))

    def week_of(self, p: int, kind: str) -> int | None:
        """The ISO week of person ``p``'s shift of ``kind``, or None while they have none."""
        s = self.slot_of[kind].get(p)
        return None if s is None else int(self.year.slot_week[s])

    def week_load(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """Per week, the seats of ``kind`` taken and the seats still free, over the open slots."""
        slots = self.year.calendars[kind].open_slots
        weeks = self.year.slot_week[slots]
        taken = np.bincount(weeks, weights=self.occupancy[slots], minlength=len(self.year.weeks))
        free = np.bincount(weeks, weights=self.seats_left[slots], minlength=len(self.year.weeks))
        return taken.astype(np.int64), free.astype(np.int64)

    def cap_left(self) -> np.ndarray:
        """Departments × weeks: how many more people each department may send that week."""
        return np.maximum(self.year.caps[:, None] - self.used, 0)

    def open_slots(self, kind: str) -> list[int]:
        """The open slots of ``kind`` that still have a seat."""
        return [s for s in self.year.calendars[kind].open_slots if self.seats_left[s] > 0]


def load_bands(taken: int, free: int, seats: int) -> tuple[np.ndarray, np.ndarray]:
    """The marginal costs of the next ``free`` of ``seats`` seats when ``taken`` are taken, merged into
    bands: (costs, sizes). The k-th seat (from 0) costs floor(LOAD_SCALE × k / seats)."""
    positions = np.arange(taken, taken + free, dtype=np.int64)
    return np.unique(LOAD_SCALE * positions // max(seats, 1), return_counts=True)


def load_cost(taken: int, seats: int) -> int:
    """What the first ``taken`` of ``seats`` seats cost together (see ``load_bands``)."""
    return int((LOAD_SCALE * np.arange(taken, dtype=np.int64) // max(seats, 1)).sum())
