"""The Calendar page's choice of how shifts reach a person's calendar."""
from __future__ import annotations

from wtforms import RadioField, SelectChoice  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3

from rotation.feeds.services import DELIVERY_LABELS
from rotation.forms import Form


class DeliveryForm(Form):
    """One of :data:`DELIVERY_LABELS`; any other value is refused beside the field by the service."""

    calendar_delivery = RadioField("Send my shifts as", validate_choice=False,
                                   choices=[SelectChoice(value, label) for value, label in DELIVERY_LABELS.items()])
