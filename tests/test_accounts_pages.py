"""An administrator's day with accounts in the browser: a new account whose person is e-mailed a link, an
account's page with its roles, its link, its sign-ins and disabling it; nobody else gets in."""
from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.extensions import db
from rotation.outbox.models import QUEUED, SET_PASSWORD, SUPERSEDED, OutboxMessage
from rotation.process_map.services import add_area
from tests.helpers import PASSWORD, csrf_token


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field: str) -> str:
    match = re.search(rf'<small id="{field}-error" class="field-error">(.*?)</small>', page, re.S)
    return " ".join(match.group(1).split()) if match else ""


def ticked(page: str) -> list[str]:
    """The roles ticked on a page's roles form."""
    boxes = re.findall(r'<input [^>]*name="roles"[^>]*>', page)
    return [value for box in boxes if " checked" in box for value in re.findall(r'value="(\w+)"', box)]


def outbox() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        sa.select(OutboxMessage.purpose, OutboxMessage.recipient, OutboxMessage.status).order_by(OutboxMessage.id))]


class Browser:
    """A browser of its own (its cookies), each request in a fresh application context as a server runs it, so
    two people can be signed in at once."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()

    def get(self, url):
        with self.app.app_context():
            return self.client.get(url)

    def post(self, url, data, page="/"):
        token = csrf_token(self.get(page).get_data(as_text=True))
        with self.app.app_context():
            return self.client.post(url, data={"csrf_token": token, **data})

    def sign_in(self, email):
        assert self.post("/login", {"email": email, "password": PASSWORD}, page="/login").status_code == 302


@pytest.mark.parametrize("role", ["hr", "manager", "owner"])
def test_only_administrators_reach_the_account_pages(client, login_as, post_form, make_user, role):
    login_as(role)
    other = make_user(roles=["hr"])
    for url in ("/accounts/new", "/accounts/new?role=owner", f"/accounts/{other.id}"):
        assert client.get(url).status_code == 403, url
    for url, data in ((("/accounts/new", {"email": "x@example.com", "roles": "admin"})),
                      (f"/accounts/{other.id}/roles", {"roles": "admin"}),
                      (f"/accounts/{other.id}/password-link", {})):
        assert post_form(url, data, page="/account").status_code == 403, url
    assert outbox() == []
    db.session.expire_all()
    assert db.session.get(User, other.id).roles == ["hr"]
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_every_change_needs_the_forms_token(client, login_as, make_user):
    login_as("admin")
    other = make_user(roles=["hr"])
    assert client.post("/accounts/new", data={"email": "x@example.com", "roles": "hr"}).status_code == 400
    assert client.post(f"/accounts/{other.id}/roles", data={"roles": "admin"}).status_code == 400
    assert client.post(f"/accounts/{other.id}/password-link").status_code == 400
    assert outbox() == []


def test_an_administrator_creates_a_process_owner_who_is_sent_a_link(client, login_as, post_form):
    login_as("admin")
    form = text(client.get("/accounts/new?role=owner"))
    assert "The person gets an e-mail at this address with a link to set their password; it works once,\n" \
           "      for 7 days." in form
    assert ticked(form) == ["owner"]
    assert "Triages what is observed in the process areas they own" in form
    response = post_form("/accounts/new?role=owner",
                         {"email": "Olli.Laine@example.com", "name": "Olli Laine", "roles": ["owner", "hr"]})
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "olli.laine@example.com"))
    assert response.headers["Location"] == f"/accounts/{user.id}"
    page = text(client.get(response.headers["Location"]))
    assert "Account created for olli.laine@example.com; the link to set a password is on its way (it works " \
           "once, for 7 days)." in page
    assert "No password chosen yet: they cannot sign in until they use a link." in page
    assert ticked(page) == ["hr", "owner"]
    assert outbox() == [(SET_PASSWORD, "olli.laine@example.com", QUEUED)]
    elsewhere = post_form("/accounts/new?next=https://evil.example/", {"email": "bo@example.com", "roles": "hr"})
    assert elsewhere.headers["Location"].startswith("/accounts/")  # never another site


def test_from_the_process_map_the_new_owner_is_back_on_the_area_page(client, login_as, post_form):
    area = add_area("Customer service", None, None)
    db.session.commit()
    login_as("admin")
    area_page = text(client.get(f"/process-map/areas/{area.id}"))
    assert "users create" not in area_page
    link = re.search(r'Make someone a process owner: <a href="([^"]+)">create\s+their account</a> or '
                     r'<a href="/accounts">give an existing account the Process owner\s+role</a>', area_page)
    assert link, area_page
    response = post_form(link.group(1), {"email": "olli@example.com", "roles": "owner"})
    assert response.headers["Location"] == f"/process-map/areas/{area.id}"
    back = text(client.get(response.headers["Location"]))
    assert "Account created for olli@example.com" in back
    assert '<option value="' in back and "olli@example.com" in back  # now offered as an owner


def test_a_used_or_invalid_address_and_no_role_are_refused_beside_their_fields(client, login_as, post_form,
                                                                                  make_user):
    login_as("admin")
    make_user(email="hanna@example.com", roles=["hr"])
    used = post_form("/accounts/new", {"email": "Hanna@Example.com", "roles": "owner"})
    assert used.status_code == 200
    assert field_error(text(used), "email") == ("hanna@example.com already has an account; open it from the list "
                                                "of accounts to change it.")
    assert ticked(text(used)) == ["owner"]  # what was chosen is kept
    wrong = text(post_form("/accounts/new", {"email": "hanna(at)example.com", "name": "Hanna"}))
    assert "is not a valid e-mail address" in field_error(wrong, "email")
    assert field_error(wrong, "roles") == ("Give at least one role: an account outside the rotation could do "
                                           "nothing without one.")
    nobody = text(post_form("/accounts/new", {"email": "new@example.com"}))
    assert field_error(nobody, "roles").startswith("Give at least one role: new@example.com is not a manager")
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2 and outbox() == []


def test_a_role_change_takes_effect_on_the_next_page_and_signs_nobody_out(app, make_user):
    admin, hanna = make_user(roles=["admin"]), make_user(roles=["hr"], email="hanna@example.com")
    desk, hers = Browser(app), Browser(app)
    desk.sign_in(admin.email)
    hers.sign_in(hanna.email)
    assert hers.get("/people").status_code == 200 and hers.get("/process-map/areas/new").status_code == 403

    page = text(desk.get(f"/accounts/{hanna.id}"))
    assert ticked(page) == ["hr"]
    response = desk.post(f"/accounts/{hanna.id}/roles", {"roles": ["owner", "admin"]}, page=f"/accounts/{hanna.id}")
    assert response.status_code == 302
    assert "Saved: hanna@example.com now holds Process owner, Administrator. It takes effect on their next page; " \
           "they stay signed in." in text(desk.get(f"/accounts/{hanna.id}"))
    assert hers.get("/people").status_code == 403
    assert hers.get("/process-map/areas/new").status_code == 200


def test_an_administrator_keeps_their_own_role_and_account(app, make_user):
    admin = make_user(roles=["admin"], email="ada@example.com")
    make_user(roles=["admin"])
    desk = Browser(app)
    desk.sign_in(admin.email)
    mine = text(desk.get(f"/accounts/{admin.id}"))
    assert "you cannot remove your own Administrator role or disable it" in mine
    assert "Disable this account" not in mine
    response = desk.post(f"/accounts/{admin.id}/roles", {"roles": "hr"}, page=f"/accounts/{admin.id}")
    assert response.status_code == 200
    assert field_error(text(response), "roles") == \
        "You cannot remove your own Administrator role; ask another administrator."
    assert desk.get("/accounts").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, admin.id).roles == ["admin"]


def test_a_manager_in_the_rotation_may_hold_no_other_role(client, login_as, post_form, make_user, make_person):
    boss = make_person(email="ceo@example.com")
    make_person(manager=boss)
    ceo = make_user(roles=["owner"], email="ceo@example.com")
    login_as("admin")
    page = text(client.get(f"/accounts/{ceo.id}"))
    assert "ceo@example.com</span> is in the rotation, so they are a Manager whether or not that box is ticked." \
        in page
    assert post_form(f"/accounts/{ceo.id}/roles", {}, page=f"/accounts/{ceo.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, ceo.id).roles == ["manager"]


def test_the_account_page_sends_a_new_link_and_signs_out_and_disables(client, login_as, post_form, make_user):
    login_as("admin")
    olli = make_user(roles=["owner"], email="olli@example.com", password=None)
    here = f"/accounts/{olli.id}"
    assert post_form(f"{here}/password-link", {}, page=here).headers["Location"] == here
    assert post_form(f"{here}/password-link", {}, page=here).status_code == 302
    page = text(client.get(here))
    assert "A link to set a password is on its way to olli@example.com; it works once, for 7 days." in page
    assert "A link sent" in page and "works until" in page
    assert outbox() == [(SET_PASSWORD, "olli@example.com", SUPERSEDED), (SET_PASSWORD, "olli@example.com", QUEUED)]

    asked = text(post_form(f"{here}/disable", {"next": here}, page=here))
    assert "Disable the account of olli@example.com?" in asked
    assert post_form(f"{here}/disable", {"next": here, "confirmed": "yes"}, page=here).headers["Location"] == here
    page = text(client.get(here))
    assert "This account is disabled: it cannot sign in." in page and "Send a link to set a password" not in page
    assert post_form(f"{here}/enable", {"next": here}, page=here).headers["Location"] == here


def test_the_pages_no_longer_send_administrators_to_the_command_line(client, login_as, make_user):
    admin = login_as("admin")
    listing = client.get("/accounts").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    for page in (listing, home):
        assert "users create" not in page and 'href="/accounts/new"' in page
    assert f'<a href="/accounts/{admin.id}" class="wrap-anywhere">{admin.email}</a>' in listing
    assert client.get("/accounts/999999").status_code == 404
