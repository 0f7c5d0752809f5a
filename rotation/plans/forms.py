"""The plan page's buttons: each a form that carries its CSRF token."""
from __future__ import annotations

from wtforms import HiddenField

from rotation.forms import Form


class RunPlanForm(Form):
    """Run the year's plan: nothing to fill in; the button starts a run in the background."""


class PublishForm(Form):
    """Publish the year's draft. Sent first without ``confirmed``, which shows what would be queued;
    the confirmation page sends it again with ``confirmed=yes``."""

    confirmed = HiddenField(default="")

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"
