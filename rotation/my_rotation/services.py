"""What a manager sees and does about their own rotation. The services flush; the request commits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from rotation.assignments.changes import BY_PERSON
from rotation.assignments.models import (
    ANNOUNCED,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DRAFT,
    NO_SHOW,
    PUBLISHED,
    Assignment,
)
from rotation.assignments.queries import with_slot_and_site
from rotation.blackouts.models import PERSON, Blackout
from rotation.blackouts.services import delete_blackout, save_blackout
from rotation.db import rowcount
from rotation.extensions import db
from rotation.observations.models import WindowExtension
from rotation.observations.services import FILEABLE
from rotation.people.models import Person
from rotation.refusals import FieldRefusal
from rotation.sites.models import Slot

# The status of a shift as its attendee reads it.
STATUS_WORDS = {
    PUBLISHED: "Booked: please confirm",
    CONFIRMED: "Confirmed by you",
    COMPLETED: "Done: thank you",
    NO_SHOW: "Missed: HR will book a new one",
}


@dataclass(frozen=True)
class AddedBlackout:
    """A blackout the person added, and the announced shifts of theirs it now sends to re-planning."""

    blackout: Blackout
    collisions: list[Assignment]


def my_shifts(person: Person, today: date) -> list[Assignment]:
    """The person's announced shifts of this year and next, soonest first, with slot and site loaded.

    Drafts (not told to anyone yet) and cancelled shifts never appear.
    """
    return list(db.session.scalars(
        with_slot_and_site()
        .where(Assignment.person_id == person.id, Assignment.status.in_(ANNOUNCED),
               Assignment.year.in_((today.year, today.year + 1)))
        .order_by(Slot.starts_at, Assignment.id)))


# The one thing the next shift asks of its attendee.
FILE, CONFIRM, DETAILS = "file", "confirm", "details"


@dataclass(frozen=True)
class NextShift:
    """The shift a manager should act on first, and that action: file what they saw while its window is
    open, confirm it while it is unconfirmed, otherwise read its details."""

    shift: Assignment
    action: str
    filing_closes: datetime | None = None  # when the window for observations closes (``FILE`` only)


@dataclass(frozen=True)
class Timeline:
    """A person's announced shifts in three parts: the next one, the others still to come, and the past."""

    next: NextShift | None
    upcoming: list[Assignment]
    past: list[Assignment]        # newest first
    filing: dict[int, datetime]   # shift id → when its open window for observations closes


def timeline(shifts: list[Assignment], now: datetime) -> Timeline:
    """Split ``shifts`` (soonest first, as ``my_shifts`` reads them) around ``now``.

    The next shift is the latest one whose window for observations is open (a shift in progress, or one
    that ended within the window), otherwise the soonest still to come. One query, for HR's extensions.
    """
    filing = filing_windows(shifts, now)
    upcoming = [shift for shift in shifts if shift.slot.starts_at > now and shift.status in (PUBLISHED, CONFIRMED)]
    past = [shift for shift in reversed(shifts) if shift.slot.starts_at <= now]
    chosen: NextShift | None = None
    open_now = [shift for shift in past if shift.id in filing]
    if open_now:
        chosen = NextShift(open_now[0], FILE, filing[open_now[0].id])
        past = [shift for shift in past if shift.id != chosen.shift.id]
    elif upcoming:
        first = upcoming.pop(0)
        chosen = NextShift(first, CONFIRM if can_confirm(first, now.date()) else DETAILS)
    return Timeline(next=chosen, upcoming=upcoming, past=past, filing=filing)


def filing_windows(shifts: list[Assignment], now: datetime) -> dict[int, datetime]:
    """For each of ``shifts`` whose window for observations is open at ``now``, when it closes.

    The window is the observation service's: from the shift's start until ``ROTATION_OBSERVATION_DAYS``
    after its end, or to the end of the day HR extended it to. HR's extensions are read in one query.
    """
    started = [shift for shift in shifts if shift.status in FILEABLE and shift.slot.starts_at <= now]
    if not started:
        return {}
    extended = dict(db.session.execute(
        sa.select(WindowExtension.assignment_id, WindowExtension.until)
        .where(WindowExtension.assignment_id.in_([shift.id for shift in started]))).tuples().all())
    days = timedelta(days=current_app.config["ROTATION_OBSERVATION_DAYS"])
    windows = {}
    for shift in started:
        closes = shift.slot.ends_at + days
        until = extended.get(shift.id)
        if until is not None:
            closes = max(closes, datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC))
        if now <= closes:
            windows[shift.id] = closes
    return windows


