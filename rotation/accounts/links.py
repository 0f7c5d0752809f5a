"""Password links: a single-use link by e-mail to set a password, for a new account or a forgotten one.

A link's secret travels only in the queued e-mail; the database keeps its
SHA-256 hash. Every function here only flushes: the link and its e-mail are
written in the caller's transaction, so a link is never made without its
message, and a rolled-back change queues nothing.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from rotation.accounts.models import PasswordLink, User
from rotation.accounts.services import (
    create_account,
    find_user_by_email,
    normalise_email,
    password_problem,
    set_password,
)
from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.outbox.models import QUEUED, RESET_PASSWORD, SET_PASSWORD, SUPERSEDED, OutboxMessage
from rotation.people.models import Person, in_rotation_clause
from rotation.people.signals import invited_already, roster_changed
from rotation.refusals import FieldRefusal

LIFETIMES = {SET_PASSWORD: timedelta(days=7), RESET_PASSWORD: timedelta(hours=1)}
LIFETIME_WORDS = {SET_PASSWORD: "for 7 days", RESET_PASSWORD: "for one hour"}
# The forgotten-password form makes at most this many links per address in THROTTLE_WINDOW.
LINKS_PER_WINDOW = 3
THROTTLE_WINDOW = timedelta(hours=1)
PATH = "/password/"
_BATCH = 5000


@dataclass(frozen=True)
class UsableLink:
    """A link that may set a password now: its row and the account it would set (None: made on use)."""

    link: PasswordLink
    user: User | None


def hash_token(token: str) -> str:
    """The stored form of a link's secret."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    return f"{current_app.config['ROTATION_BASE_URL']}{PATH}{token}"


def send_password_link(email: str, purpose: str, now: datetime | None = None) -> str:
    """Make a link for ``email`` and queue its e-mail; returns the link's raw secret.

    Older unused links of the same purpose for the address stop working, and
    their e-mails, if still queued, are superseded.
    """
    if purpose not in LIFETIMES:
        raise ValueError(f"unknown password-link purpose {purpose!r}")
    now = now or utcnow()
    email = email.strip().lower()
    _retire_links(email, purpose, now)
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordLink(email=email, purpose=purpose, token_hash=hash_token(token), created_at=now,
                                expires_at=now + LIFETIMES[purpose]))
    name = _name_for(email)
    db.session.add(_message(email, name, purpose, token, now))
    db.session.flush()
    return token


def request_password_link(email: str, now: datetime | None = None) -> None:
    """The forgotten-password form: a link when the address may have one, silently nothing otherwise.

    An enabled account gets a reset link; an active person in the rotation
    without an account gets a link to set their first password. Nobody gets
    more than LINKS_PER_WINDOW links an hour. The caller answers the same in
    every case. Raises ``FieldRefusal`` only for an address that is not one.
    """
    now = now or utcnow()
    email = normalise_email(email)
    if _recent_links(email, now) >= LINKS_PER_WINDOW:
        return
    user = find_user_by_email(email)
    if user is not None:
        if user.is_enabled:
            send_password_link(email, RESET_PASSWORD, now)
        return
    in_rotation = db.session.scalar(sa.select(sa.exists().where(Person.email == email, in_rotation_clause())))
    if in_rotation:
        send_password_link(email, SET_PASSWORD, now)


def send_link_to_person(person: Person, now: datetime | None = None) -> None:
    """HR's button on a person's page: a link to set a password, whether or not they have an account yet."""
    if not person.is_active:
        raise FieldRefusal(None, f"{person.full_name} has left the company; no link was sent.")
    user = find_user_by_email(person.email)
    if user is not None and not user.is_enabled:
        raise FieldRefusal(None, f"The account {user.email} is disabled; an administrator must enable it before "
                                 "a link can help.")
    send_password_link(person.email, SET_PASSWORD, now)


def create_account_with_link(email: str, roles: list[str], display_name: str | None = None,
                             now: datetime | None = None) -> User:
    """An administrator's new account: made without a password (``services.create_account``'s rules), and
    the person is e-mailed a link to choose one."""
    user = create_account(email, roles, display_name)
    send_password_link(user.email, SET_PASSWORD, now)
    return user


def send_link_to_account(user: User, now: datetime | None = None) -> None:
    """An administrator's button on an account's page: a new link to set a password (older ones stop working).
    A password the account has keeps working until the link is used."""
    if not user.is_enabled:
        raise FieldRefusal(None, f"The account {user.email} is disabled; enable it before sending a link, "
                                 "or the link could not be used.")
    send_password_link(user.email, SET_PASSWORD, now)


def live_link(email: str, now: datetime | None = None) -> PasswordLink | None:
    """The newest link for ``email`` that could still set a password, if any."""
    now = now or utcnow()
    return db.session.scalar(
        sa.select(PasswordLink)
        .where(PasswordLink.email == email, PasswordLink.used_at.is_(None), PasswordLink.expires_at > now)
        .order_by(PasswordLink.created_at.desc(), PasswordLink.id.desc()).limit(1))


