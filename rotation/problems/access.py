"""Who may see problems. Deny unless a rule allows it; who may change one is ``observations.access.can_triage``."""
from __future__ import annotations


def can_view_problems(user) -> bool:
    """Every signed-in account reads problems: the point is that everyone sees what happens to what they saw."""
    return user is not None and user.is_authenticated
