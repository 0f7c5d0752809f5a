"""Taking back News that turned out not to hold (HR undid what it announced) before the person read it."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from rotation.db import rowcount
from rotation.extensions import db
from rotation.notifications.models import Notification


def take_back(person_id: int, text_start: str, since: datetime) -> int:
    """Delete the person's notifications written since ``since`` whose text starts with ``text_start``; flush.
    Returns how many."""
    result = db.session.execute(
        sa.delete(Notification).where(Notification.person_id == person_id, Notification.created_at >= since,
                                      Notification.text.startswith(text_start, autoescape=True))
        .execution_options(synchronize_session=False))
    db.session.flush()
    return rowcount(result)
