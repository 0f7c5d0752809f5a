"""HR's outbox: every queued, sent, failed and superseded e-mail, each one opened, and retrying the failed ones."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from rotation.assignments.shift_time import ShiftTime
from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.navigation import FOLLOW_UP, menu_entry
from rotation.outbox import listing
from rotation.outbox.compose import ComposeError, compose
from rotation.outbox.listing import listed, repeat_key, repeats, stalled_mail, status_counts
from rotation.outbox.models import (
    ANDON,
    ATTENDANCE,
    CALENDAR_PURPOSES,
    CANCELLATION,
    CHANGE_OUTCOME,
    FAILED,
    INVITATION,
    MESSAGE_STATUS_LABELS,
    NO_SHOW_NOTICE,
    OBSERVATION_DECLINED,
    PROBLEM_NEWS,
    QUEUED,
    REMINDER,
    RESET_PASSWORD,
    SET_PASSWORD,
    SHIFT_NEWS_PURPOSES,
    SUPERSEDED,
    OutboxMessage,
)
from rotation.pagination import paginate, search_text
from rotation.roles import ADMIN, HR
from rotation.security import roles_required
from rotation.serving import SECRET_IN_PATH

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
menu_entry("Outbox", "outbox.outbox_list", {HR, ADMIN}, position=100, group=FOLLOW_UP)
# HR's home and the outbox: mail waiting with no worker to send it (None when all is well).
bp.app_template_global("stalled_mail")(stalled_mail)

PURPOSE_LABELS = {INVITATION: "Invitations and updates", CANCELLATION: "Cancellations", REMINDER: "Reminders",
                  CHANGE_OUTCOME: "Answers to change requests", NO_SHOW_NOTICE: "No-show notices",
                  ATTENDANCE: "Attendance links for hosts", ANDON: "Andon alerts to owners",
                  PROBLEM_NEWS: "News about problems", OBSERVATION_DECLINED: "Declined observations",
                  SET_PASSWORD: "Set-password links",
                  RESET_PASSWORD: "Reset-password links"}
# What a message is when it is not a calendar message. The text of some holds a secret link, shown only without it.
MESSAGE_LABELS = {SET_PASSWORD: "A link to set a password", RESET_PASSWORD: "A link to reset a forgotten password",
                  ATTENDANCE: "A link for the site's host to record attendance", REMINDER: "Reminder",
                  CHANGE_OUTCOME: "Answer to a change request", NO_SHOW_NOTICE: "No-show notice to the line manager",
                  ANDON: "Andon: a severity-5 or safety observation",
                  PROBLEM_NEWS: "News about a problem to someone following it",
                  OBSERVATION_DECLINED: "An owner declined an observation, told to its author"}


@dataclass(frozen=True)
class Row:
    """One line of the outbox list: the message, what it is about, and its status as HR sees it."""

    message: OutboxMessage
    status: str

    @property
    def status_label(self) -> str:
        return MESSAGE_STATUS_LABELS[self.status]

    @property
    def can_retry(self) -> bool:
        return self.status == FAILED

    @property
    def what(self) -> str:
        """E.g. "Update", "Cancellation", "A link to set a password"."""
        message = self.message
        if message.purpose == INVITATION:
            return "Update" if (message.sequence or 0) > 0 else "Invitation"
        if message.purpose == CANCELLATION:
            return "Cancellation"
        if message.purpose == REMINDER and message.reminder_days:
            return f"Reminder, {message.reminder_days} day{'s' if message.reminder_days != 1 else ''} before"
        return MESSAGE_LABELS[message.purpose]

    @property
    def shift(self) -> str | None:
        """For a calendar message: whose shift, which kind, where and when."""
        assignment = self.message.assignment
        if assignment is None:
            return None
        slot = assignment.slot
        return (f"{assignment.person.full_name}'s {assignment.kind_label.lower()} at {slot.site.code} "
                f"({slot.site.name}), {ShiftTime.of(slot, slot.site).days}")

    @property
    def about(self) -> str | None:
        """The line under what it is: the shift a message is about, else its subject."""
        return self.shift or self.message.subject


@dataclass(frozen=True)
class Line:
    """One line of the list: a message, or identical messages to one person (newest first) that open on each."""

    rows: list[Row]

    @property
    def row(self) -> Row:
        return self.rows[0]

    @property
    def attempts(self) -> str:
        low, high = min(row.message.attempts for row in self.rows), max(row.message.attempts for row in self.rows)
        return str(low) if low == high else f"{low}–{high}"

    @property
    def next_attempt(self) -> datetime | None:
        """The soonest of the queued messages' next attempts."""
        return min((row.message.next_attempt_at for row in self.rows if row.message.status == QUEUED), default=None)


