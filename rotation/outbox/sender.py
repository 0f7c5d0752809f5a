"""Delivering the outbox over SMTP: what ``invites send`` and ``invites worker`` do.

A pass claims the messages that are due (queued, ``next_attempt_at`` reached)
in small batches, oldest first, and sends each batch over one SMTP connection,
one e-mail per recipient whose envelope recipient is that recipient alone. A
message becomes ``sent`` only once the server has accepted it. What the server
or the message says decides the rest:

* the server refuses the recipient or the message for good (a 5xx reply), the
  address is malformed, or the message cannot be made: ``failed`` at once, with
  the reply or the sentence in ``last_error`` for HR, never retried;
* the server asks to try later (a 4xx reply): still queued, tried again after a
  back-off of one minute doubling up to an hour, ``failed`` after
  ``MAX_ATTEMPTS`` attempts;
* the server cannot be reached, drops the connection, times out or refuses the
  organiser's address: still queued with the error and the back-off, never
  given up (nothing is lost while the server is down), and the pass stops
  rather than waiting on a dead server for every message.

Several workers: on PostgreSQL a batch is claimed with ``SELECT … FOR UPDATE
SKIP LOCKED``, so each worker takes rows no other worker holds and keeps them
locked until it commits the batch's outcomes; no message is sent by two
workers. (A change that supersedes a message being sent waits for that batch's
commit, and then queues its newer message after it.) SQLite has no row locks:
run one worker there.

Crash window: outcomes are committed once per batch (``BATCH_SIZE`` messages).
A message the server refused or never acknowledged is never marked sent, and
one that was marked sent was accepted, so a server that goes down, restarts or
drops the connection never causes a loss or a duplicate. Only if *this*
process dies (or loses its database) after the server accepted some messages
of a batch and before the commit are those messages sent again by the next
pass: delivery is at-least-once, with at most one batch repeated, and exactly
once in every other case. SMTP offers no way to close that window.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app

from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.compose import Composer
from rotation.outbox.models import FAILED, QUEUED, SENT, OutboxMessage

BATCH_SIZE = 25
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
SMTP_TIMEOUT_SECONDS = 30
# Server-level errors in a row (without a message accepted between them) after which a pass stops.
SERVER_ERRORS_TO_STOP = 2

# What became of one message in one attempt.
DELIVERED = "delivered"      # the server accepted it
REFUSED = "refused"          # refused for good, or cannot be sent at all: failed
DEFERRED = "deferred"        # the server said "later" for this message: retry, up to MAX_ATTEMPTS
UNREACHABLE = "unreachable"  # the server itself is in trouble: retry, never given up


class SendingError(RuntimeError):
    """Sending cannot start at all (the configuration is wrong); nothing was changed."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand messages over, from the ROTATION_SMTP_* and ROTATION_MAIL_FROM settings."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    envelope_sender: str
    timeout: float = SMTP_TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config) -> SmtpSettings:
        _, sender = parseaddr(config["ROTATION_MAIL_FROM"] or "")
        if "@" not in sender or not sender.isascii():
            raise SendingError(f"ROTATION_MAIL_FROM {config['ROTATION_MAIL_FROM']!r} is not an e-mail address "
                               "the mail server can take as the sender.")
        return cls(host=config["ROTATION_SMTP_HOST"], port=int(config["ROTATION_SMTP_PORT"]),
                   security=config["ROTATION_SMTP_SECURITY"], user=config["ROTATION_SMTP_USER"],
                   password=config["ROTATION_SMTP_PASSWORD"], envelope_sender=sender)

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Attempt:
    """The result of trying to send one message: one of the four outcomes, and the reply or sentence."""

    outcome: str
    error: str | None = None


@dataclass
class SendReport:
    """What a batch or a pass did: counted by what HR will see on each message."""

    sent: int = 0
    failed: int = 0
    retrying: int = 0
    # Why the pass stopped early, when the server could not be used; None when it could.
    server_trouble: str | None = None
    # One line per message that was not delivered: whom it was for and what the server said.
    problems: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.failed + self.retrying

    @property
    def complete(self) -> bool:
        """True when everything tried was delivered."""
        return self.failed == 0 and self.retrying == 0

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying
        self.server_trouble = other.server_trouble or self.server_trouble
        self.problems.extend(other.problems)

    def summary(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.retrying} to retry"


