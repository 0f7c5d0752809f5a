"""One message of HR's outbox opened: to whom, what it is, where it stands, the server's reply, and what it says,
with the secret of every link left out."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from rotation.accounts.links import send_password_link
from rotation.assignments.models import PUBLISHED, Assignment
from rotation.attendance.links import queue_attendance_requests
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import (
    ATTENDANCE,
    CANCELLATION,
    FAILED,
    INVITATION,
    PROBLEM_NEWS,
    QUEUED,
    RESET_PASSWORD,
    SENT,
    SET_PASSWORD,
    OutboxMessage,
)
from rotation.sites.models import Slot
from tests.helpers import count_queries, csrf_token

MONDAY = date(2031, 3, 3)
REPLY = "550 5.1.1 <ann@example.com>: Recipient address rejected: User unknown in virtual mailbox table"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def facts(response) -> dict[str, str]:
    """The page's facts (its <dl>) as a person reads them, whitespace collapsed."""
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", response.get_data(as_text=True), re.S)
    return {name: html.unescape(" ".join(re.sub(r"<[^>]+>", " ", value).split())) for name, value in pairs}


def stored(purpose: str) -> OutboxMessage:
    """The newest message of ``purpose``."""
    return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.purpose == purpose)
                              .order_by(OutboxMessage.id.desc()).limit(1)).one()


@pytest.fixture
def ann_shift(make_site, make_person) -> Assignment:
    """Ann Aalto's published customer-service day at Helsinki."""
    site = make_site(code="HEL-CC", name="Helsinki contact centre")
    slot = Slot(site=site, kind="customer_service", first_day=MONDAY, last_day=MONDAY, seats=2,
                starts_at=datetime(2031, 3, 3, 7, tzinfo=UTC), ends_at=datetime(2031, 3, 3, 15, tzinfo=UTC))
    db.session.add(slot)
    db.session.commit()
    person = make_person(full_name="Ann Aalto", email="ann@example.com", in_rotation=True)
    assignment = Assignment(person_id=person.id, slot_id=slot.id, year=2031, kind="customer_service",
                            status=PUBLISHED)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def calendar_message(assignment: Assignment, purpose: str = INVITATION, **values) -> OutboxMessage:
    row = OutboxMessage(purpose=purpose, recipient=values.pop("recipient", "ann@example.com"),
                        recipient_name="Ann Aalto", assignment_id=assignment.id, sequence=0, **values)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.mark.parametrize(("roles", "answer"), [((), 302), (("manager", "owner"), 403), (("admin",), 200),
                                               (("hr",), 200)])
def test_only_hr_and_administrators_open_a_message(client, login_as, make_person, roles, answer):
    make_person(email="lead@example.com", in_rotation=True)
    send_password_link("lead@example.com", SET_PASSWORD)
    db.session.commit()
    if roles:
        login_as(*roles)
    assert client.get(f"/outbox/{stored(SET_PASSWORD).id}").status_code == answer  # 302: to the log-in page
    assert client.get("/outbox/999999").status_code == (404 if answer == 200 else answer)


@pytest.mark.parametrize("purpose", [SET_PASSWORD, RESET_PASSWORD])
def test_a_password_link_shows_its_text_with_the_secret_left_out(client, login_as, make_person, purpose):
    make_person(full_name="Lea Lind", email="lead@example.com", in_rotation=True)
    token = send_password_link("lead@example.com", purpose)
    db.session.commit()
    login_as("hr")
    response = client.get(f"/outbox/{stored(purpose).id}")
    page = text(response)

    assert token not in response.get_data(as_text=True) and token not in page
    assert token[:12] not in page  # not even the secret's beginning
    shown = facts(response)
    assert shown["To"] == "Lea Lind <lead@example.com>"
    assert shown["Status"] == "Queued" and shown["Attempts"] == "0" and shown["Sent"] == "—"
    assert shown["Subject"] == ("Set your password for Rotation" if purpose == SET_PASSWORD else
                                stored(purpose).subject)
    assert "/password/…" in page  # the link is there, its secret is not
    assert "Hello Lea Lind," in page
    assert "The link's secret is left out (…): only Lea Lind may use the link." in page