def invite_new_accounts(now: datetime | None = None) -> int:
    """Queue a set-password link for everyone active and in the rotation with no account and no live link.

    Called by the roster import, in its transaction. Set-based: one query finds
    the people, then links and e-mails are inserted in batches. Returns how many
    were invited.
    """
    now = now or utcnow()
    has_account = sa.exists().where(User.email == Person.email)
    has_live_link = sa.exists().where(
        PasswordLink.email == Person.email, PasswordLink.purpose == SET_PASSWORD,
        PasswordLink.used_at.is_(None), PasswordLink.expires_at > now)
    people = db.session.execute(
        sa.select(Person.email, Person.full_name)
        .where(in_rotation_clause(), ~has_account, ~has_live_link)
        .order_by(Person.id)).all()
    for start in range(0, len(people), _BATCH):
        links, messages = [], []
        for email, name in people[start:start + _BATCH]:
            token = secrets.token_urlsafe(32)
            links.append({"email": email, "purpose": SET_PASSWORD, "token_hash": hash_token(token),
                          "created_at": now, "expires_at": now + LIFETIMES[SET_PASSWORD], "used_at": None})
            messages.append(_message_row(email, name, SET_PASSWORD, token, now))
        db.session.execute(sa.insert(PasswordLink), links)
        db.session.execute(sa.insert(OutboxMessage), messages)
    return len(people)


def usable_link(token: str, now: datetime | None = None) -> UsableLink | None:
    """The link behind ``token`` when it can still set a password; None when unknown, used or expired."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    link = db.session.scalar(sa.select(PasswordLink).where(PasswordLink.token_hash == hash_token(token)))
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    user = find_user_by_email(link.email)
    if user is not None and not user.is_enabled:
        return None
    if user is None and link.purpose == RESET_PASSWORD:
        return None  # the account was deleted since
    return UsableLink(link, user)


def use_link(usable: UsableLink, password: str, now: datetime | None = None) -> User:
    """Set the password through a link, making the account when there is none; returns the account.

    The link is spent at once, so two submissions of one link set the password
    only once; every other unused link for the address stops working too.
    Raises ``FieldRefusal`` when the password is refused or the link was just spent.
    """
    now = now or utcnow()
    link, user = usable.link, usable.user
    problem = password_problem(password, link.email)
    if problem:
        raise FieldRefusal("new", problem)
    spent = db.session.execute(
        sa.update(PasswordLink).where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    if rowcount(spent) != 1:
        raise FieldRefusal(None, "This link has just been used. Ask for a new one if you still need it.")
    if user is None:
        user = User(email=link.email, display_name=_name_for(link.email) or None)
        db.session.add(user)
    set_password(user, password)
    db.session.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.email == link.email, PasswordLink.used_at.is_(None), PasswordLink.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))
    db.session.flush()
    return user


def _retire_links(email: str, purpose: str, now: datetime) -> None:
    db.session.execute(
        sa.update(PasswordLink)
        .where(PasswordLink.email == email, PasswordLink.purpose == purpose, PasswordLink.used_at.is_(None),
               PasswordLink.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.recipient == email, OutboxMessage.purpose == purpose, OutboxMessage.status == QUEUED)
        .values(status=SUPERSEDED).execution_options(synchronize_session=False))


def _recent_links(email: str, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(PasswordLink)
        .where(PasswordLink.email == email, PasswordLink.created_at >= now - THROTTLE_WINDOW)) or 0


def _name_for(email: str) -> str:
    """The roster's name for the address, else the account's, else nothing."""
    name = db.session.scalar(sa.select(Person.full_name).where(Person.email == email))
    if name is None:
        name = db.session.scalar(sa.select(User.display_name).where(User.email == email))
    return name or ""


def _message(email: str, name: str, purpose: str, token: str, now: datetime) -> OutboxMessage:
    return OutboxMessage(**_message_row(email, name, purpose, token, now))


def _message_row(email: str, name: str, purpose: str, token: str, now: datetime) -> dict:
    subject, body = _text(name, email, purpose, link_url(token))
    return {"purpose": purpose, "recipient": email, "recipient_name": name, "assignment_id": None,
            "sequence": None, "subject": subject, "body_text": body, "status": QUEUED, "attempts": 0,
            "created_at": now, "next_attempt_at": now}


def _text(name: str, email: str, purpose: str, url: str) -> tuple[str, str]:
    """The subject and plain text of a password e-mail."""
    greeting = f"Hello {name}," if name else "Hello,"
    if purpose == SET_PASSWORD:
        return "Set your password for Rotation", (
            f"{greeting}\n\n"
            "Rotation plans your days on the frontline: once a year a customer-service day at a contact "
            "centre and a week in a warehouse. Your shifts arrive as calendar invitations, and what you see "
            "on the floor you file in Rotation so that it gets fixed.\n\n"
            f"Choose your password here to sign in as {email}. The link works once, {LIFETIME_WORDS[purpose]}:\n\n"
            f"{url}\n\n"
            "If the link has expired, ask for a new one with \"Forgot your password?\" on the sign-in page.\n")
    return "Reset your Rotation password", (
        f"{greeting}\n\n"
        f"Someone, hopefully you, asked to reset the password of {email} in Rotation. Choose a new password "
        f"here. The link works once, {LIFETIME_WORDS[purpose]}:\n\n"
        f"{url}\n\n"
        "If it was not you, ignore this e-mail: your password stays as it is.\n")


@roster_changed.connect
def _invite_newcomers(_leaver_ids: list[int], today: date) -> None:
    """Whoever a roster import put in the rotation without an account gets a link to set a password."""
    invite_new_accounts()


def already_invited(now: datetime | None = None) -> set[str]:
    """The addresses ``invite_new_accounts`` would pass over: an account, or a set-password link still working."""
    now = now or utcnow()
    accounts = db.session.scalars(sa.select(User.email))
    links = db.session.scalars(
        sa.select(PasswordLink.email).where(PasswordLink.purpose == SET_PASSWORD, PasswordLink.used_at.is_(None),
                                            PasswordLink.expires_at > now))
    return set(accounts) | set(links)


@invited_already.connect
def _already_invited(_sender: None) -> set[str]:
    return already_invited()
