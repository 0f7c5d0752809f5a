"""What the assignments area tells, and asks, the areas above it (outbox, observations): signals, never
imports.

A changed shift carries a ``notice`` (a calendar message is owed); the outbox, which imports this area,
queues the messages when told.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

notices_set = _signals.signal("notices-set", doc="""\
Assignments now carry notices (flushed or not). Sender: None. The outbox queues a calendar message for each
and clears the notices, in the same transaction.""")

shift_page = _signals.signal("shift-page", doc="""\
What other areas show on HR's page of a shift. Sender: the assignment. Answer: a dict of template variables
(``latest_message`` from the outbox, ``observation_window`` and ``window_form`` from observations).""")

withdrawal_notice = _signals.signal("withdrawal-notice", doc="""\
Whether withdrawing a shift e-mails its attendee a cancellation, for the confirmation page and HR's message.
Sender: the assignment (not yet withdrawn). Answer: a dict with ``cancellation_sent`` (bool) and, when not,
``no_cancellation_because`` (words) from the outbox.""")

news_taken_back = _signals.signal("news-taken-back", doc="""\
A change to a shift is being taken back. Sender: the assignment; keywords ``sequence``: the sequence the change
gave it, and ``back_to``: the sequence it returns to. The outbox supersedes the calendar messages about that
sequence still queued and queues again the reminders of the version it returns to that the change had superseded,
in the same transaction.
Answer: a dict with ``gone`` (a message about that sequence was sent or is being sent: the attendee may have
heard of the change) and ``told_before`` (an invitation about an earlier sequence was sent).""")
