from __future__ import annotations

from collections.abc import Callable

from wtforms import RadioField, SelectChoice, SelectField, StringField, TextAreaField  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3
from wtforms.fields import DateField
from wtforms.validators import InputRequired, Length

from rotation.blackouts.models import PERSON, SCOPE_LABELS
from rotation.blackouts.services import MAX_REASON, check_dates, check_reason, check_scope
from rotation.forms import Form
from rotation.refusals import FieldRefusal


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class DayField(DateField):
    """A calendar day typed as YYYY-MM-DD; an empty box is left to ``InputRequired``."""

    def __init__(self, label: str, missing: str, **kwargs) -> None:
        bad_date = f"Enter the {label.lower()} as a date like 2027-07-01 (year-month-day)."
        super().__init__(  # type: ignore[call-arg]  # the stubs predate WTForms 3.3's invalid_value_message
            label, validators=[InputRequired(missing)], invalid_value_message=bad_date, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist:
            return
        typed = " ".join(valuelist).strip()
        if not typed:
            # Only spaces count as an empty box, which InputRequired names, rather than as no day at all.
            self.data, self.raw_data = None, []
            return
        super().process_formdata([typed])


class BlackoutForm(Form):
    """Who or what a blackout covers, its days and its reason.

    ``site.choices`` is set by the view from the sites in the database. The
    rules come from ``rotation.blackouts.services``, so the form shows every
    problem it can find without the database at once, each beside its field.
    """

    scope = RadioField("Who the blackout is for", default=PERSON, validate_choice=False,
                       choices=[SelectChoice(value, label) for value, label in SCOPE_LABELS.items()])
    employee_id = StringField("Person", filters=[_strip],
                              validators=[Length(max=254, message="Type at most 254 characters: a name, an e-mail "
                                                                  "address or an employee ID.")],
                              description="For a person: their name, e-mail address or employee ID.",
                              render_kw={"autocomplete": "off", "spellcheck": "false",
                                         "data-suggest": "/people/suggest"})
    site = SelectField("Site", choices=[], validate_choice=False, description="For a whole site.")
    start = DayField("First day", "Enter the first day of the blackout.")
    end = DayField("Last day", "Enter the last day of the blackout (the same as the first for one day).",
                   description="Inclusive: the blackout covers this day too.")
    reason = TextAreaField("Reason", filters=[_strip], description="Optional, e.g. parental leave or stock-taking.",
                           render_kw={"rows": 3, "maxlength": MAX_REASON})

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the rules that tie them together."""
        valid = super().validate(extra_validators)
        checks: list[Callable[[], None]] = [
            lambda: check_scope(self.scope.data or "", self.employee_id.data or "", self.site.data or ""),
            lambda: check_reason(self.reason.data or ""),
        ]
        start, end = self.start.data, self.end.data
        if start is not None and end is not None:
            checks.append(lambda: check_dates(start, end))
        for check in checks:
            try:
                check()
            except FieldRefusal as problem:
                self.show_refusal(problem)
                valid = False
        return valid
