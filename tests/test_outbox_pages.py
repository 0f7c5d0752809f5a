"""HR's outbox page: counts per status, the list with its filters, the server's reply, and retrying."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from rotation.accounts.links import send_password_link
from rotation.assignments.models import PUBLISHED, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import (
    CANCELLATION,
    FAILED,
    INVITATION,
    QUEUED,
    RESET_PASSWORD,
    SENT,
    SET_PASSWORD,
    SUPERSEDED,
    OutboxMessage,
)
from rotation.sites.models import Slot
from tests.helpers import count_queries, csrf_token, next_page_url

MONDAY = date(2031, 3, 3)
REPLY = "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in virtual mailbox table"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def rows(response) -> list[str]:
    """Each body row's text as a person reads it, whitespace collapsed."""
    page = response.get_data(as_text=True)
    body = page.split("<tbody>", 1)[1] if "<tbody>" in page else ""
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", row).split()))
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def tab(page: str, label: str) -> str:
    match = re.search(rf">{label} <span class=\"count\">(\d+)</span>", page)
    assert match, f"no tab {label}"
    return match.group(1)


@pytest.fixture
def shift(make_site, make_person):
    """Makes a published customer-service day for a new person at Helsinki: ``shift(name, email)``."""
    site = make_site(code="HEL-CC", name="Helsinki contact centre")
    slot = Slot(site=site, kind="customer_service", first_day=MONDAY, last_day=MONDAY, seats=2,
                starts_at=datetime(2031, 3, 3, 7, tzinfo=UTC),
                ends_at=datetime(2031, 3, 3, 15, tzinfo=UTC))
    db.session.add(slot)
    db.session.commit()

    def make(name: str, email: str) -> Assignment:
        person = make_person(full_name=name, email=email, in_rotation=True)
        assignment = Assignment(person_id=person.id, slot_id=slot.id, year=2031, kind="customer_service",
                                status=PUBLISHED)
        db.session.add(assignment)
        db.session.commit()
        return assignment

    return make


def message(assignment: Assignment | None = None, purpose: str = INVITATION, status: str = QUEUED,
            recipient: str = "ann@example.com", name: str = "Ann Aalto", sequence: int = 0,
            attempts: int = 0, error: str | None = None, **values) -> OutboxMessage:
    row = OutboxMessage(purpose=purpose, recipient=recipient, recipient_name=name, status=status,
                        assignment_id=assignment.id if assignment else None,
                        sequence=sequence if assignment else None, attempts=attempts, last_error=error, **values)
    db.session.add(row)
    db.session.commit()
    return row


def status_of(row: OutboxMessage) -> tuple[str, int, datetime]:
    db.session.expire_all()
    fresh = db.session.get_one(OutboxMessage, row.id)
    return fresh.status, fresh.attempts, fresh.next_attempt_at


def test_only_hr_and_administrators_see_the_outbox(client, login_as, make_user):
    assert client.get("/outbox/").status_code == 302  # to the log-in page
    login_as("manager", "owner")
    assert client.get("/outbox/").status_code == 403
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/outbox/retry-failed", data={"csrf_token": token}).status_code == 403
    assert "Outbox" not in text(client.get("/"))


