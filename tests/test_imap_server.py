"""The organizer mailbox the suite reads: a real IMAP server."""
from __future__ import annotations

import imaplib

import pytest

FIRST = b"From: jane@example.org\r\nSubject: One\r\nMessage-ID: <1@example.org>\r\n\r\nHi\r\n"
SECOND = b"From: joe@example.org\r\nSubject: Two\r\nMessage-ID: <2@example.org>\r\n\r\nHo\r\n"


def login(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.port, timeout=5)
    client.login(server.user, server.password)
    return client


def test_delivered_messages_are_read_back_over_imap_as_they_were_sent(imap_server):
    imap_server.deliver(FIRST)
    imap_server.deliver(SECOND)

    client = login(imap_server)
    status, count = client.select("INBOX")
    _, found = client.fetch("1:*", "(BODY.PEEK[])")
    client.logout()

    assert (status, count) == ("OK", [b"2"])
    assert [item[1] for item in found if isinstance(item, tuple)] == [FIRST, SECOND]
    assert imap_server.messages() == [(set(), FIRST), (set(), SECOND)]


def test_new_mail_is_unseen_and_flags_a_client_sets_are_kept(imap_server):
    imap_server.deliver(FIRST, flags=("\\Seen",))
    imap_server.deliver(SECOND)

    client = login(imap_server)
    client.select("INBOX")
    _, unseen = client.search(None, "UNSEEN")
    client.store("2", "+FLAGS", "(\\Flagged)")
    client.logout()

    assert unseen == [b"2"]
    assert [flags for flags, _ in imap_server.messages()] == [{"\\Seen"}, {"\\Flagged"}]


def test_a_folder_delivered_to_is_created_and_listed(imap_server):
    imap_server.deliver(FIRST, folder="Rotation/Bounces")

    client = login(imap_server)
    _, listed = client.list()
    client.logout()

    assert sorted(imap_server.folders()) == ["INBOX", "Rotation", "Rotation/Bounces"]
    assert any(line.endswith((b'"Rotation/Bounces"', b" Rotation/Bounces")) for line in listed)
    assert imap_server.messages("Rotation/Bounces") == [(set(), FIRST)]
    assert imap_server.messages("INBOX") == []


def test_a_stopped_server_refuses_connections_and_comes_back_on_its_port_with_its_mail(imap_server):
    imap_server.deliver(FIRST)
    port = imap_server.port

    imap_server.stop()
    with pytest.raises(OSError):
        imaplib.IMAP4(imap_server.host, port, timeout=5)
    imap_server.start()

    assert imap_server.port == port
    assert [raw for _, raw in imap_server.messages()] == [FIRST]


def test_the_mailbox_fixture_points_the_app_at_the_server(app, mailbox):
    config = app.config
    client = imaplib.IMAP4(config["ROTATION_IMAP_HOST"], config["ROTATION_IMAP_PORT"], timeout=5)

    assert client.login(config["ROTATION_IMAP_USER"], config["ROTATION_IMAP_PASSWORD"])[0] == "OK"
    assert client.select(config["ROTATION_IMAP_FOLDER"])[0] == "OK"
    assert config["ROTATION_IMAP_SECURITY"] == "none"
    client.logout()
