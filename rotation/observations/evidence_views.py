"""Downloading evidence: only for those who may see its observation; photos shown, other files downloaded."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user

from rotation.extensions import db
from rotation.observations.access import can_view
from rotation.observations.evidence import path_of
from rotation.observations.images import PHOTO_TYPES
from rotation.observations.models import Evidence, Observation
from rotation.security import signed_in

bp = Blueprint("evidence", __name__, url_prefix="/evidence")


@bp.get("/<int:evidence_id>")
@signed_in
def download(evidence_id: int):
    """The file itself. Anyone who may not see the observation gets "not found", as if it did not exist."""
    evidence = db.session.get(Evidence, evidence_id)
    observation = db.session.get(Observation, evidence.observation_id) if evidence else None
    if evidence is None or observation is None or not can_view(current_user, observation):
        abort(404)
    path = path_of(evidence)
    if not path.is_file():
        current_app.logger.error("Evidence %s has no file at %s.", evidence.id, path)
        abort(404)
    # Text types get "; charset=utf-8" back from send_file.
    mimetype = evidence.content_type.split(";")[0]
    response = send_file(path, mimetype=mimetype, as_attachment=evidence.content_type not in PHOTO_TYPES,
                         download_name=evidence.filename, etag=evidence.sha256, conditional=True)
    # The file is shown as what it is and nothing else: no sniffing, no scripts, no shared caches.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
