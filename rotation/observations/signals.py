"""What observations tell, and ask, the problems layer above them: signals, never imports.

A problem is made of observations, so ``rotation.problems`` imports this package and never the other way
round. Where an observation's rules or pages need to know about problems they send one of these signals,
and ``rotation/problems/receivers.py`` answers. Without the problems layer an observation is simply part of
no problem and verifies nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

submitted = _signals.signal("observation-submitted", doc="""\
An observation was submitted and flushed. Sender: the observation; keyword ``now``. The problems layer records
its verdict when it answers a request to check a fix.""")

verification_choices = _signals.signal("verification-choices", doc="""\
Which fixes a shift was asked to check, still being verified. Sender: the assignment's id. Answer:
``{problem id: title}``, by title.""")

problem_link = _signals.signal("problem-link", doc="""\
The problem an observation belongs to or verifies, as a link. Sender: the problem's id. Answer: a
:class:`ProblemLink`, or None when there is no such problem.""")

problem_statuses = _signals.signal("problem-statuses", doc="""\
Every problem's status, for exports. Sender: None. Answer: ``{problem id: status}``.""")


@dataclass(frozen=True)
class ProblemLink:
    """A problem as an observation's pages name it."""

    id: int
    title: str
    status_label: str
