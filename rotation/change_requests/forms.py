"""The forms of change requests: the manager's request, HR's approval and HR's decline."""
from __future__ import annotations

from wtforms import SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length

from rotation.change_requests.services import MAX_REASON
from rotation.forms import LARGEST_NUMBER, Form

# The slot choice that leaves the choosing to HR.
HR_CHOOSES = "hr"


class _ProblemForm(Form):
    def chosen_slot_id(self) -> int | None:
        """The chosen slot's id; None for "HR chooses" or, with a message beside the field, for anything else."""
        value = self.slot.data
        if value == HR_CHOOSES:
            return None
        try:
            chosen = int(value)
            if not 0 < chosen <= LARGEST_NUMBER:
                raise ValueError(value)
            return chosen
        except (TypeError, ValueError):
            self.slot.errors = [*self.slot.errors, "Choose a slot from the list."]
            return None


class AskForChangeForm(_ProblemForm):
    """A manager's request: a slot from the valid ones, or HR chooses; and why."""

    slot = SelectField("Move it to", choices=[], validate_choice=False,
                       validators=[InputRequired("Choose a slot, or let HR choose one for you.")],
                       description="Only slots with a free seat that keep every rule of the plan for you are "
                                   "listed.")
    reason = TextAreaField("Why do you need the change?",
                           validators=[InputRequired("Say why you need the change; HR decides on it."),
                                       Length(max=MAX_REASON, message=f"Keep it to {MAX_REASON} characters.")],
                           description="HR reads this when deciding.")


class ApproveForm(_ProblemForm):
    """HR approves by choosing the slot (the one the manager asked for, when it still fits)."""

    slot = SelectField("Move the shift to", choices=[], validate_choice=False, id="approve-slot",
                       validators=[InputRequired("Choose the slot to move the shift to.")])
    note = TextAreaField("Note to the manager (optional)", id="approve-note",
                         validators=[Length(max=MAX_REASON, message=f"Keep it to {MAX_REASON} characters.")])


class BulkDeclineForm(_ProblemForm):
    """HR keeps several shifts as planned: the requests the confirmation listed, and one note for all."""

    request = SelectMultipleField("Requests", coerce=int, validate_choice=False,
                                  validators=[InputRequired("Choose at least one request to keep as planned.")])
    note = TextAreaField("Why do you keep them as planned?", id="decline-note",
                         description="Each manager reads this in their e-mail.",
                         validators=[InputRequired("Say why you decline; the manager reads it."),
                                     Length(max=MAX_REASON, message=f"Keep it to {MAX_REASON} characters.")])


class DeclineForm(_ProblemForm):
    """HR declines, saying why."""

    note = TextAreaField("Why do you decline?", id="decline-note",
                         validators=[InputRequired("Say why you decline; the manager reads it."),
                                     Length(max=MAX_REASON, message=f"Keep it to {MAX_REASON} characters.")])
