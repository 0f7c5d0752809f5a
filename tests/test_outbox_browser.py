"""HR in the browser: the outbox and HR's home warn that mail waits for a worker, repeated news is one line, and a
failed invitation is opened from the list, read and retried; on a laptop and on a phone."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import FAILED, INVITATION, PROBLEM_NEWS, QUEUED, OutboxMessage
from rotation.sites.models import Slot
from tests.helpers import DESKTOP, PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser

REPLY = ("550 5.1.1 <ann.aalto-virtanen@example.com>: Recipient address rejected: User unknown in virtual mailbox "
         "table (see https://support.example.com/mail/answer/6596?hl=en-GB&ref_topic=illegal-recipients)")


def look(page, name: str) -> None:
    """At 1280 and 390 px the page lays out without sideways scrolling; a screenshot of each."""
    for viewport, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(viewport)
        page.wait_for_load_state("load")
        assert page_width(page) <= viewport["width"], f"{name} overflows at {viewport['width']} px"
        save_screenshot(page, f"{name}_{label}")
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def failed_invitation(make_site, make_person, make_user) -> OutboxMessage:
    """Ann's invitation, refused by her mail server; six identical news e-mails to Bo waiting for a worker."""
    site = make_site(code="HEL-CC", name="Helsinki contact centre")
    monday = date(2031, 3, 3)
    slot = Slot(site=site, kind="customer_service", first_day=monday, last_day=monday, seats=2,
                starts_at=datetime(2031, 3, 3, 7, tzinfo=UTC), ends_at=datetime(2031, 3, 3, 15, tzinfo=UTC))
    db.session.add(slot)
    db.session.commit()
    ann = make_person(full_name="Ann Aalto-Virtanen", email="ann.aalto-virtanen@example.com", in_rotation=True)
    assignment = Assignment(person_id=ann.id, slot_id=slot.id, year=2031, kind="customer_service",
                            status=PUBLISHED)
    db.session.add(assignment)
    db.session.flush()
    message = OutboxMessage(purpose=INVITATION, recipient=ann.email, recipient_name=ann.full_name,
                            assignment_id=assignment.id, sequence=0, status=FAILED, attempts=5, last_error=REPLY)
    db.session.add(message)
    due = utcnow() - timedelta(minutes=40)
    db.session.execute(sa.insert(OutboxMessage), [
        {"purpose": PROBLEM_NEWS, "recipient": "bo.berg@example.com", "recipient_name": "Bo Berg",
         "subject": "News about a problem: Returns scanner at the Tampere warehouse jams on damaged labels",
         "body_text": "The problem is now being fixed.", "status": QUEUED, "created_at": due,
         "next_attempt_at": due} for _ in range(6)])
    db.session.commit()
    make_user(roles=["hr"], email="hr@example.com")
    return message


def test_hr_opens_a_failed_invitation_from_the_outbox_and_retries_it(page, failed_invitation):
    sign_in(page, "hr@example.com", PASSWORD)
    page.goto("/outbox/")
    page.get_by_role("heading", name="Outbox", level=1).wait_for()
    expect(page.get_by_text("6 messages wait to be sent and no background worker has run")).to_be_visible()
    page.get_by_text("×6").click()  # the repeated news opens on each message
    expect(page.locator("details.repeats li")).to_have_count(6)
    look(page, "outbox_list")

    page.get_by_role("link", name="Invitation", exact=True).click()
    page.get_by_role("heading", name="Invitation to Ann Aalto-Virtanen", level=1).wait_for()
    expect(page.get_by_text("Recipient address rejected")).to_be_visible()
    expect(page.locator("pre.calendar-part")).to_contain_text("METHOD:REQUEST")
    look(page, "outbox_message")
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Retry this message").click()
    expect(page.get_by_text("is queued again and goes out on the next run")).to_be_visible()
    expect(page.get_by_role("button", name="Retry this message")).to_have_count(0)
    look(page, "outbox_message_retried")

    db.session.expire_all()
    retried = db.session.get_one(OutboxMessage, failed_invitation.id)
    assert (retried.status, retried.attempts) == (QUEUED, 5)

    page.goto("/")  # HR's home says it too (the retried invitation waits as well), and leads to the outbox
    expect(page.get_by_text("7 messages wait to be sent and no background worker has run")).to_be_visible()
    look(page, "hr_home_mail_waits")
    page.get_by_role("link", name="See the outbox").click()
    page.get_by_role("heading", name="Outbox", level=1).wait_for()
