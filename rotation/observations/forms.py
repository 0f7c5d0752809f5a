"""The observation form (the same for a draft and a submission), "me too", and HR's window extension.

The validators here check the shape of each answer (lengths, numbers, known
choices) every time, also when a draft is saved; what a submission needs on top
is checked by ``services.completeness_problems``.
"""
from __future__ import annotations

from flask_wtf.file import MultipleFileField
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from rotation.forms import Form
from rotation.observations.models import CAUSES, FREQUENCIES, KIND_LABELS, SEVERITIES, WASTES

YES_NO = {"": "Not sure", "yes": "Yes, the customer saw it", "no": "No, only we saw it"}


def _optional_int(value):
    """A choice's id, None for none, and -1 (never a choice) for anything that is not a number."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _blank_is_none(value):
    if value is None:
        return None
    value = value.strip()
    return value or None


class ObservationForm(Form):
    area_id = SelectField("Process area (required)", coerce=_optional_int, choices=[], validate_choice=False,
                          description="Where in the process did it happen?")
    kind = RadioField("What did you see? (required)", choices=dict(KIND_LABELS), validate_choice=False,
                      validators=[Optional()])
    title = StringField("Title (optional)", filters=[lambda v: (v or "").strip()],
                        validators=[Length(max=200, message="Keep the title to 200 characters.")],
                        description="One line an owner recognises, e.g. “Refund needs a supervisor for every order”. "
                                    "Left empty, the start of what happened is used.")
    contact_driver = StringField("Why did the customer have to contact us?", filters=[_blank_is_none],
                                 validators=[Length(max=300, message="Keep it to 300 characters.")],
                                 description="For a customer contact: its driver, e.g. “parcel promised Friday, "
                                             "arrived Tuesday”.")
    waste = SelectField("Which waste?", choices={"": "Choose a waste", **WASTES},
                        filters=[_blank_is_none], validate_choice=False)
    what_happened = TextAreaField("What happened (required)", filters=[lambda v: (v or "").strip()],
                                  validators=[Length(max=5000, message="Keep it to 5,000 characters.")],
                                  description="The facts: what you saw and heard, not who did it.")
    customer_minutes = IntegerField("Customer minutes lost", validators=[
        Optional(), NumberRange(min=0, max=100_000, message="Give whole minutes from 0 to 100,000.")],
        description="Roughly, for one customer, each time it happens.")
    customer_visible = RadioField("Did the customer see it?", choices=YES_NO, validate_choice=False,
                                  validators=[Optional()])
    frequency = SelectField("How often does the frontline see it?",
                            choices={"": "Choose how often", **FREQUENCIES},
                            filters=[_blank_is_none], validate_choice=False)
    severity = RadioField("Severity", choices={str(level): text for level, text in SEVERITIES.items()},
                          validate_choice=False, validators=[Optional()])
    why_1 = TextAreaField("Why did it happen?", filters=[_blank_is_none],
                          validators=[Length(max=1000, message="Keep each why to 1,000 characters.")])
    why_2 = TextAreaField("Why was that?", filters=[_blank_is_none],
                          validators=[Length(max=1000, message="Keep each why to 1,000 characters.")])
    why_3 = TextAreaField("And why was that?", filters=[_blank_is_none],
                          validators=[Length(max=1000, message="Keep each why to 1,000 characters.")])
    why_4 = TextAreaField("Why, a fourth time?", filters=[_blank_is_none],
                          validators=[Length(max=1000, message="Keep each why to 1,000 characters.")])
    why_5 = TextAreaField("Why, a fifth time?", filters=[_blank_is_none],
                          validators=[Length(max=1000, message="Keep each why to 1,000 characters.")])
    cause = SelectField("Suspected cause", choices={"": "Choose a category", **CAUSES},
                        filters=[_blank_is_none], validate_choice=False)
    suggested_fix = TextAreaField("Suggested fix", filters=[_blank_is_none],
                                  validators=[Length(max=3000, message="Keep it to 3,000 characters.")])
    frontline_quote = TextAreaField("What the frontline said", filters=[_blank_is_none],
                                    validators=[Length(max=1000, message="Keep it to 1,000 characters.")],
                                    description="In their words, without their name.")
    verifies_problem_id = SelectField("Is this about a fix you were asked to check?", coerce=_optional_int,
                                      choices=[], validate_choice=False)
    verdict = RadioField("Is it fixed?",
                         choices={"fixed": "Yes, it is fixed", "still_broken": "No, it is still broken"},
                         validate_choice=False, validators=[Optional()])
    reference_numbers = StringField("Order or ticket numbers", filters=[_blank_is_none],
                                    validators=[Length(max=500, message="Keep it to 500 characters.")],
                                    description="Separated by commas.")

    # The ids of the areas offered (set with the choices by the view).
    area_ids: frozenset[int] = frozenset()

    def validate_kind(self, field) -> None:
        _known(field, KIND_LABELS, "Choose a kind from the list.")

    def validate_severity(self, field) -> None:
        _known(field, {str(level): text for level, text in SEVERITIES.items()}, "Choose a severity from 1 to 5.")

    def validate_customer_visible(self, field) -> None:
        _known(field, YES_NO, "Choose yes, no or not sure.")

    def validate_verdict(self, field) -> None:
        _known(field, {"fixed": "", "still_broken": ""}, "Choose fixed or still broken.")

    def validate_waste(self, field) -> None:
        _known(field, WASTES, "Choose a waste from the list.")

    def validate_frequency(self, field) -> None:
        _known(field, FREQUENCIES, "Choose how often from the list.")

    def validate_cause(self, field) -> None:
        _known(field, CAUSES, "Choose a cause category from the list.")

    def validate_area_id(self, field) -> None:
        if field.data is not None and field.data not in self.area_ids:
            raise ValidationError("Choose a process area from the list.")

    def values(self) -> dict:
        """The answers as the observation's columns."""
        visible = self.customer_visible.data
        return {
            "area_id": self.area_id.data, "kind": self.kind.data or None, "title": self.title.data or "",
            "contact_driver": self.contact_driver.data, "waste": self.waste.data,
            "what_happened": self.what_happened.data or "", "customer_minutes": self.customer_minutes.data,
            "customer_visible": {"yes": True, "no": False}.get(visible),
            "frequency": self.frequency.data, "severity": int(self.severity.data) if self.severity.data else None,
            "why_1": self.why_1.data, "why_2": self.why_2.data, "why_3": self.why_3.data,
            "why_4": self.why_4.data, "why_5": self.why_5.data, "cause": self.cause.data,
            "suggested_fix": self.suggested_fix.data, "frontline_quote": self.frontline_quote.data,
            "reference_numbers": self.reference_numbers.data,
            "verifies_problem_id": self.verifies_problem_id.data if self.verifies_problem_id.data != -1 else None,
            "verdict": self.verdict.data or None,
        }



