"""Keeping evidence files: checking what an upload really is, stripping photos of their metadata, and
writing and removing the files in step with the database transaction.

Files live in ``ROTATION_EVIDENCE_DIR/<key[:2]>/<key>``, named by a random key, readable by the app only.
A file written in a transaction that rolls back is removed again, and a deleted file goes only once the
deletion is committed, so a row never points at a missing file and no file is left without its row.
"""
from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageOps, ImageSequence
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from rotation.evidence.models import Evidence
from rotation.extensions import db
from rotation.observations.models import Observation, Second

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024       # per file, as uploaded
MAX_FILES = 10                     # per observation, its "me too" files included
MAX_PIXELS = 40_000_000            # per photo (all frames of an animation together)

# Pillow refuses outright at twice this; between once and twice it warns and ``store`` refuses.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]  # the first is used when the uploader's name does not match
    photo_format: str | None = None  # Pillow's format name, for photos


JPEG = Kind("image/jpeg", ("jpg", "jpeg"), "JPEG")
PNG = Kind("image/png", ("png",), "PNG")
WEBP = Kind("image/webp", ("webp",), "WEBP")
GIF = Kind("image/gif", ("gif",), "GIF")
PDF = Kind("application/pdf", ("pdf",))
TEXT = Kind("text/plain; charset=utf-8", ("txt",))
CSV = Kind("text/csv; charset=utf-8", ("csv",))

PHOTO_TYPES = frozenset(kind.content_type for kind in (JPEG, PNG, WEBP, GIF))

# Control characters other than tab, line feed, form feed and carriage return do not occur in text files.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_KEY = re.compile(r"[0-9a-f]{32}")

# Frame details kept when a photo is re-encoded: how it is drawn, nothing about where or how it was taken.
_DRAWING_KEYS = ("transparency", "duration", "loop", "background", "disposal", "blend")

# session.info keys: files written, and files to remove, in the current transaction.
_WRITTEN = "rotation.evidence.written"
_DOOMED = "rotation.evidence.doomed"


class EvidenceProblem(ValueError):
    """An upload that cannot be kept; the message is a sentence naming the file, fit to show its uploader."""

    def __init__(self, message: str, filename: str = ""):
        super().__init__(message)
        self.filename = filename


def store(upload: FileStorage, *, observation_id: int, uploaded_by_id: int,
          second_id: int | None = None) -> Evidence:
    """Check an upload, keep it (photos re-encoded without metadata) and add its row (flushed, not committed).

    Raises ``EvidenceProblem`` when the file is empty, too large, of an unknown type, damaged, or one too
    many for the observation; nothing is written then.
    """
    name = _display_name(upload.filename)
    _check_room(name, observation_id, second_id)
    data = _read(upload, name)
    kind = _kind_of(data, upload.filename or "")
    if kind is None:
        raise EvidenceProblem(f"{name} is not a photo (JPEG, PNG, WebP, GIF), PDF or text file; "
                              "it was not added.", name)
    if kind.photo_format:
        data = _without_metadata(data, kind, name)

    key = secrets.token_hex(16)
    evidence = Evidence(observation_id=observation_id, second_id=second_id, uploaded_by_id=uploaded_by_id,
                        filename=_safe_filename(upload.filename or "", kind), content_type=kind.content_type,
                        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key)
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


# --- Checking the upload ------------------------------------------------------------------------------------

def _display_name(filename: str | None) -> str:
    """The name the uploader knows the file by, for messages (last part of any path, no control characters)."""
    name = re.split(r"[/\\]", filename or "")[-1]
    name = _NOT_TEXT.sub("", name).strip()[:120]
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
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)
                              .where(Evidence.observation_id == observation_id))
    if count >= MAX_FILES:
        raise EvidenceProblem(f"{name} was not added: an observation can have at most {MAX_FILES} photos "
                              "and files.", name)


def _read(upload: FileStorage, name: str) -> bytes:
    stream = upload.stream
    try:
        stream.seek(0)
    except (AttributeError, OSError, ValueError):
        pass
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


def _kind_of(data: bytes, filename: str) -> Kind | None:
    """What the bytes are, by their first bytes (never by the name or the browser's word for it)."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data.startswith(b"%PDF-"):
        return PDF
    if _is_plain_text(data):
        # Text and CSV look alike; the name tells them apart, and both are kept as they are.
        return CSV if filename.lower().endswith(".csv") else TEXT
    return None


def _is_plain_text(data: bytes) -> bool:
    """UTF-8 text without NUL or other control bytes, and not a web page or other markup."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    if _NOT_TEXT.search(text):
        return False
    # HTML, SVG and XML start with "<"; a browser could be talked into running them.
    return not text.lstrip("\ufeff \t\r\n\f").startswith("<")


