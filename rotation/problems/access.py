"""Who may see and change problems. Deny unless a rule allows it."""
from __future__ import annotations

from rotation.accounts.roles import ADMIN
from rotation.process_map.tree import owned_area_ids


def can_view_problems(user) -> bool:
    """Every signed-in account reads problems: the point is that everyone sees what happens to what they saw."""
    return user is not None and user.is_authenticated


def can_triage(user, area_id: int | None) -> bool:
    """The owners of the area (or an area above it) and admins triage and change a problem or observation there."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_role(ADMIN):
        return True
    return area_id is not None and area_id in owned_area_ids(user.id)
