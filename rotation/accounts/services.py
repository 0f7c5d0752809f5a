"""Accounts: creating them, their roles, passwords, and signing in with throttling.

The rules about who holds which role are here once, for the pages and the ``users`` command alike: an
account's address is a real one and nobody else's, it holds at least one role (counting the manager role
everyone in the rotation has), an administrator cannot take the role from themself or disable their own
account, and the last enabled administrator stays one.
"""
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
from rotation.people.models import Person, in_rotation_clause
from rotation.refusals import FieldRefusal, Refusal
from rotation.roles import ADMIN, LABELS, ROLES

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
    """Roles from a comma-separated list such as ``hr,owner``, as typed; ``known_roles`` checks them."""
    return [part.strip().lower() for part in (value or "").split(",") if part.strip()]


def known_roles(roles: list[str] | tuple[str, ...], email: str | None) -> list[str]:
    """``roles`` each once, in the order of ``ROLES``; refused beside ``roles`` when one is unknown, or when
    there is none and the address (None: not a valid one) is not a manager in the rotation: such an account
    could do nothing."""
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise FieldRefusal(
            "roles", f"Unknown role {', '.join(repr(r) for r in unknown)}; roles are {', '.join(ROLES)}."
        )
    if not roles and (email is None or not in_rotation(email)):
        why = (f"{email} is not a manager in the rotation, so without a role the account could do nothing."
               if email else "an account outside the rotation could do nothing without one.")
        raise FieldRefusal("roles", f"Give at least one role: {why}")
    return sorted(set(roles), key=ROLES.index)


def in_rotation(email: str) -> bool:
    """Whether the roster has an active person in the rotation with this address: a manager without a grant."""
    return bool(db.session.scalar(sa.select(sa.exists().where(Person.email == email, in_rotation_clause()))))


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


def create_account(email: str, roles: list[str], display_name: str | None = None) -> User:
    """A new account holding exactly ``roles``, without a password: set one, or send a link to choose one.
    Without a name it takes the roster's name for the address, if any.

    Refused beside ``email`` when it is not an address or already has an account, and beside ``roles``
    (``known_roles``); both at once when both are wrong. Nothing is written when refused.
    """
    reasons: dict[str | None, str] = {}
    address: str | None = None
    try:
        address = normalise_email(email)
    except FieldRefusal as refusal:
        reasons.update(refusal.reasons)
    else:
        if find_user_by_email(address) is not None:
            reasons["email"] = f"{address} already has an account; open it from the list of accounts to change it."
    try:
        roles = known_roles(roles, address)
    except FieldRefusal as refusal:
        reasons.update(refusal.reasons)
    if reasons or address is None:
        raise Refusal(reasons)
    name = (display_name or "").strip() or db.session.scalar(sa.select(Person.full_name).where(Person.email == address))
    user = User(email=address, display_name=name or None)
    user.role_grants = [RoleGrant(role=role) for role in roles]
    db.session.add(user)
    db.session.flush()
    return user


def change_roles(user: User, roles: list[str], by: User | None = None) -> None:
    """The account holds exactly ``roles`` from its next request on; its sign-ins go on.

    ``by`` is the administrator making the change (None for a command). Nobody takes the administrator role
    from themself, and the last enabled administrator keeps it.
    """
    roles = known_roles(roles, user.email)
    held = {grant.role for grant in user.role_grants}
    if ADMIN in held and ADMIN not in roles:
        if by is not None and by.id == user.id:
            raise FieldRefusal(
                "roles", f"You cannot remove your own {LABELS[ADMIN]} role; ask another administrator.")
        _keep_an_administrator(user, f"{user.email} is the last enabled administrator; make another account "
                                     "an administrator first, or nobody could manage accounts.")
    for grant in list(user.role_grants):
        if grant.role not in roles:
            user.role_grants.remove(grant)
    for role in roles:
        if role not in held:
            user.role_grants.append(RoleGrant(role=role))
    user.forget_signed_in()
    db.session.flush()


def _keep_an_administrator(user: User, message: str) -> None:
    """Refuse (``message``) when ``user`` is the only enabled account holding the administrator role."""
    if not user.is_enabled:
        return
    others = db.session.scalar(sa.select(sa.exists().where(
        RoleGrant.role == ADMIN, RoleGrant.user_id == User.id, User.id != user.id, User.is_enabled.is_(True))))
    if not others:
        raise FieldRefusal(None, message)


def save_user(email: str, roles: list[str], password: str | None = None,
              display_name: str | None = None) -> tuple[User, bool]:
    """Create the account for ``email`` or update it; returns it and whether it is new (the ``users create``
    command).

    The account ends up with exactly ``roles``, under the rules of ``create_account`` and ``change_roles``.
    The password is changed only when one is given.
    """
    email = normalise_email(email)
    user = find_user_by_email(email)
    created = user is None
    if user is None:
        user = create_account(email, roles, display_name)
    else:
        if display_name:
            user.display_name = display_name
        change_roles(user, roles)
    if password is not None:
        set_password(user, password)
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

    An administrator may not disable their own account (another administrator may), and the last enabled
    administrator stays enabled. Returns how many sign-ins were ended.
    """
    if by is not None and by.id == user.id:
        raise FieldRefusal(None, "You cannot disable your own account; ask another administrator.")
    if ADMIN in {grant.role for grant in user.role_grants}:
        _keep_an_administrator(user, f"{user.email} is the last enabled administrator; make another account an "
                                     "administrator before disabling this one.")
    user.is_enabled = False
    return sign_ins.end_all(user.id, sign_ins.ACCOUNT_DISABLED)


def enable_account(user: User) -> None:
    user.is_enabled = True
