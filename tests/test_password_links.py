"""Password links: set a first password or reset a forgotten one by e-mail, and the roster import inviting people."""
from __future__ import annotations

import html
from datetime import timedelta

import sqlalchemy as sa

from rotation.accounts.links import hash_token, invite_new_accounts, send_password_link
from rotation.accounts.models import PasswordLink, User
from rotation.db import utcnow
from rotation.extensions import db
from rotation.outbox.models import QUEUED, RESET_PASSWORD, SET_PASSWORD, SUPERSEDED, OutboxMessage
from tests.helpers import PASSWORD, csrf_token
from tests.imports_helpers import PEOPLE, SITES, run_import

NEW_PASSWORD = "frontline tuesday lamp"
FORGOT_ANSWER = "If that address has an account or is in the roster, a link to set a password is on its way."


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def messages(purpose: str | None = None) -> list[tuple[str, str, str]]:
    """The account e-mails in the outbox, oldest first: (purpose, recipient, status)."""
    db.session.expire_all()
    statement = sa.select(OutboxMessage.purpose, OutboxMessage.recipient, OutboxMessage.status).order_by(
        OutboxMessage.id)
    if purpose:
        statement = statement.where(OutboxMessage.purpose == purpose)
    return [tuple(row) for row in db.session.execute(statement)]


def choose_password(client, token: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    page = client.get(f"/password/{token}")
    return client.post(f"/password/{token}", data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                   "new": new, "confirm": new if confirm is None else confirm})


