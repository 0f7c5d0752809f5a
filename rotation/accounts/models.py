from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from rotation.db import UTCDateTime, utcnow
from rotation.extensions import Model, db
from rotation.people.models import Person, in_rotation_clause
from rotation.roles import MANAGER, ROLES


class User(UserMixin, Model):
    """A log-in account. It is linked to a roster person by e-mail address."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case, so an address is unique whatever its spelling.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="RoleGrant.role"
    )

    if TYPE_CHECKING:  # plain attributes, not columns (at run time the ORM takes only Mapped[] annotations)
        _granted: set[str] | None
        person_id: int | None
        unread_news: int | None
        sign_in_token: str | None
        sign_in_id: int | None
    # Known without a further query when the account was loaded as the one signed in (``remember_signed_in``).
    _granted = None
    person_id = None  # the active roster person with the account's address
    unread_news = None
    # This request's sign-in (``rotation.accounts.sign_ins``): what the cookies carry, and its row.
    sign_in_token = None
    sign_in_id = None

    def __eq__(self, other) -> bool:  # the same account, not the same sign-in (Flask-Login compares get_id)
        return other is self or (isinstance(other, User) and self.id is not None and self.id == other.id)

    def __ne__(self, other) -> bool:
        return not self == other

    __hash__ = object.__hash__

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookies: the sign-in, never the bare account id."""
        if self.sign_in_token is None:
            raise RuntimeError("Sign an account in with rotation.accounts.sign_ins.sign_in.")
        return self.sign_in_token

    def remember_signed_in(self, granted: set[str], person_id: int | None, in_rotation: bool,
                           unread_news: int) -> None:
        """What the request's single who-is-signed-in query found (``rotation.accounts.signed_in``)."""
        self._granted = granted
        self.person_id = person_id
        self.__dict__["in_rotation"] = in_rotation
        self.unread_news = unread_news

    def forget_signed_in(self) -> None:
        """After the account's roles changed in this request, read them from its grants again."""
        self._granted = None
        self.__dict__.pop("in_rotation", None)

    @property
    def roles(self) -> list[str]:
        """The roles granted to the account, plus ``manager`` for everyone in the rotation."""
        held = set(self._granted) if self._granted is not None else {grant.role for grant in self.role_grants}
        if MANAGER not in held and self.in_rotation:
            held.add(MANAGER)
        return sorted(held, key=ROLES.index)

    @cached_property
    def in_rotation(self) -> bool:
        """Whether the roster person with this account's address is active and in the rotation."""
        return bool(db.session.scalar(
            sa.select(sa.exists().where(Person.email == self.email, in_rotation_clause()))
        ))

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_any_role(self, roles) -> bool:
        return any(role in roles for role in self.roles)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.is_enabled

    @property
    def name(self) -> str:
        return self.display_name or self.email

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class RoleGrant(Model):
    """One role held by one account."""

    __tablename__ = "role_grant"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{role}'" for role in ROLES) + ")", name="known_role"
        ),
    )

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_grants")


class SignIn(Model):
    """One signed-in browser: made at log-in, ended by signing out, a password change or an administrator.

    The browser holds ``<id>.<secret>`` in its session cookie (and, when kept signed in, its remember cookie);
    only the secret's SHA-256 hash is stored. Using the remember cookie to start a new browser session
    replaces the secret; the one before stays good for a minute, for the browser's other tabs.
    """

    __tablename__ = "sign_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64))
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(sa.String(200))
    address: Mapped[str] = mapped_column(sa.String(64))
    remembered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Without use until then it ends by itself: 12 hours for a browser session, 30 days when kept signed in.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_because: Mapped[str | None] = mapped_column(sa.String(60))


class LoginThrottle(Model):
    """Failed log-ins counted under one key: an account and address, an address, or an account
    (``rotation.accounts.throttle``)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(sa.String(340), primary_key=True)
    failures: Mapped[int]
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PasswordLink(Model):
    """A single-use link to set a password: for someone new to Rotation, or who forgot theirs.

    Only the SHA-256 hash of the link's secret is stored. It works once, until
    ``expires_at``; a newer link for the same address replaces it.
    """

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The address the link was sent to; the account is made for it (or found by it) when the link is used.
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
