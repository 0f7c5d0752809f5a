"""The form a manager adds their own blackout with: days and a reason, never someone else's id."""
from __future__ import annotations

from wtforms import TextAreaField

from rotation.blackouts.forms import DayField
from rotation.blackouts.services import MAX_REASON, check_dates, check_reason
from rotation.db import utc_today
from rotation.forms import Form
from rotation.refusals import FieldProblem


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MyBlackoutForm(Form):
    """First and last day (inclusive) and an optional reason; problems are shown beside their fields."""

    start = DayField("First day", "Enter the first day you cannot take a shift.")
    end = DayField("Last day", "Enter the last day (the same as the first for one day).",
                   description="Inclusive: no shift of yours falls on this day either.")
    reason = TextAreaField("Reason", filters=[_strip], description="Optional, e.g. parental leave or a conference.",
                           render_kw={"rows": 2, "maxlength": MAX_REASON})

    def validate(self, extra_validators=None) -> bool:
        """The fields one by one, then the rules between them: in order, not over, a reason that fits."""
        valid = super().validate(extra_validators)
        problems: list[FieldProblem] = []
        try:
            check_reason(self.reason.data or "")
        except FieldProblem as refused:
            problems.append(refused)
        if self.start.data is not None and self.end.data is not None:
            try:
                check_dates(self.start.data, self.end.data)
            except FieldProblem as refused:
                problems.append(refused)
            else:
                if self.end.data < utc_today():
                    problems.append(FieldProblem(
                        "end", "These days are already over; enter days from today on."))
        for problem in problems:
            self.show_refusal(problem)
        return valid and not problems
