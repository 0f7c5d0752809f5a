"""The main paths through the pages, in headless Chromium."""
import pytest
from playwright.sync_api import expect

from tests.helpers import PASSWORD, PHONE, open_account_menu, page_width, sign_in

pytestmark = pytest.mark.browser

ROLE_HEADINGS = {"hr": "HR", "manager": "Your rotation", "owner": "Process owner", "admin": "Administrator"}


@pytest.mark.parametrize("role", sorted(ROLE_HEADINGS))
def test_each_role_signs_in_and_sees_its_home_page(page, make_user, role):
    user = make_user(roles=[role], name=f"Test {role}")
    sign_in(page, user.email, PASSWORD)
    page.get_by_role("heading", name=f"Welcome, Test {role}").wait_for()
    assert page.get_by_role("heading", name=ROLE_HEADINGS[role], exact=True).is_visible()
    assert page.console_errors == []


def test_wrong_password_shows_a_message_and_keeps_the_email(page, make_user):
    user = make_user()
    sign_in(page, user.email, "wrong password")
    assert page.get_by_role("alert").inner_text() == "That e-mail and password do not match an account."
    assert page.get_by_label("E-mail").input_value() == user.email


def test_sign_in_and_out_with_the_keyboard_at_phone_width(page, make_user):
    user = make_user(roles=["manager", "owner"], name="Carla Esposito")
    page.set_viewport_size(PHONE)
    page.goto("/login")
    # The e-mail field has the focus once the page is shown; typing before that would go nowhere.
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    expect(page.get_by_label("E-mail")).to_have_value(user.email)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Welcome, Carla Esposito").wait_for()
    # Nothing wider than the phone's screen.
    assert page_width(page) <= PHONE["width"]
    open_account_menu(page, "Carla Esposito")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_text("You are signed out.").wait_for()


def test_a_manager_is_refused_an_admin_page(page, make_user):
    user = make_user(roles=["manager"])
    sign_in(page, user.email, PASSWORD)
    page.get_by_role("heading", name="Welcome").wait_for()
    response = page.goto("/accounts")
    assert response.status == 403
    assert page.get_by_role("heading", name="Not allowed").is_visible()


def test_admin_lists_accounts_by_role(page, make_user):
    admin = make_user(roles=["admin"])
    make_user(roles=["hr"], email="hanna@example.com")
    sign_in(page, admin.email, PASSWORD)
    page.get_by_role("link", name="HR", exact=True).click()
    assert page.get_by_role("cell", name="hanna@example.com", exact=True).is_visible()
    assert not page.get_by_role("cell", name=admin.email, exact=True).is_visible()
