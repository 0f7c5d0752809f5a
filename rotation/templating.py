"""What every template can use: the menu for the account's roles (``rotation.navigation``) and filters."""
from __future__ import annotations

from datetime import datetime

from markupsafe import Markup, escape

from rotation.navigation import grouped_navigation, navigation
from rotation.roles import LABELS


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


def address(value: str | None) -> Markup:
    """An e-mail address that a narrow column breaks before its "@" rather than inside a name (escaped)."""
    local, at, domain = (value or "").rpartition("@")
    if not at:
        return escape(value or "")
    return escape(local) + Markup("<wbr>@") + escape(domain)


def init_app(app) -> None:
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["grouped_navigation"] = grouped_navigation
    app.jinja_env.filters["role_label"] = role_label
    app.jinja_env.globals["role_label"] = role_label
    app.jinja_env.filters["datetime_utc"] = datetime_utc
    app.jinja_env.filters["address"] = address
