"""Adding, changing and removing blackouts, with the rules every blackout keeps."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from rotation.blackouts.models import PERSON, SCOPE_LABELS, SITE, Blackout
from rotation.blackouts.signals import saved
from rotation.extensions import db
from rotation.people.lookup import look_up
from rotation.people.models import Person
from rotation.people.signals import person_page
from rotation.refusals import FieldRefusal
from rotation.sites.models import Site
from rotation.sites.signals import closed_days

MAX_REASON = 500


def check_scope(scope: str, employee_id: str, site_code: str) -> None:
    """Raise ``FieldRefusal`` unless ``scope`` is known and names what it needs.

    A person's blackout needs an employee id and a site's a site code; the
    whole company's needs neither. Nothing is looked up here.
    """
    if scope not in SCOPE_LABELS:
        raise FieldRefusal("scope",
                           "Choose whether the blackout is for a person, a whole site or the whole company.")
    if scope == PERSON and not employee_id:
        raise FieldRefusal("employee_id", "Enter the name, e-mail address or employee ID of the person the blackout "
                                          "is for.")
    if scope == SITE and not site_code:
        raise FieldRefusal("site", "Choose the site the blackout is for.")


def check_dates(start: date, end: date) -> None:
    """Raise ``FieldRefusal`` when the last day comes before the first."""
    if end < start:
        raise FieldRefusal("end", f"The last day is before the first day ({start.isoformat()}).")


def check_reason(reason: str) -> None:
    """Raise ``FieldRefusal`` when the reason is longer than a blackout keeps."""
    if len(reason) > MAX_REASON:
        raise FieldRefusal("reason", f"A reason has at most {MAX_REASON} characters; this one has {len(reason)}.")


def save_blackout(blackout: Blackout | None, scope: str, employee_id: str | None, site_code: str | None,
                  start: date, end: date, reason: str | None) -> Blackout:
    """Create a blackout (``blackout`` is None) or change ``blackout``, and flush.

    ``scope`` is ``person``, ``site`` or ``company``; a person is found by
    ``employee_id`` (their employee ID, e-mail address or a name that names one
    person: ``rotation.people.lookup``) and a site by ``site_code``, and the one the scope does not
    use is ignored. ``start`` and ``end`` are the first and last day, inclusive.
    Upcoming assignments the blackout now covers are marked for re-planning.
    Raises ``FieldRefusal`` naming the field at fault, and then changes nothing.
    """
    employee_id = (employee_id or "").strip()
    site_code = (site_code or "").strip()
    reason = (reason or "").strip()
    check_scope(scope, employee_id, site_code)
    person = site = None
    if scope == PERSON:
        found = look_up(employee_id)
        if found.person is None:
            raise FieldRefusal("employee_id", found.problem or "Enter the person the blackout is for.")
        person = found.person
    elif scope == SITE:
        site = db.session.scalar(sa.select(Site).where(Site.code == site_code))
        if site is None:
            raise FieldRefusal("site", f"No site has the code {site_code}.")
    check_dates(start, end)
    check_reason(reason)
    _check_not_repeated(blackout, person, site, start, end)

    if blackout is None:
        blackout = Blackout()
        db.session.add(blackout)
    blackout.person = person
    blackout.site = site
    blackout.start = start
    blackout.end = end
    blackout.reason = reason
    db.session.flush()
    saved.send([blackout.id])
    return blackout


def _check_not_repeated(blackout: Blackout | None, person: Person | None, site: Site | None,
                        start: date, end: date) -> None:
    """The same person, site or company with the same dates is one blackout, as in an import."""
    statement = sa.select(Blackout.id).where(
        Blackout.person_id == person.id if person else Blackout.person_id.is_(None),
        Blackout.site_id == site.id if site else Blackout.site_id.is_(None),
        Blackout.start == start,
        Blackout.end == end,
    )
    if blackout is not None and blackout.id is not None:
        statement = statement.where(Blackout.id != blackout.id)
    if db.session.scalar(statement.limit(1)) is not None:
        raise FieldRefusal("start", "A blackout with exactly these dates already exists for "
                                    f"{_subject(person, site)}; change that one instead.")


def delete_blackout(blackout: Blackout) -> None:
    """Remove ``blackout`` and flush."""
    db.session.delete(blackout)
    db.session.flush()


def describe_blackout(blackout: Blackout) -> str:
    """Who or what ``blackout`` covers and its days, as a phrase for messages.

    Its ``person`` and ``site`` must be loaded already.
    """
    return f"{_subject(blackout.person, blackout.site)}, {describe_days(blackout.start, blackout.end)}"


def describe_days(start: date, end: date) -> str:
    """``2027-07-01`` for one day, ``2027-07-01 to 2027-07-31`` for several."""
    if start == end:
        return start.isoformat()
    return f"{start.isoformat()} to {end.isoformat()}"


def _subject(person: Person | None, site: Site | None) -> str:
    if person is not None:
        return f"{person.full_name} ({person.employee_id})"
    if site is not None:
        return f"the site {site.code} ({site.name})"
    return "the whole company"


@closed_days.connect
def _closed_days(_sender: None, first: date, last: date, site_id: int | None) -> dict[int | None, set[date]]:
    """The days the company's and the sites' blackouts close, for making slots (only the ones asked about)."""
    statement = sa.select(Blackout.site_id, Blackout.start, Blackout.end).where(
        Blackout.person_id.is_(None), Blackout.start <= last, Blackout.end >= first)
    if site_id is not None:
        statement = statement.where(sa.or_(Blackout.site_id.is_(None), Blackout.site_id == site_id))
    covered: dict[int | None, set[date]] = {}
    for blackout_site_id, start, end in db.session.execute(statement):
        day = max(start, first)
        while day <= min(end, last):
            covered.setdefault(blackout_site_id, set()).add(day)
            day += timedelta(days=1)
    return covered


@person_page.connect
def _blackouts_of(person: Person) -> dict:
    """On HR's page of a person: their personal blackouts."""
    return {"blackouts": db.session.scalars(
        sa.select(Blackout).where(Blackout.person_id == person.id).order_by(Blackout.start)).all()}
