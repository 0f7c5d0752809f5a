"""The organizer mailbox over IMAP (``ROTATION_IMAP_*``): list what waits, read it, put it away.

Python's ``imaplib`` is all this needs: one folder is read, messages are
addressed by UID, read without marking them seen (``BODY.PEEK``), and once
handled are flagged ``$RotationHandled`` and ``\\Seen`` and moved to the folder
``Rotation-handled`` beside it, never deleted. A message that was flagged but
not moved (the worker stopped in between) is moved on the next pass.
"""
from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
from dataclasses import dataclass

SECURITY_CHOICES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
HANDLED_FOLDER = "Rotation-handled"
HANDLED_FLAG = "$RotationHandled"
TIMEOUT_SECONDS = 30
# How many messages one pass reads at most; the rest wait for the next pass.
BATCH = 200
_UID = re.compile(rb"UID (\d+)")


class MailboxUnreachable(RuntimeError):
    """The mailbox cannot be used now: the sentence says why. Nothing was read or changed."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    user: str
    password: str
    folder: str
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_config(cls, config) -> ImapSettings | None:
        """The settings, or None when ``ROTATION_IMAP_HOST`` is unset (replies are not read)."""
        host = (config.get("ROTATION_IMAP_HOST") or "").strip()
        if not host:
            return None
        security = (config.get("ROTATION_IMAP_SECURITY") or "ssl").strip().lower()
        port = config.get("ROTATION_IMAP_PORT") or DEFAULT_PORTS.get(security, 993)
        return cls(host=host, port=int(port), security=security, user=config.get("ROTATION_IMAP_USER") or "",
                   password=config.get("ROTATION_IMAP_PASSWORD") or "",
                   folder=(config.get("ROTATION_IMAP_FOLDER") or "INBOX").strip())

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


class Mailbox:
    """One connection to the mailbox, its folder selected; use it as a context manager."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._imap: imaplib.IMAP4 | None = None
        self._can_move = False
        self._capabilities: set[str] = set()

    def __enter__(self) -> Mailbox:
        settings = self.settings
        try:
            if settings.security == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                         ssl_context=ssl.create_default_context())
            else:
                imap = imaplib.IMAP4(settings.host, settings.port, timeout=settings.timeout)
                if settings.security == "starttls":
                    imap.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxUnreachable(f"The organizer mailbox at {settings.server} could not be reached: "
                                     f"{_said(error)}.") from None
        self._imap = imap
        try:
            imap.login(settings.user, settings.password)
            status, _ = imap.select(_quoted(settings.folder))
            if status != "OK":
                raise MailboxUnreachable(f"The organizer mailbox has no folder {settings.folder!r} "
                                         "(ROTATION_IMAP_FOLDER).")
            self._capabilities = _capabilities(imap)  # they grow once logged in
            self._can_move = "MOVE" in self._capabilities
            listed = imap.list('""', _quoted(HANDLED_FOLDER))[1]
            if not [line for line in listed if line]:
                imap.create(_quoted(HANDLED_FOLDER))
        except MailboxUnreachable:
            self._close()
            raise
        except imaplib.IMAP4.error as error:
            self._close()
            raise MailboxUnreachable(f"The organizer mailbox at {settings.server} refused Rotation "
                                     f"({settings.user or 'no user'}): {_said(error)}.") from None
        except OSError as error:
            self._close()
            raise MailboxUnreachable(f"The organizer mailbox at {settings.server} went away: {_said(error)}.") from None
        return self

    def __exit__(self, *_exc) -> None:
        self._close()

    def waiting(self) -> tuple[list[bytes], list[bytes]]:
        """UIDs of the messages to read (oldest first, at most :data:`BATCH`), and of those handled but not moved."""
        new = self._search("UNKEYWORD", HANDLED_FLAG)
        handled = self._search("KEYWORD", HANDLED_FLAG)
        return new[:BATCH], handled

    def read(self, uid: bytes) -> bytes | None:
        """The message's bytes, without marking it seen; None when it is gone (another worker moved it)."""
        _status, data = self._call("FETCH", uid, "(UID BODY.PEEK[])")
        for item in data or ():
            if isinstance(item, tuple) and _UID.search(item[0]):
                return bytes(item[1])
        return None

    def put_away(self, uid: bytes) -> None:
        """Flag the message handled and seen, then move it to :data:`HANDLED_FOLDER`; gone already is fine."""
        self._call("STORE", uid, "+FLAGS.SILENT", f"({HANDLED_FLAG} \\Seen)")
        if self._can_move:
            self._call("MOVE", uid, _quoted(HANDLED_FOLDER))
            return
        status, _ = self._call("COPY", uid, _quoted(HANDLED_FOLDER))
        if status == "OK":
            self._call("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)")
            if "UIDPLUS" in self._capabilities:
                self._call("EXPUNGE", uid)

    def _search(self, *criteria: str) -> list[bytes]:
        status, data = self._call("SEARCH", *criteria)
        if status != "OK" or not data or not data[0]:
            return []
        return sorted(data[0].split(), key=int)

    def _call(self, command: str, *args: str | bytes):
        imap = self._imap_or_fail()
        texts = [arg.decode() if isinstance(arg, bytes) else arg for arg in args]
        try:
            return imap.uid(command, *texts)
        except imaplib.IMAP4.abort as error:
            raise MailboxUnreachable(f"The organizer mailbox at {self.settings.server} went away: "
                                     f"{_said(error)}.") from None
        except imaplib.IMAP4.error as error:
            return "NO", [str(error).encode()]
        except OSError as error:
            raise MailboxUnreachable(f"The organizer mailbox at {self.settings.server} went away: "
                                     f"{_said(error)}.") from None

    def _imap_or_fail(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise MailboxUnreachable("The organizer mailbox is not open.")
        return self._imap

    def _close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()


def _capabilities(imap: imaplib.IMAP4) -> set[str]:
    status, data = imap.capability()
    if status != "OK" or not data or not data[0]:
        return set(imap.capabilities)
    return {word.upper() for word in data[0].decode(errors="replace").split()}


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "no answer in time"
    text = str(error)
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return text.strip("b'\"") or error.__class__.__name__
