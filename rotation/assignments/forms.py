"""The forms on an assignment's page: move it to another slot, withdraw it."""
from __future__ import annotations

from wtforms import HiddenField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired

from rotation.forms import LARGEST_NUMBER, Form
from rotation.refusals import FieldRefusal


class MoveForm(Form):
    """The slot to move an assignment to.

    ``slot.choices`` is set by the view from ``valid_slots``. The choice is not
    checked against that list here: a slot that stopped fitting since the page
    was shown gets the sentence of the rule it breaks from ``move_assignment``.
    """

    slot = SelectField("Move to", choices=[], validate_choice=False,
                       validators=[InputRequired("Choose the slot to move it to.")],
                       description="Only slots that keep every rule and have a free seat are listed.")
    # ``yes`` only on the confirmation page's button: the move happens after HR has read what it will do.
    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"

    def chosen_slot_id(self) -> int | None:
        """The chosen slot's id, or None (with the message beside the field) when it is not a number."""
        try:
            chosen = int(self.slot.data)
            if not 0 < chosen <= LARGEST_NUMBER:
                raise ValueError(self.slot.data)
            return chosen
        except (TypeError, ValueError):
            self.show_refusal(FieldRefusal("slot", "Choose a slot from the list."))
            return None


class WithdrawForm(Form):
    """Withdrawing asks first; ``confirmed`` is ``yes`` only on the confirmation page's button."""

    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"


class UndoForm(Form):
    """Taking back the change just made: what it was is in the session, so the form carries only its token."""


class BulkWithdrawForm(Form):
    """The assignments the confirmation listed, to withdraw together."""

    assignment = SelectMultipleField("Assignments", coerce=int, validate_choice=False,
                                     validators=[InputRequired("Choose at least one assignment to withdraw.")])


class BulkMoveForm(Form):
    """The moves the confirmation listed, each ``assignment:slot``, to make together."""

    move = SelectMultipleField("Moves", validate_choice=False,
                               validators=[InputRequired("Choose at least one assignment to move.")])
