"""The week flows: an ISO week for each person, by min-cost flow.

People who share everything the week flow looks at (home, region, the weeks
their blackouts leave free, the weeks they must avoid, and in the pooled flow
their department) form a *class*; its node supplies its size, and it has one
arc per week it may take.

* ``relaxed_weeks`` ignores department caps: class → (home, week) → home-site
  slots / region hub / anywhere hub → slots → weeks → sink. Exact about sites,
  seats and load, so its optimum bounds the stage's cost from below.
* ``pooled_weeks`` enforces them: class → (department, week) → [cap arc] →
  (home, week) of any of the department's homes → … → sink. Exact for the cap,
  optimistic about which of the department's homes a seat suits (the slot flow
  then seats each person at their own cost).

Both have an arc class → sink at the unplaced cost.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from rotation.planning.network import SINK, Arcs, SlotLayer, flows_of
from rotation.planning.year import PlanningYear, PlanState

NO_DEPARTMENT = -1
ClassKey = tuple[int, int | None, str | None, int, tuple[int, ...]]


@dataclass
class Classes:
    """Interchangeable people, and each class's options: (class, week) pairs."""

    members: list[list[int]]
    keys: list[ClassKey]  # (department or NO_DEPARTMENT, home, region, free-week mask id, weeks to avoid)
    sizes: np.ndarray
    option_class: np.ndarray
    option_week: np.ndarray

    @property
    def total(self) -> int:
        """How many people the classes hold."""
        return int(self.sizes.sum())


def group_classes(year: PlanningYear, state: PlanState, kind: str, pending: Iterable[int],
                  excluded: dict[int, set[int]], banned: dict[int, set[int]], *, by_department: bool) -> Classes:
    """Group ``pending`` into classes and list the weeks each class may take.

    A week is open to a class when it has a unit with a seat that the class's
    blackouts leave free and it is neither excluded nor banned; with
    ``by_department``, also when the department still has room under its cap.
    """
    calendar = year.calendars[kind]
    n_weeks = len(year.weeks)
    unit_open = np.zeros(calendar.unit_count, dtype=bool)
    unit_open[[calendar.unit_of_slot[s] for s in state.open_slots(kind)]] = True
    mask_of_blocked: dict[frozenset[int], int] = {}
    mask_ids: dict[bytes, int] = {}
    masks: list[np.ndarray] = []
    class_of: dict[ClassKey, int] = {}
    members: list[list[int]] = []
    keys: list[ClassKey] = []
    for p in pending:
        blocked = year.blocked[kind][p]
        if blocked not in mask_of_blocked:
            free = unit_open.copy()
            free[list(blocked)] = False
            mask = np.zeros(n_weeks, dtype=bool)
            mask[calendar.unit_week[free]] = True
            mask_of_blocked[blocked] = mask_ids.setdefault(mask.tobytes(), len(mask_ids))
            if len(masks) < len(mask_ids):
                masks.append(mask)
        person = year.people[p]
        avoid = excluded.get(p, set()) | banned[p] if p in banned else excluded.get(p, set())
        key = (int(year.department_of[p]) if by_department else NO_DEPARTMENT, person.home_site_id, person.region,
               mask_of_blocked[blocked], tuple(sorted(avoid)))
        c = class_of.get(key)
        if c is None:
            c = class_of[key] = len(members)
            members.append([])
            keys.append(key)
        members[c].append(p)
    if keys:
        allowed = np.stack(masks)[[key[3] for key in keys]]
        allowed[[c for c, key in enumerate(keys) for _ in key[4]], [w for key in keys for w in key[4]]] = False
        if by_department:
            allowed &= (state.cap_left() > 0)[[key[0] for key in keys]]
    else:
        allowed = np.zeros((0, n_weeks), dtype=bool)
    option_class, option_week = np.nonzero(allowed)
    return Classes(members, keys, np.array([len(group) for group in members], dtype=np.int64),
                   option_class.astype(np.int64), option_week.astype(np.int64))


