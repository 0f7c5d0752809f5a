"""The forms that record attendance: HR's two buttons on a shift, and the host's choice per attendee."""
from __future__ import annotations

from collections.abc import Sequence

from wtforms import RadioField, SelectChoice, SelectMultipleField  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3
from wtforms.validators import InputRequired

from rotation.assignments.models import Assignment
from rotation.attendance.services import OUTCOME_LABELS, OUTCOMES
from rotation.forms import Form

OUTCOME_CHOICES = [SelectChoice(outcome, OUTCOME_LABELS[outcome]) for outcome in OUTCOMES]


class RecordForm(Form):
    """HR's "Came" and "No-show" buttons on one shift: the pressed button carries the outcome."""

    outcome = RadioField("Attendance", choices=OUTCOME_CHOICES,
                         validators=[InputRequired("Press Came or No-show.")])


class BulkForm(Form):
    """HR's confirmation of a bulk marking: the outcome and the shifts the confirmation page listed."""

    outcome = RadioField("Mark as", choices=OUTCOME_CHOICES, validators=[InputRequired("Choose came or no-show.")])
    shift = SelectMultipleField("Shifts", coerce=int, validate_choice=False,
                                validators=[InputRequired("Tick at least one shift to mark.")])


class HostForm(Form):
    """One choice per attendee still to record, Came by default; built for a slot by :func:`host_form`."""

    attendees: list[Assignment]

    def choices_made(self) -> list[tuple[Assignment, str]]:
        """Each attendee with the outcome the host chose."""
        return [(assignment, self[field_name(assignment)].data) for assignment in self.attendees]


def field_name(assignment: Assignment) -> str:
    return f"attendee_{assignment.id}"


def host_form(attendees: Sequence[Assignment]) -> HostForm:
    """The host's form for ``attendees`` (each with its person loaded)."""

    class SlotForm(HostForm):
        pass

    for assignment in attendees:
        name = assignment.person.full_name
        setattr(SlotForm, field_name(assignment),
                RadioField(name, choices=OUTCOME_CHOICES, default=OUTCOMES[0],
                           validators=[InputRequired(f"Choose came or no-show for {name}.")]))
    form = SlotForm()
    form.attendees = list(attendees)
    return form
