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

    @property
    def current(self) -> bool:
        # Every page of an area marks its entry: a person's page is under People.
        return request.blueprint is not None and request.blueprint == self.endpoint.partition(".")[0]


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
    ("Process map", "process_map.index", None),
    # Executives see their organisation; the page scopes it (and says so to a manager without reports).
    ("Coverage", "coverage.overview", {HR, MANAGER}),
    ("Accounts", "accounts.account_list", {ADMIN}),
]


def navigation() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    return [
        NavItem(label, endpoint)
        for label, endpoint, roles in NAVIGATION
        if roles is None or current_user.has_any_role(roles)
    ]


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
