"""Asking a site's host, once per slot, who came: a signed single-use link by e-mail after the slot ends.

The link carries the link's id and a random secret, signed with the app's
secret key; the database keeps only the secret's SHA-256 hash, so the link
exists nowhere but in the host's e-mail.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager

from rotation.assignments.models import Assignment
from rotation.attendance.models import AttendanceLink
from rotation.attendance.services import TO_RECORD
from rotation.db import rowcount
from rotation.extensions import db
from rotation.outbox.due import falls_due
from rotation.outbox.models import ATTENDANCE
from rotation.outbox.queue import queue_text_message
from rotation.outbox.texts import when_text
from rotation.people.models import Person
from rotation.sites.models import Site, Slot

SALT = "attendance-link"
PATH = "/attendance/host/"
LIFETIME = timedelta(days=14)
# A host is asked about slots that ended within this long; older ones are left to HR.
ASK_WITHIN = timedelta(days=7)
# Slots handled in one pass of the sending worker; the rest wait for the next pass.
BATCH = 100
# A slot's first day is at most this long before it ends (a warehouse week); bounds the search by date.
LONGEST_SLOT = timedelta(days=8)
MAX_TOKEN = 500

VALID = "valid"
INVALID = "invalid"
USED = "used"
EXPIRED = "expired"


@dataclass(frozen=True)
class OpenedLink:
    """What a token from a host's link turned out to be: ``state`` and, unless invalid, its link."""

    state: str
    link: AttendanceLink | None = None

    @property
    def usable(self) -> bool:
        return self.state == VALID


@falls_due("attendance requests")
def queue_attendance_requests(now: datetime) -> int:
    """Make a link and queue an e-mail to the host for each slot that needs one; flush; return how many.

    A slot needs one when it ended within the last 7 days, its site has a
    host e-mail address, some of its attendees still wait for their attendance,
    and it has no link yet. At most ``BATCH`` slots a pass. Two workers running
    at once never ask twice: the link is inserted only when the slot has none,
    and only the worker that inserted it sends the e-mail.
    """
    slots = db.session.execute(
        sa.select(Slot.id, Site.host_email, Site.host_name)
        .join(Site, Site.id == Slot.site_id)
        .where(Slot.first_day >= (now - ASK_WITHIN - LONGEST_SLOT).date(), Slot.first_day <= now.date(),
               Slot.ends_at <= now, Slot.ends_at > now - ASK_WITHIN,
               sa.func.coalesce(Site.host_email, "") != "",
               sa.exists().where(Assignment.slot_id == Slot.id, Assignment.status.in_(TO_RECORD)),
               ~sa.exists().where(AttendanceLink.slot_id == Slot.id))
        .order_by(Slot.ends_at, Slot.id).limit(BATCH)).all()
    if not slots:
        return 0
    attendees: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in db.session.scalars(
            sa.select(Assignment)
            .join(Assignment.person).join(Assignment.slot).join(Slot.site)
            .options(contains_eager(Assignment.person),
                     contains_eager(Assignment.slot).contains_eager(Slot.site))
            .where(Assignment.slot_id.in_([row.id for row in slots]), Assignment.status.in_(TO_RECORD))
            .order_by(Person.full_name, Assignment.id)):
        attendees[assignment.slot_id].append(assignment)
    queued = 0
    for row in slots:
        if not attendees[row.id]:
            continue
        email = row.host_email.strip()
        token = _claim(row.id, email, now)
        if token is None:  # another worker asked the host a moment ago
            continue
        subject, body = _request_text(attendees[row.id], row.host_name, token, now)
        queue_text_message(ATTENDANCE, email, row.host_name or "", subject, body)
        queued += 1
    db.session.flush()
    return queued


def open_link(token: str, now: datetime) -> OpenedLink:
    """Check a host's link: signed by us, known, its secret matching, not used and not expired."""
    if not token or len(token) > MAX_TOKEN:
        return OpenedLink(INVALID)
    try:
        payload = _serializer().loads(token, max_age=int(LIFETIME.total_seconds()))
    except SignatureExpired:
        return OpenedLink(EXPIRED)
    except BadSignature:
        return OpenedLink(INVALID)
    if not isinstance(payload, dict):
        return OpenedLink(INVALID)
    link_id, secret = payload.get("link"), payload.get("secret")
    if not isinstance(link_id, int) or isinstance(link_id, bool) or not isinstance(secret, str):
        return OpenedLink(INVALID)
    link = db.session.get(AttendanceLink, link_id)
    if link is None or not hmac.compare_digest(link.secret_hash, hash_secret(secret)):
        return OpenedLink(INVALID)
    if link.used_at is not None:
        return OpenedLink(USED, link)
    if link.expires_at <= now:
        return OpenedLink(EXPIRED, link)
    return OpenedLink(VALID, link)


def spend_link(link: AttendanceLink, now: datetime) -> bool:
    """Mark the link used; False when it was used (or expired) a moment ago. Flush."""
    spent = rowcount(db.session.execute(
        sa.update(AttendanceLink)
        .where(AttendanceLink.id == link.id, AttendanceLink.used_at.is_(None), AttendanceLink.expires_at > now)
        .values(used_at=now).execution_options(synchronize_session=False)))
    if spent == 1:
        link.used_at = now
        db.session.flush()
    return spent == 1


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_token(link_id: int, secret: str) -> str:
    return _serializer().dumps({"link": link_id, "secret": secret})


def link_url(token: str) -> str:
    return f"{current_app.config['ROTATION_BASE_URL'].rstrip('/')}{PATH}{token}"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _claim(slot_id: int, email: str, now: datetime) -> str | None:
    """Insert the slot's link unless it has one; the new link's token, or None when it already had one."""
    secret = secrets.token_urlsafe(32)
    values = {"slot_id": slot_id, "email": email, "secret_hash": hash_secret(secret), "created_at": now,
              "expires_at": now + LIFETIME, "used_at": None}
    dialect = db.session.get_bind().dialect.name
    table = AttendanceLink.__table__
    statement: sa.Insert
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
    else:  # other databases: a plain insert, which a second worker's duplicate makes fail loudly
        statement = sa.insert(table).values(values)
    link_id = db.session.execute(statement.returning(table.c.id)).scalar()
    return None if link_id is None else make_token(link_id, secret)


def _request_text(attendees: list[Assignment], host_name: str | None, token: str,
                  now: datetime) -> tuple[str, str]:
    """The subject and plain text of the e-mail asking the host who came."""
    first = attendees[0]
    site = first.slot.site
    when = when_text(first)
    expires = (now + LIFETIME).date()
    body = current_app.jinja_env.get_template("email/attendance_request.txt").render(
        host_name=(host_name or "").strip(), site_name=site.name, when=when, attendees=attendees,
        url=link_url(token), expires=f"{expires:%A} {expires.day} {expires:%B %Y}")
    day = first.slot.first_day
    days = f"{day:%a} {day.day} {day:%b %Y}"
    if first.slot.last_day != day:
        days = f"week of {days}"
    return f"Who came? {site.name}, {days}", body
