"""The personal calendar feed, the page where a manager gets its link, and one-off .ics downloads."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from werkzeug.http import is_resource_modified

from rotation.assignments.models import Assignment
from rotation.assignments.views import ShiftTime
from rotation.feeds import polls, services
from rotation.feeds.services import FEED_CACHE_CONTROL, FeedLinks
from rotation.navigation import menu_entry
from rotation.outbox.calendar import download_calendar
from rotation.people.models import Person
from rotation.roles import HR, MANAGER
from rotation.security import public, signed_in

bp = Blueprint("feeds", __name__)
menu_entry("Calendar", "feeds.calendar_page", {MANAGER}, position=120)

CALENDAR_TYPE = "text/calendar; charset=utf-8"
GONE = ("This calendar link was reset or has stopped working. Open the Calendar page in Rotation for the "
        "current link, and subscribe again with it.\n")


@bp.get("/calendar/<token>.ics")
@public
def feed(token: str):
    """The person's announced shifts as a subscribed calendar; 410 Gone for a link that was reset or stopped (so a
    calendar app drops the subscription instead of keeping its old events and reporting an error), 404 for any
    other link that does not work.

    The ETag and Last-Modified are known from one query (see :mod:`rotation.feeds.polls`), so an unchanged
    feed answers 304 without building the calendar: to If-None-Match by the ETag, or, when an app sends
    If-Modified-Since alone, by the date (RFC 9110's order of preconditions).
    """
    poll = polls.find_poll(token)
    if poll is None:
        if polls.was_revoked(token):
            return Response(GONE, status=410, content_type="text/plain; charset=utf-8")
        abort(404)
    polls.record_use(poll)
    # A feed that changed since the link last served it is news to every app, whatever date the app names.
    if not is_resource_modified(request.environ, etag=poll.etag,
                                last_modified=None if poll.changed else poll.last_modified):
        return _feed_response(b"", poll.etag, poll.last_modified, status=304)
    person, shifts = polls.feed_contents(poll.person_id)
    if person is None:  # gone since the first query, and the link with them
        abort(404)
    body, etag = polls.feed_body(person, shifts)
    return _feed_response(body, etag, poll.last_modified)


def _feed_response(body: bytes, etag: str, last_modified: datetime, status: int = 200) -> Response:
    response = Response(body, status=status, content_type=CALENDAR_TYPE)
    response.set_etag(etag)
    response.last_modified = last_modified  # left out of a 304, which the ETag validates
    response.headers["Cache-Control"] = FEED_CACHE_CONTROL
    return response


@bp.get("/calendar")
@signed_in
def calendar_page():
    """The signed-in person's feed link (whether one exists, and a way to create or reset it) and shifts."""
    return _page(services.person_by_email(current_user.email))


@bp.post("/calendar/link")
@signed_in
def issue_link():
    """Create the person's feed link, or reset it once they confirm; the new link is shown only now."""
    person = services.person_by_email(current_user.email)
    if person is None:
        return _page(None)
    existing = services.live_token(person)
    if existing is not None and request.form.get("confirmed") != "yes":
        return render_template("feeds/confirm_reset.html", existing=existing)
    token = services.issue_token(person)
    return _page(person, new_links=services.feed_links(token), replaced=existing is not None)


@bp.get("/calendar/shift/<uid>.ics")
@signed_in
def download(uid: str):
    """One announced shift as an .ics file, for the person themself or HR; 404 for anyone else."""
    assignment = services.shift_for_download(uid)
    if assignment is None or not _may_download(assignment):
        abort(404)
    response = Response(download_calendar(assignment), content_type=CALENDAR_TYPE)
    filename = f"rotation-{assignment.kind.replace('_', '-')}-{assignment.slot.first_day.isoformat()}.ics"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _may_download(assignment: Assignment) -> bool:
    return assignment.person.email == current_user.email or current_user.has_role(HR)


def _page(person: Person | None, new_links: FeedLinks | None = None, replaced: bool = False) -> str:
    token = services.live_token(person) if person is not None else None
    shifts = services.feed_assignments(person) if person is not None else []
    return render_template(
        "feeds/calendar.html", person=person, token=token, new_links=new_links, replaced=replaced,
        shifts=[(shift, ShiftTime.of(shift.slot, shift.slot.site)) for shift in shifts],
    )
