"""What the roster tells, and asks, the areas above it: signals, never imports.

Almost everything points at a person, so ``rotation.people`` imports none of the areas that do; they
connect receivers here instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from blinker import Namespace

_signals = Namespace()


@dataclass(frozen=True)
class LeaverShift:
    """A shift still to come of someone a roster import deactivates: withdrawn when the import is written."""

    person_id: int
    first_day: date
    site_id: int
    announced: bool  # published or confirmed: cancelled (with an e-mail, unless they chose the feed alone);
    # a draft is only taken out of the plan

roster_changed = _signals.signal("roster-changed", doc="""\
A roster import was written (flushed). Sender: the ids of the people who left; keyword ``today``. Each
area above does what a leaver and a newcomer mean for it: their shifts still to come are withdrawn
(assignments), their calendar link stops (feeds), their devices are signed out and whoever is now in the
rotation without an account gets a link to set a password (accounts).""")

person_page = _signals.signal("person-page", doc="""\
What other areas show on HR's page of a person. Sender: the person. Answer: a dict of template variables
(``blackouts``, ``account``, ``calendar_delivery``, ``returned_messages``; ``shifts`` and ``earlier_shifts`` from
assignments, ``attendance``, ``change_requests``, ``observations`` (counts by status), ``unplaced`` from plans),
each read in one query at most.""")

leavers_shifts = _signals.signal("leavers-shifts", doc="""\
What a roster import would do to the shifts of the people it deactivates, asked before it is written (the
preview). Sender: the ids of those people; keyword ``today``. Answer: a list of ``LeaverShift``, by person and
date (assignments).""")

invited_already = _signals.signal("invited-already", doc="""\
Asked before a roster import is written: which e-mail addresses would get no link to set a password, since
they already have an account or a link that still works. Sender: None. Answer: a set of addresses (accounts).""")