def _known(field, choices: dict, message: str) -> None:
    if field.data not in (None, "") and field.data not in choices:
        raise ValidationError(message)


def form_data_of(observation) -> dict:
    """An observation's columns as the form's initial data."""
    data = {name: getattr(observation, name) for name in (
        "area_id", "kind", "title", "contact_driver", "waste", "what_happened", "customer_minutes", "frequency",
        "why_1", "why_2", "why_3", "why_4", "why_5", "cause", "suggested_fix", "frontline_quote",
        "reference_numbers", "verifies_problem_id", "verdict")}
    data["severity"] = str(observation.severity) if observation.severity else None
    data["customer_visible"] = {True: "yes", False: "no"}.get(observation.customer_visible, "")
    return data


class EvidenceForm(Form):
    files = MultipleFileField("Add photos or files",
                              description="Photos (JPEG, PNG, WebP, GIF), PDF or text; up to 10 MB each and 10 "
                                          "in all. Location and camera details are removed from photos.")


class SecondForm(Form):
    assignment_id = SelectField("From your shift", coerce=_optional_int, choices=[], validate_choice=False,
                                validators=[InputRequired("Choose the shift where you saw it.")])
    note = TextAreaField("What you saw (optional)", filters=[_blank_is_none],
                         validators=[Length(max=2000, message="Keep the note to 2,000 characters.")])
    files = MultipleFileField("Your own photos or files (optional)")


class WindowForm(Form):
    until = DateField("Allow observations until", validators=[InputRequired("Give the last day, YYYY-MM-DD.")])
