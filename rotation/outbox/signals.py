"""What the outbox asks the areas above it (problems, briefings) while it writes: signals, never imports."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

reminder_problems = _signals.signal("reminder-problems", doc="""\
The most painful open problems at each site, for the reminders before a shift. Sender: None; ``site_ids``: the
sites of the reminders being queued. Answer: a dict of site id to up to three problem titles, most painful
first, in a fixed number of queries for all the sites.""")
