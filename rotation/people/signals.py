"""What the roster tells, and asks, the areas above it: signals, never imports.

Almost everything points at a person, so ``rotation.people`` imports none of the areas that do; they
connect receivers here instead.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

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
