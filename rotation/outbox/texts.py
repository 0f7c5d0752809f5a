"""What a manager reads about a shift: in the invitation e-mail and in the calendar event.

Local times come with the site's zone name and UTC offset, because the reader
may sit in another zone than the site; the calendar itself carries UTC (or
dates, for a warehouse week).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app

from rotation.assignments.models import Assignment
from rotation.sites.models import CUSTOMER_SERVICE

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
WHAT_TO_BRING = {
    CUSTOMER_SERVICE: ("a headset if you have one", "no laptop: one is ready for you there",
                       "comfortable clothes"),
}
WAREHOUSE_BRING = ("safety shoes", "comfortable clothes", "a water bottle")
KIND_WORDS = {CUSTOMER_SERVICE: "customer-service day"}
WAREHOUSE_WORDS = "warehouse week"
CANCEL = "CANCEL"


@dataclass(frozen=True)
class ShiftFacts:
    """Everything the texts say about one assignment, already in words."""

    attendee: str
    kind_words: str
    summary: str
    when: str
    short_when: str
    site_name: str
    address: str | None
    host_name: str | None
    host_email: str | None
    bring: tuple[str, ...]
    manager_url: str
    observations_url: str
    # The details block (when, where, host, what to bring, links) as plain text, rendered once.
    details: str = ""


@dataclass(frozen=True)
class ShiftTexts:
    """The subject, plain text and HTML of one calendar e-mail."""

    subject: str
    plain: str
    html: str


def shift_facts(assignment: Assignment) -> ShiftFacts:
    """The facts of an assignment (with ``person`` and ``slot.site`` loaded), in words.

    Their ``details`` are rendered here once, for both the e-mail's text and
    the calendar event's DESCRIPTION.
    """
    site = assignment.slot.site
    base_url = current_app.config["ROTATION_BASE_URL"].rstrip("/")
    kind_words = KIND_WORDS.get(assignment.kind, WAREHOUSE_WORDS)
    facts = ShiftFacts(
        attendee=assignment.person.full_name,
        kind_words=kind_words,
        summary=summary(assignment),
        when=when_text(assignment),
        short_when=_day_text(assignment.slot.first_day),
        site_name=site.name,
        address=site.address or None,
        host_name=site.host_name or None,
        host_email=site.host_email or None,
        bring=WHAT_TO_BRING.get(assignment.kind, WAREHOUSE_BRING),
        manager_url=f"{base_url}/",
        observations_url=f"{base_url}/observations/new?assignment={quote(assignment.uid, safe='')}",
    )
    return replace(facts, details=_render("email/shift_details.txt", facts=facts).strip())


def summary(assignment: Assignment) -> str:
    """The event title, e.g. "Customer-service day at Helsinki contact centre"."""
    kind_words = KIND_WORDS.get(assignment.kind, WAREHOUSE_WORDS)
    return f"{kind_words[0].upper()}{kind_words[1:]} at {assignment.slot.site.name}"


def location(assignment: Assignment) -> str:
    """The event location: the site's name, and its address when HR gave one."""
    site = assignment.slot.site
    return f"{site.name}, {site.address}" if site.address else site.name


def when_text(assignment: Assignment) -> str:
    """Local time with the zone, e.g. "Tuesday 2 March 2027, 09:00–17:00 Europe/Helsinki (UTC+02:00)"."""
    slot = assignment.slot
    zone_name = slot.site.timezone
    if assignment.kind != CUSTOMER_SERVICE:
        return f"{_day_text(slot.first_day)} to {_day_text(slot.last_day)}, all day ({zone_name})"
    zone = ZoneInfo(zone_name)
    start, end = slot.starts_at.astimezone(zone), slot.ends_at.astimezone(zone)
    start_offset, end_offset = _offset_text(start), _offset_text(end)
    if start_offset == end_offset:
        hours = f"{start:%H:%M}–{end:%H:%M} {zone_name} ({start_offset})"
    else:  # the clocks change during the shift: say so on both ends
        hours = f"{start:%H:%M} ({start_offset})–{end:%H:%M} ({end_offset}) {zone_name}"
    return f"{_day_text(start.date())}, {hours}"


def event_description(assignment: Assignment, *, facts: ShiftFacts | None = None) -> str:
    """The plain text of the calendar event's DESCRIPTION: the details without the greeting.

    ``facts`` are the assignment's :func:`shift_facts` when the caller already has them.
    """
    return (facts or shift_facts(assignment)).details + "\n"


def shift_texts(assignment: Assignment, method: str, *, updated: bool = False,
                facts: ShiftFacts | None = None) -> ShiftTexts:
    """Subject, plain text and HTML for an invitation (``REQUEST``) or a cancellation (``CANCEL``).

    ``facts`` are the assignment's :func:`shift_facts` when the caller already has them.
    """
    facts = facts or shift_facts(assignment)
    cancelled = method == CANCEL
    if cancelled:
        subject = f"Cancelled: {facts.summary}, {facts.short_when}"
    elif updated:
        subject = f"Updated invitation: {facts.summary}, {facts.short_when}"
    else:
        subject = f"Invitation: {facts.summary}, {facts.short_when}"
    context = {"facts": facts, "cancelled": cancelled, "updated": updated, "subject": subject}
    return ShiftTexts(subject=subject, plain=_render("email/shift.txt", **context),
                      html=_render("email/shift.html", **context))


def _render(template: str, **context) -> str:
    # The app's Jinja environment autoescapes .html templates and leaves .txt as written.
    return current_app.jinja_env.get_template(template).render(**context)


def _day_text(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} {day.year}"


def _offset_text(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"
