"""What an uploaded file really is, and photos re-encoded without their metadata (location, camera, time).

Recognises a file by its bytes, never by its name or the browser's word: photos (JPEG, PNG, WebP, GIF),
PDFs and plain text. A photo is decoded within a pixel limit (so a decompression bomb is refused, not
rendered) and written again with only what is needed to draw it.
"""
from __future__ import annotations

import io
import logging
import math
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, ImageSequence

from rotation.refusals import FieldRefusal

log = logging.getLogger(__name__)

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
NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

# Frame details kept when a photo is re-encoded: how it is drawn, nothing about where or how it was taken.
_DRAWING_KEYS = ("transparency", "duration", "loop", "background", "disposal", "blend")


class EvidenceProblem(FieldRefusal):
    """An upload that cannot be kept (beside the ``files`` field); the message is a sentence naming the file, fit
    to show its uploader. Its own class: a page says it apart from a refusal of the rest of the form."""

    def __init__(self, message: str, filename: str = ""):
        super().__init__("files", message)
        self.filename = filename


def kind_of(data: bytes, filename: str) -> Kind | None:
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
    if NOT_TEXT.search(text):
        return False
    # HTML, SVG and XML start with "<"; a browser could be talked into running them.
    return not text.lstrip("\ufeff \t\r\n\f").startswith("<")


def without_metadata(data: bytes, kind: Kind, name: str) -> bytes:
    """The photo re-encoded in its own format, turned upright, with no EXIF, GPS, XMP, ICC or comments."""
    assert kind.photo_format is not None, "only photos are re-encoded"
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