def _without_metadata(data: bytes, kind: Kind, name: str) -> bytes:
    """The photo re-encoded in its own format, turned upright, with no EXIF, GPS, XMP, ICC or comments."""
    damaged = EvidenceProblem(f"{name} looks like a photo but could not be read (it may be damaged or cut "
                              "short); it was not added.", name)
    try:
        image = Image.open(io.BytesIO(data), formats=[kind.photo_format])
        frames = getattr(image, "n_frames", 1)
        width, height = image.size
        if width * height * frames > MAX_PIXELS:
            raise _too_many_pixels(name, width * height * frames)
        if frames == 1:
            image.load()
            clean = [_bare(_upright(image), image.info)]
        else:
            clean = [_bare(frame.copy(), frame.info) for frame in ImageSequence.Iterator(image)]
        out = io.BytesIO()
        # A lossless WebP (a screenshot, say) stays lossless.
        _save(clean, kind, out, loop=image.info.get("loop"), lossless=kind is WEBP and _lossless_webp(data))
    except Image.DecompressionBombError:
        raise _too_many_pixels(name, None) from None
    except EvidenceProblem:
        raise
    except Exception:  # whatever a damaged or hostile file makes the decoder raise
        log.info("Could not read %s as a photo.", name, exc_info=True)
        raise damaged from None
    return out.getvalue()


def _upright(image: Image.Image) -> Image.Image:
    """A new image turned the way the camera's orientation tag says; as stored when the tag cannot be read."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:
        return image.copy()


def _lossless_webp(data: bytes) -> bool:
    """Whether a WebP's (first) picture is stored losslessly: its first image chunk is VP8L, not VP8."""
    position = 12
    while position + 8 <= len(data):
        chunk, size = data[position:position + 4], int.from_bytes(data[position + 4:position + 8], "little")
        if chunk == b"ANMF":  # an animation frame: 16 bytes about the frame, then its image chunks
            position += 8 + 16
            continue
        if chunk in (b"VP8L", b"VP8 "):
            return chunk == b"VP8L"
        position += 8 + size + (size & 1)
    return False


def _too_many_pixels(name: str, pixels: int | None) -> EvidenceProblem:
    # Rounded up, so that a photo just over the limit does not read as being at it.
    size = f"has {math.ceil(pixels / 100_000) / 10:.1f} megapixels" if pixels else "is too large to open"
    return EvidenceProblem(f"{name} {size}; photos can be at most {MAX_PIXELS // 1_000_000} megapixels, so it "
                           "was not added.", name)


def _bare(image: Image.Image, info: dict) -> Image.Image:
    """Leave a fresh copy only its pixels, palette and how to draw the frame: every other detail is dropped."""
    image.info = {key: info[key] for key in _DRAWING_KEYS if key in info}
    return image


def _save(frames: list[Image.Image], kind: Kind, out: io.BytesIO, loop, lossless: bool = False) -> None:
    first, rest = frames[0], frames[1:]
    options: dict = {}
    if kind is JPEG:
        if first.mode not in ("L", "RGB", "CMYK"):
            first = first.convert("RGB")
        options = {"quality": 90, "optimize": True}
    elif kind is WEBP:
        options = {"lossless": True} if lossless else {"quality": 90}
    if "transparency" in first.info and kind in (PNG, GIF):
        options["transparency"] = first.info["transparency"]
    if rest:
        options.update(save_all=True, append_images=rest,
                       duration=[frame.info.get("duration", 100) for frame in frames])
        if loop is not None:
            options["loop"] = loop
    # No EXIF and no colour profile, even where a format would carry them over; the frames' info holds nothing
    # else (no XMP, no comment, no text) for the encoder to copy.
    first.save(out, kind.photo_format, exif=b"", icc_profile=None, **options)


def _safe_filename(filename: str, kind: Kind) -> str:
    """The uploader's name made safe to use anywhere, with an extension that matches what the file is."""
    stem, extension = os.path.splitext(filename.replace("\\", "/"))
    extension = extension.lstrip(".").lower()
    safe_stem = secure_filename(stem)[:100].strip("._") or "evidence"
    return f"{safe_stem}.{extension if extension in kind.extensions else kind.extensions[0]}"


# --- Files in step with the transaction ---------------------------------------------------------------------

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
    for path, transaction in [entry for entry in written if _within(entry[1], previous_transaction)]:
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
