"""Who is signed in, read once per request in a single query.

The session cookie names a sign-in (``rotation.accounts.sign_ins``); the account is loaded only
while that sign-in is neither ended nor expired and the account is enabled.

Every page needs the account, its roles, whether its roster person is in the
rotation (which makes them a manager) and, for the menu, their unread news.
Read one by one that was four queries before the page's own work; here it is
one, built once per process, so its SQL is compiled and its cache key made
only once.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from rotation.accounts import sign_ins
from rotation.accounts.models import RoleGrant, SignIn, User
from rotation.db import utcnow
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.people.models import Person, in_rotation_clause
from rotation.roles import ROLES

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
                      unread.label("unread_news"),
                      SignIn.secret_hash, SignIn.previous_hash, SignIn.rotated_at, SignIn.expires_at,
                      SignIn.last_seen_at, SignIn.remembered)
            .join(SignIn, SignIn.user_id == User.id)
            .outerjoin(Person, sa.and_(Person.email == User.email, Person.is_active.is_(True)))
            .where(SignIn.id == sa.bindparam("sign_in_id"), SignIn.ended_at.is_(None), User.is_enabled.is_(True))
            .options(lazyload(User.role_grants)))
    return _statement


def load_signed_in(cookie_value: str) -> User | None:
    """The account whose sign-in the session cookie names, its roles, roster person and unread news known,
    or None when that sign-in does not work (any more)."""
    token = sign_ins.parse_token(cookie_value)
    if token is None:
        return None
    row = db.session.execute(_who_is_signed_in(), {"sign_in_id": token.sign_in_id}).first()
    now = utcnow()
    if row is None or not sign_ins.check(token, row.secret_hash, row.previous_hash, row.rotated_at,
                                         row.expires_at, now):
        return None
    sign_ins.seen(token.sign_in_id, row.remembered, row.last_seen_at, now)
    user: User = row[0]
    user.sign_in_token = cookie_value
    user.sign_in_id = token.sign_in_id
    user.remember_signed_in(granted={role for role in ROLES if row._mapping[f"grants_{role}"]},
                            person_id=row.person_id, in_rotation=bool(row.in_rotation),
                            unread_news=row.unread_news or 0)
    return user
