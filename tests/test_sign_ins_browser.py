"""Your account in the browser: a manager signed in on a laptop and a phone sees both devices and signs the
phone out from the laptop; an administrator signs an account out everywhere. On a desktop and a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser


def screenshot(page, name: str) -> None:
    save_screenshot(page, f"sign-ins-{name}")


def test_a_manager_signs_a_lost_phone_out_from_the_laptop(page, chromium, live_server, make_user):
    user = make_user(email="maria@example.com", name="Maria Jansen")
    phone_context = chromium.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True,
                                         user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                                                    "(KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36")
    phone = phone_context.new_page()
    try:
        sign_in(phone, user.email, PASSWORD)
        phone.get_by_text("Welcome, Maria Jansen").wait_for()

        sign_in(page, user.email, PASSWORD)
        page.locator("summary", has_text="Maria Jansen").click()  # the account menu
        page.get_by_role("link", name="Your account").click()
        page.get_by_role("heading", name="Where you are signed in").wait_for()
        devices = page.locator(".sign-in")
        expect(devices).to_have_count(2)
        expect(page.locator(".sign-in", has=page.locator(".badge", has_text="This device"))) \
            .to_contain_text("Chrome on Linux")
        lost = page.locator(".sign-in", has_text="Chrome on Android")
        expect(lost).to_contain_text("from 127.0.0.1")
        screenshot(page, "account-desktop")
        lost.get_by_role("button", name="Sign out", exact=True).click()
        page.get_by_text("That device is signed out.").wait_for()
        expect(devices).to_have_count(1)

        phone.reload()
        phone.get_by_role("button", name="Sign in").wait_for()
        sign_in(phone, user.email, PASSWORD)
        phone.goto("/account")
        phone.get_by_role("heading", name="Where you are signed in").wait_for()
        assert page_width(phone) <= PHONE["width"]
        screenshot(phone, "account-phone")
    finally:
        phone_context.close()


def test_an_administrator_signs_an_account_out_everywhere(page, make_user, chromium, live_server):
    make_user(roles=["admin"], email="admin@example.com")
    maria = make_user(email="maria@example.com")
    other = chromium.new_context(base_url=live_server.url)
    hers = other.new_page()
    try:
        sign_in(hers, maria.email, PASSWORD)
        hers.get_by_role("link", name="My rotation").first.wait_for()
        sign_in(page, "admin@example.com", PASSWORD)
        page.goto("/accounts")
        row = page.locator("tr", has_text="maria@example.com")
        expect(row).to_contain_text("1 device")
        row.get_by_role("button", name="Sign out everywhere").click()
        page.get_by_text("maria@example.com is signed out on 1 device.").wait_for()
        expect(page.locator("tr", has_text="maria@example.com")).to_contain_text("no device")
        screenshot(page, "accounts-desktop")
        hers.reload()
        hers.get_by_role("button", name="Sign in").wait_for()
    finally:
        other.close()
