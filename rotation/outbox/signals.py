"""What the outbox asks the areas above it (problems, briefings) while it writes: signals, never imports."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

reminder_problems = _signals.signal("reminder-problems", doc="""\
The first open problems a shift's briefing lists, for the reminders before a shift. Sender: None; ``shifts``:
the ``(site id, kind of shift)`` pairs of the reminders being queued. Answer: a dict of such a pair to up to three
problem titles, most painful first, as the briefing orders them.""")