def test_the_list_shows_each_message_with_counts_per_status(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    bo = shift("Bo Berg", "bo@example.com")
    message(ann, status=SENT, attempts=1, sent_at=utcnow())
    message(ann, sequence=1)
    message(bo, purpose=CANCELLATION, recipient="bo@example.com", name="Bo Berg", sequence=1, status=FAILED,
            attempts=5, error=REPLY)
    send_password_link("ann@example.com", SET_PASSWORD)
    db.session.commit()
    login_as("hr")

    response = client.get("/outbox/")
    page = text(response)
    assert (tab(page, "All"), tab(page, "Queued"), tab(page, "Sent"), tab(page, "Failed"),
            tab(page, "Superseded")) == ("4", "2", "1", "1", "0")
    shown = rows(response)
    assert shown[0].startswith("Ann Aalto ann@example.com A link to set a password Set your password for Rotation "
                               "Queued 0")
    assert shown[1] == ("Bo Berg bo@example.com Cancellation Bo Berg's customer-service day at HEL-CC "
                        "(Helsinki contact centre), Mon 2031-03-03 Failed 5 — —")
    assert shown[2] == f"The mail server's reply {REPLY} Retry"  # in full, under its message
    assert shown[3].startswith("Ann Aalto ann@example.com Update Ann Aalto's customer-service day at HEL-CC")
    assert shown[4].startswith("Ann Aalto ann@example.com Invitation Ann Aalto's customer-service day")
    assert " Sent 1 — " in shown[4] and "UTC" in shown[4]
    assert 'aria-label="Retry the message to bo@example.com"' in page
    assert "Retry all failed (1)" in page


def test_filters_by_status_purpose_and_recipient(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    bo = shift("Bo Berg", "bo@example.com")
    message(ann, status=SENT)
    message(bo, purpose=CANCELLATION, recipient="bo@example.com", name="Bo Berg", status=FAILED, error=REPLY)
    message(purpose=RESET_PASSWORD, recipient="hr@example.com", name="", subject="Reset", body_text="secret")
    login_as("hr")

    def addresses(query: str) -> list[str]:
        return re.findall(r'<small class="muted">([^<@]+@[^<]+)</small>', text(client.get(f"/outbox/?{query}")))

    assert addresses("") == ["hr@example.com", "bo@example.com", "ann@example.com"]
    assert addresses("status=failed") == ["bo@example.com"]
    assert addresses("status=sent") == ["ann@example.com"]
    assert addresses("purpose=cancellation") == ["bo@example.com"]
    assert addresses("purpose=reset_password") == ["hr@example.com"]
    assert addresses("q=BERG") == ["bo@example.com"]
    assert addresses("q=ann@") == ["ann@example.com"]
    assert addresses("status=queued&q=ann") == []
    assert "No message matches." in text(client.get("/outbox/?status=queued&q=ann"))
    # The counts follow the purpose and recipient filters, not the status tab.
    filtered = text(client.get("/outbox/?status=sent&q=bo"))
    assert (tab(filtered, "All"), tab(filtered, "Failed"), tab(filtered, "Sent")) == ("1", "1", "0")
    # Nonsense is ignored, never a 500.
    assert len(addresses("status=nope&purpose=nope&page=x")) == 3


def test_password_link_messages_never_show_their_text(client, login_as, make_person):
    make_person(email="lead@example.com", in_rotation=True)
    token = send_password_link("lead@example.com", SET_PASSWORD)
    reset = send_password_link("lead@example.com", RESET_PASSWORD)
    db.session.commit()
    login_as("hr")
    page = text(client.get("/outbox/"))
    assert "A link to set a password" in page and "A link to reset a forgotten password" in page
    assert token not in page and reset not in page and "/password/" not in page
    stored = db.session.scalar(sa.select(OutboxMessage.body_text).where(OutboxMessage.purpose == SET_PASSWORD))
    assert stored.splitlines()[2][:40] not in page  # nor any line of the e-mail's text


def test_retry_puts_a_failed_message_back_in_the_queue_keeping_its_attempts(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    failed = message(ann, status=FAILED, attempts=4, error=REPLY,
                     next_attempt_at=utcnow() + timedelta(days=3))
    sent = message(purpose=SET_PASSWORD, recipient="x@example.com", status=SENT, subject="s", body_text="b")
    login_as("hr")
    page = client.get("/outbox/?status=failed").get_data(as_text=True)
    token = csrf_token(page)

    before = utcnow()
    response = client.post(f"/outbox/{failed.id}/retry", data={"csrf_token": token, "next": "/outbox/?status=failed"})
    assert response.status_code == 302 and response.headers["Location"] == "/outbox/?status=failed"
    status, attempts, due = status_of(failed)
    assert (status, attempts) == (QUEUED, 4) and before - timedelta(seconds=1) <= due <= utcnow()
    after = text(client.get("/outbox/"))
    assert "is queued again and goes out on the next run" in after
    assert REPLY in after  # the last reply stays visible while it waits
    assert "Retry all failed" not in after

    # Not failed: nothing changes, and a way off the site is never followed.
    response = client.post(f"/outbox/{sent.id}/retry", data={"csrf_token": token, "next": "//evil.example/"})
    assert response.headers["Location"] == "/outbox/?status=failed"
    assert status_of(sent)[0] == SENT
    assert "only failed messages are retried" in text(client.get("/outbox/"))
    assert client.post("/outbox/99999/retry", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/outbox/{failed.id}/retry", data={}).status_code == 400  # no CSRF token


def test_a_failed_message_overtaken_by_a_newer_one_is_superseded_not_retried(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    bo = shift("Bo Berg", "bo@example.com")
    old = message(ann, status=FAILED, attempts=5, error="421 4.7.0 Try again later")
    message(ann, sequence=1)  # the shift moved since: a newer invitation is queued
    lone = message(bo, status=FAILED, recipient="bo@example.com", name="Bo Berg", error=REPLY)
    account = message(purpose=SET_PASSWORD, recipient="c@example.com", status=FAILED, error=REPLY, subject="s",
                      body_text="b")
    login_as("hr")

    page = text(client.get("/outbox/"))
    assert (tab(page, "Failed"), tab(page, "Superseded"), tab(page, "Queued")) == ("2", "1", "1")
    assert "a newer message about this shift replaces it" in page
    assert 'aria-label="Retry the message to ann@example.com"' not in page
    assert re.findall(r'<small class="muted">([^<@]+@[^<]+)</small>', text(client.get("/outbox/?status=superseded"))) \
        == ["ann@example.com"]

    token = csrf_token(page)
    client.post(f"/outbox/{old.id}/retry", data={"csrf_token": token})
    assert status_of(old)[0] == SUPERSEDED
    assert "this one is superseded and not sent again" in text(client.get("/outbox/"))

    old.status = FAILED
    db.session.commit()
    response = client.post("/outbox/retry-failed", data={"csrf_token": token, "next": "/outbox/"})
    assert response.headers["Location"] == "/outbox/"
    assert [status_of(row)[0] for row in (old, lone, account)] == [SUPERSEDED, QUEUED, QUEUED]
    assert "2 failed messages are queued again; 1 overtaken by newer messages is superseded." in \
        text(client.get("/outbox/"))
    client.post("/outbox/retry-failed", data={"csrf_token": token})
    assert "No message has failed; nothing to retry." in text(client.get("/outbox/"))


def test_the_list_pages_in_a_fixed_number_of_queries(client, login_as, shift):
    login_as("hr")
    people = [shift(f"Person {n}", f"p{n}@example.com") for n in range(3)]

    def queries() -> int:
        with count_queries() as statements:
            assert client.get("/outbox/").status_code == 200
        return len(statements)

    for person in people:
        message(person, recipient=f"{person.id}@example.com", status=FAILED, error=REPLY)
    queries()  # the first page view also looks up the signed-in account's place in the roster
    few = queries()  # the counts are kept while no message is written
    for n in range(30):
        message(people[n % 3], recipient=f"{n}@example.com", sequence=n, status=SENT)
        message(purpose=SET_PASSWORD, recipient=f"s{n}@example.com", subject="s", body_text="b")
    assert queries() == few + 2  # messages were written: the counts are made again, in two queries
    assert queries() == few
    many = text(client.get("/outbox/"))
    assert "Showing 1–50 of 63 messages." in many
    following = next_page_url(client.get("/outbox/").get_data(as_text=True))
    assert "Showing 51–63 of 63 messages." in text(client.get(following))


def test_the_counts_are_kept_until_a_message_is_written(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    message(ann, status=FAILED, attempts=5, error=REPLY)
    message(purpose=SET_PASSWORD, recipient="c@example.com", status=SENT, subject="s", body_text="b")
    login_as("hr")

    def tabs(query: str = "") -> tuple[tuple[str, ...], list[str]]:
        """The tabs' counts (All, Queued, Sent, Failed, Superseded) and the statements that grouped messages."""
        with count_queries() as statements:
            page = text(client.get(f"/outbox/{query}"))
        shown = tuple(tab(page, label) for label in ("All", "Queued", "Sent", "Failed", "Superseded"))
        return shown, [statement for statement in statements if "GROUP BY" in statement]

    assert tabs()[0] == ("2", "0", "1", "1", "0")
    assert tabs() == (("2", "0", "1", "1", "0"), [])  # nothing written since: nothing counted again
    assert tabs("?purpose=invitation")[0] == ("1", "0", "0", "1", "0")

    message(ann, sequence=1)  # the shift moved: a newer invitation overtakes the failed one
    shown, grouped = tabs()
    assert shown == ("3", "1", "1", "0", "1") and grouped
    assert tabs("?purpose=invitation")[0] == ("2", "1", "0", "0", "1")
    assert tabs("?purpose=set_password")[0] == ("1", "0", "1", "0", "0")
    assert tabs("?purpose=reminder")[0] == ("0", "0", "0", "0", "0")
    assert tabs("?status=superseded&purpose=invitation")[0] == ("2", "1", "0", "0", "1")

    # A bulk change shows at once as well.
    token = csrf_token(client.get("/outbox/").get_data(as_text=True))
    client.post("/outbox/retry-failed", data={"csrf_token": token})
    assert tabs()[0] == ("3", "1", "1", "0", "1")  # the overtaken message is now stored as superseded
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.status == QUEUED).values(status=SENT))
    db.session.commit()
    assert tabs()[0] == ("3", "0", "2", "0", "1")
    assert tabs("?purpose=invitation")[0] == ("2", "0", "1", "0", "1")


def test_each_status_tab_lists_what_its_count_says(client, login_as, shift):
    ann = shift("Ann Aalto", "ann@example.com")
    bo = shift("Bo Berg", "bo@example.com")
    message(ann, status=FAILED, error=REPLY, recipient="old@example.com")
    message(ann, purpose=CANCELLATION, sequence=1, status=SENT, recipient="cancel@example.com")
    message(bo, status=FAILED, error=REPLY, recipient="bo@example.com")
    message(bo, status=SUPERSEDED, recipient="gone@example.com")
    message(bo, purpose=INVITATION, sequence=2, recipient="new@example.com")
    message(purpose=RESET_PASSWORD, status=FAILED, recipient="hr@example.com", subject="s", body_text="b",
            error=REPLY)
    login_as("hr")

    def addresses(query: str) -> list[str]:
        return re.findall(r'<small class="muted">([^<@]+@[^<]+)</small>', text(client.get(f"/outbox/?{query}")))

    page = text(client.get("/outbox/"))
    assert (tab(page, "Queued"), tab(page, "Sent"), tab(page, "Failed"), tab(page, "Superseded")) == \
        ("1", "1", "1", "3")
    assert addresses("status=queued") == ["new@example.com"]
    assert addresses("status=sent") == ["cancel@example.com"]
    assert addresses("status=failed") == ["hr@example.com"]  # Bo's failed invitation has a newer one after it
    assert addresses("status=superseded") == ["gone@example.com", "bo@example.com", "old@example.com"]
    assert addresses("status=superseded&purpose=invitation") == ["gone@example.com", "bo@example.com",
                                                                 "old@example.com"]
    assert addresses("status=failed&purpose=invitation") == []
    assert addresses("status=failed&q=hr@") == ["hr@example.com"]
    assert "Showing 1–3 of 3 messages." in text(client.get("/outbox/?status=superseded"))


def test_every_kind_of_message_is_listed_with_what_it_is_and_secret_links_stay_hidden(client, login_as, shift):
    from rotation.outbox.models import PURPOSES
    from rotation.outbox.views import PURPOSE_LABELS

    assignment = shift("Ann Aalto", "ann@example.com")
    for purpose in PURPOSES:
        extra = {"reminder_days": 7} if purpose == "reminder" else {}
        message(assignment, purpose=purpose, subject=f"About {purpose}", body_text=f"secret-{purpose}", **extra)
    login_as("hr")
    response = client.get("/outbox/")
    assert response.status_code == 200
    page = text(response)
    assert set(PURPOSE_LABELS) == set(PURPOSES)
    for label in ("Reminder, 7 days before", "Answer to a change request", "No-show notice to the line manager",
                  "A link for the site's host to record attendance", "Andon: a severity-5 or safety observation",
                  "News about a problem to someone following it",
                  "An owner declined an observation, told to its author"):
        assert label in page
    assert "secret-" not in page
    for purpose in PURPOSES:
        assert client.get(f"/outbox/?purpose={purpose}").status_code == 200
