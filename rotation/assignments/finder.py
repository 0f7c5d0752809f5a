"""The slot finder: where one shift could go, ranked as the planner ranks it, checked before anything changes.

HR's move of an assignment, HR's approval of a change request and a manager's
own request to move share it. A search is a range of days and a site (by
default a few weeks around the shift's day, or the day asked for, at the
person's home site when it runs this kind of shift). It lists the slots of the
shift's kind and year with a free seat, cheapest first by the planner's own
costs (``TIER_COSTS`` for home site, home region, elsewhere, plus the load cost
of the next seat, ``LOAD_SCALE``), then nearest the middle of the days searched. A slot
that breaks a hard rule for the person (a blackout, the other shift's week, the
department's share) is listed last with the rule's sentence and cannot be
chosen; a full one is not listed. The rules are ``move_assignment``'s own.

A search costs a fixed handful of queries, however many slots the year has.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from rotation.assignments.changes import (
    ANNOUNCED,
    HOME_REGION,
    HOME_SITE,
    limits_for,
    problem_with_changing,
    seat_taken_by,
    seats_taken_in,
)
from rotation.assignments.models import CONFIRMED, MOVE, WITHDRAW, Assignment
from rotation.db import utc_today
from rotation.extensions import db
from rotation.planning.model import ANYWHERE, HOME, LOAD_SCALE, REGION, TIER_COSTS
from rotation.sites.models import SLOT_KIND_FOR_SITE, Site, Slot

PER_PAGE = 15
# A search spans this many days either side of its day by default, and at most MAX_DAYS in all.
AROUND = 21
MAX_DAYS = 120
ANY_SITE = "any"
_TIERS = {HOME_SITE: HOME, HOME_REGION: REGION}


@dataclass(frozen=True)
class Candidate:
    """One slot the shift could go to: where, the seats left, the planner's cost, and the hard rule it
    breaks (None when it keeps them all and may be chosen)."""

    slot: Slot
    site: Site
    seats_left: int
    where: str  # home site, home region, outside home region, or "" when the person has no home site
    cost: int
    problem: str | None = None

    @property
    def choosable(self) -> bool:
        return self.problem is None and self.seats_left > 0

    @property
    def tier(self) -> int:
        return _TIERS.get(self.where, ANYWHERE)

    @property
    def note(self) -> str:
        """E.g. ``home site · 2 seats left``."""
        seats = f"{self.seats_left} seat{'s' if self.seats_left != 1 else ''} left"
        return f"{self.where} · {seats}" if self.where else seats


@dataclass(frozen=True)
class Search:
    """The days and the site searched (``site_code`` empty: every site), and the page of results."""

    start: date
    end: date
    site_code: str
    page: int = 1

    def arguments(self, page: int | None = None) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "site": self.site_code or ANY_SITE,
                "page": str(page or self.page)}


@dataclass
class Found:
    """One page of a search's candidates, with the search, the sites it may name, and problems with its input."""

    search: Search
    candidates: list[Candidate]
    total: int
    pages: int
    sites: list[tuple[str, str]]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.search.page > 1

    @property
    def has_next(self) -> bool:
        return self.search.page < self.pages


@dataclass(frozen=True)
class Preview:
    """What moving a shift to one slot would do, told before it is done."""

    candidate: Candidate | None  # None: the slot is not of this shift's kind and year, or is over
    problem: str | None
    warnings: list[str]
    announced: bool  # the person was told of the shift: they get the updated invitation
    must_reconfirm: bool
    drops_proposal: str | None  # the draft plan's pending move or withdrawal this change drops, in words
    better: Candidate | None = None  # a cheaper choosable slot in the same week, when there is one


def search_from(arguments: Mapping[str, str], assignment: Assignment,
                around: date | None = None) -> tuple[Search, dict[str, str]]:
    """The search the address asks for, defaults filling what it leaves out; problems with the input by field."""
    home = _home_site(assignment)
    anchor = around or db.session.get_one(Slot, assignment.slot_id).first_day
    errors: dict[str, str] = {}
    start = _day(arguments.get("start"), "start", errors) or anchor - timedelta(days=AROUND)
    end = _day(arguments.get("end"), "end", errors) or anchor + timedelta(days=AROUND)
    if end < start:
        errors["end"] = "The last day comes before the first; swap them."
        end = start + timedelta(days=2 * AROUND)
    elif (end - start).days > MAX_DAYS:
        errors["end"] = f"Search at most {MAX_DAYS} days at a time; showing {MAX_DAYS} days from the first."
        end = start + timedelta(days=MAX_DAYS)
    site = (arguments.get("site") or "").strip()
    if site == ANY_SITE:
        site = ""
    elif not site:
        site = home.code if home is not None and SLOT_KIND_FOR_SITE[home.kind] == assignment.kind else ""
    try:
        page = max(1, min(int(arguments.get("page") or 1), 10_000))
    except ValueError:
        page = 1
    return Search(start=start, end=end, site_code=site, page=page), errors


