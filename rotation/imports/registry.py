"""The kinds of file HR can import, and how each is planned: each area registers its own (the people, sites
and blackouts ``imports`` modules), so the import pages and commands know none of them by name."""
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
    position: int = 0  # where the pages list it
    # The page of each record named in a result, by key (for links once imported); None: no pages to link.
    links: Callable[[list[str]], dict[str, str]] | None = None


_KINDS: dict[str, ImportKind] = {}


def register_import_kind(kind: ImportKind) -> None:
    """Offer a kind of file for import; each area registers its own as its import module is loaded."""
    _KINDS[kind.name] = kind


def import_kinds() -> dict[str, ImportKind]:
    """Every kind of file HR can import, in the order the pages offer them (an area's own ``position``)."""
    return {kind.name: kind for kind in sorted(_KINDS.values(), key=lambda kind: kind.position)}


def make_plan(kind: str, content: bytes, deactivate_missing: bool = False) -> ImportPlan:
    spec = import_kinds()[kind]
    if spec.can_deactivate:
        return spec.planner(content, deactivate_missing=deactivate_missing)
    return spec.planner(content)