def sign_in(client, email: str, password: str):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def test_a_new_manager_sets_a_password_once_and_lands_on_their_home_page(app, client, make_person):
    boss = make_person(full_name="Maria Jansen", email="maria@example.com", department="Operations")
    make_person(manager=boss)
    token = send_password_link("Maria@Example.com", SET_PASSWORD)
    db.session.commit()

    # Only the hash is stored; the e-mail carries the link itself.
    stored = db.session.scalar(sa.select(PasswordLink))
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    mail = db.session.scalar(sa.select(OutboxMessage))
    assert (mail.purpose, mail.recipient, mail.recipient_name, mail.status) == (
        SET_PASSWORD, "maria@example.com", "Maria Jansen", QUEUED)
    assert f"http://127.0.0.1:5000/password/{token}" in mail.body_text
    assert mail.subject == "Set your password for Rotation"

    page = client.get(f"/password/{token}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'value="maria@example.com"' in page.get_data(as_text=True)
    mismatch = choose_password(client, token, confirm="something else entirely")
    assert "The two passwords differ." in text(mismatch)
    weak = choose_password(client, token, new="short")
    assert "Use at least 10 characters." in text(weak)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0

    done = choose_password(client, token)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    home = text(client.get("/"))
    assert "Your password is set and you are signed in." in home
    assert "Your rotation" in home and "Maria Jansen, Operations" in home  # the manager's card

    user = db.session.scalar(sa.select(User).where(User.email == "maria@example.com"))
    assert user.display_name == "Maria Jansen"
    assert user.role_grants == [] and user.roles == ["manager"]  # derived from the roster, none granted
    assert "This link does not work any more" in text(client.get(f"/password/{token}"))
    assert client.get(f"/password/{token}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert sign_in(client, "maria@example.com", NEW_PASSWORD).status_code == 302


def test_a_link_works_only_once_even_when_sent_twice(app, client, make_person):
    make_person(email="bo@example.com", in_rotation=True)
    token = send_password_link("bo@example.com", SET_PASSWORD)
    db.session.commit()
    form = csrf_token(client.get(f"/password/{token}").get_data(as_text=True))
    data = {"csrf_token": form, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(f"/password/{token}", data=data).status_code == 302
    again = client.post(f"/password/{token}", data={**data, "new": "another password here",
                                                     "confirm": "another password here"})
    assert again.status_code == 404 and "This link does not work any more" in text(again)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_expired_unknown_and_replaced_links_say_so_and_offer_a_new_one(app, client, make_user, make_person):
    make_user(email="hr@example.com", roles=["hr"])
    make_person(email="new@example.com", in_rotation=True)
    now = utcnow()
    stale_reset = send_password_link("hr@example.com", RESET_PASSWORD, now=now - timedelta(minutes=61))
    fresh_reset = send_password_link("hr@example.com", RESET_PASSWORD, now=now - timedelta(minutes=59))
    stale_set = send_password_link("new@example.com", SET_PASSWORD, now=now - timedelta(days=7, minutes=1))
    first_set = send_password_link("new@example.com", SET_PASSWORD, now=now - timedelta(days=1))
    newer_set = send_password_link("new@example.com", SET_PASSWORD, now=now)
    db.session.commit()

    for token in (stale_reset, stale_set, first_set, "no-such-link", "x" * 500):
        response = client.get(f"/password/{token}")
        assert response.status_code == 404, token
        page = text(response)
        assert "This link does not work any more" in page and "Send me a new link" in page
    assert client.get(f"/password/{fresh_reset}").status_code == 200
    assert client.get(f"/password/{newer_set}").status_code == 200
    # Only the newest e-mail of each kind still goes out: the others hold dead links.
    assert messages() == [(RESET_PASSWORD, "hr@example.com", SUPERSEDED), (RESET_PASSWORD, "hr@example.com", QUEUED),
                          (SET_PASSWORD, "new@example.com", SUPERSEDED), (SET_PASSWORD, "new@example.com", SUPERSEDED),
                          (SET_PASSWORD, "new@example.com", QUEUED)]
    # A post to a dead link changes nothing.
    token = csrf_token(client.get("/login").get_data(as_text=True))
    refused = client.post(f"/password/{first_set}", data={"csrf_token": token, "new": NEW_PASSWORD,
                                                          "confirm": NEW_PASSWORD})
    assert refused.status_code == 404
    assert db.session.scalar(sa.select(User).where(User.email == "new@example.com")) is None


def test_a_reset_link_changes_the_password_of_the_existing_account_and_retires_other_links(app, client, make_user):
    user = make_user(email="owner@example.com", roles=["owner"])
    reset = send_password_link("owner@example.com", RESET_PASSWORD)
    other = send_password_link("owner@example.com", SET_PASSWORD)
    db.session.commit()
    page = text(client.get(f"/password/{reset}"))
    assert "Choose a new password for your account." in page
    assert choose_password(client, reset).status_code == 302
    assert client.get(f"/password/{other}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    assert sign_in(client, "owner@example.com", PASSWORD).status_code == 200  # the old password is refused
    assert sign_in(client, "owner@example.com", NEW_PASSWORD).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).roles == ["owner"]


def test_a_disabled_account_cannot_use_a_link(app, client, make_user):
    make_user(email="gone@example.com", roles=["hr"], enabled=False)
    token = send_password_link("gone@example.com", RESET_PASSWORD)
    db.session.commit()
    assert client.get(f"/password/{token}").status_code == 404


def test_forgot_password_answers_the_same_for_every_address_and_queues_the_right_link(
        app, client, make_user, make_person):
    make_user(email="hr@example.com", roles=["hr"])
    make_user(email="off@example.com", roles=["hr"], enabled=False)
    make_person(email="lead@example.com", full_name="Lea Lead", in_rotation=True)
    make_person(email="staff@example.com", in_rotation=False)
    make_person(email="left@example.com", in_rotation=True, active=False)
    login_page = text(client.get("/login"))
    assert 'href="/password/forgot"' in login_page and "Forgot your password?" in login_page

    answers = []
    for address in ("hr@example.com", "LEAD@example.com", "nobody@example.com", "off@example.com",
                    "staff@example.com", "left@example.com"):
        token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
        response = client.post("/password/forgot", data={"csrf_token": token, "email": address})
        assert response.status_code == 302 and response.headers["Location"] == "/login"
        answers.append(text(client.get("/login")))
    assert all(FORGOT_ANSWER in answer for answer in answers)
    assert len({answer.split("<main", 1)[1] for answer in answers}) == 1  # the same page for every address
    assert messages() == [(RESET_PASSWORD, "hr@example.com", QUEUED), (SET_PASSWORD, "lead@example.com", QUEUED)]
    lead = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "lead@example.com"))
    assert lead.recipient_name == "Lea Lead"

    token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
    bad = client.post("/password/forgot", data={"csrf_token": token, "email": "not an address"})
    assert bad.status_code == 200 and 'id="email-error"' in bad.get_data(as_text=True)


def test_forgot_password_sends_at_most_three_links_an_hour_per_address(app, client, make_user):
    make_user(email="hr@example.com", roles=["hr"])
    for _ in range(5):
        token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
        response = client.post("/password/forgot", data={"csrf_token": token, "email": "hr@example.com"})
        assert response.status_code == 302
    assert len(messages(RESET_PASSWORD)) == 3
    assert db.session.scalar(sa.select(sa.func.count(PasswordLink.id))) == 3


def test_the_roster_import_invites_people_in_the_rotation_without_accounts_once(app, runner, tmp_path, make_user):
    make_user(email="ben@example.com", roles=["hr"])  # already has an account
    assert run_import(runner, tmp_path, "sites", SITES).exit_code == 0
    assert run_import(runner, tmp_path, "people", PEOPLE).exit_code == 0
    # E1 and E2 have reports, E4 is in by HR's say; E3 is not in the rotation, E4 has an account.
    assert messages() == [(SET_PASSWORD, "ceo@example.com", QUEUED), (SET_PASSWORD, "maria@example.com", QUEUED)]
    carla = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "ceo@example.com"))
    assert carla.recipient_name == "Esposito, Carla" and "/password/" in carla.body_text

    assert run_import(runner, tmp_path, "people", PEOPLE).exit_code == 0  # the same file again
    changed = PEOPLE.replace("E3,Anna Worker,anna@example.com,Operations,E2,,",
                             "E3,Anna Worker,anna@example.com,Operations,E2,,yes") + \
        "E5,Dan New,dan@example.com,Sales,E1,,yes\nE6,Eve Staff,eve@example.com,Sales,E5,,no\n"
    result = run_import(runner, tmp_path, "people", changed)
    assert result.exit_code == 0, result.output
    assert messages() == [(SET_PASSWORD, "ceo@example.com", QUEUED), (SET_PASSWORD, "maria@example.com", QUEUED),
                          (SET_PASSWORD, "anna@example.com", QUEUED), (SET_PASSWORD, "dan@example.com", QUEUED)]
    assert invite_new_accounts() == 0  # everyone left already has a live link