class Mailer:
    """One SMTP connection, opened on the first message and reused for every following one.

    ``down`` holds the reason once the server is unusable for this pass: it
    could not be connected to, or failed ``SERVER_ERRORS_TO_STOP`` times in a row.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        self.down: str | None = None
        self._errors_in_a_row = 0

    def send(self, recipient: str, data: bytes) -> Attempt:
        """Hand one message for one recipient to the server; say how it went."""
        if self.down:
            return Attempt(UNREACHABLE, self.down)
        try:
            connection = self._connection()
        except (smtplib.SMTPException, OSError) as error:
            self.down = f"The mail server {self.settings.server} could not be used: {_describe(error)}"
            return Attempt(UNREACHABLE, self.down)
        options = []
        if not recipient.isascii():
            if not connection.has_extn("smtputf8"):
                return Attempt(REFUSED, f"The address {recipient!r} has characters the mail server does not "
                                        "accept (it does not offer SMTPUTF8); correct it in the roster.")
            options.append("SMTPUTF8")
        try:
            connection.sendmail(self.settings.envelope_sender, [recipient], data, mail_options=options)
        except (smtplib.SMTPException, OSError) as error:
            attempt = classify(error)
        else:
            attempt = Attempt(DELIVERED)
        self._note(attempt)
        return attempt

    def close(self) -> None:
        """Say goodbye to the server, or just drop the connection if it is already broken."""
        if self.connection is None:
            return
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            self.connection.close()
        self.connection = None

    def _connection(self) -> smtplib.SMTP:
        if self.connection is None:
            self.connection = connect(self.settings)
        return self.connection

    def _note(self, attempt: Attempt) -> None:
        if attempt.outcome != UNREACHABLE:
            self._errors_in_a_row = 0
            return
        self._errors_in_a_row += 1
        if self.connection is not None:
            self.connection.close()  # broken or in an unknown state: the next message reconnects
            self.connection = None
        if self._errors_in_a_row >= SERVER_ERRORS_TO_STOP:
            self.down = attempt.error


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP session, encrypted and logged in as the settings ask."""
    if settings.security == "ssl":
        connection: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                    context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        connection.ehlo()
        if settings.security == "starttls":
            connection.starttls(context=ssl.create_default_context())
            connection.ehlo()
        if settings.user:
            connection.login(settings.user, settings.password or "")
    except BaseException:
        connection.close()
        raise
    return connection


