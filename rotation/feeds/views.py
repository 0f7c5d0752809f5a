"""The personal calendar feed, the page where a person gets its link and chooses how shifts reach their calendar,
and one-off .ics downloads."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.http import is_resource_modified

from rotation.assignments.models import Assignment
from rotation.assignments.shift_time import ShiftTime
from rotation.feeds import polls, services
from rotation.feeds.forms import DeliveryForm
from rotation.feeds.services import DELIVERY_LABELS, FEED_CACHE_CONTROL, DeliveryChange, FeedLinks
from rotation.navigation import menu_entry
from rotation.outbox.calendar import download_calendar
from rotation.people.models import BY_EMAIL, BY_FEED, Person
from rotation.refusals import FieldRefusal, all_or_nothing
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


@bp.post("/calendar/delivery")
@signed_in
def choose_delivery():
    """Save how the person's shifts reach their calendar; a new feed link, when that needed one, is shown now."""
    person = services.person_by_email(current_user.email)
    if person is None:
        return _page(None)
    form = DeliveryForm()
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                change = services.choose_delivery(person, form.calendar_delivery.data or "")
        except FieldRefusal as refusal:
            form.show_refusal(refusal)
        else:
            flash(delivery_news(change), "success")
            if change.new_token is not None:
                return _page(person, new_links=services.feed_links(change.new_token))
            return redirect(url_for("feeds.calendar_page"))
    return _page(person, form=form)


def delivery_news(change: DeliveryChange) -> str:
    """What happens now that the choice is saved, in the person's words."""
    if change.after == change.before:
        return f"Nothing to change: your choice was already “{DELIVERY_LABELS[change.after]}”."
    again = ("the next time one of your shifts is published, moved or cancelled; shifts that stay as they are "
             "are not sent again.")
    if change.after == BY_EMAIL:
        news = ["Saved: invitations by e-mail."]
        if change.before == BY_FEED:
            news.append(f"Rotation e-mails you an invitation or update {again}")
        news.append("Your calendar link keeps working until you reset it; remove the subscription from your "
                    "calendar app if you no longer want it.")
    elif change.after == BY_FEED:
        news = ["Saved: subscribed calendar only. No more invitations or updates by e-mail (reminders and other "
                "e-mails still come): your calendar app picks changes up from your calendar link.",
                "Events added from earlier invitations are no longer updated."]
    else:
        news = ["Saved: both. Invitations come by e-mail and your calendar link shows your shifts too; a calendar "
                "app that does not merge them shows each shift twice."]
        if change.before == BY_FEED:
            news.append(f"Invitations start again {again}")
    if change.new_token is not None:
        news.append("Copy your new calendar link below into your calendar app.")
    return " ".join(news)


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


def _page(person: Person | None, new_links: FeedLinks | None = None, replaced: bool = False,
          form: DeliveryForm | None = None) -> str:
    token = services.live_token(person) if person is not None else None
    shifts = services.feed_assignments(person) if person is not None else []
    if form is None and person is not None:
        form = DeliveryForm(formdata=None, calendar_delivery=person.calendar_delivery)
    return render_template(
        "feeds/calendar.html", person=person, token=token, new_links=new_links, replaced=replaced, form=form,
        delivery_labels=DELIVERY_LABELS,
        shifts=[(shift, ShiftTime.of(shift.slot, shift.slot.site)) for shift in shifts],
    )
