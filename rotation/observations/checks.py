"""What the observation form asks while its author types: similar observations already filed, and whether
the text names someone. Answers JSON; never refuses what is typed.

GET carries the text in the address; the form sends long texts by POST instead (with its CSRF token), as
servers and proxies cut long addresses.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_login import current_user

from rotation.observations.access import person_of
from rotation.observations.blame import blame_message, names_in
from rotation.observations.similar import similar_observations
from rotation.security import signed_in

bp = Blueprint("observation_checks", __name__, url_prefix="/observations/check")

MAX_TEXT = 10_000
MAX_TITLE = 500
LARGEST_ID = 2**31 - 1


@bp.route("", methods=["GET", "POST"])
@signed_in
def check():
    """``text``, ``title``, ``area`` and ``observation`` (the one being edited) in; similar ones and names out."""
    person = person_of(current_user)
    if person is None:
        abort(404)
    values = request.form if request.method == "POST" else request.args
    title = values.get("title", "")[:MAX_TITLE]
    text = values.get("text", "")[:MAX_TEXT]
    matches = similar_observations(text, title=title, area_id=_id(values.get("area")),
                                   exclude_id=_id(values.get("observation")), viewer_person_id=person.id)
    names = names_in(f"{title}\n{text}") if (title or text).strip() else []
    response = jsonify({
        "similar": [{"id": match.id, "title": match.title, "area": match.area, "kind": match.kind,
                     "seconds": match.seconds, "url": f"{request.script_root}/observations/{match.id}"}
                    for match in matches],
        "blame": {"names": names, "message": blame_message(names)} if names else None,
    })
    response.headers["Cache-Control"] = "no-store"
    return response


def _id(value: str | None) -> int | None:
    """A row id from the query, or None for anything else (a bad number is ignored, never an error)."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= LARGEST_ID else None
