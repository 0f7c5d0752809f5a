"""What the sites area asks of the areas above it (blackouts, assignments): signals, never imports.

Sites and their slots are the floor the roster, blackouts and assignments stand on, so those areas import
this one and never the other way round; they answer these questions with receivers of their own.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

closed_days = _signals.signal("closed-days", doc="""\
Days on which no slot is made: blackouts of the whole company (key None) and of one site (key: its id).
Sender: None; keywords ``first``, ``last`` (the days asked about) and ``site_id`` (one site's, or None for
every site). Answer: ``{site id or None: set of days}``. Answered by ``rotation.blackouts``.""")

seats_taken = _signals.signal("seats-taken", doc="""\
Seats taken per slot, drafts included (at the slot a draft moves a shift to). Sender: the site's id;
keywords ``year`` and ``slot_ids`` (that site's slots of that year). Answer: ``{slot id: seats taken}``.
Answered by ``rotation.assignments``.""")