def can_confirm(shift: Assignment, today: date) -> bool:
    """Whether the page offers a Confirm button: published, still to come, and not being moved."""
    return shift.status == PUBLISHED and shift.slot.first_day > today and not shift.needs_replan


def confirm_shift(shift: Assignment, today: date) -> None:
    """Mark the person's published, future shift ``confirmed``; flush.

    Confirming tells nobody anything new: the sequence stays and no message is
    queued. Raises ``FieldRefusal`` for a shift that cannot be confirmed. The
    update only applies while the shift is still published, so a shift HR
    cancels at the same moment is never confirmed.
    """
    _check_confirmable(shift, today)
    changed = rowcount(db.session.execute(
        sa.update(Assignment).where(Assignment.id == shift.id, Assignment.status == PUBLISHED,
                                    Assignment.needs_replan.is_(False))
        .values(status=CONFIRMED).execution_options(synchronize_session="fetch")))
    if changed != 1:
        raise FieldRefusal(None, "This shift changed a moment ago and was not confirmed; look at it again.")
    db.session.flush()


def _check_confirmable(shift: Assignment, today: date) -> None:
    if shift.status == CONFIRMED:
        raise FieldRefusal(None, "You have already confirmed this shift.")
    if shift.status == CANCELLED:
        raise FieldRefusal(None, "This shift was cancelled, so there is nothing to confirm.")
    if shift.status == DRAFT:
        raise FieldRefusal(None, "This shift is not published yet; you can confirm it once HR publishes the plan.")
    if shift.status != PUBLISHED or shift.slot.first_day <= today:
        raise FieldRefusal(None, "This shift has already started or is over, so it can no longer be confirmed.")
    if shift.needs_replan:
        raise FieldRefusal(None, "This shift falls in a blackout and HR will move it; confirm the new one when "
                                 "its invitation arrives.")


def my_blackouts(person: Person, today: date) -> list[Blackout]:
    """The person's own blackouts that have not ended, soonest first."""
    return list(db.session.scalars(
        sa.select(Blackout).where(Blackout.person_id == person.id, Blackout.end >= today)
        .order_by(Blackout.start, Blackout.end, Blackout.id)))


def my_blackout(person: Person, blackout_id: int, today: date) -> Blackout | None:
    """One of the person's own blackouts that has not ended; None for anyone else's or a past one."""
    return db.session.scalar(
        sa.select(Blackout).where(Blackout.id == blackout_id, Blackout.person_id == person.id,
                                  Blackout.end >= today))


def add_my_blackout(person: Person, start: date, end: date, reason: str | None, today: date) -> AddedBlackout:
    """Add a blackout for the person themself and flush; return it with the announced shifts it collides with.

    Those shifts are marked for re-planning (by ``save_blackout``): HR's next plan
    run moves them. Raises ``FieldRefusal`` naming the field at fault.
    """
    blackout = save_blackout(None, PERSON, person.employee_id, None, start, end, reason)
    return AddedBlackout(blackout=blackout, collisions=_announced_in(person, start, end, today))


def remove_my_blackout(blackout: Blackout) -> None:
    """Remove one of the person's own blackouts and flush."""
    delete_blackout(blackout)


def _announced_in(person: Person, start: date, end: date, today: date) -> list[Assignment]:
    """The person's published or confirmed shifts still to come that fall between ``start`` and ``end``."""
    return list(db.session.scalars(
        with_slot_and_site()
        .where(Assignment.person_id == person.id, BY_PERSON, Assignment.status.in_((PUBLISHED, CONFIRMED)),
               Slot.first_day > today, Slot.first_day <= end, Slot.last_day >= start)
        .order_by(Slot.starts_at)))
