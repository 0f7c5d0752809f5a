"""Personal calendar feeds: the secret link, what it shows, who it belongs to, and how a person wants their
shifts to reach their calendar.

A feed link carries a random token of 256 bits. Only its SHA-256 hash is
stored, so the raw token exists exactly once: in the answer to the request or
command that issued it. Issuing a new token revokes the person's previous one,
whose link then answers 410 Gone.

A person chooses e-mailed invitations (the default), the subscribed calendar
alone, or both (``Person.calendar_delivery``); the outbox reads the choice when
it queues invitations and cancellations (rotation.outbox.queue).
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager, joinedload

from rotation.assignments.models import CANCELLED, COMPLETED, CONFIRMED, NO_SHOW, PUBLISHED, Assignment
from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.feeds.models import FeedToken
from rotation.outbox.queue import drop_queued_calendar_messages
from rotation.people.models import BY_BOTH, BY_EMAIL, BY_FEED, CALENDAR_DELIVERIES, Person
from rotation.people.signals import person_page, roster_changed
from rotation.refusals import FieldRefusal
from rotation.sites.models import Slot

TOKEN_BYTES = 32  # 256 bits of randomness in every link
# The longest token a link can carry (token_urlsafe(32) gives 43 characters); longer ones are not ours.
MAX_TOKEN_LENGTH = 64
# How often a poll may record itself: calendar apps poll often, and a write per poll is waste.
USE_RECORDED_EVERY = timedelta(hours=1)
# Calendar apps poll about hourly (the feed says REFRESH-INTERVAL PT1H); a private cache may keep it a while.
FEED_CACHE_CONTROL = "private, max-age=900"
# Shifts a feed shows: announced to the person and still on (drafts and cancelled shifts never appear).
FEED_STATUSES = (PUBLISHED, CONFIRMED, COMPLETED)
# A feed's shifts, also said in the words of the partial index on (person, year, kind) of open assignments, so
# that SQLite and PostgreSQL look a person's shifts up through it (every status a feed shows is open).
IN_FEED = (Assignment.status.in_(FEED_STATUSES), sa.text(f"assignment.status NOT IN ('{CANCELLED}', '{NO_SHOW}')"))
# Where a feed is served (the route in views.py); tokens are URL-safe as they are.
FEED_PATH = "/calendar/{token}.ics"


# How each choice is named wherever it is shown (the Calendar page, HR's page of the person).
DELIVERY_LABELS = {BY_EMAIL: "Invitations by e-mail", BY_FEED: "Subscribed calendar (feed)", BY_BOTH: "Both"}
# The same, standing alone (on HR's page of the person, where "Both" would say nothing).
DELIVERY_SUMMARIES = {BY_EMAIL: "Invitations by e-mail", BY_FEED: "Subscribed calendar (feed) only, no invitations",
                      BY_BOTH: "Invitations by e-mail and the subscribed calendar (feed)"}
UNKNOWN_DELIVERY = "Choose one of the three: invitations by e-mail, the subscribed calendar (feed), or both."


@dataclass(frozen=True)
class DeliveryChange:
    """A person's choice before and after saving it, and the raw token of the link that saving created."""

    before: str
    after: str
    new_token: str | None = None


@dataclass(frozen=True)
class FeedLinks:
    """The two spellings of one feed link: ``https://`` for browsers and Google, ``webcal://`` for apps."""

    https: str
    webcal: str


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def person_by_email(email: str) -> Person | None:
    """The roster person with this e-mail address (any spelling), or None."""
    return db.session.scalar(sa.select(Person).where(Person.email == email.strip().lower()))


def live_token(person: Person) -> FeedToken | None:
    """The person's working feed token, if they have one."""
    return db.session.scalar(
        sa.select(FeedToken).where(FeedToken.person_id == person.id, FeedToken.revoked_at.is_(None)))


def issue_token(person: Person) -> str:
    """Give the person a new feed token and return it raw; their previous link stops working.

    The person's row is locked first (on PostgreSQL), so two requests at once
    cannot both leave a working token behind.
    """
    db.session.execute(sa.select(Person.id).where(Person.id == person.id).with_for_update())
    now = utcnow()
    db.session.execute(
        sa.update(FeedToken)
        .where(FeedToken.person_id == person.id, FeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(FeedToken(person_id=person.id, token_hash=hash_token(token), created_at=now))
    db.session.flush()
    return token


def feed_assignments(person: Person) -> list[Assignment]:
    """The person's announced shifts of every year, soonest first, with person, slot and site loaded."""
    return list(db.session.scalars(
        sa.select(Assignment)
        .join(Assignment.slot)
        .options(contains_eager(Assignment.slot).joinedload(Slot.site), joinedload(Assignment.person))
        .where(Assignment.person_id == person.id, *IN_FEED)
        .order_by(Slot.starts_at, Assignment.id)
    ))


def shift_for_download(uid: str) -> Assignment | None:
    """An announced shift by its calendar UID, with its person, slot and site loaded; None otherwise."""
    assignment = db.session.scalar(
        sa.select(Assignment)
        .options(joinedload(Assignment.person), joinedload(Assignment.slot).joinedload(Slot.site))
        .where(Assignment.uid == uid)
    )
    if assignment is None or assignment.status not in FEED_STATUSES:
        return None
    return assignment


def feed_links(token: str) -> FeedLinks:
    """The feed's full address under ROTATION_BASE_URL, as https (or http) and as webcal."""
    base = current_app.config["ROTATION_BASE_URL"].rstrip("/")
    https = f"{base}{FEED_PATH.format(token=token)}"
    return FeedLinks(https=https, webcal="webcal://" + https.split("://", 1)[1])


def feed_name(person: Person) -> str:
    """The calendar's name as calendar apps list it."""
    return f"Rotation: {person.full_name}"



def choose_delivery(person: Person, choice: str) -> DeliveryChange:
    """Save how the person's shifts reach their calendar; flush.

    The subscribed calendar needs a link, so choosing it (alone or with e-mail)
    creates one when the person has none; the change returns it raw, to be
    shown once. Choosing it alone also stops the invitations and cancellations
    still queued for them. Nothing is sent when the choice is saved: from then
    on each change of a shift is announced as the person chose (see
    :func:`rotation.outbox.queue.queue_assignment_notices`).
    """
    if choice not in CALENDAR_DELIVERIES:
        raise FieldRefusal("calendar_delivery", UNKNOWN_DELIVERY)
    before = person.calendar_delivery
    new_token = issue_token(person) if choice != BY_EMAIL and live_token(person) is None else None
    person.calendar_delivery = choice
    if choice == BY_FEED:
        drop_queued_calendar_messages(person.id)
    db.session.flush()
    return DeliveryChange(before=before, after=choice, new_token=new_token)


def revoke_tokens(person_ids: list[int]) -> int:
    """Stop these people's feed links (leavers'); how many were working."""
    revoked = 0
    now = utcnow()
    for start in range(0, len(person_ids), 1_000):
        revoked += rowcount(db.session.execute(
            sa.update(FeedToken)
            .where(FeedToken.person_id.in_(person_ids[start:start + 1_000]), FeedToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False)))
    return revoked


@roster_changed.connect
def _stop_leavers_links(leaver_ids: list[int], today: date) -> None:
    revoke_tokens(leaver_ids)


@person_page.connect
def _calendar_of(person: Person) -> dict:
    """On HR's page of a person: how their shifts reach their calendar (read with the person: no query)."""
    return {"calendar_delivery": DELIVERY_SUMMARIES[person.calendar_delivery]}
