"""An e-mail's bytes, written as the e-mail library writes them with ``policy.SMTP``, without building it.

The sender makes thousands of e-mails in a row, and building a tree of
``email.message`` objects only to flatten it again cost more than a
millisecond each. So the bytes are written here directly, CRLF lines exactly
as the library's generator would write the same message: headers in plain
ASCII folded before spaces (78 characters at most), bodies encoded once by the
C codecs (quoted-printable text, base64 calendars), parts joined by boundaries
that no encoded part can contain. A header that is not plain ASCII or too long
to fold simply (a name with accents, say) goes through the library's header
registry, which encodes it properly.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import re
import secrets
from email import policy
from email.header import Header
from email.headerregistry import Address
from functools import cache

CRLF = b"\r\n"
# The longest header line we write ourselves, "Name: value" (RFC 5322 2.1.1); longer ones we fold.
MAX_HEADER_LINE = 78
# Headers of free text, which any text can be written into as encoded words (RFC 2047).
TEXT_HEADERS = frozenset({"Subject"})
_LINE_BREAK = re.compile(r"\r\n?")


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def printable(value: str) -> str:
    """``value`` with control characters (a line break smuggled into a name, a NUL) made single spaces."""
    return " ".join(_CONTROLS.sub(" ", value).split()) if _CONTROLS.search(value) else value


def header(name: str, value: str | Address) -> bytes:
    """One header as it goes on the wire: written here when it can be, else by the library's registry.
    Control characters in the value never reach the wire (``printable``).

    Plain ASCII is folded before spaces; free text (the subject) that is not
    plain ASCII, or that looks like an encoded word, is written as UTF-8
    encoded words.
    """
    if isinstance(value, str):
        value = printable(value)
        lines = folded(name, value)
        if lines is None and name in TEXT_HEADERS:
            lines = Header(value, "utf-8", MAX_HEADER_LINE, name).encode(linesep="\n").split("\n")
        if lines is not None:
            return (f"{name}: " + "\r\n".join(lines) + "\r\n").encode("ascii")
    return policy.SMTP.fold_binary(name, policy.default.header_store_parse(name, value)[1])


def folded(name: str, value: str) -> list[str] | None:
    """``value`` cut before spaces into lines that fit beside ``name``; None when it is not that simple."""
    if not value.isascii() or "=?" in value or not value.isprintable():
        return None
    lines: list[str] = []
    room = MAX_HEADER_LINE - len(name) - 2
    while len(value) > room:
        cut = value.rfind(" ", 1, room + 1)
        if cut <= 0:
            return None  # a word too long for a line
        lines.append(value[:cut])
        value, room = value[cut:], MAX_HEADER_LINE  # the continuation line starts with the space
    lines.append(value)
    return lines


class Boundaries:
    """Multipart boundaries: "=_" (never in quoted-printable or base64), a random start, and a count."""

    def __init__(self) -> None:
        self._start = secrets.token_hex(8)
        self._count = itertools.count()

    def next(self) -> str:
        return f"=_{self._start}{next(self._count) % 16**8:08x}"


def multipart(subtype: str, parts: list[bytes], boundary: str) -> tuple[bytes, bytes]:
    """The Content-Type header and the body of a multipart of ``parts``."""
    delimiter = f"--{boundary}\r\n".encode("ascii")
    body = delimiter + (CRLF + delimiter).join(parts) + f"\r\n--{boundary}--\r\n".encode("ascii")
    return header("Content-Type", f'multipart/{subtype}; boundary="{boundary}"'), body


def part(content_type: bytes, body: bytes) -> bytes:
    """A part made of its Content-Type header and body (as :func:`multipart` gives them)."""
    return content_type + CRLF + body


def text_part(subtype: str, text: str) -> bytes:
    """UTF-8 text, quoted-printable, with lines ending in a newline as ``set_content`` would write them."""
    text = _LINE_BREAK.sub("\n", text)
    if not text.endswith("\n"):
        text += "\n"
    return _leaf(f'text/{subtype}; charset="utf-8"', "quoted-printable",
                 binascii.b2a_qp(text.encode("utf-8"), istext=True))


def calendar_part(method: str, calendar: bytes) -> bytes:
    """An iMIP ``text/calendar`` part for ``method``, base64."""
    return _leaf(f"text/calendar; charset=UTF-8; method={method}", "base64", base64.encodebytes(calendar))


def _leaf(content_type: str, encoding: str, payload: bytes) -> bytes:
    """A part's two headers and its encoded payload (ASCII lines ending in a newline) in CRLF lines."""
    return _leaf_headers(content_type, encoding) + payload.replace(b"\n", CRLF)


@cache
def _leaf_headers(content_type: str, encoding: str) -> bytes:
    return header("Content-Type", content_type) + header("Content-Transfer-Encoding", encoding) + CRLF
