"""Reading the process map as a tree: paths for display, and the areas below a set of areas."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.extensions import db
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.process_map.signals import observations_per_area
from rotation.signals import answers

SEPARATOR = " › "


def subtree_ids(area_ids: Iterable[int]) -> set[int]:
    """The given areas and every area below them, in one recursive query."""
    ids = list(area_ids)
    if not ids:
        return set()
    below = sa.select(ProcessArea.id).where(ProcessArea.id.in_(ids)).cte("below", recursive=True)
    child = sa.orm.aliased(ProcessArea)
    below = below.union_all(sa.select(child.id).join(below, child.parent_id == below.c.id))
    return set(db.session.scalars(sa.select(below.c.id)))


def owned_area_ids(user_id: int) -> set[int]:
    """The areas an account owns, and every area below them: where it sees and triages observations."""
    return subtree_ids(db.session.scalars(sa.select(AreaOwner.area_id).where(AreaOwner.user_id == user_id)))


def area_paths(active_only: bool = False) -> dict[int, str]:
    """Every area's path from the top, e.g. ``Customer service › Returns``, in tree order (one query)."""
    rows = db.session.execute(sa.select(ProcessArea.id, ProcessArea.parent_id, ProcessArea.name,
                                        ProcessArea.is_active)).all()
    by_id = {row.id: row for row in rows}

    def path(area_id: int) -> list[str]:
        names, seen = [], set()
        while area_id is not None and area_id not in seen:
            seen.add(area_id)
            row = by_id[area_id]
            names.append(row.name)
            area_id = row.parent_id
        return names[::-1]

    def active(area_id: int) -> bool:
        while area_id is not None:
            if not by_id[area_id].is_active:
                return False
            area_id = by_id[area_id].parent_id
        return True

    paths = {area_id: path(area_id) for area_id in by_id if not active_only or active(area_id)}
    return {area_id: SEPARATOR.join(names)
            for area_id, names in sorted(paths.items(), key=lambda item: [n.casefold() for n in item[1]])}


@dataclass
class AreaOwnerName:
    user_id: int
    name: str
    enabled: bool


@dataclass
class AreaNode:
    """One area of the map page, with what the page shows about it and its sub-areas in name order."""

    area: ProcessArea
    depth: int
    owners: list[AreaOwnerName] = field(default_factory=list)
    observations: int = 0           # submitted, triaged or declined; drafts are the author's own
    owned_through: str | None = None  # the nearest area above with owners, when this one has none
    under_retired: bool = False     # an area above is retired, so this one is not offered either
    children: list[AreaNode] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        """Whether new observations can be filed in this area."""
        return self.area.is_active and not self.under_retired


def observation_counts(area_id: int | None, drafts: bool) -> dict[int, int]:
    """Observations filed per area (one area, or every area when ``area_id`` is None), as the layer above says."""
    counts: dict[int, int] = {}
    for answer in answers(observations_per_area, area_id, drafts=drafts):
        for counted_area, count in answer.items():
            counts[counted_area] = counts.get(counted_area, 0) + count
    return counts


def load_tree(include_retired: bool) -> list[AreaNode]:
    """The whole map as a forest of ``AreaNode``, top-level areas first, siblings by name.

    Three queries whatever the map's size: the areas, their owners, and the
    observations counted per area (asked of the observations layer). Without ``include_retired`` a retired area
    and everything below it are left out, as they are not offered either.
    """
    areas = list(db.session.scalars(sa.select(ProcessArea)))
    owners: dict[int, list[AreaOwnerName]] = {}
    rows = db.session.execute(
        sa.select(AreaOwner.area_id, User.id, User.display_name, User.email, User.is_enabled)
        .join(User, User.id == AreaOwner.user_id))
    for area_id, user_id, display_name, email, enabled in rows:
        owners.setdefault(area_id, []).append(AreaOwnerName(user_id, display_name or email, enabled))
    counts = observation_counts(None, drafts=False)

    by_parent: dict[int | None, list[ProcessArea]] = {}
    known = {area.id for area in areas}
    for area in areas:
        # An area whose parent is missing is shown at the top rather than lost.
        parent_id = area.parent_id if area.parent_id in known else None
        by_parent.setdefault(parent_id, []).append(area)

    def build(parent_id: int | None, depth: int, owned_through: str | None, under_retired: bool,
              seen: set[int]) -> list[AreaNode]:
        nodes = []
        for area in sorted(by_parent.get(parent_id, []), key=lambda a: (a.name.casefold(), a.id)):
            if area.id in seen or (not include_retired and not area.is_active):
                continue
            seen.add(area.id)
            names = sorted(owners.get(area.id, []), key=lambda owner: owner.name.casefold())
            node = AreaNode(area, depth, names, counts.get(area.id, 0),
                            None if names else owned_through, under_retired)
            node.children = build(area.id, depth + 1, area.name if names else owned_through,
                                  under_retired or not area.is_active, seen)
            nodes.append(node)
        return nodes

    return build(None, 0, None, False, set())


def walk(nodes: list[AreaNode]) -> Iterator[AreaNode]:
    """Every node of a forest, in the order the page shows them."""
    for node in nodes:
        yield node
        yield from walk(node.children)
