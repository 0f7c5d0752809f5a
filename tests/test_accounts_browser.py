"""An administrator makes someone a process owner in the browser, then changes their roles: on a desktop and a
phone, nothing wider than the screen."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.accounts.models import User
from rotation.extensions import db
from rotation.outbox.models import SET_PASSWORD, OutboxMessage
from tests.helpers import DESKTOP, PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_administrator_creates_a_process_owner_and_changes_their_roles(page, make_user, size):
    viewport = DESKTOP if size == "desktop" else PHONE
    page.set_viewport_size(viewport)
    page.emulate_media(reduced_motion="reduce")  # the screenshots show a ticked box ticked, not half-way
    make_user(roles=["admin"], email="ada@example.com", name="Ada Lindqvist")
    sign_in(page, "ada@example.com", PASSWORD)
    page.get_by_role("heading", name="Welcome, Ada Lindqvist").wait_for()
    page.goto("/accounts")
    page.get_by_role("link", name="New account").first.click()

    page.get_by_role("heading", name="New account").wait_for()
    expect(page.get_by_text("The person gets an e-mail at this address with a link to set their password; it "
                            "works once, for 7 days.")).to_be_visible()
    page.get_by_label("E-mail").fill("olli.laine@example.com")
    page.get_by_label("Name").fill("Olli Laine")
    page.get_by_role("checkbox", name="Process owner").check()
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"accounts-new-{size}")
    page.get_by_role("button", name="Create the account and send the link").click()

    page.get_by_role("heading", name="Olli Laine").wait_for()
    expect(page.get_by_text("Account created for olli.laine@example.com; the link to set a password is on its way"))\
        .to_be_visible()
    expect(page.get_by_text("No password chosen yet")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Process owner")).to_be_checked()
    expect(page.get_by_role("checkbox", name="HR")).not_to_be_checked()
    page.get_by_role("checkbox", name="HR").check()
    page.get_by_role("checkbox", name="Process owner").uncheck()
    page.get_by_role("checkbox", name="Administrator").check()
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"accounts-detail-{size}")
    page.get_by_role("button", name="Save roles").click()

    expect(page.get_by_text("Saved: olli.laine@example.com now holds HR, Administrator. It takes effect on their "
                            "next page; they stay signed in.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Administrator")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Process owner")).not_to_be_checked()
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"accounts-saved-{size}")

    page.get_by_role("link", name="Back to the accounts").click()
    expect(page.get_by_role("link", name="olli.laine@example.com")).to_be_visible()
    assert page_width(page) <= viewport["width"]
    save_screenshot(page, f"accounts-list-{size}")

    db.session.expire_all()
    olli = db.session.scalar(sa.select(User).where(User.email == "olli.laine@example.com"))
    assert olli is not None and olli.password_hash is None and olli.roles == ["hr", "admin"]
    assert db.session.execute(sa.select(OutboxMessage.purpose, OutboxMessage.recipient)).all() == [
        (SET_PASSWORD, "olli.laine@example.com")]
