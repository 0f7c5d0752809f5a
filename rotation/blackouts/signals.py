"""What the blackouts area tells, and asks, the assignments above it: signals, never imports.

Assignments respect blackouts, so ``rotation.assignments`` imports this area and answers these.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

saved = _signals.signal("blackouts-saved", doc="""\
Blackouts were added or changed (flushed). Sender: their ids. The assignments area marks the shifts still to
come that they now cover as needing re-planning.""")

announced_collisions = _signals.signal("announced-collisions", doc="""\
How many published (announced) shifts still to come a blackout covers. Sender: the blackout. Answer: a
count.""")
