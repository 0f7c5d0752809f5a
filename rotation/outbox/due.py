"""Messages that fall due with time rather than with a change: reminders before a shift, and the
site host's attendance link after it. The sending commands queue them before each pass."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rotation.db import utcnow
from rotation.extensions import db


@dataclass(frozen=True)
class DueReport:
    reminders: int
    attendance_requests: int

    def summary(self) -> str:
        return f"{self.reminders} reminders and {self.attendance_requests} attendance requests queued"


def queue_due_messages(now: datetime | None = None) -> DueReport:
    """Queue every reminder and attendance request that is due by ``now``, and commit.

    Each is queued once, however often this runs and however many workers run it at once.
    """
    from rotation.attendance.requests import queue_attendance_requests
    from rotation.outbox.reminders import queue_due_reminders

    now = now or utcnow()
    report = DueReport(reminders=queue_due_reminders(now), attendance_requests=queue_attendance_requests(now))
    db.session.commit()
    return report
