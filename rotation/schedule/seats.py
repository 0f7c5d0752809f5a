"""What the sites view reads: a page of sites, and their slots day by day with the seats used and who holds
them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa

from rotation.assignments.changes import effective_slot_id, holds_a_seat
from rotation.assignments.models import MOVE, STATUS_LABELS, Assignment
from rotation.extensions import db
from rotation.people.models import Person
from rotation.schedule.queries import WORKING_DAYS
from rotation.sites.models import Site, Slot

NAMES_SHOWN = 8  # holders named per slot in a week of the sites view; the site's own page names every one


def sites_statement() -> sa.Select:
    """Every site by code, for the sites view's pages."""
    return sa.select(Site).order_by(Site.code)


@dataclass(frozen=True)
class Holder:
    """Who holds a seat: the person and the shift to open."""

    name: str
    assignment_id: int
    status: str
    moving_in: bool  # the latest draft moves the shift here from another slot

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class SlotSeats:
    """One slot of a site on its first day: its seats, how many are used, and who holds the first of them by
    name (``NAMES_SHOWN`` at most; the site's page names them all)."""

    slot: Slot
    holders: list[Holder] = field(default_factory=list)
    used: int = 0

    @property
    def free(self) -> int:
        return max(self.slot.seats - self.used, 0)

    @property
    def unnamed(self) -> int:
        """Holders not named here."""
        return self.used - len(self.holders)

    @property
    def is_week(self) -> bool:
        return self.slot.first_day != self.slot.last_day


@dataclass
class SiteRow:
    """A site's slots in the period, by the day they start."""

    site: Site
    by_day: dict[date, list[SlotSeats]] = field(default_factory=dict)


def seats_by_site(first: date, last: date, sites: list[Site],
                  names: int = NAMES_SHOWN) -> tuple[list[date], list[SiteRow]]:
    """The days to show from ``first`` to ``last`` (working days, and any other day a slot starts on) and the
    slots of ``sites`` (a page of them) starting in them with who holds their seats, drafts included (at the slot
    a draft moves a shift to), as the site's own page counts them; the first ``names`` holders of each slot
    by name, or none and only the count when ``names`` is 0. Two queries: slots, holders."""
    slots = db.session.scalars(sa.select(Slot).where(Slot.first_day.between(first, last),
                                                     Slot.site_id.in_([site.id for site in sites]))
                               .order_by(Slot.first_day, Slot.site_id, Slot.kind, Slot.id)).all()
    seats = {slot.id: SlotSeats(slot) for slot in slots}
    if seats and names:
        _name_holders(seats, names)
    elif seats:
        slot_id = effective_slot_id()
        ids = list(seats)
        for held_at, held in db.session.execute(
                sa.select(slot_id, sa.func.count()).where(
                    holds_a_seat(), sa.or_(Assignment.slot_id.in_(ids), Assignment.proposed_slot_id.in_(ids)))
                .group_by(slot_id)).tuples():
            if held_at in seats:
                seats[held_at].used = held
    rows = {site.id: SiteRow(site) for site in sites}
    for slot in slots:
        rows[slot.site_id].by_day.setdefault(slot.first_day, []).append(seats[slot.id])
    starting = {slot.first_day for slot in slots}
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    days = [day for day in days if day.weekday() < WORKING_DAYS or day in starting]
    return days, list(rows.values())


def _name_holders(seats: dict[int, SlotSeats], names: int) -> None:
    """Every shift holding a seat at these slots, numbered by name within its slot and counted per slot, so that
    a page lists a few names a slot, not thousands."""
    ids = list(seats)
    slot_id = effective_slot_id()
    ranked = (
        sa.select(slot_id.label("slot_id"), Person.full_name.label("name"), Assignment.id.label("assignment_id"),
                  Assignment.status.label("status"), Assignment.proposal.label("proposal"),
                  sa.func.row_number().over(partition_by=slot_id, order_by=(Person.full_name, Assignment.id))
                  .label("place"),
                  sa.func.count().over(partition_by=slot_id).label("held"))
        .join(Person, Person.id == Assignment.person_id)
        .where(holds_a_seat(), sa.or_(Assignment.slot_id.in_(ids), Assignment.proposed_slot_id.in_(ids)))
        .subquery("ranked"))
    found = db.session.execute(
        sa.select(ranked.c.slot_id, ranked.c.name, ranked.c.assignment_id, ranked.c.status, ranked.c.proposal,
                  ranked.c.held)
        .where(ranked.c.place <= names).order_by(ranked.c.slot_id, ranked.c.place)).tuples()
    for held_at, name, assignment_id, status, proposal, held in found:
        if held_at in seats:
            seats[held_at].used = held
            seats[held_at].holders.append(Holder(name, assignment_id, status, proposal == MOVE))
