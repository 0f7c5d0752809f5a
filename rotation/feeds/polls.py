"""Answering a calendar app's poll: the feed's ETag is known before its calendar is built.

Calendar apps poll a feed about hourly and nearly always find it unchanged, so
the ETag is not a hash of the calendar's bytes but of everything those bytes
are made from:

- for each shift the feed shows: its UID, kind, status, sequence and last change
  (the events' DTSTAMP), its slot's days and instants, and its site's name,
  address, host and time zone (the event's title, place, times and details);
- the person's name (the calendar's name);
- the app's base URL (the links in each event);
- the feed's format: a digest of the code and the template that write a feed,
  and the version of ``ics``.

One query reads the link and those fields. Equal fields make equal bytes, so a
poll whose If-None-Match names the fingerprint is answered 304 without building
anything, and any change to a field changes the ETag. The fields are read as
they are, not through a version number every writer would have to remember to
raise: a move, a withdrawal, recorded attendance or a site renamed by an import
all change the ETag whichever code made them.

The same query gives the feed's Last-Modified, for apps that revalidate with
If-Modified-Since alone: the latest of the shown shifts' last changes, the
link's creation, and the moment a poll first found the ETag different from the
one the link last served (``FeedToken.shown_changed_at``). That last one
covers what no row dates: a site renamed, new hours, a shift that left the
feed, a new feed format. ETag and If-None-Match keep precedence (RFC 9110
13.2.2): an app that sends both is answered by the ETag.
"""
from __future__ import annotations

import hashlib
import inspect
import sys
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from rotation.assignments.models import Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.feeds import services
from rotation.feeds.models import FeedToken
from rotation.feeds.services import IN_FEED, MAX_TOKEN_LENGTH, USE_RECORDED_EVERY, feed_name, hash_token
from rotation.outbox import calendar as calendar_module
from rotation.outbox import normalise, texts
from rotation.outbox.calendar import feed_calendar
from rotation.people.models import Person
from rotation.sites.models import Site, Slot

# Everything of a shift that its event shows; the order is the fingerprint's.
SHOWN = (Assignment.uid, Assignment.kind, Assignment.status, Assignment.sequence, Assignment.updated_at,
         Slot.first_day, Slot.last_day, Slot.starts_at, Slot.ends_at,
         Site.name, Site.address, Site.host_name, Site.host_email, Site.timezone)
# Where each shown field comes from, starting at the assignment.
_PATH_OF_MODEL: dict[object, tuple[str, ...]] = {Assignment: (), Slot: ("slot",), Site: ("slot", "site")}
_SHOWN_PATHS = tuple((_PATH_OF_MODEL[column.class_], column.key) for column in SHOWN)
# The code and template that write a feed: when they change, every feed's bytes may change.
FORMAT_MODULES = (calendar_module, normalise, texts, services, sys.modules[__name__])
FORMAT_TEMPLATES = ("email/shift_details.txt",)
_FORMAT_KEY = "rotation.feeds.format"

# What the poll reads of the link and its person, before the SHOWN fields of each shift.
_LINK = (FeedToken.id, FeedToken.person_id, FeedToken.last_used_at, FeedToken.created_at, FeedToken.shown_etag,
         FeedToken.shown_changed_at, Person.full_name)
_POLL = (
    sa.select(*_LINK, *SHOWN)
    .join(Person, Person.id == FeedToken.person_id)
    .outerjoin(Assignment, sa.and_(Assignment.person_id == Person.id, *IN_FEED))
    .outerjoin(Slot, Slot.id == Assignment.slot_id)
    .outerjoin(Site, Site.id == Slot.site_id)
    .where(FeedToken.token_hash == sa.bindparam("token_hash"), FeedToken.revoked_at.is_(None))
    .order_by(Slot.starts_at, Assignment.id)
)


@dataclass(frozen=True)
class Poll:
    """A working feed link, when its use was last noted, and the ETag and Last-Modified of its calendar as it is
    now. ``changed`` says the ETag differs from the one the link last served (None when it never served one)."""

    token_id: int
    person_id: int
    last_used_at: datetime | None
    etag: str
    last_modified: datetime
    changed: bool | None


