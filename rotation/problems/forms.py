"""The forms of triage and of a problem's page.

The choices of every select are set by the view. The forms check the shape of
each answer (a choice from the list, lengths, a date); the rules that need the
database are the services', whose messages ``show_refusal`` puts beside the
field they are about.
"""
from __future__ import annotations

from typing import Any

from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from rotation.forms import Form
from rotation.observations.models import SEVERITIES
from rotation.problems.models import COUNTERMEASURES, DECLINED, DUPLICATE, NEW, STATUS_LABELS
from rotation.problems.services import MAX_TEXT

SEVERITY_CHOICES = {str(level): text for level, text in SEVERITIES.items()}
# What an owner may move a problem to by hand: a new problem is made by triage, a duplicate by merging.
SETTABLE_STATUSES = {status: label for status, label in STATUS_LABELS.items() if status not in (NEW, DUPLICATE)}


def chosen_id(value) -> int | None:
    """A database id sent by a select box; None for nothing chosen, -1 (never an id) for anything else."""
    value = str(value if value is not None else "").strip()
    if not value:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 15 else -1


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _blank_is_none(value):
    value = _strip(value)
    return value or None


def choice_values(field: SelectField) -> list[Any]:
    """The values of the choices the view offered: a list of pairs, or option groups of them."""
    choices = field.choices or []
    pairs = [pair for group in choices.values() for pair in group] if isinstance(choices, dict) else list(choices)
    return [pair[0] for pair in pairs]


def _offered(field, message: str) -> None:
    """The answer must be one of the choices the view offered."""
    if field.data not in {field.coerce(value) for value in choice_values(field)}:
        raise ValidationError(message)


# --- Triage ---------------------------------------------------------------------------------------------------

