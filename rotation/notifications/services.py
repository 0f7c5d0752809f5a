"""Writing and reading in-app notifications. The services flush; the request or command commits."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.people.models import Person

# Longer texts are cut to fit the column, with an ellipsis.
MAX_TEXT = 500


def notify(person_ids: int | Iterable[int], text: str, link: str | None = None,
           now: datetime | None = None) -> int:
    """Tell each of ``person_ids`` (once each) ``text``, with an optional in-app ``link``; flush.

    Returns how many notifications were written.
    """
    ids = sorted({person_ids} if isinstance(person_ids, int) else set(person_ids))
    if not ids:
        return 0
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT - 1] + "…"
    now = now or utcnow()
    db.session.execute(sa.insert(Notification), [
        {"person_id": person_id, "text": text, "link": link, "created_at": now} for person_id in ids])
    db.session.flush()
    return len(ids)


def unread_count(person_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.person_id == person_id, Notification.read_at.is_(None))) or 0


def unread_count_for_email(email: str) -> int:
    """Unread notifications of the active roster person with this e-mail address, in one query."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .join(Person, Person.id == Notification.person_id)
        .where(Person.email == email.strip().lower(), Person.is_active.is_(True),
               Notification.read_at.is_(None))) or 0


def recent(person_id: int) -> sa.Select:
    """The person's notifications, newest first (to paginate)."""
    return (sa.select(Notification).where(Notification.person_id == person_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_all_read(person_id: int, now: datetime | None = None) -> int:
    """Mark every unread notification of the person read; flush; return how many."""
    result = db.session.execute(
        sa.update(Notification).where(Notification.person_id == person_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    return rowcount(result)
