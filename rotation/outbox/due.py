"""Messages that fall due with time rather than with a change: reminders before a shift, and the
site host's attendance link after it. The sending commands queue them before each pass."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.reminders import queue_due_reminders

# What falls due, in the order the report names it: ``(plural noun, queue(now) -> how many queued)``. Reminders
# are the outbox's own; other areas add theirs with ``falls_due`` as their module is imported.
_DUE: list[tuple[str, Callable[[datetime], int]]] = [("reminders", queue_due_reminders)]


def falls_due(what: str):
    """Register the decorated ``queue(now) -> int`` as messages that fall due with time, named ``what``."""
    def register(queue: Callable[[datetime], int]) -> Callable[[datetime], int]:
        _DUE.append((what, queue))
        return queue

    return register


@dataclass(frozen=True)
class DueReport:
    queued: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.queued.values())

    def summary(self) -> str:
        return " and ".join(f"{count} {what}" for what, count in self.queued.items()) + " queued"


def queue_due_messages(now: datetime | None = None) -> DueReport:
    """Queue every reminder and attendance request that is due by ``now``, and commit.

    Each is queued once, however often this runs and however many workers run it at once.
    """
    now = now or utcnow()
    report = DueReport({what: queue(now) for what, queue in _DUE})
    db.session.commit()
    return report
