"""Plumbing shared by the engine's min-cost flows (OR-Tools ``SimpleMinCostFlow``).

``Arcs`` collects arcs as NumPy arrays; ``SlotLayer`` builds the part every
flow ends in: region and anywhere hubs, slot nodes, ISO-week nodes and the sink,
with the seats as capacities and the load costs on them.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np
from ortools.graph.python import min_cost_flow

from rotation.planning.model import ANYWHERE, HOME, REGION, TIER_COSTS
from rotation.planning.year import PlanState, load_bands

SINK = 0


class Arcs:
    """Arcs collected as NumPy arrays, then handed to OR-Tools at once; ids count from 0."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.count = 0

    def add(self, tails: Sequence[int] | np.ndarray, heads: Sequence[int] | np.ndarray,
            capacities: Sequence[int] | np.ndarray | int, costs: Sequence[int] | np.ndarray | int) -> np.ndarray:
        """Add arcs tail → head; returns their ids."""
        tail_array = np.asarray(tails, dtype=np.int64)
        n = len(tail_array)
        self.parts.append((tail_array, np.asarray(heads, dtype=np.int64),
                           np.broadcast_to(np.asarray(capacities, dtype=np.int64), (n,)),
                           np.broadcast_to(np.asarray(costs, dtype=np.int64), (n,))))
        ids = np.arange(self.count, self.count + n, dtype=np.int32)
        self.count += n
        return ids

    def solve(self, supplies: np.ndarray) -> min_cost_flow.SimpleMinCostFlow:
        """Build the solver, set node supplies, solve to optimality and return it."""
        flow = min_cost_flow.SimpleMinCostFlow()
        if self.count:
            tails, heads, capacities, costs = (np.concatenate(column) for column in zip(*self.parts, strict=True))
            flow.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32), heads.astype(np.int32),
                                                      capacities, costs)
        flow.set_nodes_supplies(np.arange(len(supplies), dtype=np.int32), supplies)
        solve(flow)
        return flow


def solve(flow: min_cost_flow.SimpleMinCostFlow) -> None:
    """Solve, insisting on an optimum (every network has an unplaced arc, so one exists)."""
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"The min-cost flow solver stopped with status {status}.")


def flows_of(flow: min_cost_flow.SimpleMinCostFlow, arcs: np.ndarray) -> np.ndarray:
    """The flow on each of ``arcs``."""
    if len(arcs) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.asarray(flow.flows(arcs), dtype=np.int64)


class SlotLayer:
    """Slot nodes, the region and anywhere hubs in front of them, and the seat arcs to the sink.

    A hub is keyed by (region, time), or (None, time) for anywhere, where time is
    a week (week flows) or a unit (slot flow). Entering a hub costs the REGION or
    ANYWHERE tier once; it leads to every slot of that time (and region) with a
    seat. Each slot's seats lead to its ISO week's node, and each week's to the
    sink, both at rising marginal costs (``load_bands``): the first spreads people
    over a week's slots, the second over the weeks of the year.
    """

    def __init__(self, state: PlanState, slots: Iterable[int], time_of: dict[int, int], arcs: Arcs,
                 first_node: int, capacity: int) -> None:
        year = state.year
        self.slot_node: dict[int, int] = {}
        self.by_site_time: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.by_hub: dict[tuple[str | None, int], list[int]] = defaultdict(list)
        node = first_node
        slots = sorted(slots)
        for s in slots:
            self.slot_node[s] = node
            node += 1
            slot = year.slots[s]
            self.by_site_time[(slot.site_id, time_of[s])].append(s)
            self.by_hub[(None, time_of[s])].append(s)
            if slot.region is not None:
                self.by_hub[(slot.region, time_of[s])].append(s)
        self.hub_node: dict[tuple[str | None, int], int] = {}
        for hub in self.by_hub:
            self.hub_node[hub] = node
            node += 1
        week_node: dict[int, int] = {}
        for s in slots:
            if int(year.slot_week[s]) not in week_node:
                week_node[int(year.slot_week[s])] = node
                node += 1
        self.node_count = node
        self.hub_arcs: dict[tuple[str | None, int], np.ndarray] = {
            hub: arcs.add([self.hub_node[hub]] * len(members), [self.slot_node[s] for s in members], capacity, 0)
            for hub, members in self.by_hub.items()}
        for s, slot_node in self.slot_node.items():
            costs, sizes = load_bands(int(state.occupancy[s]), int(state.seats_left[s]), year.slots[s].seats)
            arcs.add([slot_node] * len(costs), [week_node[int(year.slot_week[s])]] * len(costs), sizes, costs)
        if slots:
            kind = year.slots[slots[0]].kind
            taken, free = state.week_load(kind)
            for w, week in week_node.items():
                costs, sizes = load_bands(int(taken[w]), int(free[w]), int(year.week_seats[kind][w]))
                arcs.add([week] * len(costs), [SINK] * len(costs), sizes, costs)

    def entries(self, home: int | None, region: str | None, time: int) -> list[tuple[int, int, int | None]]:
        """(node, cost, slot or None) where a person with ``home`` and ``region`` enters at ``time``."""
        entries: list[tuple[int, int, int | None]] = []
        if home is not None:
            entries.extend((self.slot_node[s], TIER_COSTS[HOME], s) for s in self.by_site_time.get((home, time), ()))
        if region is not None and (region, time) in self.hub_node:
            entries.append((self.hub_node[(region, time)], TIER_COSTS[REGION], None))
        if (None, time) in self.hub_node:
            entries.append((self.hub_node[(None, time)], TIER_COSTS[ANYWHERE], None))
        return entries
