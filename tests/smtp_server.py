"""A real SMTP server for tests: aiosmtpd on a free local port, recording what it accepts.

Tests use it through the ``smtp_server`` fixture (tests/fixtures/mail.py). It records
every accepted message with its envelope and raw bytes, can refuse chosen
recipients for good (550) or for now (451), can go down by itself in the middle
of a batch (dropping the connection before it accepts the next message, and
no longer listening), can hold messages until several clients are connected
(to make concurrent senders overlap), and can be stopped and started again on
the same port.
"""
from __future__ import annotations

import asyncio
import email
import socket
import threading
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"
HOLD_SECONDS = 30
REPLIES = {
    550: "550 5.1.1 <{address}>: Recipient address rejected: User unknown",
    451: "451 4.3.0 <{address}>: Temporary lookup failure, try again later",
}


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope and the bytes exactly as they arrived."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def email(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)


class _Handler:
    """aiosmtpd hooks: refuse what the test asked to refuse, record the rest."""

    def __init__(self, owner: SmtpServer) -> None:
        self.owner = owner

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.owner.clients.add(session.peer)
        code = self.owner.refusals.get(address.lower())
        if code is not None:
            return REPLIES[code].format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        owner = self.owner
        waited = 0.0
        while len(owner.clients) < owner.hold_until_clients and waited < HOLD_SECONDS:
            await asyncio.sleep(0.01)
            waited += 0.01
        if owner.delay:
            await asyncio.sleep(owner.delay)
        with owner.lock:
            if owner.down_after is not None and len(owner.received) >= owner.down_after:
                owner.down_after = None
                # Gone before saying "250": the client must not count this message as accepted.
                server.transport.abort()
                owner.controller.server.close()
                owner.went_down.set()
                return "421 4.3.2 Shutting down"
            owner.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """The server a test talks to; ``port`` stays the same across restarts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[Received] = []
        self.refusals: dict[str, int] = {}
        self.down_after: int | None = None
        self.delay = 0.0  # seconds to think before answering each message
        # Hold every message until this many clients have reached RCPT TO (at most HOLD_SECONDS).
        self.hold_until_clients = 0
        self.clients: set = set()
        self.went_down = threading.Event()
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self.controller is not None

    def start(self) -> None:
        self.went_down.clear()
        self.controller = Controller(_Handler(self), hostname=HOST, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def refuse(self, address: str, code: int = 550) -> None:
        """Refuse RCPT TO ``address`` with 550 (for good) or 451 (try later) from now on."""
        assert code in REPLIES
        self.refusals[address.lower()] = code

    def go_down_after(self, accepted: int) -> None:
        """Accept ``accepted`` more messages, then drop the connection in the middle of the next one and
        stop listening; ``restart()`` brings the server back."""
        with self.lock:
            self.down_after = len(self.received) + accepted

    def recipients(self) -> list[str]:
        """Every envelope recipient, one per accepted message, in the order they arrived."""
        return [recipient for message in self.received for recipient in message.recipients]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


