"""Publishing a year's draft: what it would change, and the change itself in one transaction.

Publishing turns every draft into a published assignment, applies every
proposed move and withdrawal, raises the sequence of each assignment whose time,
place or status the attendee sees change, and queues its message in the outbox
in the same transaction: an invitation for a new or moved shift, a cancellation
for a withdrawn one.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.models import (
    CANCELLED,
    CONFIRMED,
    DRAFT,
    MOVE,
    NOTICE_CANCEL,
    NOTICE_REQUEST,
    PUBLISHED,
    WITHDRAW,
    Assignment,
)
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.queue import cancellation_reaches, e_mailed, queue_assignment_notices
from rotation.people.models import Person
from rotation.plans.models import FINISHED, PlanRun
from rotation.plans.planner import PlanningError
from rotation.sites.models import Slot

# Announced shifts a publication may still move or withdraw.
STILL_TO_HAPPEN = (PUBLISHED, CONFIRMED)


@dataclass(frozen=True)
class DraftSummary:
    """What publishing ``year`` would do, and whether blackouts added since the last run stand in the way."""

    year: int
    new: int
    moves: int
    withdrawals: int
    collisions: int

    @property
    def changes(self) -> int:
        return self.new + self.moves + self.withdrawals


def summary_counts() -> tuple[sa.ColumnElement[int], ...]:
    """SQL: the drafts, moves, withdrawals and blackout collisions among the shifts selected, in that order."""
    def count(condition):
        return sa.func.count().filter(condition)

    return (count(Assignment.status == DRAFT), count(Assignment.proposal == MOVE),
            count(Assignment.proposal == WITHDRAW), count(Assignment.needs_replan.is_(True)))


def draft_summary(year: int) -> DraftSummary:
    """Count the drafts, proposals and blackout collisions of ``year`` in one query."""
    row = db.session.execute(
        sa.select(*summary_counts()).where(Assignment.year == year, Assignment.status != CANCELLED)).one()
    return DraftSummary(year=year, new=row[0], moves=row[1], withdrawals=row[2], collisions=row[3])


def publish_year(year: int, user_id: int | None) -> DraftSummary:
    """Publish ``year``'s draft and flush; return what was published.

    Raises ``PlanningError`` (and changes nothing) while blackouts added since the
    last run collide with shifts: the plan has to run again first.
    """
    summary = draft_summary(year)
    if summary.collisions:
        shifts = "shift collides" if summary.collisions == 1 else "shifts collide"
        raise PlanningError(f"{summary.collisions} {shifts} with blackouts added since the plan last ran. "
                            f"Run the plan of {year} again, then publish.")
    now = utcnow()
    of_year = Assignment.year == year
    # A shift that happened (completed, no-show) or was cancelled is never moved or withdrawn.
    db.session.execute(
        sa.update(Assignment).where(of_year, Assignment.status == DRAFT)
        .values(status=PUBLISHED, notice=NOTICE_REQUEST, updated_at=now))
    db.session.execute(
        sa.update(Assignment).where(of_year, Assignment.status.in_(STILL_TO_HAPPEN), Assignment.proposal == MOVE)
        .values(slot_id=Assignment.proposed_slot_id, sequence=Assignment.sequence + 1, status=PUBLISHED,
                notice=NOTICE_REQUEST, proposal=None, proposed_slot_id=None, updated_at=now))
    db.session.execute(
        sa.update(Assignment).where(of_year, Assignment.status.in_(STILL_TO_HAPPEN), Assignment.proposal == WITHDRAW)
        .values(status=CANCELLED, sequence=Assignment.sequence + 1, notice=NOTICE_CANCEL, proposal=None,
                updated_at=now))
    queue_assignment_notices()
    run = db.session.scalar(sa.select(PlanRun).where(PlanRun.year == year, PlanRun.status == FINISHED)
                            .order_by(PlanRun.id.desc()).limit(1))
    if run is not None and run.published_at is None:
        run.published_at = now
        run.published_by_id = user_id
    db.session.flush()
    return summary


# --- Who publishing reaches, for the confirmation page --------------------------------------------------------

NAMED = 10  # people named in each list of the confirmation page; the rest are linked to


@dataclass(frozen=True)
class Consequence:
    """One kind of news publishing brings: the first people it reaches, how many in all, how many by e-mail."""

    what: str          # "invitation", "update", "cancellation"
    shifts: list[Assignment]
    total: int
    e_mails: int
    e_mailed_ids: frozenset[int]  # of ``shifts``, those whose person gets an e-mail

    @property
    def more(self) -> int:
        return self.total - len(self.shifts)


def consequences(year: int) -> list[Consequence]:
    """Who gets an invitation, an update or a cancellation when ``year`` is published, and how many e-mails go out;
    two queries per kind, whatever the size of the year."""
    now = utcnow()
    still_on = Slot.ends_at > now
    kinds = (
        ("invitation", Assignment.status == DRAFT, sa.and_(e_mailed(), still_on)),
        ("update", sa.and_(Assignment.status.in_(STILL_TO_HAPPEN), Assignment.proposal == MOVE),
         e_mailed()),
        ("cancellation", sa.and_(Assignment.status.in_(STILL_TO_HAPPEN), Assignment.proposal == WITHDRAW),
         sa.and_(e_mailed(), still_on, cancellation_reaches())),
    )
    found = []
    for what, which, mailed in kinds:
        selected = (sa.select(Assignment).join(Assignment.person).join(Slot, Slot.id == Assignment.slot_id)
                    .where(Assignment.year == year, which))
        total, e_mails = db.session.execute(
            sa.select(sa.func.count(), sa.func.count().filter(mailed))
            .select_from(Assignment).join(Person, Person.id == Assignment.person_id)
            .join(Slot, Slot.id == Assignment.slot_id).where(Assignment.year == year, which)).one()
        rows = db.session.execute(
            selected.add_columns(mailed)
            .options(contains_eager(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site),
                     joinedload(Assignment.proposed_slot).joinedload(Slot.site))
            .order_by(Person.full_name, Person.id, Assignment.kind).limit(NAMED)).all() if total else []
        found.append(Consequence(what, [row[0] for row in rows], total or 0, e_mails or 0,
                                 frozenset(row[0].id for row in rows if row[1])))
    return found
