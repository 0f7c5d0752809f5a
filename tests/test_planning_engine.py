"""The planning engine on generated companies, checked rule by rule from the result alone.

No Flask and no database: ``plan_year`` takes and returns plain dataclasses.
``check_hard_rules`` below recomputes every hard rule of the contract from the
request and the result, independently of the engine's own bookkeeping.
"""
from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, timedelta

import pytest

from rotation.planning.engine import plan_year
from rotation.planning.model import (
    CUSTOMER_SERVICE,
    REGION,
    TIER_COSTS,
    WAREHOUSE,
    DateRange,
    PlannedAssignment,
    PlanPerson,
    PlanRequest,
    PlanResult,
    PlanSlot,
    PublishedAssignment,
)

YEAR = 2026


# --- Generated companies ----------------------------------------------------------------------


def working_days(year: int) -> list[date]:
    day, days = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def mondays(year: int) -> list[date]:
    return [day for day in working_days(year) if day.weekday() == 0]


def department_sizes(rng: random.Random, people: int, largest: int) -> list[int]:
    """Many small departments (cap 1), some middling, a few large, adding up to ``people``."""
    sizes: list[int] = []
    while sum(sizes) < people:
        roll = rng.random()
        if roll < 0.55:
            size = rng.randint(1, 9)
        else:
            size = rng.randint(10, 40) if roll < 0.9 else rng.randint(41, max(41, largest))
        sizes.append(min(size, people - sum(sizes)))
    return sizes


def make_company(seed: int, people: int = 400, *, contact_centres: int = 3, warehouses: int = 4,
                 seat_ratio: float = 1.6, blackout_share: float = 0.2, site_blackouts: bool = True,
                 company_blackouts: bool = True, homeless_share: float = 0.1, largest_department: int = 120,
                 single_home_departments: bool = False, year: int = YEAR) -> PlanRequest:
    """A company of ``people`` rotation members, its sites' slots for ``year`` and its blackouts.

    Regions east and west of UTC don't matter to the engine (it plans in dates),
    so sites just alternate between two regions. Slots are generated for every
    working day and week, blackouts or not: the engine must keep out of them.
    """
    rng = random.Random(seed)
    regions = ["east", "west", "north"]
    sites: list[tuple[int, str, str]] = []  # (id, kind, region)
    for i in range(contact_centres):
        sites.append((100 + i, CUSTOMER_SERVICE, regions[i % 2]))
    for i in range(warehouses):
        sites.append((200 + i, WAREHOUSE, regions[(i + 1) % 3]))
    region_of = {site: region for site, _, region in sites}

    days, weeks = working_days(year), mondays(year)
    day_seats = max(1, math.ceil(people * seat_ratio / (contact_centres * len(days))))
    week_seats = max(1, math.ceil(people * seat_ratio / (warehouses * len(weeks))))
    slots: list[PlanSlot] = []
    for site, kind, region in sites:
        if kind == CUSTOMER_SERVICE:
            slots.extend(PlanSlot(len(slots) + 1, site, region, kind, day, day, day_seats) for day in days)
        else:
            slots.extend(PlanSlot(len(slots) + 1, site, region, kind, monday, monday + timedelta(4), week_seats)
                         for monday in weeks)

    persons: list[PlanPerson] = []
    sizes = department_sizes(rng, people, largest_department)
    for number, size in enumerate(sizes):
        department = f"D{number:04d}"
        department_home = rng.choice(sites)[0]
        for _ in range(size):
            if single_home_departments:
                home: int | None = department_home
            else:
                home = None if rng.random() < homeless_share else rng.choice(sites)[0]
            persons.append(PlanPerson(id=1000 + len(persons), employee_id=f"E{len(persons):06d}",
                                      department=department, home_site_id=home,
                                      region=region_of[home] if home is not None else None))

    person_blackouts: dict[int, list[DateRange]] = {}
    for person in persons:
        if rng.random() < blackout_share:
            ranges = []
            for _ in range(rng.randint(1, 3)):
                start = date(year, 1, 1) + timedelta(days=rng.randint(0, 360))
                ranges.append(DateRange(start, start + timedelta(days=rng.choice([0, 1, 2, 4, 9, 20]))))
            person_blackouts[person.id] = ranges
    site_ranges: dict[int, list[DateRange]] = {}
    if site_blackouts:
        for site, _, _ in sites[::2]:
            start = date(year, 1, 1) + timedelta(days=rng.randint(0, 340))
            site_ranges[site] = [DateRange(start, start + timedelta(days=rng.randint(0, 13)))]
    company = [DateRange(date(year, 12, 21), date(year, 12, 31)),
               DateRange(date(year, 7, 13), date(year, 7, 17))] if company_blackouts else []
    return PlanRequest(
        year=year, people=persons, slots=slots, person_blackouts=person_blackouts, site_blackouts=site_ranges,
        company_blackouts=company, department_sizes=dict(Counter(person.department for person in persons)))


