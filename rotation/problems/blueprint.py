"""The problems area's blueprint, which the triage pages (``triage_views``) and the problems' own pages
(``views``) both add to, and what those pages share: whose areas the account triages in, the areas it may put a
problem in, and how an account is named in a list."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from rotation.navigation import IMPROVEMENT, menu_entry
from rotation.process_map.tree import area_paths, owned_area_ids
from rotation.roles import ADMIN, OWNER

bp = Blueprint("problems", __name__, url_prefix="/problems")
menu_entry("Triage", "problems.triage", {OWNER, ADMIN}, position=140, group=IMPROVEMENT)
menu_entry("Problems", "problems.problem_list", position=150, group=IMPROVEMENT)


def triage_scope() -> set[int] | None:
    """The areas the signed-in account triages in; None for an admin, who triages everywhere."""
    return None if current_user.has_role(ADMIN) else owned_area_ids(current_user.id)


def area_choices(current_area_id: int | None) -> list[tuple[int, str]]:
    """The areas the account may file a problem in: active ones it triages in (admins: all), and the current one."""
    scope = triage_scope()
    paths = area_paths(active_only=True)
    choices = [(area_id, path) for area_id, path in paths.items() if scope is None or area_id in scope]
    if current_area_id is not None and all(area_id != current_area_id for area_id, _ in choices):
        choices.insert(0, (current_area_id, area_paths().get(current_area_id, "(retired area)")))
    return choices


def user_label(user) -> str:
    """An account as a list of owners shows it: its name, and its address when the two differ."""
    return user.name if user.name == user.email else f"{user.name} ({user.email})"
