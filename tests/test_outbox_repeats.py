"""HR's outbox list: identical messages to one person show as one line that opens on each of them."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import sqlalchemy as sa

from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import FAILED, PROBLEM_NEWS, QUEUED, SENT, OutboxMessage
from tests.helpers import count_queries, next_page_url

NEWS = "News about a problem to someone following it"
SCANNER = "News about a problem: Scanner jams"


def news(count: int, recipient: str = "ann@example.com", subject: str = SCANNER, status: str = QUEUED,
         **values) -> list[int]:
    """``count`` identical news e-mails to ``recipient``; their ids, oldest first."""
    rows = [{"purpose": PROBLEM_NEWS, "recipient": recipient, "recipient_name": recipient.split("@")[0].title(),
             "subject": subject, "body_text": "The problem's status changed.", "status": status, **values}
            for _ in range(count)]
    db.session.execute(sa.insert(OutboxMessage), rows)
    db.session.commit()
    return list(db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.recipient == recipient, OutboxMessage.subject == subject,
                                          OutboxMessage.status == status).order_by(OutboxMessage.id)))


def lines(page: str) -> list[str]:
    """Each line of the list as a person reads it before opening anything, whitespace collapsed."""
    body = page.split("<tbody>", 1)[1] if "<tbody>" in page else ""
    shown = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        closed = re.sub(r"<ol>.*?</ol>", " ", row, flags=re.S)  # what a closed <details> hides
        shown.append(html.unescape(" ".join(re.sub(r"<[^>]+>", " ", closed).split())))
    return shown


def opened(page: str) -> list[list[str]]:
    """The messages each repeated line opens on: the addresses of their pages."""
    return [re.findall(r'href="(/outbox/\d+)"', group) for group in re.findall(r"<ol>(.*?)</ol>", page, re.S)]


def test_identical_messages_to_one_person_are_one_line_that_opens_on_each(client, login_as):
    six = news(6)
    other_problem = news(1, subject="News about a problem: Printer out of toner")
    bo = news(1, recipient="bo@example.com")
    login_as("hr")

    page = client.get("/outbox/").get_data(as_text=True)
    assert [line.split(" Queued 0 ")[0] for line in lines(page)] == [
        f"Bo bo@example.com {NEWS} {SCANNER}",
        f"Ann ann@example.com {NEWS} News about a problem: Printer out of toner",
        f"Ann ann@example.com {NEWS} ×6 {SCANNER}",
    ]
    assert opened(page) == [[f"/outbox/{message_id}" for message_id in reversed(six)]]  # newest first
    assert f'href="/outbox/{bo[0]}"' in page and f'href="/outbox/{other_problem[0]}"' in page
    assert "Showing 1–8 of 8 messages." in html.unescape(page)  # the summary still counts messages
    assert page.count('<details class="repeats">') == 1


def test_sent_messages_repeat_only_on_the_same_day_and_failed_ones_stand_alone(client, login_as):
    now = utcnow()
    today = news(2, status=SENT, attempts=1, sent_at=now)
    news(1, status=SENT, attempts=1, sent_at=now - timedelta(days=2))
    failed = news(2, status=FAILED, attempts=5, last_error="550 No such user")
    login_as("hr")

    page = client.get("/outbox/").get_data(as_text=True)
    shown = lines(page)
    assert [line.split(" ann@example.com ")[1].split(" 5 —")[0] for line in shown if "Failed" in line] == \
        [f"{NEWS} {SCANNER} Failed"] * 2  # each failed message with its own reply and Retry button
    assert page.count('aria-label="Retry the message to ann@example.com"') == 2
    sent = [line.split(" ann@example.com ")[1].split(" — ")[0] for line in shown if " Sent " in line]
    assert set(sent) == {f"{NEWS} ×2 {SCANNER} Sent 1", f"{NEWS} {SCANNER} Sent 1"}  # two days ago: apart
    assert opened(page) == [[f"/outbox/{today[1]}", f"/outbox/{today[0]}"]]
    assert all(f'href="/outbox/{message_id}"' in page for message_id in failed)


def test_repeats_keep_the_pages_and_their_queries(client, login_as):
    login_as("hr")
    news(6)

    def queries() -> tuple[int, str]:
        with count_queries() as statements:
            response = client.get("/outbox/")
        return len(statements), response.get_data(as_text=True)

    queries()  # the first view also looks up the signed-in account and counts the statuses
    few, _ = queries()
    news(54)
    queries()  # messages were written: the counts are made again
    many, page = queries()
    assert many == few
    assert lines(page)[0].startswith(f"Ann ann@example.com {NEWS} ×50 {SCANNER} Queued")
    assert "Showing 1–50 of 60 messages." in html.unescape(page)
    following = client.get(next_page_url(page)).get_data(as_text=True)
    assert lines(following)[0].startswith(f"Ann ann@example.com {NEWS} ×10 {SCANNER}")
    assert "Showing 51–60 of 60 messages." in html.unescape(following)
