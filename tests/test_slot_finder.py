"""The slot finder's ranking and checks: home site first, then the home region, then elsewhere, the least busy first
within each; full slots left out; a slot a blackout covers listed with the reason and not choosable."""
from __future__ import annotations

import pytest

from rotation.assignments.finder import PER_PAGE, Search, find_slots, preview
from rotation.blackouts.models import Blackout
from rotation.extensions import db
from tests.fixtures.shifts import assign, day, slot_at
from tests.helpers import count_queries

# Every test here computes with one fixed day (see tests/fixtures/clock.py).


@pytest.fixture
def company(five_managers):
    return five_managers


def week(number: int, site: str = "") -> Search:
    return Search(start=day(number), end=day(number, 7), site_code=site)


def test_home_site_then_region_then_elsewhere_and_full_slots_left_out(company):
    ann, cai, dina = company["managers"][0], company["managers"][2], company["managers"][3]  # other departments
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    assign(cai, slot_at("HEL-CC", day(20, 2)))  # one of Helsinki's two seats that Tuesday
    assign(dina, slot_at("AMS-CC", day(20, 3)))  # Amsterdam's only seat that Wednesday
    found = find_slots(shift, week(20))
    where = [candidate.where for candidate in found.candidates]
    assert where == sorted(where, key=["home site", "home region", "outside home region"].index)
    assert set(where) == {"home site", "home region", "outside home region"}
    by_place = [(c.site.code, c.slot.first_day) for c in found.candidates]
    # The busier Tuesday at home comes after the empty home days, still before the region.
    home_days = [first for code, first in by_place if code == "HEL-CC"]
    assert home_days[-1] == day(20, 2) and len(home_days) == 5
    assert ("AMS-CC", day(20, 3)) not in by_place  # full
    assert all(candidate.choosable for candidate in found.candidates)
    assert found.total == 14 and found.pages == 1


def test_a_blackout_shows_its_reason_and_cannot_be_chosen(company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    db.session.add(Blackout(person_id=ann.id, start=day(20, 2), end=day(20, 3), reason="Board meeting"))
    db.session.commit()
    found = find_slots(shift, week(20, "HEL-CC"))
    blocked = [c for c in found.candidates if not c.choosable]
    assert sorted(c.slot.first_day for c in blocked) == [day(20, 2), day(20, 3)]
    assert found.candidates[-2:] == blocked
    assert found.candidates[0].choosable  # listed last
    assert blocked[0].problem == f"Ann Aalto has a blackout from {day(20, 2)} to {day(20, 3)} (Board meeting)."
    refused = preview(shift, blocked[0].slot)
    assert refused.problem == blocked[0].problem


def test_approving_a_worse_slot_is_told_of_the_better_one_that_week(company):
    ann = company["managers"][0]
    shift = assign(ann, slot_at("HEL-CC", day(10)))
    far = preview(shift, slot_at("AMS-CC", day(20, 3)), compare=True)
    assert far.problem is None and far.better is not None
    assert (far.better.site.code, far.better.slot.first_day, far.better.where) == ("HEL-CC", day(20, 3), "home site")
    assert far.warnings == ["Ann Aalto is not at their home site HEL-CC.",
                            "AMS-CC is outside Ann Aalto's home region Nordics."]
    home = preview(shift, slot_at("HEL-CC", day(20, 3)), compare=True)
    assert home.better is None and home.warnings == []


def test_a_search_pages_and_costs_a_fixed_number_of_queries(company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    wide = Search(start=day(20), end=day(30), site_code="")
    find_slots(shift, wide)
    with count_queries() as few:
        first = find_slots(shift, wide)
    assert first.total > PER_PAGE and len(first.candidates) == PER_PAGE and first.has_next
    last = find_slots(shift, Search(wide.start, wide.end, "", page=first.pages))
    assert last.has_previous and not last.has_next
    with count_queries() as narrow:
        find_slots(shift, week(20, "HEL-CC"))
    assert len(few) == len(narrow) <= 10, few
