"""No input gives a 500: every form the app renders, for every role of the demo, sent with hostile values.

The forms are found, not listed: each role's pages are crawled from home (at most two pages of each
view), every form on them is read from the HTML, and each of its fields is sent in turn with values
no person means (a NUL, a 400-digit number, year 9999, a negative id, a megabyte of text, right-to-left
marks and emoji, markup) while the other fields keep what the page filled in. A new form is covered
without a new test. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound

from rotation.demo.accounts import DEMO_PASSWORD
from tests.helpers import csrf_token

ROLES = {"hr": "hr@example.com", "manager": "manager@example.com", "owner": "owner@example.com",
         "admin": "admin@example.com", "ceo": "ceo@example.com", "visitor": None}  # visitor: signed out
PAGES_PER_VIEW = 2
MOST_PAGES = 80
# Forms that end the session the walk uses, or that would stop the account: sent last or not at all.
LEAVE_ALONE = ("/logout", "/account/sign-ins/", "/disable", "/sign-out")

EVERY_FIELD = ["a\x00b", "9" * 400, "-1"]
TEXT_FIELDS = ["9999-12-31", "\u202eevil\u202c 😀🚀 עברית", "<script>alert(1)</script>'\"; --", "x" * 1_000_000]


class Forms(HTMLParser):
    """The links and forms of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._textarea: dict | None = None
        self._select: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower(),
                          "fields": []}
            self.forms.append(self._form)
        elif self._form is None or "name" not in attrs:
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self._form["fields"].append({"name": attrs["name"], "kind": kind, "value": None})
                return
            self._form["fields"].append({"name": attrs["name"], "kind": kind,
                                         "value": attrs.get("value", "on" if kind == "checkbox" else "")})
        elif tag == "textarea":
            self._textarea = {"name": attrs["name"], "kind": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)
        elif tag == "select":
            self._select = {"name": attrs["name"], "kind": "select", "value": None}
            self._form["fields"].append(self._select)
        elif (tag == "option" and self._select is not None
              and (self._select["value"] is None or "selected" in attrs)):
            self._select["value"] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["value"] += data


def endpoint(app, path: str) -> str | None:
    try:
        rule, _ = app.url_map.bind("localhost").match(urlsplit(path).path, method="GET")
    except (NotFound, MethodNotAllowed):
        return None
    return rule


def crawl(app, client, start: str = "/") -> list[tuple[str, dict]]:
    """(page, form) for every form on the role's pages, each kind of form once."""
    seen_views: dict[str, int] = {}
    visited: set[str] = set()
    queue = deque([start])
    found: dict[tuple, tuple[str, dict]] = {}
    while queue and len(visited) < MOST_PAGES:
        path = queue.popleft()
        if path in visited:
            continue
        view = endpoint(app, path)
        if view is None or view in ("static",) or seen_views.get(view, 0) >= PAGES_PER_VIEW:
            continue
        visited.add(path)
        seen_views[view] = seen_views.get(view, 0) + 1
        response = client.get(path)
        assert response.status_code < 500, f"GET {path} answered {response.status_code}"
        if response.status_code != 200 or "text/html" not in response.content_type:
            response.close()  # a download streams its rows: end it here, as a browser that stops reading does
            continue
        parser = Forms()
        parser.feed(response.get_data(as_text=True))
        for link in parser.links:
            if link.startswith("/") and not link.startswith("//") and not link.startswith("/static/"):
                queue.append(link.split("#", 1)[0])
        for form in parser.forms:
            action = form["action"] or path
            if any(part in action for part in LEAVE_ALONE):
                continue
            names = tuple(sorted(field["name"] for field in form["fields"]))
            key = (endpoint(app, action) or action, form["method"], names)
            found.setdefault(key, (path, {**form, "action": action}))
    return list(found.values())


def hostile_values(field: dict) -> list[str]:
    if field["name"] == "csrf_token":
        return []
    if field["kind"] in ("text", "search", "email", "textarea", "date", "number", "tel", "url", "hidden",
                         "datetime-local", "time", "password"):
        return EVERY_FIELD + TEXT_FIELDS
    return EVERY_FIELD


def send(client, page: str, form: dict, name: str, value: str):
    data = [(field["name"], field["value"]) for field in form["fields"]
            if field["value"] is not None and field["name"] != name]
    data.append((name, value))
    if form["method"] == "get":
        parts = urlsplit(form["action"])
        query = [(key, item) for key, item in parse_qsl(parts.query) if key != name] + data
        return client.get(f"{parts.path}?{urlencode(query)}")
    if not any(key == "csrf_token" for key, _ in data):
        data.append(("csrf_token", csrf_token(client.get(page).get_data(as_text=True))))
    return client.post(form["action"], data=dict(_last_wins(data)))


def _last_wins(pairs):
    merged: dict[str, str] = {}
    for key, value in pairs:
        merged[key] = value
    return merged


def open_a_draft_for(email: str) -> None:
    """The demo's shift windows are closed: HR extends one of the person's worked shifts and a draft is
    started, so the walk reaches the observation form and its photo upload too."""
    from datetime import timedelta

    import sqlalchemy as sa

    from rotation.assignments.models import Assignment
    from rotation.db import utc_today, utcnow
    from rotation.extensions import db
    from rotation.observations.models import DRAFT, Observation
    from rotation.observations.services import extend_window, start_draft
    from rotation.people.models import Person
    from rotation.refusals import Refusal
    from rotation.sites.models import Slot

    person = db.session.scalar(sa.select(Person).where(Person.email == email))
    assert person is not None, email
    shifts = db.session.scalars(sa.select(Assignment).join(Slot, Slot.id == Assignment.slot_id)
                                # worked or under way
                                .where(Assignment.person_id == person.id, Slot.starts_at <= utcnow())
                                .order_by(Slot.ends_at.desc()))
    for shift in shifts:
        extend_window(shift, utc_today() + timedelta(days=7), "hr@example.com")
        try:
            start_draft(shift, person, utcnow())
        except Refusal:
            continue
        db.session.commit()
        break
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)
                             .where(Observation.author_id == person.id, Observation.status == DRAFT)), \
        "no draft to walk"


@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_hostile_values(app, client, runner, post_form, role):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    if role in ("manager", "ceo"):
        open_a_draft_for(ROLES[role])
    if ROLES[role]:
        assert post_form("/login", {"email": ROLES[role], "password": DEMO_PASSWORD}).status_code == 302
    forms = crawl(app, client, "/" if ROLES[role] else "/login")
    assert len(forms) >= (3 if ROLES[role] else 2), "the walk found too few forms to mean anything"
    failures = []
    for page, form in forms:
        for field in form["fields"]:
            for value in hostile_values(field):
                response = send(client, page, form, field["name"], value)
                if response.status_code >= 500:
                    failures.append(f"{form['method'].upper()} {form['action']} {field['name']}={value[:20]!r}: "
                                    f"{response.status_code}")
                if ROLES[role] and client.get("/").status_code != 200:  # a form signed the walk out: sign in again
                    post_form("/login", {"email": ROLES[role], "password": DEMO_PASSWORD})
    assert not failures, "\n".join(failures)
