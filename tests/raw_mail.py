"""Writing e-mails and iCalendar text byte for byte, the way other programs write them, for tests.

The builders of foreign mail (tests/calendar_replies.py) write their messages with these rather than with
Python's ``email`` package, so the bytes are those the other program sends: its header order, boundaries,
transfer encodings and folding.
"""
from __future__ import annotations

import base64
import quopri
from datetime import UTC, date, datetime
from email.header import Header
from email.utils import formataddr
from zoneinfo import ZoneInfo

# Headers written as given: Content-Type is folded by the caller, and a Message-ID is never broken.
UNFOLDED = ("Content-Type", "Message-ID")


# ---------------------------------------------------------------- iCalendar

def date_line(name: str, value: datetime | date, zone: str | None = None, tzid: str | None = None) -> str:
    """``name`` with a date (``VALUE=DATE``), a UTC time, or the local time in ``zone`` labelled ``tzid``."""
    if not isinstance(value, datetime):
        return f"{name};VALUE=DATE:{value:%Y%m%d}"
    if zone and tzid:
        return f"{name};TZID={tzid}:{value.astimezone(ZoneInfo(zone)):%Y%m%dT%H%M%S}"
    return f"{name}:{utc_stamp(value)}"


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical_text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11)."""
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ical_param(value: str) -> str:
    """A parameter value, quoted when it holds , ; or : (its own double quotes become single ones)."""
    value = value.replace('"', "'")
    return f'"{value}"' if any(mark in value for mark in ",;:") else value


def fold(line: str) -> bytes:
    """One content line folded at 75 octets, never inside a UTF-8 character (RFC 5545 3.1)."""
    raw, pieces, limit = line.encode(), [], 75
    while len(raw) > limit:
        cut = limit
        while raw[cut] & 0xC0 == 0x80:
            cut -= 1
        pieces.append(raw[:cut])
        raw, limit = raw[cut:], 74
    return b"\r\n ".join([*pieces, raw])


def calendar_bytes(lines: list[str]) -> bytes:
    """The calendar of these content lines (each may hold several joined by CRLF), in a VCALENDAR if they
    do not start one."""
    if lines[0] != "BEGIN:VCALENDAR":
        lines = ["BEGIN:VCALENDAR", *lines, "END:VCALENDAR"]
    return b"".join(fold(physical) + b"\r\n" for line in lines for physical in line.split("\r\n"))


# ---------------------------------------------------------------- e-mail

def html_escaped(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("'", "&#39;"))


def mailbox(address: str, name: str = "") -> str:
    """What goes in From or To: the address, with its name when it has one."""
    return formataddr((name, address)) if name else address


def part(content_type: str, body: bytes, encoding: str | None, *headers: str) -> bytes:
    """A MIME part: ``headers`` first, then its type and transfer encoding (``None``: none written)."""
    if encoding == "base64":
        body = base64.encodebytes(body)
    elif encoding == "quoted-printable":
        body = quopri.encodestring(body.replace(b"\r\n", b"\n"))
    lines = [*headers, f"Content-Type: {content_type}"]
    lines += [f"Content-Transfer-Encoding: {encoding}"] if encoding else []
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def multipart(boundary: str, parts: list[bytes]) -> bytes:
    """The body of a multipart: each part after its boundary line, then the closing one."""
    delimiter = b"--" + boundary.encode()
    return b"".join(delimiter + b"\r\n" + part.rstrip(b"\r\n") + b"\r\n\r\n" for part in parts) \
        + delimiter + b"--\r\n"


def envelope(headers: list[tuple[str, str | bytes]], content_type: str, body: bytes,
             trailer: list[tuple[str, str]] | None = None) -> bytes:
    """A whole message: ``headers`` in order, Content-Type, ``trailer``, and MIME-Version unless given.
    Header values are folded at 78 characters and non-ASCII words encoded (RFC 2047)."""
    lines = []
    for name, value in [*headers, ("Content-Type", content_type), *(trailer or [])]:
        value = value.decode() if isinstance(value, bytes) else value
        if name not in UNFOLDED:
            value = Header(value, "us-ascii" if value.isascii() else "utf-8", header_name=name,
                           maxlinelen=78).encode(linesep="\r\n")
        lines.append(f"{name}: {value}" if value else f"{name}:")
    if not any(name.lower() == "mime-version" for name, _ in headers):
        lines.append("MIME-Version: 1.0")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body
