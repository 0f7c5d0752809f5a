"""Who is signed in, read once per request in a single query.

Every page needs the account, its roles, whether its roster person is in the
rotation (which makes them a manager) and, for the menu, their unread news.
Read one by one that was four queries before the page's own work; here it is
one, built once per process, so its SQL is compiled and its cache key made
only once.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from rotation.accounts.models import RoleGrant, User
from rotation.accounts.roles import ROLES
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.people.models import Person, in_rotation_clause

_statement: sa.Select | None = None


def _who_is_signed_in() -> sa.Select:
    global _statement
    if _statement is None:
        granted = [sa.exists().where(RoleGrant.user_id == User.id, RoleGrant.role == role).label(f"grants_{role}")
                   for role in ROLES]
        unread = (sa.select(sa.func.count()).select_from(Notification)
                  .where(Notification.person_id == Person.id, Notification.read_at.is_(None))
                  .correlate(Person).scalar_subquery())
        _statement = (
            sa.select(User, *granted, Person.id.label("person_id"),
                      sa.case((in_rotation_clause(), True), else_=False).label("in_rotation"),
                      unread.label("unread_news"))
            .outerjoin(Person, sa.and_(Person.email == User.email, Person.is_active.is_(True)))
            .where(User.id == sa.bindparam("user_id"))
            .options(lazyload(User.role_grants)))
    return _statement


def load_signed_in(user_id: int) -> User | None:
    """The account with ``user_id``, its roles, roster person and unread news known, or None."""
    row = db.session.execute(_who_is_signed_in(), {"user_id": user_id}).first()
    if row is None:
        return None
    user: User = row[0]
    user.remember_signed_in(granted={role for role in ROLES if row._mapping[f"grants_{role}"]},
                            person_id=row.person_id, in_rotation=bool(row.in_rotation),
                            unread_news=row.unread_news or 0)
    return user
