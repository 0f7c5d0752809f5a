"""When a shift is, in words HR reads: its days and hours in its site's own time."""
from __future__ import annotations

from dataclasses import dataclass

from rotation.sites.models import CUSTOMER_SERVICE, Site, Slot
from rotation.sites.views import site_zone, slot_hours


@dataclass(frozen=True)
class ShiftTime:
    """When a slot is, in its site's local time: its first and last day, and the hours with the zone."""

    first: str  # e.g. "Mon 2027-03-01"
    last: str | None  # the last day of a warehouse week; None for a single day
    hours: str

    @classmethod
    def of(cls, slot: Slot, site: Site) -> ShiftTime:
        last = None if slot.last_day == slot.first_day else f"{slot.last_day:%a} {slot.last_day.isoformat()}"
        return cls(first=f"{slot.first_day:%a} {slot.first_day.isoformat()}", last=last,
                   hours=slot_hours(slot, site_zone(site)))

    @property
    def days(self) -> str:
        return f"{self.first} to {self.last}" if self.last else self.first

    def __str__(self) -> str:
        return f"{self.days}, {self.hours}"


def slot_when(slot: Slot, site: Site) -> str:
    """When a slot is, as the slot finder lists it: a warehouse week by its days, a day with its hours."""
    when = ShiftTime.of(slot, site)
    return when.days if slot.kind != CUSTOMER_SERVICE else str(when)
