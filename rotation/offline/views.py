"""The installable app (a Progressive Web App) for signed-in people.

The manifest names the app and its icons; the service worker, served from the site's root so that it may
answer for every page, keeps the shell (styles, scripts, icons and the offline page) and the pages a leader
needs on the floor (home, My rotation, a shift's briefing, the observation form) on the device, and shows the
offline page for any other page asked for without a network. Signing out removes all of it (see
``rotation.accounts.views``: the sign-out answer carries ``Clear-Site-Data``).
"""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, current_app, render_template, url_for

from rotation.security import public

bp = Blueprint("offline", __name__)

# The files every page needs, kept on the device when the service worker is installed (paths under static/).
SHELL = (
    "vendor/pico/pico.min.css",
    "css/app.css",
    "js/app.js",
    "js/offline.js",
    "js/device_drafts.js",
    "js/observation_form.js",
    "js/offline_form.js",
    "css/observations.css",
    "favicon.svg",
    "icon.svg",
    "icon-192.png",
    "icon-512.png",
)

# The pages kept on the device once opened, as patterns the service worker matches against a page's path.
# Kept here beside the worker that reads them; the worker is rendered with them.
PAGES_KEPT = (
    r"^/$",
    r"^/my/$",
    r"^/my/shifts/[^/]+/briefing$",
    r"^/observations/new$",
    r"^/observations/\d+/edit$",
    r"^/observations/offline/[^/]+$",
)


@cache
def _shell_revision(static_folder: str) -> str:
    """One digest of the shell's files and the offline page's template: a new release installs a new worker."""
    digest = hashlib.sha256()
    for name in SHELL:
        digest.update(name.encode())
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:16]


@bp.get("/manifest.webmanifest")
@public
def manifest():
    icons = [
        {"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml",
         "purpose": "any maskable"},
        {"src": url_for("static", filename="icon-192.png"), "sizes": "192x192", "type": "image/png",
         "purpose": "any maskable"},
        {"src": url_for("static", filename="icon-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "any maskable"},
    ]
    body = {
        "name": "Rotation",
        "short_name": "Rotation",
        "description": "Your frontline shifts, their briefings and your observations, also without signal.",
        "id": "/",
        "start_url": url_for("home.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#3c7dd9",
        "icons": icons,
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/service-worker.js")
@public
def service_worker():
    static_folder = current_app.static_folder or ""
    shell = [url_for("static", filename=name) for name in SHELL]
    script = render_template("offline/service_worker.js", revision=_shell_revision(static_folder), shell=shell,
                             offline_page=url_for("offline.offline_page"), pages_kept=PAGES_KEPT,
                             workbox=url_for("static", filename="vendor/workbox/"))
    return Response(script, mimetype="text/javascript", headers={
        # The browser checks for a new worker on every visit, and may let it answer for the whole site.
        "Cache-Control": "no-cache",
        "Service-Worker-Allowed": "/",
    })


@bp.get("/offline")
@public
def offline_page():
    return render_template("offline/offline.html")


@bp.app_context_processor
def _pages_kept_offline():
    """The patterns of the pages kept on the device, for the page script that keeps the links a page offers."""
    return {"pages_kept_offline": PAGES_KEPT}
