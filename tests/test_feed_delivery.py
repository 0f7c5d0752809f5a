"""Choosing how shifts reach your calendar: invitations by e-mail, the subscribed calendar (feed), or both."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from rotation.assignments.changes import move_assignment, valid_slots
from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.feeds import services
from rotation.feeds.models import FeedToken
from rotation.outbox.models import CANCELLATION, INVITATION, QUEUED, SUPERSEDED, OutboxMessage
from rotation.people.models import Person
from rotation.plans.runs import plan_run, start_run
from tests.fixtures.clock import next_year
from tests.helpers import count_queries

TOKEN_IN_LINK = re.compile(r"/calendar/([A-Za-z0-9_-]{43})\.ics")


def text(response) -> str:
    """The page as a person reads it: entities decoded, whitespace collapsed (tags kept)."""
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def choice_of(person: Person) -> str | None:
    return db.session.scalar(sa.select(Person.calendar_delivery).where(Person.id == person.id))


def choose(post_form, choice: str | None):
    return post_form("/calendar/delivery", {} if choice is None else {"calendar_delivery": choice}, page="/calendar")


def publish() -> None:
    plan_run(start_run(next_year(), None, "command", publish=True), not_before=date(next_year(), 1, 1), publish=True)
    db.session.commit()


def calendar_messages(person: Person) -> list[tuple[str, str]]:
    """(purpose, status) of every invitation and cancellation about the person's shifts, oldest first."""
    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.purpose, OutboxMessage.status)
        .join(Assignment, Assignment.id == OutboxMessage.assignment_id)
        .where(Assignment.person_id == person.id, OutboxMessage.purpose.in_((INVITATION, CANCELLATION)))
        .order_by(OutboxMessage.id))]


def shifts_of(person: Person) -> list[Assignment]:
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.person_id == person.id)
                                   .order_by(Assignment.id)))


def moved(assignment: Assignment) -> None:
    move_assignment(assignment, valid_slots(assignment)[0].slot, None)
    db.session.commit()


@pytest.fixture
def ann(five_managers, login_as):
    """Ann, one of five managers (nothing published yet), signed in."""
    person = five_managers["managers"][0]
    login_as("manager", email=person.email)
    return person


# --- the page --------------------------------------------------------------------------------------


def test_the_page_says_plainly_what_each_way_means(client, ann):
    page = text(client.get("/calendar"))
    assert "How your shifts reach your calendar" in page and "Now: <strong>Invitations by e-mail</strong>" in page
    assert re.search(r'value="email"[^>]*checked|checked[^>]*value="email"', page)
    for words in (
        "Each shift arrives as an e-mail invitation that your calendar app adds; you accept or decline it there",
        "Your calendar app subscribes to your calendar link and refreshes it by itself, about every hour",
        "with no e-mails",
        "New calendar invitations and updates by e-mail stop; reminders and other e-mails still come.",
        "You have no calendar link yet: saving creates it.",
        "A calendar app that does not merge them shows each shift twice.",
        "Switching back to invitations by e-mail sends nothing at once: the next time one of your shifts is "
        "published, moved or cancelled, Rotation e-mails you an invitation for it again.",
    ):
        assert words in page, words
    assert "Google Calendar every 8 to 24 hours" in page


def test_choosing_the_feed_creates_the_link_at_once_and_says_what_happens_now(client, post_form, ann):
    answer = choose(post_form, "feed")
    assert answer.status_code == 200
    page = text(answer)
    assert choice_of(ann) == "feed"
    assert ("Saved: subscribed calendar only. No more invitations or updates by e-mail (reminders and other e-mails "
            "still come)") in page
    assert "Copy your new calendar link below into your calendar app." in page and "Copy it now." in page
    token = TOKEN_IN_LINK.search(page).group(1)
    assert client.get(f"/calendar/{token}.ics").status_code == 200

    later = text(client.get("/calendar"))
    assert "Now: <strong>Subscribed calendar (feed)</strong>" in later
    assert re.search(r'value="feed"[^>]*checked|checked[^>]*value="feed"', later)
    assert "Uses your calendar link." in later and token not in later  # the link is shown once only


def test_the_page_warns_while_no_app_has_fetched_a_feed_only_link(client, post_form, ann):
    token = TOKEN_IN_LINK.search(text(choose(post_form, "feed"))).group(1)
    assert "until you subscribe to it, your shifts reach no calendar" in text(client.get("/calendar"))
    client.get(f"/calendar/{token}.ics")
    assert "your shifts reach no calendar" not in text(client.get("/calendar"))