class CreateProblemForm(Form):
    """Make a new problem of an observation: title, area and severity start as the observation's."""

    title = StringField("Problem title", filters=[_strip],
                        validators=[Length(max=200, message="Keep the title to 200 characters.")],
                        description="Name the broken process, e.g. “Refunds over 20 euros wait for a supervisor”.",
                        render_kw={"maxlength": 200, "autocomplete": "off"})
    area_id = SelectField("Process area", coerce=chosen_id, choices=[], validate_choice=False)
    severity = SelectField("Severity", choices=SEVERITY_CHOICES, validate_choice=False,
                           description="Sets the due date: severity 5 is due in 2 days, 1 in half a year.")
    owner_id = SelectField("Owner", coerce=chosen_id, choices=[], validate_choice=False,
                           description="Who sees the fix through: an owner of this area or an area above it.")

    def validate_title(self, field) -> None:
        if not field.data:
            raise ValidationError("Give the problem a title that names the broken process.")

    def validate_area_id(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose the process area from the list.")
        _offered(field, "Choose the process area from the list.")

    def validate_severity(self, field) -> None:
        if field.data not in SEVERITY_CHOICES:
            raise ValidationError("Choose a severity from 1 to 5.")

    def validate_owner_id(self, field) -> None:
        _offered(field, "Choose the owner from the list.")

    def values(self) -> dict:
        return {"title": self.title.data, "area_id": self.area_id.data, "severity": int(self.severity.data),
                "owner_id": self.owner_id.data}


class LinkForm(Form):
    """Link an observation to a problem already on record."""

    problem_id = SelectField("Problem", coerce=chosen_id, choices=[], validate_choice=False,
                             description="Open problems in this part of the process map first, most painful first.")

    def validate_problem_id(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose the problem it is part of.")
        if field.data == -1:
            raise ValidationError("Choose the problem from the list.")


class DeclineForm(Form):
    """Decline an observation; its author reads the reason."""

    reason = TextAreaField("Why decline it?", filters=[_strip],
                           validators=[Length(max=MAX_TEXT, message=f"Keep the reason to {MAX_TEXT:,} characters.")],
                           description="The author reads this by e-mail and in News. Thank them, and say why.",
                           render_kw={"rows": 3})

    def validate_reason(self, field) -> None:
        if not field.data:
            raise ValidationError("Say why you decline it; the author reads it.")


# --- A problem's page -------------------------------------------------------------------------------------------

class ProblemForm(Form):
    """A problem's details: what is broken, who owns it, the fix and how it will be verified."""

    title = StringField("Title", filters=[_strip],
                        validators=[Length(max=200, message="Keep the title to 200 characters.")],
                        render_kw={"maxlength": 200, "autocomplete": "off"})
    area_id = SelectField("Process area", coerce=chosen_id, choices=[], validate_choice=False)
    owner_id = SelectField("Owner", coerce=chosen_id, choices=[], validate_choice=False)
    severity = SelectField("Severity", choices=SEVERITY_CHOICES, validate_choice=False,
                           description="Changing it moves the due date.")
    root_cause = TextAreaField("Root cause", filters=[_blank_is_none],
                               validators=[Length(max=MAX_TEXT, message=f"Keep it to {MAX_TEXT:,} characters.")],
                               description="One statement: why the process fails, not who failed.",
                               render_kw={"rows": 3})
    countermeasure = TextAreaField("Countermeasure", filters=[_blank_is_none],
                                   validators=[Length(max=MAX_TEXT,
                                                      message=f"Keep it to {MAX_TEXT:,} characters.")],
                                   render_kw={"rows": 3})
    countermeasure_type = SelectField("Kind of countermeasure", choices={"": "Not chosen yet", **COUNTERMEASURES},
                                      filters=[_blank_is_none], validate_choice=False)
    verification_metric = StringField("Verification metric", filters=[_blank_is_none],
                                      validators=[Length(max=300, message="Keep it to 300 characters.")],
                                      description="What will show that it is fixed, e.g. “refund calls a week”.")
    verification_baseline = StringField("Baseline", filters=[_blank_is_none],
                                        validators=[Length(max=100, message="Keep it to 100 characters.")],
                                        description="The metric now.")
    verification_target = StringField("Target", filters=[_blank_is_none],
                                      validators=[Length(max=100, message="Keep it to 100 characters.")],
                                      description="The metric once it is fixed.")
    verify_by = DateField("Verify by", validators=[Optional()], description="The day to check the target, "
                                                                             "YYYY-MM-DD.")
    ticket_links = TextAreaField("Tickets elsewhere", filters=[_blank_is_none],
                                 validators=[Length(max=MAX_TEXT, message=f"Keep it to {MAX_TEXT:,} characters.")],
                                 description="One address or ticket number a line.", render_kw={"rows": 2})

    def validate_title(self, field) -> None:
        if not field.data:
            raise ValidationError("Give the problem a title that names the broken process.")

    def validate_area_id(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose the process area from the list.")
        _offered(field, "Choose the process area from the list.")

    def validate_owner_id(self, field) -> None:
        _offered(field, "Choose the owner from the list.")

    def validate_severity(self, field) -> None:
        if field.data not in SEVERITY_CHOICES:
            raise ValidationError("Choose a severity from 1 to 5.")

    def validate_countermeasure_type(self, field) -> None:
        if field.data is not None and field.data not in COUNTERMEASURES:
            raise ValidationError("Choose a kind of countermeasure from the list.")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.verify_by.errors:  # the house message rather than the library's
            self.verify_by.errors = ["Give the day as YYYY-MM-DD."]
        return valid

    def values(self) -> dict:
        """The answers as the problem's columns (what ``services.update_details`` takes)."""
        return {"title": self.title.data, "area_id": self.area_id.data, "owner_id": self.owner_id.data,
                "severity": int(self.severity.data), "root_cause": self.root_cause.data,
                "countermeasure": self.countermeasure.data, "countermeasure_type": self.countermeasure_type.data,
                "verification_metric": self.verification_metric.data,
                "verification_baseline": self.verification_baseline.data,
                "verification_target": self.verification_target.data, "verify_by": self.verify_by.data,
                "ticket_links": _lines(self.ticket_links.data)}


def problem_data(problem) -> dict:
    """A problem's columns as the details form's initial data."""
    data = {name: getattr(problem, name) for name in (
        "title", "area_id", "owner_id", "root_cause", "countermeasure", "countermeasure_type", "verification_metric",
        "verification_baseline", "verification_target", "verify_by", "ticket_links")}
    data["severity"] = str(problem.severity)
    data["countermeasure_type"] = problem.countermeasure_type or ""
    return data


def _lines(text: str | None) -> str | None:
    """One entry a line, without blank lines or stray spaces."""
    if not text:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines) or None


class StatusForm(Form):
    """Move a problem to another status, with a note everyone subscribed reads."""

    status = SelectField("New status", choices=[], validate_choice=False)
    note = TextAreaField("Note", filters=[_blank_is_none],
                         validators=[Length(max=MAX_TEXT, message=f"Keep the note to {MAX_TEXT:,} characters.")],
                         description="Everyone who reported it, said “me too” or owns it reads this. Required to "
                                     "decline.", render_kw={"rows": 2})

    def validate_status(self, field) -> None:
        offered = set(choice_values(self.status))
        if not field.data:
            raise ValidationError("Choose the new status.")
        if field.data not in offered:
            raise ValidationError("Choose a status from the list.")

    def validate_note(self, field) -> None:
        if self.status.data == DECLINED and not field.data:
            raise ValidationError("Say why you decline the problem; everyone who reported it reads it.")


class MergeForm(Form):
    """"This is the same problem as …": merge this one into another, after a confirmation."""

    survivor_id = SelectField("This is the same problem as", coerce=chosen_id, choices=[], validate_choice=False,
                              description="Its observations, “me too”s and evidence move to the problem you "
                                          "choose; this one is closed as its duplicate.")
    confirm = HiddenField()

    def validate_survivor_id(self, field) -> None:
        if field.data is None:
            raise ValidationError("Choose the problem it is the same as.")
        _offered(field, "Choose the problem from the list.")


class ActionForm(Form):
    """A button with nothing to fill in; the CSRF token only."""
