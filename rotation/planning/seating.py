"""The slot flow: inside each person's ISO week, the slot (site and day) at its exact cost."""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from rotation.planning.network import SINK, Arcs, SlotLayer, flows_of
from rotation.planning.year import PlanningYear, PlanState


def seat_in_weeks(year: PlanningYear, state: PlanState, kind: str, weeks: dict[int, int],
                  unplaced_cost: int) -> list[int]:
    """Seat each person inside their week at the exact cost; place them and return whom it couldn't seat.

    People with the same home, region, week and free units there form a group.
    Arcs: group → home-site slots / region hub / anywhere hub of each free unit →
    slots → sink, and group → sink.
    """
    if not weeks:
        return []
    calendar = year.calendars[kind]
    open_slots = state.open_slots(kind)
    unit_has_seats = {calendar.unit_of_slot[s] for s in open_slots}
    group_of: dict[tuple[int | None, str | None, tuple[int, ...]], int] = {}
    members: list[list[int]] = []
    for p in sorted(weeks):
        blocked = year.blocked[kind][p]
        units = tuple(u for u in calendar.week_units[weeks[p]] if u in unit_has_seats and u not in blocked)
        key = (year.people[p].home_site_id, year.people[p].region, units)
        if key not in group_of:
            group_of[key] = len(members)
            members.append([])
        members[group_of[key]].append(p)

    arcs = Arcs()
    sizes = np.array([len(group) for group in members], dtype=np.int64)
    unplaced_arcs = arcs.add(1 + np.arange(len(members)), [SINK] * len(members), sizes, unplaced_cost)
    layer = SlotLayer(state, open_slots, dict(calendar.unit_of_slot), arcs, 1 + len(members), len(weeks))
    tails: list[int] = []
    heads: list[int] = []
    costs: list[int] = []
    targets: list[tuple[int, int | None, int]] = []  # per entry arc: (group, slot or None, head node)
    for (home, region, units), g in group_of.items():
        for u in units:
            for head, cost, s in layer.entries(home, region, u):
                tails.append(1 + g)
                heads.append(head)
                costs.append(cost)
                targets.append((g, s, head))
    entry_arcs = arcs.add(tails, heads, len(weeks), costs)
    supplies = np.zeros(layer.node_count, dtype=np.int64)
    supplies[1:1 + len(members)] = sizes
    supplies[SINK] = -len(weeks)
    flow = arcs.solve(supplies)

    # A direct arc names its slot; a hub's inflow is matched to its outflow in order, and since every
    # slot behind a hub is of the hub's time, any matching keeps to the group's free days at the same cost.
    seated: dict[int, list[int]] = defaultdict(list)
    hub_inflow: dict[int, list[tuple[int, int]]] = defaultdict(list)
    entry_flows = flows_of(flow, entry_arcs)
    for arc in np.nonzero(entry_flows)[0].tolist():
        g, s, head = targets[arc]
        if s is not None:
            seated[g].extend([s] * int(entry_flows[arc]))
        else:
            hub_inflow[head].append((g, int(entry_flows[arc])))
    for hub, hub_arcs in layer.hub_arcs.items():
        inflow = hub_inflow.get(layer.hub_node[hub])
        if inflow:
            queue = [s for s, count in zip(layer.by_hub[hub], flows_of(flow, hub_arcs).tolist(), strict=True)
                     for _ in range(count)]
            position = 0
            for g, count in inflow:
                seated[g].extend(queue[position:position + count])
                position += count
    failed: list[int] = []
    placed_people: list[int] = []
    placed_slots: list[int] = []
    left_over = flows_of(flow, unplaced_arcs).tolist()
    for g, group in enumerate(members):
        slots = seated.get(g, [])
        if len(group) - len(slots) != left_over[g]:
            raise AssertionError("the slot flow does not add up")
        placed_people.extend(group[:len(slots)])
        placed_slots.extend(slots)
        failed.extend(group[len(slots):])
    state.place(kind, placed_people, placed_slots)
    return failed
