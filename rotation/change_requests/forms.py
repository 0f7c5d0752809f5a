"""The forms of change requests: the manager's request, HR's approval and HR's decline."""
from __future__ import annotations

from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
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

    # Radio buttons from the slot finder (templates/assignments/_finder.html), "HR chooses" first.
    slot = StringField("Move it to", validators=[InputRequired("Choose a slot, or let HR choose one for you.")],
                       description="Only slots with a free seat are listed; one that breaks a rule of the plan for "
                                   "you says why and cannot be chosen.")
    reason = TextAreaField("Why do you need the change?",
                           validators=[InputRequired("Say why you need the change; HR decides on it."),
                                       Length(max=MAX_REASON, message=f"Keep it to {MAX_REASON} characters.")],
                           description="HR reads this when deciding.")


class ApproveForm(_ProblemForm):
    """HR approves by choosing the slot (the one the manager asked for, when it still fits)."""

    # Radio buttons from the slot finder, the slot the manager asked for first.
    slot = StringField("Move the shift to", id="approve-slot",
                       validators=[InputRequired("Choose the slot to move the shift to.")])
    note = TextAreaField("Note to the manager (optional)", id="approve-note",
                         validators=[Length(max=MAX_REASON, message=f"Keep it to {MAX_REASON} characters.")])
    # ``yes`` only on the confirmation page's button: HR approves after reading what the move will do.
    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"


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
