"""What a manager reads about a shift: in the invitation e-mail and in the calendar event.

Local times come with the site's zone name and UTC offset, because the reader
may sit in another zone than the site; the calendar itself carries the site's
local times with its zone (or dates, for a warehouse week).

An update to a shift the person was told of says what moved, from the shift
their last invitation announced to the shift now (:func:`announcement` words
both), unless they read the same.

Everyone booked on the same shift reads the same words but for their own name
and their own links (to file what they see, and to their briefing), so a
:class:`ShiftWording` renders each shift's texts once, with stand-ins for
those, and fills them in for
each person: the sender makes thousands of e-mails in a row from a few hundred
shifts.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import escape

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
# Stand-ins for the attendee's name and their link in a shift's texts rendered once for everyone on it. A NUL
# character is in no name or link (PostgreSQL cannot even store one) and passes HTML escaping unchanged.
_NAME = "\x00name\x00"
_LINK = "\x00link\x00"
_BRIEFING = "\x00briefing\x00"


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
    # The shift's briefing page: the site, its open problems and what the last leaders there saw.
    briefing_url: str = ""
    # The details block (when, where, host, what to bring, links) as plain text, rendered once.
    details: str = ""


@dataclass(frozen=True)
class ShiftTexts:
    """The subject, plain text and HTML of one calendar e-mail."""

    subject: str
    plain: str
    html: str


@dataclass(frozen=True)
class Shift:
    """What the texts of an assignment are made from, but for who is on it: equal shifts read the same."""

    kind: str
    site_name: str
    address: str | None
    host_name: str | None
    host_email: str | None
    timezone: str
    first_day: date
    last_day: date
    starts_at: datetime
    ends_at: datetime
    base_url: str

    @classmethod
    def of(cls, assignment: Assignment) -> Shift:
        """The shift of an assignment with ``slot.site`` loaded, as it is now."""
        slot, site = assignment.slot, assignment.slot.site
        return cls(kind=assignment.kind, site_name=site.name, address=site.address, host_name=site.host_name,
                   host_email=site.host_email, timezone=site.timezone, first_day=slot.first_day,
                   last_day=slot.last_day, starts_at=slot.starts_at, ends_at=slot.ends_at,
                   base_url=base_url())

    @property
    def summary(self) -> str:
        """The event title, e.g. "Customer-service day at Helsinki contact centre"."""
        return _summary(self.kind, self.site_name)

    @property
    def location(self) -> str:
        """The event location: the site's name, and its address when HR gave one."""
        return f"{self.site_name}, {self.address}" if self.address else self.site_name

    def observations_url(self, uid: str) -> str:
        """Where the attendee of assignment ``uid`` files what they see."""
        return f"{self.base_url}/observations/new?assignment={quote(uid, safe='')}"

    def briefing_url(self, uid: str) -> str:
        """The briefing page of the attendee of assignment ``uid``: read it before the shift."""
        return briefing_url(self.base_url, uid)