def test_an_attendance_link_shows_its_text_with_the_secret_left_out(client, login_as, recent):
    queue_attendance_requests(utcnow())
    db.session.commit()
    message = stored(ATTENDANCE)
    token = re.search(r"/attendance/host/(\S+)", message.body_text).group(1)
    login_as("hr")
    response = client.get(f"/outbox/{message.id}")
    page = text(response)

    assert token not in page and token.split(".")[0] not in page
    assert "/attendance/host/…" in page
    assert facts(response)["Subject"] == message.subject
    assert "A link for the site's host to record attendance to Hanna Host" in page


def test_a_text_message_shows_its_subject_and_text_escaped(client, login_as):
    row = OutboxMessage(purpose=PROBLEM_NEWS, recipient="ann@example.com", recipient_name="Ann Aalto",
                        subject="News about a problem: <b>Scanner</b> jams",
                        body_text="The problem is now being fixed.\n\n<script>alert(1)</script>")
    db.session.add(row)
    db.session.commit()
    login_as("hr")
    response = client.get(f"/outbox/{row.id}")
    raw = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    page = text(response)
    assert facts(response)["Subject"] == "News about a problem: <b>Scanner</b> jams"
    assert "The problem is now being fixed." in page
    assert "left out" not in page  # nothing was secret


def test_an_invitation_shows_the_email_as_it_would_be_sent_now(client, login_as, ann_shift):
    row = calendar_message(ann_shift, status=SENT, attempts=1, sent_at=utcnow() - timedelta(days=1))
    login_as("hr")
    with count_queries() as queries:
        response = client.get(f"/outbox/{row.id}")
    assert response.status_code == 200
    assert len(queries) <= 12, "\n".join(query[:80] for query in queries)
    page = text(response)
    shown = facts(response)
    assert shown["What"] == "Invitation" and shown["Status"] == "Sent" and shown["Attempts"] == "1"
    assert shown["Sent"].endswith("UTC") and shown["Next attempt"] == "—"
    assert "Ann Aalto's customer-service day at HEL-CC (Helsinki contact centre)" in page
    assert "The e-mail as it would be sent now" in page
    assert "Helsinki contact centre" in shown["Subject"]
    assert "text/calendar" in page and "method=REQUEST" in page
    calendar = re.search(r'<pre class="email-text calendar-part">(.*?)</pre>', page, re.S).group(1)
    assert calendar.startswith("BEGIN:VCALENDAR") and "METHOD:REQUEST" in calendar
    assert "ATTENDEE" in calendar and "ann@example.com" in calendar


def test_a_cancellation_shows_its_calendar_part_and_a_message_that_cannot_be_made_says_why(
        client, login_as, ann_shift):
    cancellation = calendar_message(ann_shift, purpose=CANCELLATION)
    broken = calendar_message(ann_shift, recipient="not an address")
    login_as("hr")

    response = client.get(f"/outbox/{cancellation.id}")
    page = text(response)
    assert facts(response)["What"] == "Cancellation"
    assert "METHOD:CANCEL" in page and "method=CANCEL" in page

    page = text(client.get(f"/outbox/{broken.id}"))
    assert "This message cannot be made: The address 'not an address' is not a valid e-mail address" in page
    assert "BEGIN:VCALENDAR" not in page


def test_a_failed_message_shows_the_servers_reply_and_is_retried_from_its_page(client, login_as, ann_shift):
    row = calendar_message(ann_shift, status=FAILED, attempts=5, last_error=REPLY)
    login_as("hr")
    url = f"/outbox/{row.id}"
    response = client.get(url)
    page = text(response)
    assert "The mail server's reply" in page and REPLY in page
    assert facts(response)["Status"] == "Failed" and facts(response)["Attempts"] == "5"
    assert "Retry this message" in page

    response = client.post(f"{url}/retry", data={"csrf_token": csrf_token(page), "next": url})
    assert response.status_code == 302 and response.headers["Location"] == url
    response = client.get(url)
    again = text(response)
    assert "The message to ann@example.com is queued again and goes out on the next run." in again
    assert facts(response)["Status"] == "Queued" and facts(response)["Next attempt"].endswith("UTC")
    assert "Retry this message" not in again
    assert "The mail server's reply to the last attempt" in again  # kept while it waits
    db.session.expire_all()
    assert db.session.get_one(OutboxMessage, row.id).status == QUEUED


def test_each_line_of_the_list_opens_its_message(client, login_as, ann_shift):
    row = calendar_message(ann_shift)
    login_as("hr")
    page = client.get("/outbox/").get_data(as_text=True)
    assert f'<a href="/outbox/{row.id}"><strong>Invitation</strong></a>' in page