@dataclass(frozen=True)
class Content:
    """What a message says, as HR may read it: its subject, plain text and calendar part, secrets left out."""

    subject: str
    text: str
    calendar: str | None = None
    calendar_type: str | None = None
    # Why the message cannot be made now (a calendar message about a shift that is gone …).
    problem: str | None = None
    redacted: bool = False


@bp.get("/")
@roles_required(HR, ADMIN)
def outbox_list():
    """Counts per status as tabs, then the messages newest first, filtered by status, purpose and recipient."""
    status = request.args.get("status", "")
    purpose = request.args.get("purpose", "")
    query = search_text()
    tab = status if status in MESSAGE_STATUS_LABELS else None
    kind = purpose if purpose in PURPOSE_LABELS else None
    counts = status_counts(kind, query)
    page = paginate(listed(tab, kind, query), per_page=50, rows=True)
    page.items = [Row(row[0], row[1]) for row in page.items]
    lines = [Line(rows) for rows in repeats(page.items, lambda row: repeat_key(row.message, row.status))]
    return render_template(
        "outbox/list.html", page=page, lines=lines, status=status, purpose=purpose, query=query, counts=counts,
        statuses=MESSAGE_STATUS_LABELS, purposes=PURPOSE_LABELS, back=request.full_path,
        replies_read=bool(current_app.config.get("ROTATION_IMAP_HOST")))


@bp.get("/<int:message_id>")
@roles_required(HR, ADMIN)
def message_page(message_id: int):
    """One message: to whom, what it is, where it stands, the server's last reply, and what it says."""
    found = db.session.execute(listed(None, None, "").where(OutboxMessage.id == message_id)).first()
    if found is None:
        abort(404)
    row = Row(found[0], found[1])
    return render_template("outbox/message.html", row=row, message=row.message, content=_content(row.message),
                           back=request.path)