class ShiftWording:
    """The facts and texts of shifts, each rendered once and filled in for every person on it.

    What it renders is keyed by everything it is made from (:class:`Shift`), so
    a site or slot changed meanwhile is rendered afresh. One instance serves
    one thread, for as long as its caller likes (the sender: one pass).
    """

    def __init__(self) -> None:
        # A shift's facts with stand-ins, and their details with blanks for the name and the link.
        self._facts: dict[Shift, tuple[ShiftFacts, str]] = {}
        # The subject, the plain text and HTML with blanks, and the sentence saying what moved (if anything) of a
        # shift's e-mail for a method, by what the person was told before.
        self._texts: dict[tuple[Shift, str, bool, str | None], tuple[str, str, str, str]] = {}

    def facts(self, assignment: Assignment) -> ShiftFacts:
        """The assignment's :func:`shift_facts`."""
        shift = Shift.of(assignment)
        shared, details = self._shared_facts(shift)
        name, link = assignment.person.full_name, shift.observations_url(assignment.uid)
        briefing = shift.briefing_url(assignment.uid)
        return replace(shared, attendee=name, observations_url=link, briefing_url=briefing,
                       details=details.format(name, link, briefing))

    def for_person(self, shift: Shift, *, name: str, uid: str, method: str, updated: bool = False,
                   announced: str | None = None) -> tuple[ShiftTexts, str]:
        """The texts of the e-mail to ``name`` about their assignment ``uid`` on ``shift``, and its event's text.

        The same as :func:`shift_texts` and :func:`event_description`, but that
        an update whose person was last told of the shift ``announced`` (its
        :func:`announcement`) says, in both, what moved when it has.
        """
        before = announced if updated and announced and method != CANCEL and announced != announcement(shift) else None
        key = (shift, method, updated, before)
        texts = self._texts.get(key)
        if texts is None:
            moved = moved_text(before, shift) if before else ""
            rendered = _render_texts(self._shared_facts(shift)[0], method, updated, moved)
            texts = self._texts[key] = (rendered.subject, _blanks(rendered.plain), _blanks(rendered.html), moved)
        subject, plain, html, moved = texts
        link, briefing = shift.observations_url(uid), shift.briefing_url(uid)
        mail = ShiftTexts(subject=subject, plain=plain.format(name, link, briefing),
                          html=html.format(escape(name), escape(link), escape(briefing)))
        details = self._shared_facts(shift)[1].format(name, link, briefing) + "\n"
        return mail, f"{moved}\n\n{details}" if moved else details

    def _shared_facts(self, shift: Shift) -> tuple[ShiftFacts, str]:
        facts = self._facts.get(shift)
        if facts is None:
            shared = _facts_with_stand_ins(shift)
            facts = self._facts[shift] = (shared, _blanks(shared.details))
        return facts


def base_url() -> str:
    """The app's address without a closing slash, which its links follow."""
    return current_app.config["ROTATION_BASE_URL"].rstrip("/")


def briefing_url(base: str, uid: str) -> str:
    """The absolute address of assignment ``uid``'s briefing page under the app's address ``base``."""
    return f"{base}/my/shifts/{quote(uid, safe='')}/briefing"


def shift_facts(assignment: Assignment) -> ShiftFacts:
    """The facts of an assignment (with ``person`` and ``slot.site`` loaded), in words.

    Their ``details`` are rendered here once, for both the e-mail's text and
    the calendar event's DESCRIPTION.
    """
    return ShiftWording().facts(assignment)


def summary(assignment: Assignment) -> str:
    """The event title, e.g. "Customer-service day at Helsinki contact centre"."""
    return _summary(assignment.kind, assignment.slot.site.name)


def location(assignment: Assignment) -> str:
    """The event location: the site's name, and its address when HR gave one."""
    site = assignment.slot.site
    return f"{site.name}, {site.address}" if site.address else site.name


def when_text(assignment: Assignment) -> str:
    """Local time with the zone, e.g. "Tuesday 2 March 2027, 09:00–17:00 Europe/Helsinki (UTC+02:00)"."""
    slot = assignment.slot
    return _when(assignment.kind, slot.site.timezone, slot.first_day, slot.last_day, slot.starts_at, slot.ends_at)


def event_description(assignment: Assignment, *, facts: ShiftFacts | None = None) -> str:
    """The plain text of the calendar event's DESCRIPTION: the details without the greeting.

    ``facts`` are the assignment's :func:`shift_facts` when the caller already has them.
    """
    return (facts or shift_facts(assignment)).details + "\n"


def shift_texts(assignment: Assignment, method: str, *, updated: bool = False,
                announced: str | None = None) -> ShiftTexts:
    """Subject, plain text and HTML for an invitation (``REQUEST``) or a cancellation (``CANCEL``).

    ``announced`` is what the person's last invitation announced (see :meth:`ShiftWording.for_person`).
    """
    texts, _ = ShiftWording().for_person(Shift.of(assignment), name=assignment.person.full_name,
                                         uid=assignment.uid, method=method, updated=updated, announced=announced)
    return texts