def find_slots(assignment: Assignment, search: Search, errors: dict[str, str] | None = None,
               today: date | None = None) -> Found:
    """One page of the slots ``assignment`` could move to within ``search``, best first (see the module)."""
    today = today or utc_today()
    site_kinds = [kind for kind, slot_kind in SLOT_KIND_FOR_SITE.items() if slot_kind == assignment.kind]
    sites = [(code, name) for code, name in db.session.execute(
        sa.select(Site.code, Site.name).where(Site.kind.in_(site_kinds)).order_by(Site.code)).tuples()]
    errors = dict(errors or {})
    if search.site_code and search.site_code not in {code for code, _ in sites}:
        errors["site"] = (f"No site with {_kind_words(assignment)}s has the code {search.site_code}; "
                          "choose one from the list.")
    if problem_with_changing(assignment, today) or errors.get("site"):
        return Found(search, [], 0, 1, sites, errors)
    candidates = _candidates(assignment, search, today)
    pages = max(1, -(-len(candidates) // PER_PAGE))
    page = min(search.page, pages)
    shown = candidates[(page - 1) * PER_PAGE: page * PER_PAGE]
    return Found(Search(search.start, search.end, search.site_code, page), shown, len(candidates), pages, sites,
                 errors)


def preview(assignment: Assignment, slot: Slot, today: date | None = None, compare: bool = False) -> Preview:
    """What moving ``assignment`` to ``slot`` would do and whether it may; with ``compare``, also a cheaper
    free slot of the same ISO week, so a worse one is never chosen unawares."""
    today = today or utc_today()
    problem = problem_with_changing(assignment, today)
    candidate = None
    if problem is None:
        found = _candidates(assignment, Search(slot.first_day, slot.first_day, ""), today, only_slot=slot.id,
                            keep_full=True)
        candidate = found[0] if found else None
        if slot.id == assignment.slot_id:
            problem = "It is already in this slot; choose another one."
        elif candidate is None:
            problem = "That slot is not one this shift can move to: another kind, another year, or already begun."
        elif candidate.seats_left <= 0:
            problem = "That slot is full: every seat is taken."
        else:
            problem = candidate.problem
    warnings: list[str] = []
    if candidate is not None:
        warnings = limits_for(assignment).warnings(candidate.site)
    better = None
    if compare and candidate is not None:
        monday = slot.first_day - timedelta(days=slot.first_day.weekday())
        week = _candidates(assignment, Search(monday, monday + timedelta(days=6), ""), today)
        free = [each for each in week if each.choosable]
        best = min(free, key=lambda each: (each.cost, abs((each.slot.first_day - slot.first_day).days)),
                   default=None)
        if best is not None and best.tier < candidate.tier:
            better = best
    drops = {MOVE: "the move the latest draft plan proposes for it", WITHDRAW:
             "the withdrawal the latest draft plan proposes for it"}.get(assignment.proposal or "")
    return Preview(candidate=candidate, problem=problem, warnings=warnings,
                   announced=assignment.status in ANNOUNCED, must_reconfirm=assignment.status == CONFIRMED,
                   drops_proposal=drops, better=better)


def ranked_slots(assignment: Assignment, search: Search, today: date | None = None) -> list[Candidate]:
    """Every slot with a free seat ``assignment`` could move to within ``search``, best first (see the module)."""
    return _candidates(assignment, search, today or utc_today())


def _candidates(assignment: Assignment, search: Search, today: date, only_slot: int | None = None,
                keep_full: bool = False) -> list[Candidate]:
    limits = limits_for(assignment)
    taken = seats_taken_in(assignment.year, assignment.kind)
    first = max(search.start, date(assignment.year, 1, 1), today + timedelta(days=1))
    last = min(search.end, date(assignment.year, 12, 31))
    statement = (sa.select(Slot, Site).join(Site, Site.id == Slot.site_id)
                 .where(Slot.kind == assignment.kind, Slot.first_day.between(first, last)))
    if only_slot is not None:
        statement = statement.where(Slot.id == only_slot)
    else:
        statement = statement.where(Slot.id != assignment.slot_id)
    if search.site_code:
        statement = statement.where(Site.code == search.site_code)
    found = []
    for slot, site in db.session.execute(statement).tuples():
        taken_seats = taken.get(slot.id, 0) - seat_taken_by(assignment, slot.id)
        if taken_seats >= slot.seats and not keep_full:
            continue
        where = limits.where(site)
        cost = TIER_COSTS[_TIERS.get(where, ANYWHERE)] + LOAD_SCALE * taken_seats // max(slot.seats, 1)
        found.append(Candidate(slot, site, slot.seats - taken_seats, where, cost, limits.broken_rule(slot, site)))
    # Equal costs: the slot nearest the middle of the days searched first (a search is centred on the shift's
    # day or the day asked for), then the earlier.
    middle = search.start + (search.end - search.start) / 2
    return sorted(found, key=lambda each: (each.problem is not None, each.cost,
                                           abs((each.slot.first_day - middle).days), each.slot.first_day,
                                           each.site.code, each.slot.id))


def _home_site(assignment: Assignment) -> Site | None:
    home_id = assignment.person.home_site_id
    return db.session.get(Site, home_id) if home_id is not None else None


def _day(value: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "Enter a day as YYYY-MM-DD."
        return None


def _kind_words(assignment: Assignment) -> str:
    return assignment.kind_label.lower()
