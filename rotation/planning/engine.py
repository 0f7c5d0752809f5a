"""The planning engine: one customer-service day and one warehouse week per person.

``plan_year`` keeps the published assignments that still fit, then plans
warehouse weeks, then customer-service days, each with OR-Tools min-cost flows
(``weeks`` picks everyone's ISO week, ``seating`` their slot inside it), and
reports everyone it could not place with a reason checked against the finished
plan (``reasons``). ``README.md`` beside this file describes the model.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ortools.graph.python import min_cost_flow

from rotation.planning.model import (
    ANYWHERE,
    CUSTOMER_SERVICE,
    LOAD_SCALE,
    SLOT_KINDS,
    TIER_COSTS,
    WAREHOUSE,
    PlannedAssignment,
    PlanRequest,
    PlanResult,
    StageReport,
    UnplacedPerson,
)
from rotation.planning.reasons import UnplacedReasons
from rotation.planning.seating import seat_in_weeks
from rotation.planning.weeks import group_classes, over_cap, pooled_weeks, relaxed_weeks
from rotation.planning.year import PlanningYear, PlanState, load_cost


def plan_year(request: PlanRequest, on_stage: Callable[[str], None] | None = None) -> PlanResult:
    """Plan ``request.year``: keep what still fits, place everyone else, report who can't be placed.

    ``on_stage``, when given, is called with the kind (``warehouse``, then
    ``customer_service``) as each stage starts, for progress reports.

    Never breaks a hard rule of the contract (seats, blackouts, one shift of each
    kind, different ISO weeks, the department's weekly cap). Raises ``ValueError``
    for a malformed request: a person or slot passed twice, a slot outside the
    year, a warehouse slot that is not Monday to Friday, a customer-service slot
    longer than a day, an unknown kind.
    """
    year = PlanningYear(request)
    state = PlanState(year)
    published = _keep_published(year, state)
    # Dearer than any chain of moves the flows could make to fit one more person in.
    unplaced_cost = (TIER_COSTS[ANYWHERE] + 2 * LOAD_SCALE) * (2 * len(year.people) + 1)

    outcomes: dict[str, _Outcome] = {}
    if on_stage:
        on_stage(WAREHOUSE)
    demand = [p for p in range(len(year.people)) if p not in state.slot_of[WAREHOUSE]]
    outcomes[WAREHOUSE] = _plan_kind(year, state, WAREHOUSE, demand, _warehouse_exclusions(year, state, demand),
                                     unplaced_cost)
    if on_stage:
        on_stage(CUSTOMER_SERVICE)
    demand = [p for p in range(len(year.people)) if p not in state.slot_of[CUSTOMER_SERVICE]]
    exclusions = {p: {week} for p in demand if (week := state.week_of(p, WAREHOUSE)) is not None}
    outcomes[CUSTOMER_SERVICE] = _plan_kind(year, state, CUSTOMER_SERVICE, demand, exclusions, unplaced_cost)
    return _result(year, state, published, outcomes, unplaced_cost)


def _keep_published(year: PlanningYear, state: PlanState) -> dict[tuple[int, str], str]:
    """Keep every published assignment that still fits; return the published uid per (person, kind).

    One in a slot before ``not_before`` is history and kept as it is. Any other
    fits when its person is passed in, its slot still exists and is open, and
    none of the person's blackouts covers it. When a kept customer-service day and
    a kept warehouse week share an ISO week, the day moves. When seats or
    department caps no longer suffice, a max-flow (department-week → slot → sink)
    keeps as many as possible, warehouse weeks first, so only the excess moves.
    """
    published: dict[tuple[int, str], str] = {}
    fitting: dict[int, dict[str, tuple[int, str]]] = defaultdict(dict)
    history: dict[str, tuple[list[int], list[int]]] = {kind: ([], []) for kind in SLOT_KINDS}
    for assignment in year.request.published:
        p = year.person_index.get(assignment.person_id)
        if p is None or assignment.kind not in SLOT_KINDS or (p, assignment.kind) in published:
            continue
        published[(p, assignment.kind)] = assignment.uid
        s = year.slot_index.get(assignment.slot_id)
        if s is None or year.slots[s].kind != assignment.kind:
            continue
        if year.is_history(year.slots[s]):
            history[assignment.kind][0].append(p)
            history[assignment.kind][1].append(s)
            state.kept_uid[(p, assignment.kind)] = assignment.uid
        elif (year.slot_open[s]
              and year.calendars[assignment.kind].unit_of_slot[s] not in year.blocked[assignment.kind][p]):
            fitting[p][assignment.kind] = (s, assignment.uid)
    for kind, (people, slots_fixed) in history.items():
        state.fix(kind, people, slots_fixed)
    candidates: list[tuple[int, str, int, str]] = []
    for p, kinds in fitting.items():
        for kind in list(kinds):
            # A shift in the ISO week of the person's other shift, already history, has to move.
            other = CUSTOMER_SERVICE if kind == WAREHOUSE else WAREHOUSE
            if state.week_of(p, other) == year.slot_week[kinds[kind][0]]:
                del kinds[kind]
        if len(kinds) == 2 and year.slot_week[kinds[WAREHOUSE][0]] == year.slot_week[kinds[CUSTOMER_SERVICE][0]]:
            del kinds[CUSTOMER_SERVICE]
        candidates.extend((p, kind, s, uid) for kind, (s, uid) in kinds.items())
    if not candidates:
        return published

    groups: dict[tuple[int, int, int], list[tuple[int, str, int, str]]] = defaultdict(list)
    for candidate in sorted(candidates):
        p, _, s, _ = candidate
        groups[(int(year.department_of[p]), int(year.slot_week[s]), s)].append(candidate)
    department_weeks = sorted({(d, w) for d, w, _ in groups})
    slots = sorted({s for _, _, s in groups})
    source, sink = 0, 1
    week_node = {key: 2 + i for i, key in enumerate(department_weeks)}
    slot_node = {s: 2 + len(department_weeks) + i for i, s in enumerate(slots)}
    flow = min_cost_flow.SimpleMinCostFlow()
    cap_left = state.cap_left()
    for d, w in department_weeks:
        flow.add_arc_with_capacity_and_unit_cost(source, week_node[(d, w)], int(cap_left[d, w]), 0)
    group_arcs = [flow.add_arc_with_capacity_and_unit_cost(
        week_node[(d, w)], slot_node[s], len(members), 0 if year.slots[s].kind == WAREHOUSE else 1)
        for (d, w, s), members in groups.items()]
    for s in slots:
        flow.add_arc_with_capacity_and_unit_cost(slot_node[s], sink, int(state.seats_left[s]), 0)
    flow.set_node_supply(source, len(candidates))
    flow.set_node_supply(sink, -len(candidates))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"The min-cost flow solver stopped with status {status}.")
    kept: dict[str, tuple[list[int], list[int]]] = {kind: ([], []) for kind in SLOT_KINDS}
    for members, arc in zip(groups.values(), group_arcs, strict=True):
        for p, kind, s, uid in members[:flow.flow(arc)]:
            kept[kind][0].append(p)
            kept[kind][1].append(s)
            state.kept_uid[(p, kind)] = uid
    for kind, (people, slots_kept) in kept.items():
        state.place(kind, people, slots_kept)
    return published


def _warehouse_exclusions(year: PlanningYear, state: PlanState, demand: Iterable[int]) -> dict[int, set[int]]:
    """ISO weeks a person's warehouse week must avoid: the week of their kept customer-service day, or
    the only week in which their blackouts leave them a customer-service day."""
    calendar = year.calendars[CUSTOMER_SERVICE]
    all_weeks = set(calendar.unit_week.tolist())
    free_weeks_of: dict[frozenset[int], set[int]] = {}
    exclusions: dict[int, set[int]] = {}
    for p in demand:
        kept_day_week = state.week_of(p, CUSTOMER_SERVICE)
        blocked = year.blocked[CUSTOMER_SERVICE][p]
        if kept_day_week is not None:
            exclusions[p] = {kept_day_week}
        elif blocked:
            if blocked not in free_weeks_of:
                free_weeks_of[blocked] = all_weeks - calendar.fully_blocked_weeks(blocked)
            if len(free_weeks_of[blocked]) == 1:
                exclusions[p] = set(free_weeks_of[blocked])
    return exclusions


@dataclass
class _Outcome:
    lower_bound: int
    rounds: int
    unplaced: list[int]


def _plan_kind(year: PlanningYear, state: PlanState, kind: str, demand: list[int], excluded: dict[int, set[int]],
               unplaced_cost: int) -> _Outcome:
    """Place ``demand`` in slots of ``kind``; ``excluded`` holds the ISO weeks each person must avoid.

    Round one solves the cap-free week flow (its optimum is the stage's lower
    bound), takes out whoever would put a department over its cap in a week, and
    seats the rest with the slot flow. Later rounds plan whoever is left with the
    cap-exact pooled week flow: first the people taken out and the people the
    slot flow could not seat in their week (banned from that week from then on),
    then, on the seats still free, the people round one found no week for. Each
    later round bans a week or settles everyone it plans, so the loop ends.
    """
    banned: dict[int, set[int]] = defaultdict(set)
    classes = group_classes(year, state, kind, demand, excluded, banned, by_department=False)
    choice = relaxed_weeks(year, state, kind, classes, unplaced_cost)
    taken_out = over_cap(year, state, choice.weeks)
    for p in taken_out:
        del choice.weeks[p]
    pending = sorted(taken_out + _seat(year, state, kind, choice.weeks, banned, unplaced_cost))
    later, unplaced = choice.not_routed, []
    rounds = 1
    while pending or later:
        if not pending:
            pending, later = later, []
        rounds += 1
        classes = group_classes(year, state, kind, pending, excluded, banned, by_department=True)
        pooled = pooled_weeks(year, state, kind, classes, unplaced_cost)
        unplaced.extend(pooled.not_routed)
        pending = _seat(year, state, kind, pooled.weeks, banned, unplaced_cost)
    return _Outcome(lower_bound=choice.cost, rounds=rounds, unplaced=sorted(unplaced))


def _seat(year: PlanningYear, state: PlanState, kind: str, weeks: dict[int, int], banned: dict[int, set[int]],
          unplaced_cost: int) -> list[int]:
    """Seat people in their weeks; ban each one who could not be seated from that week and return them."""
    failed = seat_in_weeks(year, state, kind, weeks, unplaced_cost)
    for p in failed:
        banned[p].add(weeks[p])
    return failed


def _result(year: PlanningYear, state: PlanState, published: dict[tuple[int, str], str],
            outcomes: dict[str, _Outcome], unplaced_cost: int) -> PlanResult:
    assignments: list[PlannedAssignment] = []
    for p, person in enumerate(year.people):
        for kind in SLOT_KINDS:
            s = state.slot_of[kind].get(p)
            if s is not None:
                kept_uid = state.kept_uid.get((p, kind))
                assignments.append(PlannedAssignment(
                    person_id=person.id, kind=kind, slot_id=year.slots[s].id, kept=kept_uid is not None,
                    uid=kept_uid, replaces_uid=None if kept_uid is not None else published.get((p, kind))))
    reasons = UnplacedReasons(year, state)
    unplaced = sorted((UnplacedPerson(person_id=year.people[p].id, employee_id=year.people[p].employee_id,
                                      kind=kind, reason=reasons.reason(p, kind))
                       for kind in SLOT_KINDS for p in outcomes[kind].unplaced),
                      key=lambda entry: (entry.person_id, entry.kind))
    stages = [_stage_report(year, state, kind, outcomes[kind], unplaced_cost) for kind in (WAREHOUSE, CUSTOMER_SERVICE)]
    kept = len(state.kept_uid)
    moved_and_placed = sum(1 for (p, kind) in published
                           if (p, kind) not in state.kept_uid and p in state.slot_of[kind])
    return PlanResult(
        assignments=assignments, unplaced=unplaced, kept=kept, moved=len(published) - kept,
        new=len(assignments) - kept - moved_and_placed,
        objective=sum(stage.objective for stage in stages), lower_bound=sum(stage.lower_bound for stage in stages),
        unplaced_cost=unplaced_cost, stages=stages)


def _stage_report(year: PlanningYear, state: PlanState, kind: str, outcome: _Outcome,
                  unplaced_cost: int) -> StageReport:
    """The stage's cost (tiers, slot and week load, unplaced) and its bound: what the kept assignments
    cost on their own plus round one's cap-free relaxation, which planned everyone else on top of them."""
    placed = state.slot_of[kind]
    slots = year.calendars[kind].open_slots
    kept = [(p, s) for p, s in placed.items() if (p, kind) in state.kept_uid]
    open_kept = [(p, s) for p, s in kept if year.slot_open[s]]
    kept_slots: dict[int, int] = defaultdict(int)
    kept_weeks: dict[int, int] = defaultdict(int)
    for _, s in open_kept:
        kept_slots[s] += 1
        kept_weeks[int(year.slot_week[s])] += 1
    taken, _ = state.week_load(kind)
    seats = year.week_seats[kind]
    objective = (year.tier_costs(list(placed), list(placed.values()))
                 + sum(load_cost(int(state.occupancy[s]), year.slots[s].seats) for s in slots)
                 + sum(load_cost(int(taken[w]), int(seats[w])) for w in range(len(year.weeks)))
                 + unplaced_cost * len(outcome.unplaced))
    lower_bound = (year.tier_costs([p for p, _ in kept], [s for _, s in kept])
                   + sum(load_cost(n, year.slots[s].seats) for s, n in kept_slots.items())
                   + sum(load_cost(n, int(seats[w])) for w, n in kept_weeks.items())
                   + outcome.lower_bound)
    return StageReport(kind=kind, objective=objective, lower_bound=lower_bound, placed=len(placed),
                       unplaced=len(outcome.unplaced), rounds=outcome.rounds)