def published_from(result: PlanResult) -> list[PublishedAssignment]:
    """The plan as it would be after publishing: every assignment with a uid."""
    return [PublishedAssignment(a.person_id, a.kind, a.slot_id, a.uid or f"uid-{a.person_id}-{a.kind}")
            for a in result.assignments]


# --- The independent checker ------------------------------------------------------------------


def days_of(slot: PlanSlot) -> list[date]:
    return [slot.first_day + timedelta(days=i) for i in range((slot.last_day - slot.first_day).days + 1)]


def in_any(day: date, ranges: list[DateRange]) -> bool:
    return any(blackout.start <= day <= blackout.end for blackout in ranges)


def check_hard_rules(request: PlanRequest, result: PlanResult) -> None:
    """Assert every hard rule of the contract from the request and the result alone."""
    people = {person.id: person for person in request.people}
    slots = {slot.id: slot for slot in request.slots}
    seen: set[tuple[int, str]] = set()
    taken: Counter[int] = Counter()
    iso_weeks: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    on_shift: Counter[tuple[str, tuple[int, int]]] = Counter()
    for assignment in result.assignments:
        person, slot = people[assignment.person_id], slots[assignment.slot_id]
        assert slot.kind == assignment.kind
        assert (person.id, slot.kind) not in seen, f"{person.employee_id} has two {slot.kind} shifts"
        seen.add((person.id, slot.kind))
        taken[slot.id] += 1
        for day in days_of(slot):
            assert not in_any(day, request.person_blackouts.get(person.id, [])), f"{person.employee_id} on {day}"
            assert not in_any(day, request.site_blackouts.get(slot.site_id, [])), f"site {slot.site_id} on {day}"
            if person.home_site_id is not None:
                assert not in_any(day, request.site_blackouts.get(person.home_site_id, []))
            assert not in_any(day, request.company_blackouts), f"company blackout on {day}"
        week = slot.first_day.isocalendar()[:2]
        assert slot.last_day.isocalendar()[:2] == week
        iso_weeks[person.id][slot.kind] = week
        on_shift[(person.department, week)] += 1
    for slot_id, count in taken.items():
        assert count <= slots[slot_id].seats, f"slot {slot_id} has {count} people for {slots[slot_id].seats} seats"
    for person_id, weeks in iso_weeks.items():
        if len(weeks) == 2:
            assert weeks[CUSTOMER_SERVICE] != weeks[WAREHOUSE], f"person {person_id} twice in {weeks[WAREHOUSE]}"
    counted = Counter(person.department for person in request.people)
    sizes = {d: request.department_sizes.get(d, n) for d, n in counted.items()}
    for (department, week), count in on_shift.items():
        assert count <= max(1, sizes[department] // 5), f"{department} has {count} people in {week}"
    unplaced = {(entry.person_id, entry.kind) for entry in result.unplaced}
    assert not unplaced & seen
    assert all(entry.reason for entry in result.unplaced)
    for person in request.people:
        for kind in (CUSTOMER_SERVICE, WAREHOUSE):
            assert ((person.id, kind) in seen) != ((person.id, kind) in unplaced), f"{person.id} {kind} lost"
    published = {(p.person_id, p.kind): (p.slot_id, p.uid) for p in request.published}
    for assignment in result.assignments:
        if assignment.kept:
            assert published[(assignment.person_id, assignment.kind)] == (assignment.slot_id, assignment.uid)
        else:
            assert assignment.uid is None
    assert result.lower_bound <= result.objective


def by_key(result: PlanResult) -> dict[tuple[int, str], PlannedAssignment]:
    return {(a.person_id, a.kind): a for a in result.assignments}


# --- Hard rules -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_every_hard_rule_holds_on_generated_companies(seed):
    request = make_company(seed, people=500)
    result = plan_year(request)
    check_hard_rules(request, result)
    assert result.new == len(result.assignments) and result.kept == result.moved == 0


@pytest.mark.parametrize("seed", [11, 12])
def test_hard_rules_hold_when_seats_are_short(seed):
    request = make_company(seed, people=400, seat_ratio=0.8, blackout_share=0.5)
    result = plan_year(request)
    check_hard_rules(request, result)
    assert result.unplaced, "a company with fewer seats than people must report someone"
    assert len(result.assignments) + len(result.unplaced) == 2 * len(request.people)


def test_nobody_who_is_not_passed_in_is_planned():
    request = make_company(21, people=200)
    first = plan_year(request)
    leavers = {person.id for person in request.people[::7]}
    stayers = [person for person in request.people if person.id not in leavers]
    again = replace(request, people=stayers, published=published_from(first))
    result = plan_year(again)
    check_hard_rules(again, result)
    assert not {a.person_id for a in result.assignments} & leavers
    assert not {entry.person_id for entry in result.unplaced} & leavers
    assert result.moved == 0 and result.kept == len(result.assignments)


# --- Stability --------------------------------------------------------------------------------


def test_replanning_a_published_plan_moves_nobody():
    request = make_company(31, people=400)
    first = plan_year(request)
    published = published_from(first)
    replanned = replace(request, published=published)
    again = plan_year(replanned)
    check_hard_rules(replanned, again)
    assert again.moved == 0 and again.new == 0 and again.kept == len(published)
    uids = {(p.person_id, p.kind): (p.slot_id, p.uid) for p in published}
    assert {key: (a.slot_id, a.uid) for key, a in by_key(again).items()} == uids
    assert all(a.kept for a in again.assignments)


def test_a_new_blackout_moves_exactly_the_assignments_it_hits():
    request = make_company(32, people=400)
    published = published_from(plan_year(request))
    slots = {slot.id: slot for slot in request.slots}
    days = [p for p in published if p.kind == CUSTOMER_SERVICE]
    hit = days[:15] + [p for p in published if p.kind == WAREHOUSE][-10:]
    blackouts = {person: list(ranges) for person, ranges in request.person_blackouts.items()}
    for assignment in hit:
        slot = slots[assignment.slot_id]
        # One day is enough to block a whole warehouse week: the Wednesday.
        day = slot.first_day + timedelta(days=2 if assignment.kind == WAREHOUSE else 0)
        blackouts.setdefault(assignment.person_id, []).append(DateRange(day, day))
    changed = replace(request, person_blackouts=blackouts, published=published)
    result = plan_year(changed)
    check_hard_rules(changed, result)
    assert result.moved == len(hit)
    hit_keys = {(p.person_id, p.kind) for p in hit}
    planned = by_key(result)
    for assignment in published:
        key = (assignment.person_id, assignment.kind)
        if key in hit_keys:
            assert not planned[key].kept and planned[key].replaces_uid == assignment.uid
        else:
            assert planned[key].kept and (planned[key].slot_id, planned[key].uid) == (assignment.slot_id,
                                                                                      assignment.uid)


def test_a_site_blackout_moves_only_the_shifts_at_that_site_in_it():
    request = make_company(33, people=300, site_blackouts=False)
    published = published_from(plan_year(request))
    slots = {slot.id: slot for slot in request.slots}
    warehouse = next(slot.site_id for slot in request.slots if slot.kind == WAREHOUSE)
    closed = DateRange(date(YEAR, 3, 2), date(YEAR, 3, 20))
    hit = [p for p in published if slots[p.slot_id].site_id == warehouse
           and closed.overlaps(slots[p.slot_id].first_day, slots[p.slot_id].last_day)]
    assert hit
    changed = replace(request, site_blackouts={warehouse: [closed]}, published=published)
    result = plan_year(changed)
    check_hard_rules(changed, result)
    # People whose home is that warehouse are blocked too, so their other shifts in it move as well.
    homed = {person.id for person in request.people if person.home_site_id == warehouse}
    also = [p for p in published if p.person_id in homed and p not in hit
            and closed.overlaps(slots[p.slot_id].first_day, slots[p.slot_id].last_day)]
    assert result.moved == len(hit) + len(also)


def test_a_company_blackout_moves_every_shift_in_it_and_nothing_else():
    request = make_company(36, people=300, company_blackouts=False)
    published = published_from(plan_year(request))
    slots = {slot.id: slot for slot in request.slots}
    closed = DateRange(date(YEAR, 5, 6), date(YEAR, 5, 12))  # Wednesday to Tuesday: two warehouse weeks
    hit = [p for p in published if closed.overlaps(slots[p.slot_id].first_day, slots[p.slot_id].last_day)]
    assert {slots[p.slot_id].kind for p in hit} == {CUSTOMER_SERVICE, WAREHOUSE}
    changed = replace(request, company_blackouts=[closed], published=published)
    result = plan_year(changed)
    check_hard_rules(changed, result)
    assert result.moved == len(hit)
    assert result.kept == len(published) - len(hit)


def test_fewer_seats_move_only_the_excess():
    request = make_company(34, people=400)
    first = plan_year(request)
    published = published_from(first)
    taken = Counter(a.slot_id for a in first.assignments)
    fullest = [slot_id for slot_id, _ in taken.most_common(3)]
    excess = dict.fromkeys(fullest, 2)
    slots = [replace(slot, seats=taken[slot.id] - excess[slot.id]) if slot.id in excess else slot
             for slot in request.slots]
    changed = replace(request, slots=slots, published=published)
    result = plan_year(changed)
    check_hard_rules(changed, result)
    assert result.moved == sum(excess.values())
    for slot_id in fullest:
        assert sum(1 for a in result.assignments if a.slot_id == slot_id and a.kept) == taken[slot_id] - 2


def test_a_published_day_in_the_week_of_the_warehouse_week_moves_the_day():
    request = make_company(35, people=100)
    first = plan_year(request)
    slots = {slot.id: slot for slot in request.slots}
    plan = by_key(first)
    person = request.people[0].id
    week = plan[(person, WAREHOUSE)]
    same_week_day = next(slot for slot in request.slots if slot.kind == CUSTOMER_SERVICE
                         and slot.first_day == slots[week.slot_id].first_day)
    published = [p for p in published_from(first) if (p.person_id, p.kind) != (person, CUSTOMER_SERVICE)]
    published.append(PublishedAssignment(person, CUSTOMER_SERVICE, same_week_day.id, "clash"))
    changed = replace(request, published=published)
    result = plan_year(changed)
    check_hard_rules(changed, result)
    assert result.moved == 1
    assert by_key(result)[(person, WAREHOUSE)].kept
    assert by_key(result)[(person, CUSTOMER_SERVICE)].replaces_uid == "clash"


# --- People who can't be placed ---------------------------------------------------------------


def test_someone_blacked_out_all_year_is_reported_not_dropped():
    request = make_company(41, people=120)
    away = request.people[5]
    blackouts = dict(request.person_blackouts)
    blackouts[away.id] = [DateRange(date(YEAR - 1, 12, 1), date(YEAR + 1, 1, 31))]
    changed = replace(request, person_blackouts=blackouts)
    result = plan_year(changed)
    check_hard_rules(changed, result)
    reasons = {entry.kind: entry.reason for entry in result.unplaced if entry.person_id == away.id}
    assert set(reasons) == {CUSTOMER_SERVICE, WAREHOUSE}
    assert all("blacked out for the whole year" in reason for reason in reasons.values())
    assert all(entry.person_id == away.id for entry in result.unplaced)
    assert result.unplaced[0].employee_id == away.employee_id


def test_without_seats_people_are_reported_with_full_slots():
    request = make_company(42, people=60, warehouses=1)
    warehouse_slots = [slot for slot in request.slots if slot.kind == WAREHOUSE][:3]
    slots = [slot for slot in request.slots if slot.kind == CUSTOMER_SERVICE]
    slots += [replace(slot, seats=5) for slot in warehouse_slots]
    changed = replace(request, slots=slots, company_blackouts=[], site_blackouts={}, person_blackouts={})
    result = plan_year(changed)
    check_hard_rules(changed, result)
    missing = [entry for entry in result.unplaced if entry.kind == WAREHOUSE]
    assert result.assigned(WAREHOUSE) + len(missing) == 60
    assert result.assigned(WAREHOUSE) <= 15
    assert all("full" in entry.reason or "cap" in entry.reason for entry in missing)
    assert any("is full at every site" in entry.reason for entry in missing)


def test_without_any_warehouse_week_everyone_is_told_so():
    request = make_company(44, people=30)
    changed = replace(request, slots=[slot for slot in request.slots if slot.kind == CUSTOMER_SERVICE])
    result = plan_year(changed)
    check_hard_rules(changed, result)
    assert result.assigned(CUSTOMER_SERVICE) == 30
    assert [entry.kind for entry in result.unplaced] == [WAREHOUSE] * 30
    assert all(entry.reason.startswith(f"no warehouse week is open in {YEAR}") for entry in result.unplaced)


def test_a_department_cap_leaves_people_out_with_that_reason():
    request = make_company(43, people=50, company_blackouts=False, site_blackouts=False)
    team = [PlanPerson(id=9000 + i, employee_id=f"T{i}", department="Tiny", home_site_id=None) for i in range(4)]
    only = [DateRange(date(YEAR, 1, 1), date(YEAR, 5, 31)), DateRange(date(YEAR, 6, 13), date(YEAR, 12, 31))]
    # Free only from 1 to 12 June: weeks 23 and 24, and the department (n = 4) may send one person a week.
    changed = replace(request, people=request.people + team,
                      person_blackouts={**request.person_blackouts, **{member.id: only for member in team}},
                      department_sizes={**request.department_sizes, "Tiny": 4})
    result = plan_year(changed)
    check_hard_rules(changed, result)
    left_out = [entry for entry in result.unplaced if entry.person_id >= 9000]
    assert len(left_out) == 8 - 2
    assert all("weekly cap of 1" in entry.reason or "free only in" in entry.reason for entry in left_out)
    assert any("weekly cap of 1" in entry.reason for entry in left_out)


# --- Soft costs -------------------------------------------------------------------------------


def test_the_home_site_is_chosen_when_it_has_room():
    request = make_company(51, people=300, seat_ratio=6, homeless_share=0, blackout_share=0.1)
    result = plan_year(request)
    check_hard_rules(request, result)
    people = {person.id: person for person in request.people}
    slots = {slot.id: slot for slot in request.slots}
    for assignment in result.assignments:
        person, slot = people[assignment.person_id], slots[assignment.slot_id]
        home_kind = next(s.kind for s in request.slots if s.site_id == person.home_site_id)
        if home_kind == assignment.kind:
            assert slot.site_id == person.home_site_id, f"{person.employee_id} is away from home"
        elif any(s.region == person.region for s in request.slots if s.kind == assignment.kind):
            assert slot.region == person.region


def test_load_is_spread_evenly_over_the_year():
    request = make_company(52, people=1500, seat_ratio=3, blackout_share=0, company_blackouts=False,
                           site_blackouts=False)
    result = plan_year(request)
    check_hard_rules(request, result)
    slots = {slot.id: slot for slot in request.slots}
    for kind in (CUSTOMER_SERVICE, WAREHOUSE):
        per_week = Counter(slots[a.slot_id].first_day.isocalendar()[:2] for a in result.assignments
                           if a.kind == kind)
        seats: Counter[tuple[int, int]] = Counter()
        for slot in request.slots:
            if slot.kind == kind:
                seats[slot.first_day.isocalendar()[:2]] += slot.seats
        mean = sum(per_week.values()) / len(seats)
        assert max(per_week.values()) <= mean * 1.1 + 1, (kind, max(per_week.values()), mean)
        # A short week (New Year's two days) rightly takes fewer people: compare how full each week is.
        fill = [per_week[week] / seats[week] for week in seats]
        average = sum(per_week.values()) / sum(seats.values())
        assert max(fill) <= average * 1.1 and min(fill) >= average * 0.9, (kind, min(fill), max(fill), average)


def test_the_plan_costs_next_to_nothing_above_its_lower_bound():
    for request in (make_company(53, people=600, single_home_departments=True),
                    make_company(54, people=600), make_company(55, people=600, seat_ratio=0.9)):
        result = plan_year(request)
        check_hard_rules(request, result)
        # At most one person in a hundred a step further from home than the bound allows.
        allowance = TIER_COSTS[REGION] * len(request.people) // 100
        assert result.lower_bound <= result.objective <= result.lower_bound + allowance
        for stage in result.stages:
            assert stage.lower_bound <= stage.objective


# --- Input and scale --------------------------------------------------------------------------


def test_a_warehouse_slot_must_run_monday_to_friday():
    request = make_company(61, people=10)
    odd = next(slot for slot in request.slots if slot.kind == WAREHOUSE)
    with pytest.raises(ValueError, match="Monday to the Friday"):
        plan_year(replace(request, slots=[replace(odd, last_day=odd.first_day + timedelta(6))]))


def test_ten_thousand_people_are_planned_quickly():
    request = make_company(71, people=10_000, contact_centres=4, warehouses=10, seat_ratio=1.3,
                           largest_department=400)
    started = time.perf_counter()
    result = plan_year(request)
    elapsed = time.perf_counter() - started
    check_hard_rules(request, result)
    assert elapsed < 15, f"{elapsed:.1f} s"
    assert len(result.assignments) + len(result.unplaced) == 20_000
    assert len(result.unplaced) < 50


def test_history_before_not_before_is_kept_and_nobody_is_placed_there():
    request = make_company(35, people=300)
    published = published_from(plan_year(request))
    slots = {slot.id: slot for slot in request.slots}
    cutoff = date(request.year, 7, 1)
    # Blackouts now cover every shift before the cut-off; the past still stands.
    blackouts = {person: list(ranges) for person, ranges in request.person_blackouts.items()}
    past = [p for p in published if slots[p.slot_id].first_day < cutoff]
    for assignment in past:
        slot = slots[assignment.slot_id]
        blackouts.setdefault(assignment.person_id, []).append(DateRange(slot.first_day, slot.last_day))
    leftover = [p for p in published if slots[p.slot_id].first_day >= cutoff][::3]
    changed = replace(request, person_blackouts=blackouts, published=past + leftover, not_before=cutoff)
    result = plan_year(changed)
    placed = by_key(result)
    for assignment in past:
        kept = placed[(assignment.person_id, assignment.kind)]
        assert kept.kept and (kept.slot_id, kept.uid) == (assignment.slot_id, assignment.uid)
    history = {(p.person_id, p.kind) for p in past}
    for key, assignment in placed.items():
        if key not in history:
            assert slots[assignment.slot_id].first_day >= cutoff, f"{key} placed in the past"
    weeks = defaultdict(dict)
    for (person_id, kind), assignment in placed.items():
        weeks[person_id][kind] = slots[assignment.slot_id].first_day.isocalendar()[:2]
    assert all(len(w) < 2 or w[CUSTOMER_SERVICE] != w[WAREHOUSE] for w in weeks.values())
    assert result.lower_bound <= result.objective
    assert len(result.assignments) + len(result.unplaced) == 2 * len(request.people)
