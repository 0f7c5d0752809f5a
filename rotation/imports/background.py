"""Imports from the Imports page, checked and written by the background worker.

A file is checked when it is uploaded (the preview) and checked again when HR
confirms it, since the data may have changed in between; only a file without
problems is written, in one transaction with the job's end.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from rotation.db import rowcount, utcnow
from rotation.extensions import db
from rotation.imports.models import CHECKED, CHECKING, FAILED, IMPORTED, IMPORTING, PendingImport
from rotation.imports.plan import apply
from rotation.imports.preview import Preview
from rotation.imports.registry import make_plan
from rotation.jobs.queue import enqueue
from rotation.jobs.registry import Finish, job_handler

IMPORT = "import"


def queue_check(pending: PendingImport) -> None:
    """Have the worker check a new upload (``pending`` is flushed, status ``checking``)."""
    enqueue(IMPORT, pending.id)


def queue_import(pending: PendingImport) -> bool:
    """Have the worker write a checked upload; False when it is not waiting for a confirmation (any more).

    The status moves from ``checked`` to ``importing`` in one conditional update,
    so a confirmation sent twice at once queues the import once.
    """
    moved = db.session.execute(
        sa.update(PendingImport).where(PendingImport.id == pending.id, PendingImport.status == CHECKED)
        .values(status=IMPORTING, outcome=None).execution_options(synchronize_session=False))
    if rowcount(moved) != 1:
        return False
    db.session.refresh(pending)
    enqueue(IMPORT, pending.id)
    return True


def record_failure(pending_id: int, message: str) -> None:
    """Say on the upload why the worker stopped; nothing of it was written."""
    db.session.execute(
        sa.update(PendingImport).where(PendingImport.id == pending_id, PendingImport.status.in_((CHECKING, IMPORTING)))
        .values(status=FAILED, outcome=f"Nothing was imported: {message}", finished_at=utcnow()))


@job_handler(IMPORT, "import", failed=record_failure)
def run_import(pending_id: int, finish: Finish) -> str:
    """Check the upload (its preview), or check it again and write it."""
    pending = db.session.get(PendingImport, pending_id)
    if pending is None:
        return f"import {pending_id}: discarded before the worker got to it"
    if pending.status not in (CHECKING, IMPORTING):
        return f"import {pending_id} ({pending.filename}): nothing to do, it is {pending.status}"
    plan = make_plan(pending.kind, pending.content, pending.deactivate_missing)
    preview = Preview.of(plan)
    if pending.status == CHECKING:
        pending.preview, pending.status = preview.as_json(), CHECKED
        line = f"checked {pending.filename}: " + (f"{preview.problem_count} problems" if plan.problems
                                                  else preview.summary())
    elif plan.problems:
        pending.preview, pending.status = preview.as_json(), CHECKED
        pending.outcome = ("Nothing was imported: the file no longer fits the data, which changed since the "
                           "preview. See the problems below.")
        line = f"{pending.filename} no longer fits the data: {preview.problem_count} problems; nothing imported"
    else:
        apply(plan)
        # What was written, as the preview said it would be (checked again just now).
        pending.preview = preview.as_json()
        pending.status, pending.outcome, pending.finished_at = IMPORTED, plan.summary(), utcnow()
        pending.content = b""  # written; the file itself is not kept
        line = f"imported {pending.filename}: {plan.summary()}"
    try:
        db.session.flush()
    except StaleDataError:  # HR discarded the upload while it was being checked
        db.session.rollback()
        return f"import {pending_id}: discarded while it was being checked"
    finish()
    return line
