"""Keeping evidence files: checking an upload, and writing and removing its file in step with the transaction.

Files live in ``ROTATION_EVIDENCE_DIR/<key[:2]>/<key>``, named by a random key, readable by the app only.
A file written in a transaction that rolls back is removed again, and a deleted file goes only once the
deletion is committed, so a row never points at a missing file and no file is left without its row. What a
file is, and how a photo loses its metadata, is :mod:`rotation.observations.images`.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from rotation.extensions import db
from rotation.observations.images import NOT_TEXT, EvidenceProblem, Kind, kind_of, without_metadata
from rotation.observations.models import Evidence, Observation, Second

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024       # per file, as uploaded
MAX_FILES = 10                     # per observation, its "me too" files included
_KEY = re.compile(r"[0-9a-f]{32}")

# session.info keys: files written, and files to remove, in the current transaction.
_WRITTEN = "rotation.evidence.written"
_DOOMED = "rotation.evidence.doomed"


def store(upload: FileStorage, *, observation_id: int, uploaded_by_id: int,
          second_id: int | None = None) -> Evidence:
    """Check an upload, keep it (photos re-encoded without metadata) and add its row (flushed, not committed).

    A file the observation already holds (the same bytes once kept) is not added again: that one is returned.
    Raises ``EvidenceProblem`` when the file is empty, too large, of an unknown type, damaged, or one too
    many for the observation; nothing is written then.
    """
    name = _display_name(upload.filename)
    _check_room(name, observation_id, second_id)
    data = _read(upload, name)
    kind = kind_of(data, upload.filename or "")
    if kind is None:
        raise EvidenceProblem(f"{name} is not a photo (JPEG, PNG, WebP, GIF), PDF or text file; "
                              "it was not added.", name)
    if kind.photo_format:
        data = without_metadata(data, kind, name)
    # The same file sent again (a phone resending what it kept while without signal) is kept once.
    digest = hashlib.sha256(data).hexdigest()
    same = db.session.scalar(sa.select(Evidence).where(
        Evidence.observation_id == observation_id, Evidence.sha256 == digest,
        Evidence.second_id.is_(None) if second_id is None else Evidence.second_id == second_id))
    if same is not None:
        return same

    key = secrets.token_hex(16)
    evidence = Evidence(observation_id=observation_id, second_id=second_id, uploaded_by_id=uploaded_by_id,
                        filename=_safe_filename(upload.filename or "", kind), content_type=kind.content_type,
                        size_bytes=len(data), sha256=digest, storage_key=key)
    path = _path_for(key)
    _write(path, data)
    _remember(_WRITTEN, path)
    db.session.add(evidence)
    db.session.flush()
    return evidence


def delete(evidence: Evidence) -> None:
    """Delete the row (flushed); its file is removed once the deletion is committed."""
    path = path_of(evidence)
    db.session.delete(evidence)
    db.session.flush()
    _remember(_DOOMED, path)


def path_of(evidence: Evidence) -> Path:
    """Where the evidence's file is kept."""
    return _path_for(evidence.storage_key)


def _path_for(key: str) -> Path:
    if not _KEY.fullmatch(key or ""):
        raise ValueError(f"not an evidence storage key: {key!r}")
    return Path(current_app.config["ROTATION_EVIDENCE_DIR"]) / key[:2] / key


def _display_name(filename: str | None) -> str:
    """The name the uploader knows the file by, for messages (last part of any path, no control characters)."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = NOT_TEXT.sub("", name).strip()[:120]
    return name or "The file"


def _megabytes(size: int, rounded_up: bool = False) -> str:
    """Size in MB with one decimal; a size over the limit is rounded up so that it never reads as the limit."""
    tenths = size * 10 / (1024 * 1024)
    return f"{(math.ceil(tenths) if rounded_up else round(tenths)) / 10:.1f} MB"


def _check_room(name: str, observation_id: int, second_id: int | None) -> None:
    """At most MAX_FILES per observation. The observation's row is locked (on PostgreSQL) so that two uploads
    at once cannot both take the last place."""
    found = db.session.scalar(sa.select(Observation.id).where(Observation.id == observation_id).with_for_update())
    if found is None:
        raise EvidenceProblem(f"{name} was not added: the observation no longer exists.", name)
    if second_id is not None and not db.session.scalar(sa.select(sa.exists().where(
            Second.id == second_id, Second.observation_id == observation_id))):
        raise ValueError(f"“me too” {second_id} does not belong to observation {observation_id}")
    count = db.session.execute(sa.select(sa.func.count()).select_from(Evidence)
                               .where(Evidence.observation_id == observation_id)).scalar_one()
    if count >= MAX_FILES:
        raise EvidenceProblem(f"{name} was not added: an observation can have at most {MAX_FILES} photos "
                              "and files.", name)


def _read(upload: FileStorage, name: str) -> bytes:
    stream = upload.stream
    with contextlib.suppress(AttributeError, OSError, ValueError):  # a stream that cannot seek is read as it is
        stream.seek(0)
    data = stream.read(MAX_BYTES + 1)
    if not data:
        raise EvidenceProblem(f"{name} is empty; it was not added.", name)
    if len(data) > MAX_BYTES:
        try:
            size = stream.seek(0, os.SEEK_END)
        except (AttributeError, OSError, ValueError):
            size = None
        said = f"is {_megabytes(size, rounded_up=True)}" if size else f"is larger than {_megabytes(MAX_BYTES)}"
        raise EvidenceProblem(f"{name} {said}; files can be at most {_megabytes(MAX_BYTES)}, so it was not added.",
                              name)
    return data


def _safe_filename(filename: str, kind: Kind) -> str:
    """The uploader's name made safe to use anywhere, with an extension that matches what the file is."""
    stem, extension = os.path.splitext(filename.replace("\\", "/"))
    extension = extension.lstrip(".").lower()
    safe_stem = secure_filename(stem)[:100].strip("._") or "evidence"
    return f"{safe_stem}.{extension if extension in kind.extensions else kind.extensions[0]}"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _remember(which: str, path: Path) -> None:
    """Note a file written or to be removed, with the (innermost) transaction it belongs to."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info.setdefault(which, []).append((path, transaction))


def _within(transaction, outer) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _after_commit(session) -> None:
    """Committed: the new files stay and the deleted ones go. (A savepoint released is no commit yet.)"""
    if session.get_nested_transaction() is not None:
        return
    session.info.pop(_WRITTEN, None)
    for path, _ in session.info.pop(_DOOMED, []):
        _unlink(path)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    """Rolled back (the whole transaction, or a savepoint): its new files go and its deleted ones stay."""
    written = session.info.get(_WRITTEN, [])
    for path, _transaction in [entry for entry in written if _within(entry[1], previous_transaction)]:
        _unlink(path)
    _forget(session, previous_transaction)


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    """A transaction that ended without commit or rollback (e.g. the session was closed): as a rollback."""
    if transaction.parent is None and (session.info.get(_WRITTEN) or session.info.get(_DOOMED)):
        _after_rollback(session, transaction)


def _forget(session, ended) -> None:
    for which in (_WRITTEN, _DOOMED):
        kept = [entry for entry in session.info.get(which, []) if not _within(entry[1], ended)]
        if kept:
            session.info[which] = kept
        else:
            session.info.pop(which, None)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        log.warning("Could not remove the evidence file %s.", path)
