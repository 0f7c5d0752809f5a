"""Access rules and HTTP security defaults.

Every view declares who may use it with one of ``public``, ``signed_in`` or
``roles_required``. A request for a view that declares nothing is refused:
access is denied unless a rule allows it.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, g, request
from flask_login import current_user

from rotation.extensions import login_manager

ACCESS_ATTRIBUTE = "_rotation_access"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",  # blob: a photo kept on the device, shown before it is sent
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def public(view):
    """Anyone may use this view, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, ("public",))
    return view


def signed_in(view):
    """Any signed-in account may use this view."""
    setattr(view, ACCESS_ATTRIBUTE, ("signed_in",))
    return view


def roles_required(*roles: str):
    """Accounts holding at least one of ``roles`` may use this view."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTRIBUTE, ("roles", frozenset(roles)))
        return wrapper

    return decorate


def access_rule(endpoint: str | None):
    view = current_app.view_functions.get(endpoint) if endpoint else None
    if view is None:
        return None
    return getattr(view, ACCESS_ATTRIBUTE, None)


def _enforce_access():
    if request.endpoint is None:  # no route matched: Flask answers 404 itself
        return None
    if request.endpoint == "static":
        return None
    rule = access_rule(request.endpoint)
    if rule is None:
        current_app.logger.error("View %s declares no access rule; refused.", request.endpoint)
        abort(403)
    if rule[0] == "public":
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if rule[0] == "roles" and not current_user.has_any_role(rule[1]):
        abort(403)
    return None


# Sent with every response, also those answered before Flask dispatches (rotation.feeds.revalidation).
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


# Sent when the public address is https: browsers then refuse plain http to it for a year.
STRICT_TRANSPORT_SECURITY = ("Strict-Transport-Security", "max-age=31536000")


def security_headers(config) -> tuple[tuple[str, str], ...]:
    """Every response's security headers, HSTS included when the app is served over https."""
    if config["ROTATION_BASE_URL"].startswith("https://"):
        return (*SECURITY_HEADERS, STRICT_TRANSPORT_SECURITY)
    return SECURITY_HEADERS


def _security_headers(response):
    headers = response.headers
    for name, value in security_headers(current_app.config):
        headers.setdefault(name, value)
    # Pages behind a log-in must not linger in shared caches. A request that never asked who is signed in
    # (a calendar feed, a static file) showed nothing personal to the session, and need not load the account.
    user = g.get("_login_user")
    if user is not None and user.is_authenticated:
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app) -> None:
    secure = app.config["ROTATION_BASE_URL"].startswith("https://")
    # Cookies follow the public address: Secure whenever it is https.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
    )
    app.before_request(_enforce_access)
    app.after_request(_security_headers)
