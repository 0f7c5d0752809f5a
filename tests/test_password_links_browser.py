"""Password links in the browser: a new manager follows the e-mailed link, and someone who forgot theirs
asks for one; HR sees both e-mails in the outbox. On a desktop and a phone."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.accounts.links import send_password_link
from rotation.extensions import db
from rotation.outbox.models import FAILED, RESET_PASSWORD, SET_PASSWORD, OutboxMessage
from tests.helpers import PASSWORD, PHONE, menu_link, open_account_menu, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lamp tuesday frontline"
REPLY = "550 5.1.1 <lea.lead@example.com>: Recipient address rejected: User unknown in virtual mailbox table"


def screenshot(page, name: str) -> None:
    save_screenshot(page, f"password-links-{name}")


def fits_the_screen(page) -> bool:
    page.wait_for_load_state("load")  # measured with its style sheets applied
    return page_width(page) <= page.viewport_size["width"]


def emailed_link(recipient: str, purpose: str) -> str:
    """The path of the link in the newest e-mail of ``purpose`` to ``recipient``, as its reader would click it."""
    db.session.expire_all()
    body = db.session.scalar(sa.select(OutboxMessage.body_text).where(
        OutboxMessage.recipient == recipient, OutboxMessage.purpose == purpose).order_by(OutboxMessage.id.desc()))
    match = re.search(r"http://127\.0\.0\.1:5000(/password/\S+)", body or "")
    assert match, body
    return match.group(1)


def choose_password(page, password: str) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(password)
    page.get_by_role("button", name="Set password and sign in").click()


def test_a_new_manager_follows_the_link_and_lands_on_home(page, make_person):
    boss = make_person(full_name="Lea Lead", email="lea.lead@example.com", department="Logistics")
    make_person(manager=boss)
    token = send_password_link("lea.lead@example.com", SET_PASSWORD)
    db.session.commit()

    page.goto(f"/password/{token}")
    page.get_by_role("heading", name="Choose your password").wait_for()
    expect(page.get_by_label("E-mail")).to_have_value("lea.lead@example.com")
    choose_password(page, "short")
    page.locator("#new-error").get_by_text("Use at least 10 characters.").wait_for()
    screenshot(page, "set-password-error-desktop")
    choose_password(page, NEW_PASSWORD)
    page.get_by_text("Your password is set and you are signed in.").wait_for()
    page.get_by_role("heading", name="Your rotation").wait_for()
    assert page.get_by_text("Lea Lead, Logistics").is_visible()
    screenshot(page, "home-desktop")
    assert page.console_errors == []

    # The link is spent: it says so (a 404, which the console reports) and offers a new one.
    page.goto(f"/password/{token}")
    page.get_by_role("heading", name="This link does not work any more").wait_for()
    screenshot(page, "spent-link-desktop")
    page.get_by_role("button", name="Send me a new link").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()


def test_forgot_password_on_a_phone_then_hr_sees_the_outbox(page, make_person, make_user):
    page.set_viewport_size(PHONE)
    boss = make_person(full_name="Lea Lead", email="lea.lead@example.com", department="Logistics")
    make_person(manager=boss)
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()
    assert fits_the_screen(page)
    screenshot(page, "forgot-phone")
    page.get_by_label("E-mail").fill("Lea.Lead@example.com")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_text("If that address has an account or is in the roster, a link to set a password is on its way.") \
        .wait_for()
    page.get_by_role("heading", name="Sign in").wait_for()
    screenshot(page, "forgot-answer-phone")

    page.goto(emailed_link("lea.lead@example.com", SET_PASSWORD))
    page.get_by_role("heading", name="Choose your password").wait_for()
    assert fits_the_screen(page)
    screenshot(page, "set-password-phone")
    choose_password(page, NEW_PASSWORD)
    page.get_by_role("heading", name="Your rotation").wait_for()
    assert fits_the_screen(page)

    # Signed out, Lea forgets again: this time a reset link for the account she now has.
    open_account_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("lea.lead@example.com")
    page.get_by_role("button", name="Send me a link").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(emailed_link("lea.lead@example.com", RESET_PASSWORD))
    page.get_by_text("Choose a new password for your account.").wait_for()
    choose_password(page, "another lamp on tuesday")
    page.get_by_role("heading", name="Your rotation").wait_for()

    # HR sees both e-mails, never their links; a failed one shows the server's reply and can be retried.
    first = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.purpose == SET_PASSWORD))
    first.status, first.attempts, first.last_error = FAILED, 3, REPLY
    db.session.commit()
    hr = make_user(roles=["hr"], email="hr@example.com")
    open_account_menu(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, hr.email, PASSWORD)
    menu_link(page, "Outbox").click()
    page.get_by_role("heading", name="Outbox").wait_for()
    assert page.get_by_text("A link to reset a forgotten password").is_visible()
    assert page.get_by_text(REPLY).is_visible()
    assert "/password/" not in page.content()
    assert fits_the_screen(page)
    screenshot(page, "outbox-phone")
    page.get_by_role("button", name="Retry the message to lea.lead@example.com").click()
    page.get_by_text("is queued again and goes out on the next run").wait_for()
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "outbox-desktop")
    assert page.console_errors == []