def find_poll(token: str) -> Poll | None:
    """The poll of the link carrying ``token``, in one query; None for unknown, revoked or malformed links."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    # Plain rows on the session's connection and transaction: nothing here needs the ORM's bookkeeping.
    rows = db.session.connection().execute(_POLL, {"token_hash": hash_token(token)}).all()
    if not rows:
        return None
    first = rows[0]
    shown = [tuple(row[len(_LINK):]) for row in rows if row.uid is not None]
    etag = fingerprint(first.full_name, shown)
    changed = None if first.shown_etag is None else first.shown_etag != etag
    now = utcnow()
    changes = [first.created_at, *(row.updated_at for row in rows if row.uid is not None)]
    if changed:
        changes.append(now)
    elif first.shown_changed_at is not None:
        changes.append(first.shown_changed_at)
    return Poll(token_id=first.id, person_id=first.person_id, last_used_at=first.last_used_at, etag=etag,
                last_modified=http_instant(min(max(changes), now)), changed=changed)


def http_instant(instant: datetime) -> datetime:
    """An instant as HTTP dates carry it: whole seconds."""
    return instant.replace(microsecond=0)


def record_use(poll: Poll, now: datetime | None = None) -> None:
    """Note that the link was used, at most once an hour (the polls in between write nothing), and the ETag it
    serves when that changed, with when (the Last-Modified of changes no row dates): one UPDATE, or none."""
    now = now or utcnow()
    values: dict[str, object] = {}
    if poll.last_used_at is None or now - poll.last_used_at >= USE_RECORDED_EVERY:
        values["last_used_at"] = now
    if poll.changed is not False:
        values["shown_etag"] = poll.etag
        if poll.changed:
            values["shown_changed_at"] = poll.last_modified
    if values:
        db.session.execute(sa.update(FeedToken).where(FeedToken.id == poll.token_id).values(**values)
                           .execution_options(synchronize_session=False))


def feed_contents(person_id: int) -> tuple[Person | None, list[Assignment]]:
    """The person and their shifts a feed shows, soonest first, with slot and site loaded, in one query."""
    rows = db.session.execute(
        sa.select(Person, Assignment)
        .outerjoin(Assignment, sa.and_(Assignment.person_id == Person.id, *IN_FEED))
        .outerjoin(Slot, Slot.id == Assignment.slot_id)
        .outerjoin(Site, Site.id == Slot.site_id)
        .options(contains_eager(Assignment.slot).contains_eager(Slot.site))
        .where(Person.id == person_id)
        .order_by(Slot.starts_at, Assignment.id)
    ).all()
    if not rows:
        return None, []
    return rows[0][0], [assignment for _, assignment in rows if assignment is not None]


def feed_body(person: Person, shifts: list[Assignment]) -> tuple[bytes, str]:
    """The person's feed as bytes, and its ETag (the fingerprint of what it was made from)."""
    # DTSTAMP of a calendar without METHOD is when its information last changed (RFC 5545), not "now":
    # so an unchanged feed keeps its bytes.
    body = feed_calendar(person, shifts, feed_name(person),
                         stamp=max((shift.updated_at for shift in shifts), default=None))
    return body, fingerprint(person.full_name, [shown_of(shift) for shift in shifts])


def shown_of(assignment: Assignment) -> tuple:
    """The :data:`SHOWN` fields of a loaded assignment, as :func:`find_poll` reads them."""
    values = []
    for path, key in _SHOWN_PATHS:
        source = assignment
        for step in path:
            source = getattr(source, step)
        values.append(getattr(source, key))
    return tuple(values)


def fingerprint(full_name: str, shown: list[tuple]) -> str:
    """The ETag of a feed made from these fields, with this app's base URL and feed format."""
    digest = hashlib.sha256(feed_format().encode())
    digest.update(repr((current_app.config["ROTATION_BASE_URL"], full_name, shown)).encode())
    return digest.hexdigest()


def feed_format() -> str:
    """A digest of the code and template that write a feed, of the ``ics`` version and of the time zone database
    (a feed's VTIMEZONEs come from it); worked out once per app."""
    known = current_app.extensions.get(_FORMAT_KEY)
    if known is None:
        digest = hashlib.sha256(version("ics").encode())
        digest.update(_zone_database().encode())
        for module in FORMAT_MODULES:
            digest.update(Path(inspect.getfile(module)).read_bytes())
        environment = current_app.jinja_env
        loader = environment.loader
        assert loader is not None, "Flask gives the app's templates a loader"
        for name in FORMAT_TEMPLATES:
            digest.update(loader.get_source(environment, name)[0].encode())
        known = current_app.extensions[_FORMAT_KEY] = digest.hexdigest()
    return known


def _zone_database() -> str:
    """Which IANA time zone database this process reads (the system's, or the tzdata package's)."""
    for path in zoneinfo.TZPATH:
        version_file = Path(path) / "tzdata.zi"
        if version_file.exists():
            with version_file.open("rb") as first:
                return first.readline().decode(errors="replace").strip()
    try:
        return version("tzdata")
    except PackageNotFoundError:
        return "unknown"


def was_revoked(token: str) -> bool:
    """Whether ``token`` is a feed link that was reset, or stopped when its person left: gone for good."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        FeedToken.token_hash == hash_token(token), FeedToken.revoked_at.is_not(None)))))
