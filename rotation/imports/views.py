"""The Imports page: upload a file, wait for the worker's check, review the preview, confirm, wait for the import."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.utils import secure_filename

from rotation.db import utcnow
from rotation.exports import download
from rotation.extensions import db
from rotation.imports.background import IMPORT, queue_check, queue_import
from rotation.imports.forms import MAX_FILE_BYTES, UploadForm
from rotation.imports.models import CHECKED, FAILED, IMPORTED, IMPORTING, IN_PROGRESS, PendingImport
from rotation.imports.preview import Preview
from rotation.imports.registry import import_kinds, make_plan
from rotation.jobs.queue import job_for, waiting_for_a_worker
from rotation.navigation import ROSTER, menu_entry
from rotation.roles import HR
from rotation.security import roles_required

bp = Blueprint("imports", __name__)
menu_entry("Imports", "imports.upload", {HR}, position=50, group=ROSTER)

LIST_PAGE = {"people": "people.person_list", "sites": "sites.site_list", "blackouts": "blackouts.blackout_list"}
PROBLEM_COLUMNS = ("line", "column", "value", "message")
CHANGE_COLUMNS = ("list", "key", "name", "line", "details")
KEPT_FOR = timedelta(days=1)  # uploads are forgotten a day later, once nothing is in progress
RECENT = 10


@bp.route("/imports", methods=["GET", "POST"])
@roles_required(HR)
def upload():
    kinds = import_kinds()
    form = UploadForm()
    form.kind.choices = [(kind.name, kind.label) for kind in kinds.values()]
    if form.validate_on_submit():
        content = form.file.data.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            form.file.errors.append(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        else:
            db.session.execute(sa.delete(PendingImport).where(
                PendingImport.uploaded_at < utcnow() - KEPT_FOR, PendingImport.status.not_in(IN_PROGRESS)))
            pending = PendingImport(
                kind=form.kind.data, filename=secure_filename(form.file.data.filename) or "upload.csv",
                content=content, lines=_data_lines(content),
                deactivate_missing=bool(form.deactivate_missing.data) and kinds[form.kind.data].can_deactivate,
                uploaded_by_id=current_user.id,
            )
            db.session.add(pending)
            db.session.flush()
            queue_check(pending)
            return redirect(url_for("imports.preview", pending_id=pending.id))
    recent = db.session.scalars(
        sa.select(PendingImport).where(PendingImport.uploaded_by_id == current_user.id)
        .order_by(PendingImport.id.desc()).limit(RECENT)).all()
    return render_template("imports/upload.html", form=form, kinds=kinds, recent=recent)


def _data_lines(content: bytes) -> int:
    lines = content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    return max(lines - 1, 0)


def _load(pending_id: int) -> PendingImport:
    pending = db.session.get(PendingImport, pending_id)
    if pending is None or pending.uploaded_by_id != current_user.id:
        abort(404)
    return pending


@bp.get("/imports/<int:pending_id>")
@roles_required(HR)
def preview(pending_id: int):
    """Where the upload stands: being checked, its preview, being imported, imported, or why it stopped."""
    pending = _load(pending_id)
    preview = Preview.from_json(pending.preview) if pending.preview is not None else None
    worker_missing = pending.in_progress and waiting_for_a_worker(job_for(IMPORT, pending.id))
    kind = import_kinds()[pending.kind]
    links: dict[str, str] = {}
    if pending.status == IMPORTED and preview is not None and kind.links is not None:
        links = kind.links(sorted({change.key for listed in preview.lists for change in listed.shown}))
    return render_template("imports/preview.html", pending=pending, plan=preview, kind=kind, links=links,
                           list_page=LIST_PAGE[pending.kind], worker_missing=worker_missing,
                           full_list=pending.status == CHECKED and bool(pending.content))


def _checked_again(pending_id: int):
    """An upload waiting for confirmation, and its plan worked out again against today's data (404 otherwise)."""
    pending = _load(pending_id)
    if pending.status != CHECKED or not pending.content:
        abort(404)
    return pending, make_plan(pending.kind, pending.content, pending.deactivate_missing)


@bp.get("/imports/<int:pending_id>/problems.csv")
@roles_required(HR)
def problems(pending_id: int):
    """Every problem of the upload, not only the first the page shows, checked again against today's data."""
    pending, plan = _checked_again(pending_id)
    rows = ({"line": p.line, "column": p.column, "value": p.value, "message": p.message} for p in plan.problems)
    return download(PROBLEM_COLUMNS, rows, f"problems-{pending.filename.removesuffix('.csv')}.csv")


@bp.get("/imports/<int:pending_id>/changes.csv")
@roles_required(HR)
def changes(pending_id: int):
    """Every change and consequence of the upload, not only the first of each list the page shows."""
    pending, plan = _checked_again(pending_id)
    lists = Preview.of(plan).lists
    items = [plan.added, plan.updated, plan.deactivated] + [c.items for c in plan.consequences]
    rows = ({"list": listed.title, "key": change.key, "name": change.label, "line": change.line,
             "details": "; ".join(change.notes or change.fields)}
            for listed, changes in zip(lists, items, strict=True) for change in changes)
    return download(CHANGE_COLUMNS, rows, f"changes-{pending.filename.removesuffix('.csv')}.csv")


@bp.get("/imports/<int:pending_id>/progress")
@roles_required(HR)
def progress(pending_id: int):
    """Whether the worker is still at it, as JSON, for the page to follow."""
    pending = _load(pending_id)
    label = "Checking the file" if pending.status != IMPORTING else "Importing"
    return jsonify(status=pending.status, done=not pending.in_progress, step=0, steps=1, label=label)


@bp.post("/imports/<int:pending_id>/confirm")
@roles_required(HR)
def confirm(pending_id: int):
    pending = _load(pending_id)
    back = redirect(url_for("imports.preview", pending_id=pending.id))
    if pending.status != CHECKED or pending.preview is None:
        return back  # still being checked, or already confirmed: the page says which
    preview = Preview.from_json(pending.preview)
    if preview.problem_count or not preview.has_changes:
        abort(400)
    if queue_import(pending):
        flash(f"Importing {pending.filename}. This page shows when it is done; you may leave it and come back "
              "from the Imports page.", "info")
    return back


@bp.post("/imports/<int:pending_id>/cancel")
@roles_required(HR)
def cancel(pending_id: int):
    pending = _load(pending_id)
    if pending.status == IMPORTING:
        flash(f"{pending.filename} is being imported; it can no longer be discarded.", "error")
        return redirect(url_for("imports.preview", pending_id=pending.id))
    db.session.delete(pending)
    if pending.status in (IMPORTED, FAILED):
        flash(f"Removed {pending.filename} from your recent imports.", "info")
    else:
        flash(f"Discarded {pending.filename}; nothing was imported.", "info")
    return redirect(url_for("imports.upload"))
