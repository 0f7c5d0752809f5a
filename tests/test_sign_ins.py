"""Sign-ins people can end: log-out, a password change, an administrator and leaving end every copy of the
cookies; the account page lists each device; "Keep me signed in" is a secret of its own, renewed on use."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.accounts import links, sign_ins
from rotation.accounts.models import SignIn
from rotation.db import utcnow
from rotation.extensions import db
from rotation.feeds import services as feeds
from rotation.feeds.models import FeedToken
from rotation.outbox.models import RESET_PASSWORD
from rotation.people.models import Person
from tests.helpers import PASSWORD, csrf_token
from tests.imports_helpers import PEOPLE, SITES, run_import

PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Mobile Safari/537.36")
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


class _Browser:
    """A browser of its own: its cookies, one User-Agent, and each request in a fresh application context, as a
    server runs it (the test's own context would otherwise carry who was signed in from request to request)."""

    def __init__(self, app, user_agent: str):
        self.app = app
        self.client = app.test_client()
        self.user_agent = user_agent

    def get(self, url, **kwargs):
        with self.app.app_context():
            return self.client.get(url, headers={"User-Agent": self.user_agent}, **kwargs)

    def post(self, url, data, page=None, **kwargs):
        token = csrf_token(self.get(page or url).get_data(as_text=True))
        with self.app.app_context():
            return self.client.post(url, data={"csrf_token": token, **data},
                                    headers={"User-Agent": self.user_agent}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD, remember: bool = False):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        response = self.post("/login", data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    def signed_in(self) -> bool:
        return self.get("/").status_code == 200

    def cookie(self, name: str) -> str | None:
        return cookie(self.client, name)

    def copy_to(self, other: "_Browser", name: str = "session") -> None:
        other.client.set_cookie(name, self.cookie(name))


def test_signing_out_ends_a_copied_session_cookie(app, make_user):
    user = make_user()
    mine, thief = _Browser(app, LAPTOP), _Browser(app, PHONE)
    mine.sign_in(user.email)
    mine.copy_to(thief)
    assert thief.signed_in()
    assert mine.post("/logout", {}, page="/").status_code == 302
    assert not mine.signed_in()
    assert not thief.signed_in()
    ended = db.session.scalar(sa.select(SignIn).where(SignIn.user_id == user.id))
    assert ended.ended_because == sign_ins.SIGNED_OUT


def test_the_remember_cookie_is_new_at_each_sign_in_and_ends_with_the_sign_out(app, make_user):
    user = make_user()
    first, second = _Browser(app, LAPTOP), _Browser(app, PHONE)
    first.sign_in(user.email, remember=True)
    second.sign_in(user.email, remember=True)
    assert first.cookie("remember_token") and second.cookie("remember_token")
    assert first.cookie("remember_token") != second.cookie("remember_token")
    # The remember cookie alone (the browser was closed) signs in again ...
    kept = _Browser(app, LAPTOP)
    first.copy_to(kept, "remember_token")
    assert kept.signed_in()
    # ... until that sign-in is signed out.
    stolen = _Browser(app, LAPTOP)
    first.copy_to(stolen, "remember_token")
    first.post("/logout", {}, page="/")
    assert not stolen.signed_in()
    assert second.signed_in()  # the other device stays signed in


def test_a_remember_cookie_is_replaced_when_it_is_used_and_the_old_one_soon_stops(app, make_user, monkeypatch):
    user = make_user()
    closed = _Browser(app, LAPTOP)
    closed.sign_in(user.email, remember=True)
    old = closed.cookie("remember_token")
    reopened = _Browser(app, LAPTOP)
    reopened.client.set_cookie("remember_token", old)
    assert reopened.signed_in()
    renewed = reopened.cookie("remember_token")
    assert renewed and renewed != old
    assert reopened.signed_in()
    # A copy of the old cookie works for a minute at most (tabs restored at once), then never again.
    later = utcnow() + sign_ins.ROTATION_GRACE + timedelta(seconds=5)
    monkeypatch.setattr("rotation.accounts.signed_in.utcnow", lambda: later)
    copy = _Browser(app, LAPTOP)
    copy.client.set_cookie("remember_token", old)
    assert not copy.signed_in()
    again = _Browser(app, LAPTOP)
    again.client.set_cookie("remember_token", renewed)
    assert again.signed_in()


def test_a_sign_in_unused_for_its_lifetime_ends(app, make_user, monkeypatch):
    user = make_user()
    browser, kept = _Browser(app, LAPTOP), _Browser(app, PHONE)
    browser.sign_in(user.email)
    kept.sign_in(user.email, remember=True)
    later = utcnow() + sign_ins.SIGNED_IN_FOR + timedelta(minutes=1)
    monkeypatch.setattr("rotation.accounts.signed_in.utcnow", lambda: later)
    assert not browser.signed_in()
    assert kept.signed_in()  # kept signed in: 30 days


def test_changing_the_password_signs_out_every_other_device(app, make_user):
    user = make_user()
    here, there = _Browser(app, LAPTOP), _Browser(app, PHONE)
    here.sign_in(user.email)
    there.sign_in(user.email, remember=True)
    response = here.post("/account/password", {"current": PASSWORD, "new": "a new long password",
                                               "confirm": "a new long password"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    page = here.get("/account").get_data(as_text=True)
    assert "Your password is changed. One other device signed out." in page
    assert here.signed_in()
    assert not there.signed_in()
    assert db.session.scalar(sa.select(SignIn.ended_because).where(SignIn.device == "Chrome on Android")) \
        == sign_ins.PASSWORD_CHANGED


def test_setting_a_password_through_a_link_signs_out_every_device(app, make_user):
    user = make_user()
    there = _Browser(app, PHONE)
    there.sign_in(user.email, remember=True)
    token = links.send_password_link(user.email, RESET_PASSWORD)
    db.session.commit()
    here = _Browser(app, LAPTOP)
    response = here.post(f"/password/{token}", {"new": "a brand new password", "confirm": "a brand new password"})
    assert response.status_code == 302
    assert here.signed_in()
    assert not there.signed_in()


def test_the_account_page_lists_each_device_and_signs_one_out(app, make_user):
    user = make_user(name="Maria Jansen")
    laptop, phone = _Browser(app, LAPTOP), _Browser(app, PHONE)
    laptop.sign_in(user.email)
    phone.sign_in(user.email, remember=True)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Where you are signed in" in page
    assert "Firefox on Windows" in page and "Chrome on Android" in page
    assert page.count("This device") == 1 and "kept signed in" in page
    phone_row = db.session.scalar(sa.select(SignIn.id).where(SignIn.device == "Chrome on Android"))
    response = laptop.post(f"/account/sign-ins/{phone_row}/end", {}, page="/account")
    assert response.status_code == 302
    assert "That device is signed out." in laptop.get("/account").get_data(as_text=True)
    assert not phone.signed_in() and laptop.signed_in()
    assert "Chrome on Android" not in laptop.get("/account").get_data(as_text=True)


def test_nobody_ends_another_persons_sign_in(app, make_user):
    maria, ben = make_user(), make_user()
    hers, his = _Browser(app, LAPTOP), _Browser(app, PHONE)
    hers.sign_in(maria.email)
    his.sign_in(ben.email)
    his_row = db.session.scalar(sa.select(SignIn.id).where(SignIn.user_id == ben.id))
    assert hers.post(f"/account/sign-ins/{his_row}/end", {}, page="/account").status_code == 404
    assert his.signed_in()
    assert hers.post(f"/accounts/{ben.id}/sign-out", {}, page="/account").status_code == 403
    assert his.signed_in()


def test_signing_out_everywhere_else_and_everywhere(app, make_user):
    user = make_user()
    browsers = [_Browser(app, LAPTOP), _Browser(app, PHONE), _Browser(app, PHONE)]
    for each in browsers:
        each.sign_in(user.email)
    here = browsers[0]
    here.post("/account/sign-ins/end-others", {}, page="/account")
    assert "2 other devices signed out." in here.get("/account").get_data(as_text=True)
    assert [each.signed_in() for each in browsers] == [True, False, False]
    response = here.post("/account/sign-ins/end-all", {}, page="/account")
    assert response.headers["Location"] == "/login"
    assert not here.signed_in()


def test_an_administrator_signs_an_account_out_and_disabling_it_signs_it_out_too(app, make_user):
    admin, maria = make_user(roles=["admin"]), make_user(email="maria@example.com")
    theirs = _Browser(app, PHONE)
    theirs.sign_in(maria.email, remember=True)
    desk = _Browser(app, LAPTOP)
    desk.sign_in(admin.email)
    listing = desk.get("/accounts").get_data(as_text=True)
    assert "Sign out everywhere: maria@example.com" in listing and "1 device" in listing
    response = desk.post(f"/accounts/{maria.id}/sign-out", {}, page="/accounts")
    assert response.status_code == 302
    assert "maria@example.com is signed out on 1 device." in desk.get("/accounts").get_data(as_text=True)
    assert not theirs.signed_in()

    theirs.sign_in(maria.email)
    asked = desk.post(f"/accounts/{maria.id}/disable", {}, page="/accounts").get_data(as_text=True)
    assert "Disable the account of maria@example.com?" in asked and "on the one device it is signed in on" in asked
    assert theirs.signed_in()  # nothing happens before the confirmation
    desk.post(f"/accounts/{maria.id}/disable", {"confirmed": "yes"}, page="/accounts")
    assert not theirs.signed_in()
    again = theirs.post("/login", {"email": maria.email, "password": PASSWORD})
    assert "do not match an account" in again.get_data(as_text=True)
    desk.post(f"/accounts/{maria.id}/enable", {}, page="/accounts")
    theirs.sign_in(maria.email)


def test_an_administrator_cannot_disable_their_own_account(app, make_user):
    admin = make_user(roles=["admin"])
    desk = _Browser(app, LAPTOP)
    desk.sign_in(admin.email)
    desk.post(f"/accounts/{admin.id}/disable", {"confirmed": "yes"}, page="/accounts")
    assert "You cannot disable your own account; ask another administrator." in \
        desk.get("/accounts").get_data(as_text=True)
    assert desk.signed_in()


def test_a_leaver_is_signed_out_and_their_calendar_link_stops(app, runner, tmp_path, make_user):
    assert run_import(runner, tmp_path, "sites", SITES).exit_code == 0
    assert run_import(runner, tmp_path, "people", PEOPLE).exit_code == 0
    ben = db.session.scalar(sa.select(Person).where(Person.email == "ben@example.com"))
    token = feeds.issue_token(ben)
    db.session.commit()
    make_user(email="ben@example.com")
    his = _Browser(app, PHONE)
    his.sign_in("ben@example.com", remember=True)
    assert his.get(f"/calendar/{token}.ics").status_code == 200

    without_ben = PEOPLE.replace("E4,Ben Expert,ben@example.com,Finance,E1,,yes\n", "")
    assert without_ben != PEOPLE
    assert run_import(runner, tmp_path, "people", without_ben, "--deactivate-missing").exit_code == 0
    assert not his.signed_in()
    assert his.get(f"/calendar/{token}.ics").status_code == 410  # the leaver's link is gone
    assert db.session.scalar(sa.select(SignIn.ended_because)) == sign_ins.LEFT_THE_COMPANY
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FeedToken)
                             .where(FeedToken.revoked_at.is_(None))) == 0


def test_last_seen_is_written_at_most_every_few_minutes(app, make_user, monkeypatch):
    user = make_user()
    browser = _Browser(app, LAPTOP)
    browser.sign_in(user.email)
    row = db.session.scalar(sa.select(SignIn))
    first_seen = row.last_seen_at
    browser.get("/")
    db.session.expire_all()
    assert db.session.get(SignIn, row.id).last_seen_at == first_seen
    later = utcnow() + sign_ins.LAST_SEEN_EVERY + timedelta(seconds=1)
    monkeypatch.setattr("rotation.accounts.signed_in.utcnow", lambda: later)
    assert browser.signed_in()
    db.session.expire_all()
    seen = db.session.get(SignIn, row.id)
    assert seen.last_seen_at == later and seen.expires_at == later + sign_ins.SIGNED_IN_FOR


@pytest.mark.parametrize("agent, described", [
    (PHONE, "Chrome on Android"),
    (LAPTOP, "Firefox on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.4 Mobile/15E148 Safari/604.1", "Safari on iPhone"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
     "Safari/537.36 Edg/124.0", "Edge on macOS"),
    ("", "An unknown browser"),
    ("curl/8.5\x00\x1b", "curl/8.5"),
])
def test_devices_are_described_as_people_know_them(agent, described):
    assert sign_ins.describe_device(agent) == described
