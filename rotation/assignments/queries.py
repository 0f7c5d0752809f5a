"""Reading assignments with what their pages show of them (slot and site) loaded in the same query."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.models import Slot


def with_slot_and_site() -> sa.Select:
    """Assignments joined to their slot, with the slot and its site loaded."""
    return (sa.select(Assignment).join(Assignment.slot)
            .options(contains_eager(Assignment.slot).joinedload(Slot.site)))


def shift_of(person: Person, uid: str) -> Assignment | None:
    """The person's own assignment with this calendar UID (slot and site loaded); None for anyone else's."""
    return db.session.scalar(with_slot_and_site().where(Assignment.uid == uid, Assignment.person_id == person.id))