def classify(error: Exception) -> Attempt:
    """Turn what smtplib raised for one message into an outcome with the server's reply."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        address, (code, reply) = next(iter(error.recipients.items()))
        return _by_code(code, f"The mail server refused {address}: {code} {_text(reply)}")
    if isinstance(error, smtplib.SMTPSenderRefused):
        # The organiser's address is refused: no message can go until the settings are fixed.
        return Attempt(UNREACHABLE, f"The mail server refused the sender {_text(error.sender)}: "
                                    f"{error.smtp_code} {_text(error.smtp_error)}")
    if isinstance(error, smtplib.SMTPDataError):
        return _by_code(error.smtp_code, f"The mail server refused the message: {error.smtp_code} "
                                         f"{_text(error.smtp_error)}")
    return Attempt(UNREACHABLE, f"The mail server could not take the message: {_describe(error)}")


def _by_code(code: int, sentence: str) -> Attempt:
    if 500 <= code < 600:
        return Attempt(REFUSED, sentence)
    if code == 421:  # "service not available, closing the channel": the server, not this message
        return Attempt(UNREACHABLE, sentence)
    return Attempt(DEFERRED, sentence)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return str(error) or error.__class__.__name__


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


# --- Passes over the outbox ------------------------------------------------------------------------

def send_due(limit: int | None = None, batch_size: int = BATCH_SIZE,
             on_batch: Callable[[SendReport], None] | None = None,
             keep_going: Callable[[], bool] = lambda: True) -> SendReport:
    """Send what is due, batch by batch, committing each batch's outcomes; at most ``limit`` messages.

    Stops early when the mail server cannot be used (``server_trouble`` says
    why) or ``keep_going`` says so between batches; what it did not reach stays
    queued for the next pass.
    """
    settings = SmtpSettings.from_config(current_app.config)
    total = SendReport()
    composer = Composer()  # what many messages share is made once a pass
    with _mailer(settings) as mailer:
        while (limit is None or total.attempted < limit) and keep_going():
            size = batch_size if limit is None else min(batch_size, limit - total.attempted)
            batch = claim_due(size)
            if not batch:
                db.session.rollback()  # end the read transaction
                break
            report = send_batch(batch, mailer, composer)
            db.session.commit()
            total.add(report)
            if on_batch:
                on_batch(report)
            if mailer.down:
                break
    return total


def claim_due(size: int, now: datetime | None = None) -> list[OutboxMessage]:
    """The oldest ``size`` due messages, locked against other workers (PostgreSQL) until the commit."""
    return list(db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == QUEUED, OutboxMessage.next_attempt_at <= (now or utcnow()))
        .order_by(OutboxMessage.id)
        .limit(size)
        .with_for_update(skip_locked=True)))


def send_batch(batch: Sequence[OutboxMessage], mailer: Mailer, composer: Composer | None = None) -> SendReport:
    """Send each claimed message and record its outcome on it (the caller commits).

    Messages go to the server one after the other, in order. While the server
    answers one (in a helper thread: smtplib waits without holding the
    interpreter), this thread composes the next from the database, so building
    and waiting overlap.
    """
    report = SendReport()
    composer = composer or Composer()
    # Outcomes stay in memory until the commit: composing reads the database, and an early flush would
    # hold SQLite's write lock (and so every web request that writes) while the SMTP server answers.
    with db.session.no_autoflush, ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp") as smtp:
        sending: tuple[OutboxMessage, Future[Attempt]] | None = None
        for message in batch:
            prepared = _prepare(message, composer)
            if sending is not None:
                _count(report, _finish(*sending))
                sending = None
            if isinstance(prepared, Attempt) or mailer.down:
                attempt = prepared if isinstance(prepared, Attempt) else Attempt(UNREACHABLE, mailer.down)
                record(message, attempt, utcnow())
                _count(report, message)
            else:
                sending = (message, smtp.submit(mailer.send, message.recipient.strip(), prepared))
        if sending is not None:
            _count(report, _finish(*sending))
    report.server_trouble = mailer.down
    return report


def _prepare(message: OutboxMessage, composer: Composer) -> bytes | Attempt:
    """The message's bytes, or the refusal when it cannot be made."""
    try:
        return composer.message_bytes(message)
    except ValueError as error:  # ComposeError, or data the e-mail library cannot put in a header
        return Attempt(REFUSED, str(error))


def _finish(message: OutboxMessage, future: Future[Attempt]) -> OutboxMessage:
    """Wait for the server's answer about ``message`` and record it."""
    record(message, future.result(), utcnow())
    return message


def _count(report: SendReport, message: OutboxMessage) -> None:
    if message.status == SENT:
        report.sent += 1
    elif message.status == FAILED:
        report.failed += 1
        report.problems.append(f"Failed: {message.purpose} #{message.id} to {message.recipient}: "
                               f"{message.last_error}")
    else:
        report.retrying += 1
        report.problems.append(f"To retry: {message.purpose} #{message.id} to {message.recipient}: "
                               f"{message.last_error}")


def record(message: OutboxMessage, attempt: Attempt, now: datetime) -> None:
    """Write one attempt's outcome on the message: sent, failed, or queued again after a back-off."""
    message.attempts += 1
    if attempt.outcome == DELIVERED:
        message.status = SENT
        message.sent_at = now
        message.last_error = None
        return
    message.last_error = attempt.error
    if attempt.outcome == REFUSED:
        message.status = FAILED
    elif attempt.outcome == DEFERRED and message.attempts >= MAX_ATTEMPTS:
        message.status = FAILED
        message.last_error = f"Gave up after {message.attempts} attempts. {attempt.error}"
    else:
        message.next_attempt_at = now + backoff(message.attempts)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1 min, 2, 4, … up to an hour."""
    doublings = min(max(attempts - 1, 0), 10)  # 2**10 minutes is past the hour already
    return min(FIRST_RETRY * 2 ** doublings, LONGEST_RETRY)


def still_queued() -> int:
    """How many messages wait in the outbox, due or not."""
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status == QUEUED)) or 0


@contextmanager
def _mailer(settings: SmtpSettings) -> Iterator[Mailer]:
    mailer = Mailer(settings)
    try:
        yield mailer
    finally:
        mailer.close()
