"""Who may see and change an observation. Deny unless a rule allows it."""
from __future__ import annotations

from rotation.observations.models import DRAFT, SUBMITTED, Observation
from rotation.people.models import Person, active_person
from rotation.process_map.tree import owned_area_ids
from rotation.roles import ADMIN


def person_of(user) -> Person | None:
    """The active roster person behind a signed-in account, by e-mail address."""
    if user is None or not user.is_authenticated:
        return None
    return active_person(user.email)


def can_view(user, observation: Observation) -> bool:
    """The author; anyone in the rotation (to find what they saw too and second it); the owners of its area
    or an area above it; admins.

    Nobody but the author sees a draft.
    """
    if user is None or not user.is_authenticated:
        return False
    person = person_of(user)
    if person is not None and observation.author_id == person.id:
        return True
    if observation.status == DRAFT:
        return False
    if user.has_role(ADMIN):
        return True
    if observation.area_id is not None and observation.area_id in owned_area_ids(user.id):
        return True
    # Someone on the roster who is not in the rotation (HR, most often) does not read the others' observations.
    return person is not None and user.in_rotation


def can_edit(user, observation: Observation) -> bool:
    """Only the author, and only until an owner has triaged it."""
    person = person_of(user)
    return person is not None and observation.author_id == person.id and observation.status in (DRAFT, SUBMITTED)


def can_triage(user, area_id: int | None) -> bool:
    """The owners of the area (or an area above it) and admins triage observations there, and change the
    problems made of them."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_role(ADMIN):
        return True
    return area_id is not None and area_id in owned_area_ids(user.id)
