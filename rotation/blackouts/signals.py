"""What the blackouts area tells, and asks, the assignments above it: signals, never imports.

Assignments respect blackouts, so ``rotation.assignments`` imports this area and answers these.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from blinker import Namespace

_signals = Namespace()

saved = _signals.signal("blackouts-saved", doc="""\
Blackouts were added or changed (flushed). Sender: their ids. The assignments area marks the shifts still to
come that they now cover as needing re-planning.""")

announced_collisions = _signals.signal("announced-collisions", doc="""\
How many published (announced) shifts still to come a blackout covers. Sender: the blackout. Answer: a
count.""")

colliding_shifts = _signals.signal("colliding-shifts", doc="""\
The published (announced) shifts still to come a blackout covers, by name. Sender: the blackout. Answer: a list
of ``CollidingShift``, at most ``limit`` (a keyword argument), by person.""")


@dataclass(frozen=True)
class CollidingShift:
    """A published shift a blackout covers, in plain values (the blackout may be only a preview)."""

    assignment_id: int
    person_id: int
    person_name: str
    kind_label: str
    site_code: str
    first_day: date
