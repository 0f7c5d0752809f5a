"""Signals: how a lower layer asks or tells the layers above it something without importing them.

Each area that needs one declares its signals in its own ``signals`` module (``rotation.observations.signals``,
``rotation.process_map.signals``); the layer above connects receivers at import time, and the application
factory imports every area, so the receivers are connected before the first request or command. A signal
that asks a question gets its answers with :func:`answers`.
"""
from __future__ import annotations

from typing import Any

from blinker import NamedSignal


def answers(signal: NamedSignal, sender: Any, **kwargs: Any) -> list[Any]:
    """What the connected receivers return for ``sender`` (those that return None say nothing)."""
    return [value for _, value in signal.send(sender, **kwargs) if value is not None]
