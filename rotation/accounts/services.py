"""Accounts: creating them, passwords, and signing in with throttling."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from werkzeug.security import check_password_hash, generate_password_hash

from rotation.accounts.models import LoginFailure, RoleGrant, User
from rotation.accounts.roles import ROLES
from rotation.db import utcnow
from rotation.extensions import db

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200

# Failed log-ins are counted over this window. After FREE_FAILURES for one
# address (or FREE_FAILURES_PER_CLIENT from one network address) each further
# attempt waits twice as long as the one before, up to MAX_DELAY.
FAILURE_WINDOW = timedelta(hours=1)
FREE_FAILURES = 5
FREE_FAILURES_PER_CLIENT = 20
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=15)

# Checked when no account matches, so a wrong e-mail costs as long as a wrong password.
_UNUSABLE_HASH = generate_password_hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


def normalise_email(value: str) -> str:
    """The canonical form of an e-mail address, or AccountError with a sentence."""
    value = (value or "").strip()
    if not value:
        raise AccountError("Enter an e-mail address.")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise AccountError(f"{value!r} is not a valid e-mail address: {error}") from None
    return checked.normalized.lower()


def parse_roles(value: str) -> list[str]:
    """Roles from a comma-separated list such as ``hr,owner``."""
    roles = [part.strip().lower() for part in (value or "").split(",") if part.strip()]
    if not roles:
        raise AccountError(f"Give at least one role: {', '.join(ROLES)}.")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise AccountError(
            f"Unknown role {', '.join(repr(r) for r in unknown)}; roles are {', '.join(ROLES)}."
        )
    return sorted(set(roles), key=ROLES.index)


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if email and password.strip().lower() == email.lower():
        return "Do not use your e-mail address as your password."
    return None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def set_password(user: User, password: str) -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise AccountError(problem)
    user.password_hash = generate_password_hash(password)
    user.password_changed_at = utcnow()


def save_user(email: str, roles: list[str], password: str | None = None,
              display_name: str | None = None) -> tuple[User, bool]:
    """Create the account for ``email`` or update it; returns it and whether it is new.

    The account ends up with exactly ``roles``. The password is changed only
    when one is given.
    """
    email = normalise_email(email)
    user = find_user_by_email(email)
    created = user is None
    if created:
        user = User(email=email, display_name=display_name)
        db.session.add(user)
    elif display_name:
        user.display_name = display_name
    if password is not None:
        set_password(user, password)
    held = {grant.role for grant in user.role_grants}
    for grant in list(user.role_grants):
        if grant.role not in roles:
            user.role_grants.remove(grant)
    for role in roles:
        if role not in held:
            user.role_grants.append(RoleGrant(role=role))
    user.forget_signed_in()
    db.session.flush()
    return user, created


def change_password(user: User, current: str, new: str) -> None:
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not right.")
    set_password(user, new)


@dataclass
class SignIn:
    user: User | None = None
    wait: timedelta | None = None  # set when the attempt was refused unchecked


def sign_in(email: str, password: str, address: str, now: datetime | None = None) -> SignIn:
    """Check a log-in. Refuses without checking while the account or client must wait.

    A failure is recorded; a success clears the account's failures.
    """
    now = now or utcnow()
    key = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    wait = _required_wait(key, address, now)
    if wait:
        return SignIn(wait=wait)
    user = find_user_by_email(key) if key else None
    hashed = user.password_hash if user and user.password_hash else _UNUSABLE_HASH
    good = check_password_hash(hashed, password or "")
    if user and user.password_hash and good and user.is_enabled:
        db.session.execute(sa.delete(LoginFailure).where(LoginFailure.email == key))
        user.last_login_at = now
        return SignIn(user=user)
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at < now - FAILURE_WINDOW))
    db.session.add(LoginFailure(email=key, address=address, failed_at=now))
    db.session.flush()
    return SignIn()


def _required_wait(email: str, address: str, now: datetime) -> timedelta | None:
    since = now - FAILURE_WINDOW
    waits = []
    for column, value, free in (
        (LoginFailure.email, email, FREE_FAILURES),
        (LoginFailure.address, address, FREE_FAILURES_PER_CLIENT),
    ):
        count, last = db.session.execute(
            sa.select(sa.func.count(), sa.func.max(LoginFailure.failed_at)).where(
                column == value, LoginFailure.failed_at >= since
            )
        ).one()
        if count >= free and last is not None:
            delay = min(FIRST_DELAY * 2 ** (count - free), MAX_DELAY)
            remaining = last + delay - now
            if remaining > timedelta(0):
                waits.append(remaining)
    return max(waits) if waits else None


def generate_password() -> str:
    return secrets.token_urlsafe(12)
