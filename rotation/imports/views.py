from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.utils import secure_filename

from rotation.accounts.roles import HR
from rotation.db import utcnow
from rotation.extensions import db
from rotation.imports.forms import MAX_FILE_BYTES, UploadForm
from rotation.imports.models import PendingImport
from rotation.imports.plan import apply
from rotation.imports.registry import import_kinds, make_plan
from rotation.security import roles_required

bp = Blueprint("imports", __name__)

SHOWN = 200  # rows of each list on the preview; the counts are always complete
LIST_PAGE = {"people": "people.person_list", "sites": "sites.site_list", "blackouts": "blackouts.blackout_list"}


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
            db.session.execute(sa.delete(PendingImport).where(PendingImport.uploaded_at < utcnow() - timedelta(days=1)))
            pending = PendingImport(
                kind=form.kind.data, filename=secure_filename(form.file.data.filename) or "upload.csv",
                content=content, deactivate_missing=bool(form.deactivate_missing.data) and kinds[form.kind.data].can_deactivate,
                uploaded_by_id=current_user.id,
            )
            db.session.add(pending)
            db.session.flush()
            return redirect(url_for("imports.preview", pending_id=pending.id))
    return render_template("imports/upload.html", form=form, kinds=kinds)


def _load(pending_id: int) -> PendingImport:
    pending = db.session.get(PendingImport, pending_id)
    if pending is None or pending.uploaded_by_id != current_user.id:
        abort(404)
    return pending


@bp.get("/imports/<int:pending_id>")
@roles_required(HR)
def preview(pending_id: int):
    pending = _load(pending_id)
    plan = make_plan(pending.kind, pending.content, pending.deactivate_missing)
    return render_template("imports/preview.html", pending=pending, plan=plan, shown=SHOWN,
                           kind=import_kinds()[pending.kind])


@bp.post("/imports/<int:pending_id>/confirm")
@roles_required(HR)
def confirm(pending_id: int):
    pending = _load(pending_id)
    plan = make_plan(pending.kind, pending.content, pending.deactivate_missing)
    if plan.problems:
        # The roster changed since the preview; show what is wrong now.
        flash("Nothing was imported: the file no longer fits the data. See the problems below.", "error")
        return redirect(url_for("imports.preview", pending_id=pending.id))
    apply(plan)
    db.session.delete(pending)
    flash(f"Imported {pending.filename}: {plan.summary()}.", "success")
    return redirect(url_for(LIST_PAGE[pending.kind]))


@bp.post("/imports/<int:pending_id>/cancel")
@roles_required(HR)
def cancel(pending_id: int):
    pending = _load(pending_id)
    db.session.delete(pending)
    flash(f"Discarded {pending.filename}; nothing was imported.", "info")
    return redirect(url_for("imports.upload"))
