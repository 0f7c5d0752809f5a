"""What the process map asks of the layers above it: how much each area holds. Signals, never imports.

The map is the lowest layer of the improvement core: observations and problems point at its areas, and it
imports neither. ``rotation.observations`` answers these (in ``rotation/observations/services.py``).
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

observations_per_area = _signals.signal("observations-per-area", doc="""\
How many observations were filed in each area. Sender: an area's id, or None for every area; keyword
``drafts``: whether the authors' unsubmitted drafts count. Answer: ``{area id: count}`` (areas with none
left out).""")
