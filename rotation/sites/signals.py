"""What the sites area asks of the areas above it (blackouts, assignments): signals, never imports.

Sites and their slots are the floor the roster, blackouts and assignments stand on, so those areas import
this one and never the other way round; they answer these questions with receivers of their own.
"""
from __future__ import annotations

from typing import NamedTuple

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


class SeatHolder(NamedTuple):
    """Who holds a seat in a slot, as the site's page names them: the person, their shift and its status."""

    person_id: int
    name: str
    assignment_id: int
    status: str  # the shift's status, in words ("Draft", "Published" …)
    moving_in: bool  # the latest draft moves the shift here from another slot


seat_holders = _signals.signal("seat-holders", doc="""\
Who holds the seats of some slots, drafts included (at the slot a draft moves a shift to), as ``seats_taken``
counts them. Sender: the site's id; keyword ``slot_ids`` (that site's slots shown on its page). Answer:
``{slot id: [SeatHolder, ...]}`` by name, in one query. Answered by ``rotation.assignments``.""")