@dataclass
class WeekChoice:
    """The week of each person a week flow routed, the people it left out, and the flow's optimum."""

    weeks: dict[int, int]
    not_routed: list[int]
    cost: int


def relaxed_weeks(year: PlanningYear, state: PlanState, kind: str, classes: Classes,
                  unplaced_cost: int) -> WeekChoice:
    """Weeks by the cap-free flow; its optimum is a lower bound for the stage."""
    network = _Network(year, state, kind, classes, unplaced_cost)
    home_weeks = network.home_week_keys(network.class_home[classes.option_class], classes.option_week)
    network.lay_out(own_nodes=0, home_weeks=home_weeks)
    option_arcs = network.arcs.add(1 + classes.option_class, network.home_week_nodes(home_weeks),
                                   classes.sizes[classes.option_class], 0)
    return network.solve(option_arcs)


def pooled_weeks(year: PlanningYear, state: PlanState, kind: str, classes: Classes,
                 unplaced_cost: int) -> WeekChoice:
    """Weeks by the cap-exact flow (``classes`` grouped by department)."""
    network = _Network(year, state, kind, classes, unplaced_cost)
    n_weeks = len(year.weeks)
    departments = np.array([key[0] for key in classes.keys], dtype=np.int64)
    pairs, option_pair = np.unique(departments[classes.option_class] * n_weeks + classes.option_week,
                                   return_inverse=True)
    pair_department, pair_week = pairs // n_weeks, pairs % n_weeks
    homes_of: dict[int, set[int]] = defaultdict(set)
    for c, key in enumerate(classes.keys):
        homes_of[key[0]].add(int(network.class_home[c]))
    department_homes = {d: np.array(sorted(homes), dtype=np.int64) for d, homes in homes_of.items()}
    spread = [department_homes[d] for d in pair_department.tolist()]
    counts = np.array([len(homes) for homes in spread], dtype=np.int64)
    home_weeks = network.home_week_keys(np.concatenate(spread) if spread else np.zeros(0, dtype=np.int64),
                                        np.repeat(pair_week, counts))
    network.lay_out(own_nodes=2 * len(pairs), home_weeks=home_weeks)
    pair_in = network.own_first + np.arange(len(pairs))
    pair_out = pair_in + len(pairs)
    option_arcs = network.arcs.add(1 + classes.option_class, pair_in[option_pair],
                                   classes.sizes[classes.option_class], 0)
    network.arcs.add(pair_in, pair_out, state.cap_left()[pair_department, pair_week], 0)
    network.arcs.add(np.repeat(pair_out, counts), network.home_week_nodes(home_weeks), classes.total, 0)
    return network.solve(option_arcs)


