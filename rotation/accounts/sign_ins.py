"""Sign-ins: each signed-in browser is a row the person and an administrator can end.

A browser's session cookie, and its remember cookie when "Keep me signed in" was ticked, carry
``<id>.<secret>``; the row keeps the secret's SHA-256 hash. The account is loaded only while its row
is neither ended nor expired, so signing out, changing the password or an administrator ending the
sign-in also ends any copy of those cookies. A remember cookie that starts a new browser session is
replaced by a new secret (the old one keeps working for a minute, for tabs restored at the same time).

Every function here writes in the caller's transaction and commits nothing.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import request, session
from flask_login import login_user

from rotation.accounts.models import SignIn, User
from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.people.models import Person
from rotation.people.signals import roster_changed

SIGNED_IN_FOR = timedelta(hours=12)   # a browser session, from its last use
REMEMBERED_FOR = timedelta(days=30)   # "Keep me signed in", from its last use
LAST_SEEN_EVERY = timedelta(minutes=5)  # "last seen" is written at most this often
ROTATION_GRACE = timedelta(minutes=1)

# Why a sign-in ended, as the person's account page and the administrator read it.
SIGNED_OUT = "signed out"
SIGNED_OUT_ELSEWHERE = "signed out from another device"
PASSWORD_CHANGED = "password changed"
PASSWORD_SET_BY_LINK = "password set through an e-mailed link"
ENDED_BY_ADMIN = "ended by an administrator"
ACCOUNT_DISABLED = "account disabled"
LEFT_THE_COMPANY = "left the company"


@dataclass(frozen=True)
class Token:
    sign_in_id: int
    secret: str

    def __str__(self) -> str:
        return f"{self.sign_in_id}.{self.secret}"


def parse_token(value: str | None) -> Token | None:
    """The sign-in a cookie's value names, or None when it is not one of ours."""
    if not value:
        return None
    number, _, secret = value.partition(".")
    if not number.isdigit() or len(number) > 18 or not secret or len(secret) > 100:
        return None
    return Token(int(number), secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lifetime(remembered: bool) -> timedelta:
    return REMEMBERED_FOR if remembered else SIGNED_IN_FOR


def sign_in(user: User, remember: bool = False, now: datetime | None = None) -> SignIn:
    """Start a sign-in for ``user`` in this browser: its row, and the cookies Flask-Login sets."""
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    row = SignIn(user_id=user.id, secret_hash=hash_secret(secret), device=describe_device(_user_agent()),
                 address=_address(), remembered=remember, created_at=now, last_seen_at=now,
                 expires_at=now + lifetime(remember))
    db.session.add(row)
    db.session.flush()
    user.sign_in_token = str(Token(row.id, secret))
    user.sign_in_id = row.id
    login_user(user, remember=remember, duration=REMEMBERED_FOR if remember else None)
    return row


def check(token: Token, secret_hash: str, previous_hash: str | None, rotated_at: datetime | None,
          expires_at: datetime, now: datetime) -> bool:
    """Whether ``token`` opens its unended sign-in row now (the row's columns given)."""
    if expires_at <= now:
        return False
    given = hash_secret(token.secret)
    if hmac.compare_digest(given, secret_hash):
        return True
    return bool(previous_hash and rotated_at and now - rotated_at <= ROTATION_GRACE
                and hmac.compare_digest(given, previous_hash))


def seen(sign_in_id: int, remembered: bool, last_seen_at: datetime, now: datetime) -> None:
    """Note that the sign-in was used, at most every few minutes; its time to expire starts again."""
    if now - last_seen_at < LAST_SEEN_EVERY:
        return
    db.session.execute(
        sa.update(SignIn).where(SignIn.id == sign_in_id)
        .values(last_seen_at=now, expires_at=now + lifetime(remembered), address=_address())
        .execution_options(synchronize_session=False))


def renew_remembered(user: User, now: datetime | None = None) -> None:
    """The remember cookie started a new browser session: give it a new secret and set both cookies anew."""
    now = now or utcnow()
    token = parse_token(session.get("_user_id"))
    if token is None:
        return
    secret = secrets.token_urlsafe(32)
    renewed = db.session.execute(
        sa.update(SignIn)
        .where(SignIn.id == token.sign_in_id, SignIn.secret_hash == hash_secret(token.secret),
               SignIn.ended_at.is_(None))
        .values(previous_hash=SignIn.secret_hash, secret_hash=hash_secret(secret), rotated_at=now,
                last_seen_at=now, expires_at=now + REMEMBERED_FOR)
        .execution_options(synchronize_session=False))
    if rowcount(renewed) != 1:  # a tab restored at the same time renewed it first: its cookie wins
        return
    user.sign_in_token = str(Token(token.sign_in_id, secret))
    session["_user_id"] = user.sign_in_token
    session["_remember"] = "set"
    session["_remember_seconds"] = REMEMBERED_FOR.total_seconds()
    session["_fresh"] = False


def renew_on_cookie(sender, user: User, **extra) -> None:
    """Flask-Login's signal that the remember cookie signed ``user`` in."""
    renew_remembered(user)


def end(sign_in_id: int, because: str, user_id: int | None = None, now: datetime | None = None) -> bool:
    """End one sign-in (of ``user_id`` when given); False when there was none to end."""
    statement = sa.update(SignIn).where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
    if user_id is not None:
        statement = statement.where(SignIn.user_id == user_id)
    ended = db.session.execute(statement.values(ended_at=now or utcnow(), ended_because=because)
                               .execution_options(synchronize_session=False))
    return rowcount(ended) == 1


def end_all(user_id: int, because: str, keep: int | None = None, now: datetime | None = None) -> int:
    """End every sign-in of the account but ``keep``; how many were ended."""
    statement = sa.update(SignIn).where(SignIn.user_id == user_id, SignIn.ended_at.is_(None))
    if keep is not None:
        statement = statement.where(SignIn.id != keep)
    ended = db.session.execute(statement.values(ended_at=now or utcnow(), ended_because=because)
                               .execution_options(synchronize_session=False))
    return rowcount(ended)


def end_for_people(person_ids: list[int], because: str, now: datetime | None = None) -> int:
    """End every sign-in of the accounts with these roster people's addresses (leavers); how many."""
    ended = 0
    for start in range(0, len(person_ids), 1_000):
        theirs = sa.select(User.id).join(Person, Person.email == User.email) \
            .where(Person.id.in_(person_ids[start:start + 1_000]))
        ended += rowcount(db.session.execute(
            sa.update(SignIn).where(SignIn.user_id.in_(theirs), SignIn.ended_at.is_(None))
            .values(ended_at=now or utcnow(), ended_because=because)
            .execution_options(synchronize_session=False)))
    return ended


def current(user_id: int, now: datetime | None = None) -> list[SignIn]:
    """The account's sign-ins that still work, the most recently used first."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(SignIn).where(SignIn.user_id == user_id, SignIn.ended_at.is_(None), SignIn.expires_at > now)
        .order_by(SignIn.last_seen_at.desc(), SignIn.id.desc())))


def counts(user_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """How many sign-ins still work, per account."""
    if not user_ids:
        return {}
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(SignIn.user_id, sa.func.count())
        .where(SignIn.user_id.in_(user_ids), SignIn.ended_at.is_(None), SignIn.expires_at > now)
        .group_by(SignIn.user_id))
    return dict(rows.tuples().all())


_BROWSERS = (("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("OPR/", "Opera"),
             ("SamsungBrowser/", "Samsung Internet"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
             ("CriOS/", "Chrome"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("CrOS", "ChromeOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"), ("Linux", "Linux"))
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]")


def describe_device(user_agent: str) -> str:
    """A browser's description a person recognises, such as "Firefox on Windows"."""
    agent = _UNPRINTABLE.sub("", user_agent or "")
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or f"A browser on {system}"
    return (agent[:60] or "An unknown browser")[:200]


def _user_agent() -> str:
    return request.headers.get("User-Agent", "") if request else ""


def _address() -> str:
    return ((request.remote_addr if request else None) or "unknown")[:64]


@roster_changed.connect
def _sign_out_leavers(leaver_ids: list[int], today: date) -> None:
    end_for_people(leaver_ids, LEFT_THE_COMPANY)