@lru_cache(maxsize=4096)
def announcement(shift: Shift) -> str:
    """When and where a shift is, in a few words that an update compares and quotes: "Tuesday 9 March 2027,
    09:00–17:00 at Rotterdam contact centre", "Monday 1 March 2027 to Friday 5 March 2027 at Tampere warehouse".

    The hours are the site's; an invitation records this as it is sent (``OutboxMessage.announced``).
    """
    if shift.kind != CUSTOMER_SERVICE:
        return f"{_day_text(shift.first_day)} to {_day_text(shift.last_day)} at {shift.site_name}"
    zone = ZoneInfo(shift.timezone)
    start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    return f"{_day_text(start.date())}, {start:%H:%M}–{end:%H:%M} at {shift.site_name}"


def moved_text(announced: str, shift: Shift) -> str:
    """The sentence an update opens with when the shift moved: "Moved from <what was announced> to <what is now>."."""
    return f"Moved from {announced} to {announcement(shift)}."


def _facts_with_stand_ins(shift: Shift) -> ShiftFacts:
    """The facts of everyone on ``shift``, with stand-ins for the attendee's name and link."""
    kind_words = KIND_WORDS.get(shift.kind, WAREHOUSE_WORDS)
    facts = ShiftFacts(
        attendee=_NAME,
        kind_words=kind_words,
        summary=_summary(shift.kind, shift.site_name),
        when=_when(shift.kind, shift.timezone, shift.first_day, shift.last_day, shift.starts_at, shift.ends_at),
        short_when=_day_text(shift.first_day),
        site_name=shift.site_name,
        address=shift.address or None,
        host_name=shift.host_name or None,
        host_email=shift.host_email or None,
        bring=WHAT_TO_BRING.get(shift.kind, WAREHOUSE_BRING),
        manager_url=f"{shift.base_url}/",
        observations_url=_LINK,
        briefing_url=_BRIEFING,
    )
    return replace(facts, details=_render("email/shift_details.txt", facts=facts).strip())


def _render_texts(facts: ShiftFacts, method: str, updated: bool, moved: str = "") -> ShiftTexts:
    cancelled = method == CANCEL
    if cancelled:
        subject = f"Cancelled: {facts.summary}, {facts.short_when}"
    elif updated:
        subject = f"Updated invitation: {facts.summary}, {facts.short_when}"
    else:
        subject = f"Invitation: {facts.summary}, {facts.short_when}"
    # With the organizer mailbox read (ROTATION_IMAP_HOST), the calendar's buttons reach HR, and the texts say so.
    context = {"facts": facts, "cancelled": cancelled, "updated": updated, "moved": moved, "subject": subject,
               "answers_read": answers_are_read()}
    return ShiftTexts(subject=subject, plain=_render("email/shift.txt", **context),
                      html=_render("email/shift.html", **context))


def answers_are_read() -> bool:
    """Whether Rotation reads the attendees' answers from the organizer mailbox: then accepting an invitation
    confirms the shift, and declining it or proposing a new time reaches HR as a change request."""
    return bool(current_app.config.get("ROTATION_IMAP_HOST"))


def _blanks(text: str) -> str:
    """``text`` as a format string: ``{0}`` where the name stands, ``{1}`` where the link does, ``{2}`` where the
    briefing's link does.

    ``str.format`` fills them in one pass and never looks into what it filled in.
    """
    return (text.replace("{", "{{").replace("}", "}}").replace(_NAME, "{0}").replace(_LINK, "{1}")
            .replace(_BRIEFING, "{2}"))


def _summary(kind: str, site_name: str) -> str:
    kind_words = KIND_WORDS.get(kind, WAREHOUSE_WORDS)
    return f"{kind_words[0].upper()}{kind_words[1:]} at {site_name}"


def _when(kind: str, zone_name: str, first_day: date, last_day: date, starts_at: datetime,
          ends_at: datetime) -> str:
    if kind != CUSTOMER_SERVICE:
        return f"{_day_text(first_day)} to {_day_text(last_day)}, all day ({zone_name})"
    zone = ZoneInfo(zone_name)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    start_offset, end_offset = _offset_text(start), _offset_text(end)
    if start_offset == end_offset:
        hours = f"{start:%H:%M}–{end:%H:%M} {zone_name} ({start_offset})"
    else:  # the clocks change during the shift: say so on both ends
        hours = f"{start:%H:%M} ({start_offset})–{end:%H:%M} ({end_offset}) {zone_name}"
    return f"{_day_text(start.date())}, {hours}"


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