class _Network:
    """What both week flows share. Nodes: the sink, one per class, the flow's own nodes, one per
    (home, week) in use, then the slot layer. Arcs: class → sink at the unplaced cost, and each
    (home, week) → its home-site slots, region hub and anywhere hub."""

    def __init__(self, year: PlanningYear, state: PlanState, kind: str, classes: Classes, unplaced_cost: int) -> None:
        self.year, self.state, self.kind, self.classes = year, state, kind, classes
        self.arcs = Arcs()
        n_classes = len(classes.members)
        self.arcs.add(1 + np.arange(n_classes), [SINK] * n_classes, classes.sizes, unplaced_cost)
        self.homes: dict[tuple[int | None, str | None], int] = {}
        self.class_home = np.array([self.homes.setdefault((key[1], key[2]), len(self.homes))
                                    for key in classes.keys], dtype=np.int64)
        self.own_first = 1 + n_classes
        self.home_week_first = self.own_first
        self.used_home_weeks = np.zeros(0, dtype=np.int64)

    def home_week_keys(self, homes: np.ndarray, weeks: np.ndarray) -> np.ndarray:
        """One number per (home, week)."""
        return np.asarray(homes * max(1, len(self.year.weeks)) + weeks, dtype=np.int64)

    def lay_out(self, own_nodes: int, home_weeks: np.ndarray) -> None:
        """Reserve ``own_nodes`` node numbers after the classes, then number the (home, week) nodes."""
        self.home_week_first = self.own_first + own_nodes
        self.used_home_weeks = np.unique(home_weeks)

    def home_week_nodes(self, keys: np.ndarray) -> np.ndarray:
        """The nodes of (home, week) ``keys``; ``lay_out`` first."""
        return np.asarray(self.home_week_first + np.searchsorted(self.used_home_weeks, keys), dtype=np.int64)

    def solve(self, option_arcs: np.ndarray) -> WeekChoice:
        """Add the slot layer and the (home, week) entries, solve, and read the weeks off ``option_arcs``."""
        year, classes, n_weeks = self.year, self.classes, max(1, len(self.year.weeks))
        open_slots = self.state.open_slots(self.kind)
        first_layer_node = self.home_week_first + len(self.used_home_weeks)
        layer = SlotLayer(self.state, open_slots, {s: int(year.slot_week[s]) for s in open_slots}, self.arcs,
                          first_layer_node, classes.total)
        home_of = {index: home for home, index in self.homes.items()}
        tails: list[int] = []
        heads: list[int] = []
        costs: list[int] = []
        for i, key in enumerate(self.used_home_weeks.tolist()):
            (home, region), week = home_of[key // n_weeks], key % n_weeks
            for head, cost, _ in layer.entries(home, region, week):
                tails.append(self.home_week_first + i)
                heads.append(head)
                costs.append(cost)
        self.arcs.add(tails, heads, classes.total, costs)
        supplies = np.zeros(layer.node_count, dtype=np.int64)
        supplies[1:1 + len(classes.members)] = classes.sizes
        supplies[SINK] = -classes.total
        flow = self.arcs.solve(supplies)
        return _read_weeks(year, classes, flows_of(flow, option_arcs), int(flow.optimal_cost()))


def _read_weeks(year: PlanningYear, classes: Classes, option_flows: np.ndarray, cost: int) -> WeekChoice:
    """Hand each class's weeks to its members. Members are taken department by department and dealt
    over the class's weeks with a stride, so colleagues in one class land in weeks far apart."""
    weeks: dict[int, int] = {}
    not_routed: list[int] = []
    tokens: dict[int, list[int]] = defaultdict(list)
    for option in np.nonzero(option_flows)[0].tolist():
        week = int(classes.option_week[option])
        tokens[int(classes.option_class[option])].extend([week] * int(option_flows[option]))
    for c, group in enumerate(classes.members):
        dealt = tokens.get(c, [])
        ordered = sorted(group, key=lambda p: (int(year.department_of[p]), p))
        stride = _coprime_stride(len(dealt))
        for i, p in enumerate(ordered[:len(dealt)]):
            weeks[p] = dealt[(i * stride) % len(dealt)]
        not_routed.extend(ordered[len(dealt):])
    return WeekChoice(weeks, sorted(not_routed), cost)


def _coprime_stride(n: int) -> int:
    stride = max(1, round(n * 0.618))
    while math.gcd(stride, n) != 1:
        stride += 1
    return stride


def over_cap(year: PlanningYear, state: PlanState, weeks: dict[int, int]) -> list[int]:
    """The people to take out of ``weeks`` so that no department goes over its cap in any week:
    in each department-week over it, the excess, last by id."""
    cap_left = state.cap_left()
    by_department_week: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in sorted(weeks):
        by_department_week[(int(year.department_of[p]), weeks[p])].append(p)
    excess: list[int] = []
    for (d, w), people in by_department_week.items():
        excess.extend(people[max(0, int(cap_left[d, w])):])
    return sorted(excess)