@bp.post("/<int:message_id>/retry")
@roles_required(HR, ADMIN)
def retry(message_id: int):
    """Put one failed message back in the queue, due now; one overtaken by a newer message is superseded instead."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if message.status != FAILED:
        flash(f"The message to {message.recipient} is {message.status_label.lower()}, not failed; "
              "only failed messages are retried.", "warning")
    elif _has_newer(message):
        message.status = SUPERSEDED
        flash(f"A newer message about this shift goes to {message.recipient}; this one is superseded "
              "and not sent again.", "info")
    else:
        message.status, message.next_attempt_at = QUEUED, utcnow()
        flash(f"The message to {message.recipient} is queued again and goes out on the next run.", "success")
    db.session.flush()
    return redirect(_back())


@bp.post("/retry-failed")
@roles_required(HR, ADMIN)
def retry_all_failed():
    """Every failed message back in the queue, due now; those overtaken by newer messages are superseded."""
    overtaken = sa.select(OutboxMessage.id).where(OutboxMessage.status == FAILED, listing.overtaken())
    superseded = rowcount(db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(overtaken))
        .values(status=SUPERSEDED).execution_options(synchronize_session=False)))
    queued = rowcount(db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.status == FAILED)
        .values(status=QUEUED, next_attempt_at=utcnow()).execution_options(synchronize_session=False)))
    if not queued and not superseded:
        flash("No message has failed; nothing to retry.", "info")
    else:
        flash(_retried_sentence(queued, superseded), "success")
    return redirect(_back())


@bp.post("/retry-selected")
@roles_required(HR, ADMIN)
def retry_selected():
    """The ticked failed messages back in the queue, due now, as "Retry all failed" does for them alone; those
    overtaken by newer messages are superseded, and any no longer failed are left as they are."""
    ids = sorted({int(value) for value in request.form.getlist("message") if value.isdigit() and len(value) < 12})
    if not ids:
        flash("Tick the failed messages to retry first.", "error")
        return redirect(_back())
    chosen = (OutboxMessage.id.in_(ids), OutboxMessage.status == FAILED)
    overtaken = sa.select(OutboxMessage.id).where(*chosen, listing.overtaken())
    superseded = rowcount(db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id.in_(overtaken))
        .values(status=SUPERSEDED).execution_options(synchronize_session=False)))
    queued = rowcount(db.session.execute(
        sa.update(OutboxMessage).where(*chosen)
        .values(status=QUEUED, next_attempt_at=utcnow()).execution_options(synchronize_session=False)))
    left = len(ids) - queued - superseded
    if not queued and not superseded:
        flash("None of the ticked messages is failed any more; nothing to retry.", "info")
        return redirect(_back())
    sentence = _retried_sentence(queued, superseded)
    if left > 0:
        sentence += f" {left} of those ticked {'were' if left != 1 else 'was'} no longer failed and left as they are."
    flash(sentence, "success")
    return redirect(_back())


def _content(message: OutboxMessage) -> Content:
    """An account message's stored subject and text; a calendar message made as it would be sent now."""
    calendar: str | None = None
    calendar_type: str | None = None
    if message.purpose not in CALENDAR_PURPOSES:
        subject, text = message.subject or "", message.body_text or ""
    else:
        try:
            made = compose(message)
        except ComposeError as error:
            return Content(subject="", text="", problem=str(error))
        plain, part = _part(made, "text/plain"), _part(made, "text/calendar")
        subject, text = str(made["Subject"] or ""), plain.get_content() if plain else ""
        if part is not None:
            calendar, calendar_type = part.get_content(), f"text/calendar; method={part.get_param('method')}"
    shown = [without_secrets(value) if value is not None else None for value in (subject, text, calendar)]
    return Content(subject=shown[0] or "", text=shown[1] or "", calendar=shown[2], calendar_type=calendar_type,
                   redacted=shown != [subject, text, calendar])


def without_secrets(text: str) -> str:
    """``text`` with the secret of every secret link (password, attendance, calendar feed) replaced by "…"."""
    return SECRET_IN_PATH.sub(lambda found: next(part for part in found.groups() if part) + "…", text)


def _part(message: EmailMessage, content_type: str) -> EmailMessage | None:
    return next((part for part in message.walk() if part.get_content_type() == content_type), None)


def _has_newer(message: OutboxMessage) -> bool:
    if message.assignment_id is None or message.purpose not in SHIFT_NEWS_PURPOSES:
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        OutboxMessage.assignment_id == message.assignment_id, OutboxMessage.id > message.id,
        OutboxMessage.purpose.in_(CALENDAR_PURPOSES)))))


def _retried_sentence(queued: int, superseded: int) -> str:
    parts = []
    if queued:
        parts.append(f"{queued} failed message{'s are' if queued != 1 else ' is'} queued again")
    if superseded:
        parts.append(f"{superseded} overtaken by newer messages {'are' if superseded != 1 else 'is'} superseded")
    return "; ".join(parts) + "."


def _back() -> str:
    """The outbox page the form was on (only a path of this site), else the failed tab."""
    target = request.form.get("next", "")
    if target.startswith("/outbox/") and not target.startswith("//"):
        return target
    return url_for("outbox.outbox_list", status=FAILED)
