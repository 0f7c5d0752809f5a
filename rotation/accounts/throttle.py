"""Slowing down password guessing without handing strangers a way to lock the owner out.

Failed log-ins are counted per key over an hour from the last failure:

- per account and network address: 5 free, then each attempt from that address waits, 15 seconds at
  first and twice as long each time after, up to 15 minutes;
- per network address, whatever the accounts: 20 free, then the same waits;
- per account, from addresses that have never signed into it: 50 free, then the same waits for those
  addresses only. An address the account signed in from (in the last 180 days) is never slowed by what
  other addresses did, so guessing from elsewhere cannot keep the owner out; an owner on a new network
  while their account is under attack is told to use the e-mailed password link, which always works.

Counting is atomic: an attempt reserves its place in every counter (an upsert that returns the new
count) before its password is checked, so a burst of simultaneous guesses gets no more checks than
one guesser would. Counters live in the database, so every server process sees the same ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from rotation.accounts.models import LoginThrottle, SignIn
from rotation.extensions import db

WINDOW = timedelta(hours=1)
PER_ACCOUNT_AND_ADDRESS = 5
PER_ADDRESS = 20
PER_ACCOUNT_ELSEWHERE = 50
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=15)
KNOWN_FOR = timedelta(days=180)

TOO_MANY = "Too many failed log-ins. Wait {seconds} seconds, then try again."
TOO_MANY_ELSEWHERE = ("Too many failed log-ins to this account from other places. Wait {seconds} seconds, "
                      "or choose “Forgot your password?” for a link by e-mail, which always works.")


@dataclass(frozen=True)
class Counter:
    key: str
    free: int
    message: str


@dataclass(frozen=True)
class Refusal:
    wait: timedelta
    message: str


def counters(email: str, address: str, known_address: bool) -> list[Counter]:
    """The counters an attempt at ``email`` from ``address`` counts in."""
    chosen = [Counter(f"account-address:{email}|{address}", PER_ACCOUNT_AND_ADDRESS, TOO_MANY),
              Counter(f"address:{address}", PER_ADDRESS, TOO_MANY)]
    if not known_address:
        chosen.append(Counter(f"account:{email}", PER_ACCOUNT_ELSEWHERE, TOO_MANY_ELSEWHERE))
    return chosen


def known_address(user_id: int, address: str, now: datetime) -> bool:
    """Whether the account has signed in from ``address`` lately."""
    return bool(db.session.scalar(sa.select(sa.exists().where(
        SignIn.user_id == user_id, SignIn.address == address, SignIn.created_at > now - KNOWN_FOR))))


def _delay(failures: int, free: int) -> timedelta:
    return min(FIRST_DELAY * 2 ** min(failures - free, 20), MAX_DELAY)


def check(chosen: list[Counter], now: datetime) -> tuple[Refusal | None, dict[str, int]]:
    """A refusal when one of the counters makes this attempt wait, and each counter's current count."""
    rows = {row.key: row for row in db.session.scalars(
        sa.select(LoginThrottle).where(LoginThrottle.key.in_([counter.key for counter in chosen])))}
    counts: dict[str, int] = {}
    refusals = []
    for counter in chosen:
        row = rows.get(counter.key)
        failures = row.failures if row is not None and row.last_failure_at > now - WINDOW else 0
        counts[counter.key] = failures
        if row is not None and failures >= counter.free:
            remaining = row.last_failure_at + _delay(failures, counter.free) - now
            if remaining > timedelta(0):
                refusals.append(Refusal(remaining, counter.message))
    return (max(refusals, key=lambda refusal: refusal.wait) if refusals else None), counts


def reserve(chosen: list[Counter], counts: dict[str, int], now: datetime) -> Refusal | None:
    """Count this attempt as a failure in every counter before its password is checked.

    A refusal when another attempt was counted meanwhile and this one is past the free ones: it would
    have had to wait for that one.
    """
    refusal = None
    for counter in sorted(chosen, key=lambda counter: counter.key):  # one order: no two requests deadlock
        failures = _count_one_more(counter.key, now)
        if failures > counter.free and failures != counts[counter.key] + 1:
            refusal = Refusal(_delay(failures - 1, counter.free), counter.message)
    return refusal


def succeeded(chosen: list[Counter]) -> None:
    """The password was right: the account and address start afresh, and the attempt counts nowhere."""
    first, *others = chosen
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == first.key))
    db.session.execute(
        sa.update(LoginThrottle).where(LoginThrottle.key.in_([counter.key for counter in others]))
        .values(failures=sa.func.max(LoginThrottle.failures - 1, 0) if db.engine.dialect.name == "sqlite"
                else sa.func.greatest(LoginThrottle.failures - 1, 0))
        .execution_options(synchronize_session=False))


def forget_old(now: datetime) -> None:
    """Drop counters whose last failure is over an hour old."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.last_failure_at <= now - WINDOW))


def _count_one_more(key: str, now: datetime) -> int:
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LoginThrottle).values(key=key, failures=1, last_failure_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[LoginThrottle.key],
        set_={"failures": sa.case((LoginThrottle.last_failure_at <= now - WINDOW, 1),
                                  else_=LoginThrottle.failures + 1),
              "last_failure_at": now})
    return db.session.execute(statement.returning(LoginThrottle.failures)).scalar_one()
