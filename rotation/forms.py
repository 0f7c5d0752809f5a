"""The base of every form: values a person could not have meant are refused beside their field.

A NUL or another control character (``rotation.characters``) is never stored. The check runs before the
form's own validators, so none of them looks a value like that up in the database.

Dates are kept within five years of today, and whole numbers within what the database's integer column
holds, so a typo such as 9999-12-31 or a pasted 400-digit number never reaches a page's date arithmetic.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_wtf import FlaskForm
from wtforms import TextAreaField

from rotation.characters import unwanted_character
from rotation.db import utcnow
from rotation.refusals import FieldProblems

YEARS_AROUND_TODAY = 5
LARGEST_NUMBER = 2**31 - 1


def control_character_problem(value: str, multiline: bool = False) -> str | None:
    """Why ``value`` is refused, naming the first character a person could not have meant; None if fine."""
    what = unwanted_character(value, multiline)
    return f"Remove {what} from this field: it cannot be saved." if what else None


def out_of_range_problem(value: object) -> str | None:
    """Why a date or number is refused as no person's meaning; None if fine."""
    if isinstance(value, (date, datetime)):
        this_year = utcnow().year
        first, last = this_year - YEARS_AROUND_TODAY, this_year + YEARS_AROUND_TODAY
        if not first <= value.year <= last:
            return f"Enter a date between {first} and {last}."
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST_NUMBER:
        return "Enter a smaller number."
    return None


class Form(FlaskForm):
    """FlaskForm with every field checked first for control characters, far-off dates and huge numbers.

    A refused field's own validators see it as empty (so none of them looks such a value up in the
    database), every other field is validated as usual, and the refused value is put back afterwards, so
    the page shows what was typed with the message beside it.

    ``show_refusal`` shows what a service refused (``rotation.refusals``) the same way.
    """

    def show_refusal(self, refusal: FieldProblems) -> None:
        """Each sentence of ``refusal`` beside its field (once), or above the form (once) when the field is
        ``None`` or not on this form; ``templates/forms.html``'s ``form_errors`` shows those."""
        for name, message in refusal.problems.items():
            field = self._fields.get(name) if name else None
            if field is None:
                if message not in self.form_errors:
                    self.form_errors.append(message)
            elif message not in field.errors:
                field.errors = [*field.errors, message]

    def validate(self, extra_validators=None) -> bool:
        refused: dict[str, tuple[str, object]] = {}
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            for value in values:
                if isinstance(value, str):
                    problem = control_character_problem(value, multiline=isinstance(field, TextAreaField))
                else:
                    problem = out_of_range_problem(value)
                if problem:
                    refused[field.name] = (problem, field.data)
                    field.data = [] if isinstance(field.data, list) else "" if isinstance(value, str) else None
                    break
        valid = super().validate(extra_validators)
        for name, (problem, typed) in refused.items():
            self[name].data = typed
            self[name].errors = [problem]
        return valid and not refused
