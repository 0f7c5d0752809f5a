from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField

from rotation.forms import Form
from rotation.process_map.services import MAX_DESCRIPTION, MAX_NAME, check_description, check_name
from rotation.refusals import FieldProblem

TOP = ""  # the parent choice for an area at the top of the map


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _id(value) -> int | None:
    """A database id sent by a select box, or None for anything else (words, huge numbers, ² …)."""
    value = str(value or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 15 else None


class AreaForm(Form):
    """An area's name, where it sits in the map and what it covers.

    ``parent.choices`` is set by the view. The rules that need the database
    (names unique among siblings, no move under itself) are the service's;
    what can be checked without it is checked here, each beside its field.
    """

    name = StringField("Name", filters=[_strip], description="Unique among the areas beside it, e.g. Returns.",
                       render_kw={"maxlength": MAX_NAME, "autocomplete": "off"})
    parent = SelectField("Sits under", choices=[], validate_choice=False,
                         description="Owners of an area also see what is observed in the areas below it.")
    description = TextAreaField("What it covers", filters=[_strip],
                                description="Optional: a sentence that helps a manager on shift choose the area.",
                                render_kw={"rows": 3, "maxlength": MAX_DESCRIPTION})

    @property
    def parent_id(self) -> int | None:
        """The chosen parent's id; None at the top. Only after ``validate`` has passed."""
        return _id(self.parent.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        checks = [lambda: check_name(" ".join((self.name.data or "").split())),
                  lambda: check_description(self.description.data or "")]
        if self.parent.data not in (None, TOP) and _id(self.parent.data) is None:
            self.parent.errors = [*self.parent.errors, "Choose where the area sits from the list."]
            valid = False
        for check in checks:
            try:
                check()
            except FieldProblem as problem:
                self.show_refusal(problem)
                valid = False
        return valid


class OwnerForm(Form):
    """An account to add as an owner of an area; ``user.choices`` is set by the view."""

    user = SelectField("Account", choices=[], validate_choice=False)

    @property
    def user_id(self) -> int | None:
        return _id(self.user.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.user.data:
            self.user.errors = [*self.user.errors, "Choose the account to add as an owner."]
            valid = False
        elif self.user_id is None:
            self.user.errors = [*self.user.errors, "Choose an account from the list."]
            valid = False
        return valid
