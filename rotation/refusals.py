"""What a service raises when it refuses a change, and how a refusal leaves nothing behind.

A refusal names the form field(s) at fault and sentences saying why: ``FieldProblem`` for one field,
``FieldProblems`` for several. ``FieldProblems`` is the base of both, so ``except FieldProblems`` catches
every refusal; the field is ``None`` when the sentence is about the thing as a whole. A service raises
these classes themselves; a subclass is made only where a caller really needs an ``except`` of its own
(``PlanningError``, which the worker tells apart from the planning engine's ``ValueError``).

How a view answers one, in one way everywhere:

1. It calls the service inside ``all_or_nothing()``: the call runs in a savepoint
   (``db.session.begin_nested()``), so a refusal (or any error) raised from it rolls the session back to
   how it was before the call, objects and all, while what the request did before the call stays.
2. It catches the refusal and shows it: ``form.show_refusal(refusal)`` (``rotation.forms.Form``) puts each
   sentence beside its field, or above the form when the field is ``None`` or not on that form; a view
   without a form flashes ``refusal.message`` and redirects.
3. It answers with the page again, with whatever status it answers today (200 for a form shown again,
   a redirect after a flash). The once-per-request hook in ``rotation/db.py`` then commits what is left,
   which is nothing of the refused call, and rolls back every answer of 400 or more.

So no view calls ``db.session.rollback()``: a test (``tests/test_house.py``) keeps it that way. A command
runs its change inside ``command_change()`` instead: committed once at the end, or on a refusal rolled back
and the command ends non-zero with the refusal's sentence (``click.ClickException``), never a traceback.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from rotation.extensions import db


class FieldProblems(ValueError):
    """Several refusals at once, field by field (``None`` for the whole); the base of every refusal."""

    def __init__(self, problems: dict[str | None, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems

    @property
    def message(self) -> str:
        """Every sentence, one after another: what a page without the form, or a command, says."""
        return " ".join(self.problems.values())


class FieldProblem(FieldProblems):
    """One refusal: the field at fault (``None`` for the whole) and a sentence saying why."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__({field: message})
        self.field = field

    @property
    def message(self) -> str:
        return self.problems[self.field]


@contextmanager
def all_or_nothing() -> Iterator[None]:
    """Run the block (a service call) in a savepoint: if it raises, the session is back as before the block.

    The exception goes on to the caller, which shows the refusal. On SQLite the request's transaction is
    begun first when the driver has not begun one yet, so that the savepoint nests inside it and releasing
    it commits nothing before the request's own commit.
    """
    connection = db.session.connection()
    driver = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and driver is not None and not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    with db.session.begin_nested():
        yield


@contextmanager
def command_change() -> Iterator[None]:
    """A command's change: committed when the block ends; on a refusal rolled back, and the command exits
    non-zero with the refusal's sentence."""
    try:
        yield
    except FieldProblems as refusal:
        db.session.rollback()
        raise click.ClickException(refusal.message) from None
    db.session.commit()
