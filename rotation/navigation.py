"""The menu: each area declares its own entry beside its blueprint (``menu_entry``), and every page shows the
entries the signed-in account may use, in the order of their ``position``.

An entry may belong to a group (Roster, Plan, Follow-up, Improvement): the group is one item of the menu that
opens to its entries, so that HR's fourteen entries fit one row. A group of which an account may use one entry
only is that entry, shown on its own."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class MenuEntry:
    label: str
    endpoint: str
    roles: frozenset[str] | None  # None: every signed-in account
    position: int
    group: str | None = None


@dataclass
class NavItem:
    label: str
    endpoint: str

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    # Set by ``navigation()``: whether this entry is the area of the page shown.
    current: bool = False


_MENU: dict[str, MenuEntry] = {}


# The menu's groups, in the words HR uses for their work.
ROSTER, PLAN, FOLLOW_UP, IMPROVEMENT = "Roster", "Plan", "Follow-up", "Improvement"


def menu_entry(label: str, endpoint: str, roles: set[str] | None = None, *, position: int,
               group: str | None = None) -> None:
    """Declare an area's entry in the menu: shown to accounts holding any of ``roles`` (everyone signed in
    when None), at ``position`` (smaller first), in ``group`` when given."""
    _MENU[endpoint] = MenuEntry(label, endpoint, frozenset(roles) if roles is not None else None, position,
                                group)


def menu() -> list[MenuEntry]:
    """Every declared entry, in menu order."""
    return sorted(_MENU.values(), key=lambda entry: (entry.position, entry.label))


def navigation() -> list[NavItem]:
    """The entries the account may use; the one whose area the page belongs to is marked current.

    Every page of an area marks its entry (a person's page is under People). When two entries share an
    area (Triage and Problems), the one whose endpoint has the longest beginning in common with the page's
    wins: a problem's page is under Problems, an observation's triage under Triage.
    """
    if not current_user.is_authenticated:
        return []
    items = [NavItem(entry.label, entry.endpoint) for entry in menu()
             if entry.roles is None or current_user.has_any_role(entry.roles)]
    endpoint = request.endpoint or ""
    same_area = [item for item in items if request.blueprint and item.endpoint.partition(".")[0] == request.blueprint]
    if same_area:
        max(same_area, key=lambda item: _shared_start(item.endpoint, endpoint)).current = True
    return items


@dataclass
class NavGroup:
    """A group of the menu: one item that opens to its entries; current when one of them is."""

    label: str
    items: list[NavItem]

    @property
    def current(self) -> bool:
        return any(item.current for item in self.items)


def grouped_navigation() -> list[NavItem | NavGroup]:
    """The account's menu as shown: entries on their own, and groups at the place of their first entry. A group
    with one entry the account may use is that entry."""
    items = navigation()
    group_of = {entry.endpoint: entry.group for entry in _MENU.values()}
    shown: list[NavItem | NavGroup] = []
    groups: dict[str, NavGroup] = {}
    for item in items:
        group = group_of.get(item.endpoint)
        if group is None:
            shown.append(item)
        elif group in groups:
            groups[group].items.append(item)
        else:
            groups[group] = NavGroup(group, [item])
            shown.append(groups[group])
    return [entry.items[0] if isinstance(entry, NavGroup) and len(entry.items) == 1 else entry for entry in shown]


def _shared_start(one: str, other: str) -> int:
    """How many characters two strings share at their beginning."""
    length = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        length += 1
    return length
