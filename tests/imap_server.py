"""A real IMAP server for tests: Debian's Dovecot on a free local port, with one mailbox.

Tests use it through the ``imap_server`` and ``mailbox`` fixtures (tests/fixtures/imap.py). Each server
is a Dovecot master of its own: its configuration, sockets, state, log and Maildir live in a temporary
directory, it listens for IMAP only (plaintext login, no TLS) on 127.0.0.1, and it shares nothing with the
system's Dovecot or with the servers of other test processes. The one user, ``rotation@example.com``,
owns its mail as the user running the tests (as root: Dovecot's own ``dovecot`` user, since Dovecot
gives no mail to root). Folder names are ASCII, levels separated by "/" unless told otherwise. A test
puts messages in with ``deliver`` (IMAP APPEND, as another client filing them would), reads what is
there with ``messages`` and ``folders``, and can stop the server and start it again on the same port,
its mail kept, as a mailbox that is down for a while.
"""
from __future__ import annotations

import contextlib
import grp
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.smtp_server import HOST, free_port

DOVECOT = os.environ.get("ROTATION_TEST_DOVECOT", "/usr/sbin/dovecot")
USER = "rotation@example.com"
PASSWORD = "inbox-password"
START_SECONDS = 10
# Dovecot is told to stop by the kernel if the test process dies without stopping it (util-linux's setpriv).
SETPRIV = shutil.which("setpriv")
_WITH_PARENT = [SETPRIV, "--pdeathsig", "TERM"] if SETPRIV else []

CONFIGURATION = """\
# Written by tests/imap_server.py for one test server; nothing here is shared with the system's Dovecot.
instance_name = {instance}
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
info_log_path = {directory}/dovecot.log
protocols = imap
listen = {host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = {separator}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {directory}/users
}}
# Not shut in a chroot, which takes root: the test user may run the server as itself.
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class ImapServer:
    """The server a test talks to; ``port`` and the mail stay the same across ``stop()`` and ``start()``.

    ``separator`` is the hierarchy separator folders are listed with ("/" as Gmail's, "." as Dovecot's
    default).
    """

    def __init__(self, separator: str = "/") -> None:
        self.host = HOST
        self.port = free_port()
        self.user = USER
        self.password = PASSWORD
        self.separator = separator
        self.directory = Path(tempfile.mkdtemp(prefix="rotation-imap-"))
        self.directory.chmod(0o755)  # Dovecot's own processes read the configuration and the users file
        self.process: subprocess.Popen | None = None
        self._write_configuration()

    @property
    def configuration(self) -> Path:
        return self.directory / "dovecot.conf"

    @property
    def log(self) -> str:
        """Dovecot's log so far (its errors say why a login or a command failed)."""
        path = self.directory / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self) -> None:
        """Start Dovecot and return once it greets a client on ``port``.

        A master that exits at once is started again until the deadline: on a busy machine the processes of the
        server stopped a moment ago may still hold the port (Dovecot then says "Address already in use")."""
        assert self.process is None, "already running"
        deadline = time.monotonic() + START_SECONDS
        self.process = self._launch()
        while not self._greets():
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Dovecot did not start on port {self.port}:\n"
                                   f"{(self.directory / 'stderr').read_text(errors='replace')}{self.log}")
            if self.process.poll() is not None:
                time.sleep(0.1)
                self.process = self._launch()
            time.sleep(0.01)

    def _launch(self) -> subprocess.Popen:
        with open(self.directory / "stderr", "ab") as stderr:
            return subprocess.Popen([*_WITH_PARENT, DOVECOT, "-F", "-c", str(self.configuration)],
                                    stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                                    start_new_session=True)

    def stop(self) -> None:
        """Stop Dovecot at once, as a crash or a pulled cable would: every connection to it drops and the
        port refuses connections until ``start()``. (Asked politely, Dovecot takes a second to go.)"""
        if self.process is None:
            return
        # The master and every process it started (gone already when the master had exited).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None
        (self.directory / "run" / "master.pid").unlink(missing_ok=True)

    def close(self) -> None:
        """Stop, and remove the server's directory with its mail."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def connect(self) -> imaplib.IMAP4:
        """A client logged in to the mailbox (the caller logs out)."""
        client = imaplib.IMAP4(self.host, self.port, timeout=START_SECONDS)
        client.login(self.user, self.password)
        return client

    def deliver(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = ()) -> None:
        """Put ``raw`` in ``folder`` (created if missing), unread unless ``flags`` says otherwise (``\\Seen``)."""
        client = self.connect()
        try:
            if folder not in self._folders(client):
                _ok(client.create(_quoted(folder)))
            _ok(client.append(_quoted(folder), f"({' '.join(flags)})" if flags else None, None, raw))
        finally:
            client.logout()

    def messages(self, folder: str = "INBOX") -> list[tuple[set[str], bytes]]:
        """Every message in ``folder`` in the order it arrived: its flags and its bytes, read without marking
        it seen. (``\\Recent`` is left out: it says which session saw the message first, not what it is.)"""
        client = self.connect()
        try:
            status, exists = client.select(_quoted(folder), readonly=True)
            assert status == "OK", exists
            status, data = client.fetch("1:*", "(FLAGS BODY.PEEK[])") if int(exists[0] or 0) else ("OK", [])
            assert status == "OK", data
        finally:
            client.logout()
        found = []
        for item in data:
            if isinstance(item, tuple):
                flags = imaplib.ParseFlags(item[0])
                found.append(({flag.decode() for flag in flags} - {"\\Recent"}, item[1]))
        return found

    def folders(self) -> list[str]:
        """The names of every folder, INBOX included."""
        client = self.connect()
        try:
            return self._folders(client)
        finally:
            client.logout()

    def _folders(self, client: imaplib.IMAP4) -> list[str]:
        status, data = client.list()
        assert status == "OK", data
        names = []
        for line in data:
            assert isinstance(line, bytes), line
            name = line.decode().split(f' "{self.separator}" ', 1)[1]
            names.append(name[1:-1].replace('\\"', '"').replace("\\\\", "\\") if name.startswith('"') else name)
        return names

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as connection:
                return connection.recv(4).startswith(b"* OK")
        except OSError:
            return False

    def _write_configuration(self) -> None:
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:
            # Dovecot drops to its own users for its processes and never gives mail to root: as root the
            # mail belongs to its "dovecot" user (which Debian's package creates).
            internal_user, login_user = "dovecot", "dovenull"
            uid, gid = pwd.getpwnam(internal_user).pw_uid, pwd.getpwnam(internal_user).pw_gid
        else:  # it cannot change user: every process runs as the one running the tests, who owns the mail
            internal_user = login_user = pwd.getpwuid(uid).pw_name
        mail = self.directory / "mail"
        mail.mkdir()
        os.chown(mail, uid, gid)
        users = self.directory / "users"
        users.write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{mail}/{USER}::\n")
        users.chmod(0o644)
        self.configuration.write_text(CONFIGURATION.format(
            instance=f"rotation-test-{self.port}", directory=self.directory, host=self.host, port=self.port,
            separator=self.separator, internal_user=internal_user, internal_group=grp.getgrgid(gid).gr_name,
            login_user=login_user, uid=uid, gid=gid))


def _ok(answer: tuple[str, list]) -> None:
    assert answer[0] == "OK", answer


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'

