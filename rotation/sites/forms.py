"""The forms of the year's slots page: the year to look at, and the sites to create its slots at."""
from __future__ import annotations

from wtforms import IntegerField, SelectMultipleField
from wtforms.validators import DataRequired, InputRequired

from rotation.forms import Form


class YearField(IntegerField):
    """A year typed as a number; anything else is named beside the field."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError("Enter the year as a number, such as 2028.") from None


class YearForm(Form):
    """The year whose slots the page previews: sent by GET, so it carries no CSRF token."""

    class Meta:
        csrf = False

    year = YearField("Year", validators=[InputRequired("Enter a year, such as 2028.")],
                     render_kw={"inputmode": "numeric"})


class CreateSlotsForm(Form):
    """Create the slots of the year in the page's address at the ticked sites."""

    sites = SelectMultipleField("Sites", choices=[], validate_choice=False,
                                validators=[DataRequired("Tick at least one site to create its slots.")])


class SiteSlotsForm(Form):
    """Create the year's slots at one site, from its page: nothing to fill in but the CSRF token."""
