"""The kinds of file HR can import, and how each is planned."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rotation.imports.plan import ImportPlan


@dataclass(frozen=True)
class ImportKind:
    name: str
    label: str
    columns: str
    planner: Callable[..., ImportPlan]
    can_deactivate: bool = False


def import_kinds() -> dict[str, ImportKind]:
    from rotation.blackouts.imports import plan_blackouts_import
    from rotation.people.imports import plan_people_import
    from rotation.sites.imports import plan_sites_import

    return {
        "sites": ImportKind("sites", "Sites", "code, name, kind, timezone, region, seats, shift_start, shift_end",
                            plan_sites_import),
        "people": ImportKind("people", "People (the roster)",
                             "employee_id, full_name, email, department, manager_id, home_site, in_rotation",
                             plan_people_import, can_deactivate=True),
        "blackouts": ImportKind("blackouts", "Blackouts", "employee_id, site, start, end, reason",
                                plan_blackouts_import),
    }


def make_plan(kind: str, content: bytes, deactivate_missing: bool = False) -> ImportPlan:
    spec = import_kinds()[kind]
    if spec.can_deactivate:
        return spec.planner(content, deactivate_missing=deactivate_missing)
    return spec.planner(content)
