"""Talking to the SMTP server: one connection reused for message after message, and what each reply means.

:mod:`rotation.outbox.sender` decides what to send and records what became of
it; this module hands one message at a time to the server and turns what the
server or smtplib says into one of four outcomes (:class:`Attempt`).
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

SMTP_TIMEOUT_SECONDS = 30
# smtplib waits for four replies a message: to MAIL, RCPT, DATA, and to the message itself, which the server
# takes longest over.
REPLY_TO_THE_MESSAGE = 4
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


class Mailer:
    """One SMTP connection, opened on the first message and reused for every following one.

    ``down`` holds the reason once the server is unusable for this pass: it
    could not be connected to, or failed ``SERVER_ERRORS_TO_STOP`` times in a row.
    ``meanwhile``, when given, is called once a message, while the server
    works on the message itself (after its last line went out, before its
    reply is read): the moment to make the next one.
    """

    def __init__(self, settings: SmtpSettings, meanwhile: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.connection: _Attentive | None = None
        self.down: str | None = None
        self.meanwhile = meanwhile
        self._errors_in_a_row = 0
        self._replies = 0  # replies this message has waited for so far

    def send(self, recipient: str, data: bytes) -> Attempt:
        """Hand one message for one recipient to the server; say how it went."""
        self._replies = 0
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

    def _connection(self) -> _Attentive:
        if self.connection is None:
            self.connection = connect(self.settings)
            self.connection.before_reply = self._before_reply
        return self.connection

    def _before_reply(self) -> None:
        self._replies += 1
        if self._replies == REPLY_TO_THE_MESSAGE and self.meanwhile is not None:
            self.meanwhile()

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


class _Attentive(smtplib.SMTP):
    """smtplib's client, calling ``before_reply`` whenever it is about to wait for the server's reply."""

    before_reply: Callable[[], None] | None = None

    def getreply(self):
        if self.before_reply is not None:
            self.before_reply()
        return super().getreply()


class _SMTP(_Attentive, smtplib.SMTP):
    pass


class _SMTPOverSSL(_Attentive, smtplib.SMTP_SSL):
    pass


def connect(settings: SmtpSettings) -> _Attentive:
    """An SMTP session, encrypted and logged in as the settings ask."""
    if settings.security == "ssl":
        connection: _Attentive = _SMTPOverSSL(settings.host, settings.port, timeout=settings.timeout,
                                                context=ssl.create_default_context())
    else:
        connection = _SMTP(settings.host, settings.port, timeout=settings.timeout)
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