def test_choosing_both_with_a_link_keeps_it_and_redirects_with_the_news(client, post_form, ann):
    token = services.issue_token(ann)
    db.session.commit()
    answer = choose(post_form, "both")
    assert answer.status_code == 302 and answer.headers["Location"] == "/calendar"
    assert choice_of(ann) == "both"
    page = text(client.get("/calendar"))
    assert "Saved: both. Invitations come by e-mail and your calendar link shows your shifts too" in page
    assert client.get(f"/calendar/{token}.ics").status_code == 200  # the same link, not a new one
    assert db.session.scalar(sa.select(sa.func.count(FeedToken.id))) == 1
    choose(post_form, "both")
    assert "Nothing to change: your choice was already “Both”." in text(client.get("/calendar"))

    choose(post_form, "email")
    assert choice_of(ann) == "email"
    assert "Saved: invitations by e-mail." in text(client.get("/calendar"))


@pytest.mark.parametrize("sent", ["fax", "", None, "Feed"])
def test_a_bad_choice_is_refused_beside_the_field_and_nothing_is_written(client, post_form, ann, sent):
    answer = choose(post_form, sent)
    assert answer.status_code == 200
    page = text(answer)
    assert ('<small id="calendar_delivery-error" class="field-error">Choose one of the three: invitations by '
            "e-mail, the subscribed calendar (feed), or both.</small>") in page
    assert 'aria-describedby="calendar_delivery-error"' in page
    db.session.expire_all()
    assert choice_of(ann) == "email"
    assert db.session.scalar(sa.select(sa.func.count(FeedToken.id))) == 0
    assert "Saved" not in page


def test_the_choice_needs_the_form_token(client, ann):
    assert client.post("/calendar/delivery", data={"calendar_delivery": "feed"}).status_code == 400
    assert choice_of(ann) == "email"


# --- what is queued --------------------------------------------------------------------------------


def test_only_people_who_want_e_mail_get_invitations_when_a_plan_is_published_or_a_shift_moves(five_managers):
    ann, bo, cai = five_managers["managers"][:3]
    for person, choice in ((ann, "feed"), (bo, "both")):
        services.choose_delivery(person, choice)
    db.session.commit()

    publish()
    assert calendar_messages(ann) == []
    assert calendar_messages(bo) == [(INVITATION, QUEUED)] * len(shifts_of(bo))
    assert calendar_messages(cai) == [(INVITATION, QUEUED)] * len(shifts_of(cai))
    assert db.session.scalar(sa.select(sa.func.count()).where(Assignment.notice.is_not(None))) == 0  # all consumed

    moved(shifts_of(ann)[0])
    moved(shifts_of(cai)[0])
    assert calendar_messages(ann) == []
    assert calendar_messages(cai)[-1] == (INVITATION, QUEUED)
    assert db.session.scalar(sa.select(sa.func.count()).where(Assignment.notice.is_not(None))) == 0


def test_back_to_e_mail_the_next_change_sends_an_invitation_again(five_managers):
    ann = five_managers["managers"][0]
    services.choose_delivery(ann, "feed")
    db.session.commit()
    publish()
    first, *_ = shifts_of(ann)

    services.choose_delivery(ann, "email")
    db.session.commit()
    assert calendar_messages(ann) == []  # nothing at once: no backlog of the changes made meanwhile
    moved(first)
    assert calendar_messages(ann) == [(INVITATION, QUEUED)]


def test_choosing_the_feed_alone_stops_the_invitations_still_queued(five_managers):
    ann, bo = five_managers["managers"][:2]
    publish()
    assert calendar_messages(ann) and calendar_messages(bo)

    services.choose_delivery(ann, "feed")
    db.session.commit()
    assert {status for _, status in calendar_messages(ann)} == {SUPERSEDED}
    assert {status for _, status in calendar_messages(bo)} == {QUEUED}  # nobody else's


def test_hr_sees_the_persons_choice_on_their_page(client, login_as, five_managers):
    ann = five_managers["managers"][0]
    services.choose_delivery(ann, "both")
    db.session.commit()
    login_as("hr")
    with count_queries() as queries:
        page = text(client.get(f"/people/{ann.id}"))
    assert "<dt>Calendar</dt> <dd>Invitations by e-mail and the subscribed calendar (feed)</dd>" in page
    assert not any("feed_token" in query for query in queries)  # read with the person, at no extra cost
