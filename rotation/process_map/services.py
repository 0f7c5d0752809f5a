"""Changing the process map: areas added, renamed, moved, retired or deleted, and their owners.

Every function checks everything first and changes nothing when it raises
``FieldRefusal``; it flushes and leaves the commit to the request or command.
"""
from __future__ import annotations

import sqlalchemy as sa

from rotation.accounts.models import RoleGrant, User
from rotation.extensions import db
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.process_map.tree import SEPARATOR, observation_counts, subtree_ids
from rotation.refusals import FieldRefusal
from rotation.roles import OWNER

MAX_NAME = 120
MAX_DESCRIPTION = 1000



def check_name(name: str) -> None:
    """Raise ``FieldRefusal`` unless ``name`` (already stripped) can name an area."""
    if not name:
        raise FieldRefusal("name", "Enter the area's name.")
    if len(name) > MAX_NAME:
        raise FieldRefusal("name", f"A name has at most {MAX_NAME} characters; this one has {len(name)}.")
    if SEPARATOR.strip() in name:
        raise FieldRefusal("name", f"A name cannot contain “{SEPARATOR.strip()}”: the map uses it between an "
                                  "area and the areas above it.")


def check_description(description: str) -> None:
    """Raise ``FieldRefusal`` when the description is longer than an area keeps."""
    if len(description) > MAX_DESCRIPTION:
        raise FieldRefusal("description", f"A description has at most {MAX_DESCRIPTION} characters; this one has "
                                         f"{len(description)}.")


def add_area(name: str, parent_id: int | None, description: str | None) -> ProcessArea:
    """Add an area at the top of the map (``parent_id`` None) or under another one, and flush."""
    name, description = _clean(name), (description or "").strip()
    check_name(name)
    parent = _parent(parent_id)
    _check_sibling_name(name, parent_id, None)
    check_description(description)
    area = ProcessArea(name=name, parent_id=parent.id if parent else None, description=description or None)
    db.session.add(area)
    db.session.flush()
    return area


def change_area(area: ProcessArea, name: str, parent_id: int | None, description: str | None) -> None:
    """Rename ``area``, move it under another parent (or to the top) and change its description; flush.

    Its sub-areas, owners and observations move with it. It cannot move under
    itself or under one of its own sub-areas.
    """
    name, description = _clean(name), (description or "").strip()
    check_name(name)
    parent = _parent(parent_id)
    if parent is not None and parent.id in subtree_ids([area.id]):
        raise FieldRefusal("parent", "An area cannot move under itself or under one of its own sub-areas; "
                                    "choose another parent.")
    _check_sibling_name(name, parent_id, area.id)
    check_description(description)
    area.name = name
    area.parent_id = parent.id if parent else None
    area.description = description or None
    db.session.flush()


def retire_area(area: ProcessArea) -> None:
    """Stop offering ``area`` (and so the areas below it) for new observations; everything is kept."""
    area.is_active = False
    db.session.flush()


def reactivate_area(area: ProcessArea) -> None:
    """Offer ``area`` for new observations again."""
    area.is_active = True
    db.session.flush()


def why_not_deletable(area: ProcessArea) -> str | None:
    """None when ``area`` has no sub-areas and no observations; otherwise the sentence saying why it stays."""
    children = db.session.scalar(sa.select(sa.func.count(ProcessArea.id)).where(ProcessArea.parent_id == area.id))
    observations = observation_counts(area.id, drafts=True).get(area.id, 0)
    reasons = []
    if children:
        reasons.append("1 sub-area" if children == 1 else f"{children} sub-areas")
    if observations:
        reasons.append("1 observation" if observations == 1 else f"{observations} observations")
    if not reasons:
        return None
    return f"{area.name} has {' and '.join(reasons)}, so it cannot be deleted; retire it instead."


def delete_area(area: ProcessArea) -> None:
    """Delete ``area`` and its owners, and flush; only an area with no sub-areas and no observations."""
    reason = why_not_deletable(area)
    if reason:
        raise FieldRefusal("area", reason)
    db.session.execute(sa.delete(AreaOwner).where(AreaOwner.area_id == area.id))
    db.session.delete(area)
    db.session.flush()


