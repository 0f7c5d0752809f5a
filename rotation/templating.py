"""What every template can use: the navigation for the user's roles and filters."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import request, url_for
from flask_login import current_user

from rotation.accounts.roles import ADMIN, HR, LABELS, MANAGER, OWNER


@dataclass
class NavItem:
    label: str
    endpoint: str

    @property
    def url(self) -> str:
        return url_for(self.endpoint)

    # Set by ``navigation()``: whether this entry is the area of the page shown.
    current: bool = False


# (label, endpoint, roles that see it; None means every signed-in account)
NAVIGATION = [
    ("Home", "home.index", None),
    ("People", "people.person_list", {HR}),
    ("Sites", "sites.site_list", {HR}),
    ("Blackouts", "blackouts.blackout_list", {HR}),
    ("Imports", "imports.upload", {HR}),
    ("Plan", "plans.plan_index", {HR}),
    ("Assignments", "assignments.assignment_list", {HR}),
    ("Change requests", "change_requests.queue", {HR}),
    ("Attendance", "attendance.attendance_list", {HR}),
    ("Outbox", "outbox.outbox_list", {HR, ADMIN}),
    ("My rotation", "my_rotation.index", {MANAGER}),
    ("Calendar", "feeds.calendar_page", {MANAGER}),
    ("Observations", "observations.index", {MANAGER, OWNER, ADMIN}),
    ("Triage", "problems.triage", {OWNER, ADMIN}),
    ("Problems", "problems.problem_list", None),
    ("Insights", "insights.pareto", {OWNER, ADMIN, MANAGER}),
    ("Process map", "process_map.index", None),
    # Executives see their organisation; the page scopes it (and says so to a manager without reports).
    ("Coverage", "coverage.overview", {HR, MANAGER}),
    ("Accounts", "accounts.account_list", {ADMIN}),
]


def navigation() -> list[NavItem]:
    """The entries the account may use; the one whose area the page belongs to is marked current.

    Every page of an area marks its entry (a person's page is under People). When two entries share an
    area (Triage and Problems), the one whose endpoint has the longest beginning in common with the page's
    wins: a problem's page is under Problems, an observation's triage under Triage.
    """
    if not current_user.is_authenticated:
        return []
    items = [NavItem(label, endpoint) for label, endpoint, roles in NAVIGATION
             if roles is None or current_user.has_any_role(roles)]
    endpoint = request.endpoint or ""
    same_area = [item for item in items if request.blueprint and item.endpoint.partition(".")[0] == request.blueprint]
    if same_area:
        max(same_area, key=lambda item: _shared_start(item.endpoint, endpoint)).current = True
    return items


def _shared_start(one: str, other: str) -> int:
    """How many characters two strings share at their beginning."""
    length = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        length += 1
    return length


def role_label(role: str) -> str:
    return LABELS.get(role, role)


def datetime_utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def init_app(app) -> None:
    from rotation.notifications.views import unread_news

    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["unread_news"] = unread_news
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.filters["datetime_utc"] = datetime_utc
