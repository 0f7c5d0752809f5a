"""Why someone has no shift of a kind: checked against the finished plan, in words HR can act on."""
from __future__ import annotations

import numpy as np

from rotation.planning.model import CUSTOMER_SERVICE, KIND_LABELS, WAREHOUSE
from rotation.planning.year import PlanningYear, PlanState

_OTHER_KIND = {WAREHOUSE: CUSTOMER_SERVICE, CUSTOMER_SERVICE: WAREHOUSE}


class UnplacedReasons:
    """Explains unplaced people once the plan is finished (seats and caps no longer change)."""

    def __init__(self, year: PlanningYear, state: PlanState) -> None:
        self.year, self.state = year, state
        self._unit_full: dict[str, np.ndarray] = {}
        self._weeks_of_blocked: dict[tuple[str, frozenset[int]], tuple[list[int], set[int]]] = {}

    def reason(self, p: int, kind: str) -> str:
        """Why person ``p`` has no shift of ``kind``: no open slot at all, their blackouts, their other
        shift's week, full slots, their department's weekly cap, or a mix of the last two."""
        year, state = self.year, self.state
        label, other_label = KIND_LABELS[kind], KIND_LABELS[_OTHER_KIND[kind]]
        if not year.calendars[kind].unit_count:
            return (f"no {label} is open in {year.request.year}: there are no slots, or company and site "
                    "blackouts close them all")
        free_weeks, full_weeks = self._free_and_full_weeks(kind, year.blocked[kind][p])
        if not free_weeks:
            return (f"blacked out for the whole year: their own or their home site's blackouts cover every open "
                    f"{label}; shorten a blackout to place them")
        other_week = state.week_of(p, _OTHER_KIND[kind])
        if other_week is not None and free_weeks == [other_week]:
            return (f"free only in {year.week_label(other_week)}, the week of their {other_label}; move the "
                    f"{other_label} or shorten a blackout")
        weeks = {w for w in free_weeks if w != other_week}
        d = int(year.department_of[p])
        cap, department = int(year.caps[d]), year.people[p].department
        capped = {w for w in weeks if state.used[d, w] >= cap}
        count = f"{len(weeks)} week{'s' if len(weeks) != 1 else ''}"
        if weeks <= full_weeks:
            return (f"every {label} without a blackout for them is full at every site ({count} free); add seats "
                    "or shorten a blackout")
        if weeks <= capped:
            return (f"the {department} department's weekly cap of {cap} is reached in every week they are free "
                    f"({count}); shorten a blackout or move a colleague's shift")
        if weeks <= capped | full_weeks:
            return (f"in every week they are free ({count}) either every {label} is full or the {department} "
                    f"department's weekly cap of {cap} is reached; add seats or shorten a blackout")
        return f"no {label} could be fitted around their blackouts, the seats and the department's weekly cap"

    def _free_and_full_weeks(self, kind: str, blocked: frozenset[int]) -> tuple[list[int], set[int]]:
        """The weeks with a unit ``blocked`` leaves free, and those of them whose free units are all full."""
        key = (kind, blocked)
        if key not in self._weeks_of_blocked:
            calendar = self.year.calendars[kind]
            if kind not in self._unit_full:
                self._unit_full[kind] = np.array([all(self.state.seats_left[s] <= 0 for s in slots)
                                                  for slots in calendar.slots_of_unit], dtype=bool)
            free = np.ones(calendar.unit_count, dtype=bool)
            free[list(blocked)] = False
            n_weeks = len(self.year.weeks)
            free_units = np.bincount(calendar.unit_week[free], minlength=n_weeks)
            full_units = np.bincount(calendar.unit_week[free & self._unit_full[kind]], minlength=n_weeks)
            free_weeks = np.nonzero(free_units)[0]
            self._weeks_of_blocked[key] = (free_weeks.tolist(),
                                           set(free_weeks[full_units[free_weeks] == free_units[free_weeks]].tolist()))
        return self._weeks_of_blocked[key]