def owner_candidates(area: ProcessArea) -> list[User]:
    """Enabled accounts holding the process-owner role that do not own ``area`` yet, by name."""
    users = db.session.scalars(
        sa.select(User)
        .join(RoleGrant, sa.and_(RoleGrant.user_id == User.id, RoleGrant.role == OWNER))
        .where(User.is_enabled.is_(True),
               ~sa.exists().where(AreaOwner.area_id == area.id, AreaOwner.user_id == User.id)))
    return sorted(users, key=lambda user: (user.name.casefold(), user.id))


def area_owners(area: ProcessArea) -> list[User]:
    """The accounts that own ``area`` itself, by name."""
    users = db.session.scalars(sa.select(User).join(AreaOwner, AreaOwner.user_id == User.id)
                               .where(AreaOwner.area_id == area.id))
    return sorted(users, key=lambda user: (user.name.casefold(), user.id))


def add_owner(area: ProcessArea, user_id: int | None) -> User:
    """Make the account ``user_id`` an owner of ``area``, and flush; it must be enabled and hold the owner role."""
    user = db.session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise FieldRefusal("user", "Choose an account from the list; that one does not exist.")
    if not user.is_enabled:
        raise FieldRefusal("user", f"The account of {user.name} is disabled; choose an enabled one.")
    if OWNER not in {grant.role for grant in user.role_grants}:
        raise FieldRefusal("user", f"{user.name} does not hold the process-owner role, so cannot own an area. "
                                  "Give the account the role first.")
    if db.session.get(AreaOwner, (area.id, user.id)) is not None:
        raise FieldRefusal("user", f"{user.name} already owns {area.name}.")
    db.session.add(AreaOwner(area_id=area.id, user_id=user.id))
    db.session.flush()
    return user


def remove_owner(area: ProcessArea, user_id: int) -> User:
    """Stop the account ``user_id`` owning ``area``, and flush."""
    owner = db.session.get(AreaOwner, (area.id, user_id))
    user = db.session.get(User, user_id)
    if owner is None or user is None:
        raise FieldRefusal("user", "That account does not own this area.")
    db.session.delete(owner)
    db.session.flush()
    return user


def nearest_owned(area: ProcessArea) -> str | None:
    """The name of ``area`` if it has an owner, else of the nearest area above it that has one, else None.

    Owners of an area also see what is observed below it, so None means nobody hears of it.
    """
    chain: list[int] = []
    area_id: int | None = area.id
    parents = dict(db.session.execute(sa.select(ProcessArea.id, ProcessArea.parent_id)).tuples().all())
    while area_id is not None and area_id not in chain:
        chain.append(area_id)
        area_id = parents.get(area_id)
    owned = set(db.session.scalars(sa.select(AreaOwner.area_id).where(AreaOwner.area_id.in_(chain))))
    nearest = next((area_id for area_id in chain if area_id in owned), None)
    return _name_of(nearest) if nearest is not None else None


def _clean(name: str | None) -> str:
    """Surrounding spaces off and runs of spaces as one, so ``Returns `` and ``Returns`` are one name."""
    return " ".join((name or "").split())


def _parent(parent_id: int | None) -> ProcessArea | None:
    if parent_id is None:
        return None
    parent = db.session.get(ProcessArea, parent_id)
    if parent is None:
        raise FieldRefusal("parent", "That parent area does not exist (it may have just been deleted); "
                                    "choose another.")
    return parent


def _check_sibling_name(name: str, parent_id: int | None, area_id: int | None) -> None:
    """Names are unique among siblings, whatever their case, at the top of the map too."""
    statement = sa.select(ProcessArea.name, ProcessArea.is_active).where(
        ProcessArea.parent_id == parent_id if parent_id is not None else ProcessArea.parent_id.is_(None))
    if area_id is not None:
        statement = statement.where(ProcessArea.id != area_id)
    for sibling, active in db.session.execute(statement):
        if sibling.casefold() == name.casefold():
            place = f"under {_name_of(parent_id)}" if parent_id is not None else "at the top of the map"
            advice = "it is retired: reactivate it, or choose another name" if not active else "choose another name"
            raise FieldRefusal("name", f"There is already an area called {sibling} {place}; {advice}.")


def _name_of(area_id: int) -> str:
    return db.session.scalar(sa.select(ProcessArea.name).where(ProcessArea.id == area_id)) or "that area"
