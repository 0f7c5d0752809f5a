"""The thread that talks to the mail server during a pass, making each e-mail just before it goes.

The pass (:mod:`rotation.outbox.sender`) claims messages, reads their
bookings and records outcomes in its own thread, and hands the messages over
here in order. This thread makes each e-mail while the server works on the
one before it (:class:`Mailer`'s ``meanwhile``), hands it to the server and
answers with the :class:`Attempt`. Making and sending in the one thread means
neither waits for the other's turn at the interpreter, and a message is made
at the last moment, from the assignment as the pass read it.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field

from flask import Flask, current_app

from rotation.outbox.compose import Booking, Composer, QueuedMessage
from rotation.outbox.mailer import REFUSED, Attempt, Mailer, SmtpSettings


@dataclass(eq=False)
class _Parcel:
    """One message handed over, with the bookings of its batch and the answer to come."""

    message: QueuedMessage
    bookings: Mapping[int, Booking]
    answer: Future[Attempt] = field(default_factory=Future)
    made: bytes | Attempt | None = None


class Courier:
    """Sends what it is handed, in order, over one connection, in a thread of its own."""

    def __init__(self, settings: SmtpSettings, composer: Composer) -> None:
        self.mailer = Mailer(settings, meanwhile=self._make_next)
        self._composer = composer
        self._waiting: deque[_Parcel | None] = deque()
        self._arrived = threading.Semaphore(0)
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, args=(app,), name="smtp", daemon=True)
        self._thread.start()

    @property
    def down(self) -> str | None:
        """Why the server cannot be used for the rest of the pass, once it cannot."""
        return self.mailer.down

    def hand(self, message: QueuedMessage, bookings: Mapping[int, Booking]) -> Future[Attempt]:
        """Queue ``message`` to be made and sent after those handed before it; its answer comes in the future."""
        parcel = _Parcel(message, bookings)
        self._waiting.append(parcel)
        self._arrived.release()
        return parcel.answer

    def stop(self, *, drop_waiting: bool = False) -> None:
        """Finish (or, with ``drop_waiting``, drop) what is waiting, say goodbye to the server and end the thread."""
        if drop_waiting:
            for parcel in list(self._waiting):
                if parcel is not None:
                    parcel.answer.cancel()
        self._waiting.append(None)
        self._arrived.release()
        self._thread.join()

    def _run(self, app: Flask) -> None:
        with app.app_context():
            try:
                while True:
                    self._arrived.acquire()
                    parcel = self._waiting.popleft()
                    if parcel is None:
                        return
                    if not parcel.answer.set_running_or_notify_cancel():
                        continue
                    try:
                        parcel.answer.set_result(self._deliver(parcel))
                    except BaseException as error:  # handed back to the pass, which stops
                        parcel.answer.set_exception(error)
            finally:
                self.mailer.close()

    def _deliver(self, parcel: _Parcel) -> Attempt:
        made = parcel.made if parcel.made is not None else self._make(parcel)
        if isinstance(made, Attempt):
            return made
        return self.mailer.send(parcel.message.recipient.strip(), made)

    def _make_next(self) -> None:
        """Make the next waiting message, if there is one and it is not made yet."""
        parcel = self._waiting[0] if self._waiting else None
        if parcel is not None and parcel.made is None and not parcel.answer.cancelled():
            parcel.made = self._make(parcel)

    def _make(self, parcel: _Parcel) -> bytes | Attempt:
        """The message's bytes, or the refusal when it cannot be made."""
        try:
            return self._composer.message_bytes(parcel.message, parcel.bookings)
        except ValueError as error:  # ComposeError, or data the e-mail library cannot put in a header
            return Attempt(REFUSED, str(error))
