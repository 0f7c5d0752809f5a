"""What a service raises when it refuses a change: the form field(s) at fault and sentences saying why.

A view shows each sentence beside its field (or above the form when the field is ``None`` or names the
thing as a whole). Nothing was changed when one is raised.
"""
from __future__ import annotations


class FieldProblem(ValueError):
    """One refusal: the field at fault and a sentence saying why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class FieldProblems(ValueError):
    """Several refusals at once, field by field (``None`` for the whole)."""

    def __init__(self, problems: dict[str | None, str]) -> None:
        super().__init__(" ".join(problems.values()))
        self.problems = problems
