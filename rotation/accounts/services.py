"""Accounts: creating them, passwords, and signing in with throttling."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from rotation.accounts import sign_ins, throttle
from rotation.accounts.models import RoleGrant, User
from rotation.db import utcnow
from rotation.email_addresses import NotAnEmailAddress, canonical_email
from rotation.extensions import db
from rotation.refusals import FieldRefusal
from rotation.roles import ROLES

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200

# Checked when no account matches, so a wrong e-mail costs as long as a wrong password.
_UNUSABLE_HASH = generate_password_hash(secrets.token_hex(16))


def normalise_email(value: str) -> str:
    """The canonical form of an e-mail address; a ``FieldRefusal`` beside ``email`` when it is not one."""
    try:
        return canonical_email(value)
    except NotAnEmailAddress as error:
        raise FieldRefusal("email", str(error)) from None


def parse_roles(value: str) -> list[str]:
    """Roles from a comma-separated list such as ``hr,owner``."""
    roles = [part.strip().lower() for part in (value or "").split(",") if part.strip()]
    if not roles:
        raise FieldRefusal("roles", f"Give at least one role: {', '.join(ROLES)}.")
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise FieldRefusal(
            "roles", f"Unknown role {', '.join(repr(r) for r in unknown)}; roles are {', '.join(ROLES)}."
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
        raise FieldRefusal("new", problem)
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
    if user is None:
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
        raise FieldRefusal("current", "Your current password is not right.")
    set_password(user, new)


@dataclass
class LoginAttempt:
    user: User | None = None
    wait: timedelta | None = None  # set when the attempt was refused unchecked
    message: str = ""              # why it must wait


def sign_in(email: str, password: str, address: str, now: datetime | None = None) -> LoginAttempt:
    """Check a log-in, counted by ``rotation.accounts.throttle``; refused unchecked while it must wait."""
    now = now or utcnow()
    key = (email or "").strip().lower()[:254]
    address = (address or "unknown")[:64]
    user = find_user_by_email(key) if key else None
    known = user is not None and throttle.known_address(user.id, address, now)
    counters = throttle.counters(key, address, known)
    refusal, counts = throttle.check(counters, now)
    if refusal is None:
        refusal = throttle.reserve(counters, counts, now)
    if refusal is not None:
        return LoginAttempt(wait=refusal.wait, message=refusal.message)
    hashed = user.password_hash if user and user.password_hash else _UNUSABLE_HASH
    good = check_password_hash(hashed, password or "")
    if user and user.password_hash and good and user.is_enabled:
        throttle.succeeded(counters)
        user.last_login_at = now
        return LoginAttempt(user=user)
    throttle.forget_old(now)
    return LoginAttempt()


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def disable_account(user: User, by: User | None = None) -> int:
    """Disable ``user``: refused at sign-in, and every device they are signed in on is signed out.

    An administrator may not disable their own account (another administrator may). Returns how many
    sign-ins were ended.
    """
    if by is not None and by.id == user.id:
        raise FieldRefusal(None, "You cannot disable your own account; ask another administrator.")
    user.is_enabled = False
    return sign_ins.end_all(user.id, sign_ins.ACCOUNT_DISABLED)
