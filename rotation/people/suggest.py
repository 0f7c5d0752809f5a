"""``/people/suggest?q=``: the people a few typed letters find, for the forms that name a person (as JSON).

Adds its view to the people blueprint; ``rotation/app.py`` imports it. HR and administrators only.
"""
from __future__ import annotations

from flask import jsonify, request

from rotation.people.lookup import SUGGESTIONS, suggestions
from rotation.people.views import bp
from rotation.roles import ADMIN, HR
from rotation.security import roles_required


@bp.get("/people/suggest")
@roles_required(HR, ADMIN)
def suggest():
    """Up to ten people matching ``q`` by name, e-mail address or employee ID, and whether more match."""
    found = suggestions(request.args.get("q", "")[:200], SUGGESTIONS + 1)
    response = jsonify({
        "people": [{"employee_id": person.employee_id, "full_name": person.full_name, "email": person.email,
                    "department": person.department, "active": person.is_active} for person in found[:SUGGESTIONS]],
        "more": len(found) > SUGGESTIONS})
    response.headers["Cache-Control"] = "no-store"
    return response