def test_a_dry_run_import_invites_nobody(app, runner, tmp_path):
    assert run_import(runner, tmp_path, "sites", SITES).exit_code == 0
    assert run_import(runner, tmp_path, "people", PEOPLE, "--dry-run").exit_code == 0
    assert messages() == []


def test_hr_sends_a_link_from_the_person_page(app, client, login_as, make_person, make_user):
    lead = make_person(full_name="Lea Lead", email="lead@example.com", in_rotation=True)
    leaver = make_person(email="left@example.com", active=False)
    disabled = make_person(email="off@example.com", in_rotation=True)
    make_user(email="off@example.com", roles=["manager"], enabled=False)
    login_as("hr")

    page = client.get(f"/people/{lead.id}")
    assert "Send a link to set a password" in text(page)
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(f"/people/{lead.id}/password-link", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == f"/people/{lead.id}"
    assert "A link to set a password is queued for lead@example.com" in text(client.get(f"/people/{lead.id}"))
    assert messages() == [(SET_PASSWORD, "lead@example.com", QUEUED)]

    assert "Send a link to set a password" not in text(client.get(f"/people/{leaver.id}"))
    client.post(f"/people/{leaver.id}/password-link", data={"csrf_token": token})
    assert "has left the company; no link was sent." in text(client.get(f"/people/{leaver.id}"))
    client.post(f"/people/{disabled.id}/password-link", data={"csrf_token": token})
    assert "The account off@example.com is disabled" in text(client.get(f"/people/{disabled.id}"))
    assert client.post("/people/99999/password-link", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/people/{lead.id}/password-link", data={}).status_code == 400  # no CSRF token
    assert len(messages()) == 1


def test_only_hr_may_send_a_link_from_the_person_page(app, client, login_as, make_person):
    lead = make_person(in_rotation=True)
    login_as("manager", "owner")
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post(f"/people/{lead.id}/password-link", data={"csrf_token": token}).status_code == 403
    assert messages() == []



def test_forgot_password_takes_the_same_time_for_a_known_and_an_unknown_address(app, client, make_user,
                                                                                 monkeypatch):
    """The answer's timing must not tell which addresses have an account: every answer waits out the same
    quarter of a second, the link's e-mail queued and committed inside it."""
    from rotation.accounts import views

    make_user(email="hr@example.com", roles=["hr"])
    took = {}
    real_sleep = views.time.sleep
    for address in ("hr@example.com", "nobody@example.com"):
        slept = []
        monkeypatch.setattr(views.time, "sleep", slept.append)
        token = csrf_token(client.get("/password/forgot").get_data(as_text=True))
        started = views.time.perf_counter()
        response = client.post("/password/forgot", data={"csrf_token": token, "email": address})
        monkeypatch.setattr(views.time, "sleep", real_sleep)
        assert response.status_code == 302
        assert len(slept) == 1 and 0 < slept[0] <= views.FORGOT_TAKES
        took[address] = views.time.perf_counter() - started + slept[0]
    # The work of each fitted inside the quarter second; with the wait both answers take it whole.
    assert all(views.FORGOT_TAKES <= seconds < views.FORGOT_TAKES + 0.2 for seconds in took.values())
    assert messages() == [(RESET_PASSWORD, "hr@example.com", QUEUED)]
