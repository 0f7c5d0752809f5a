"""The rules about accounts and their roles, one service for the pages and the ``users`` command: an account made
by an administrator has no password and its person is e-mailed a link to choose one; an address is used once;
an account holds a role (or is a manager through the rotation); nobody takes their own administrator role or
disables themself, and the last administrator stays."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from rotation.accounts import links, services
from rotation.accounts.models import PasswordLink, RoleGrant, User
from rotation.extensions import db
from rotation.outbox.models import QUEUED, SET_PASSWORD, SUPERSEDED, OutboxMessage
from rotation.refusals import Refusal, all_or_nothing
from tests.helpers import csrf_token

NEW_PASSWORD = "frontline tuesday lamp"


def snapshot() -> tuple:
    """Everything a refused change must leave as it was: accounts, roles, links and e-mails."""
    db.session.expire_all()
    return (db.session.execute(sa.select(User.email, User.display_name, User.password_hash, User.is_enabled)
                               .order_by(User.id)).all(),
            db.session.execute(sa.select(RoleGrant.user_id, RoleGrant.role).order_by(RoleGrant.user_id,
                                                                                       RoleGrant.role)).all(),
            db.session.scalar(sa.select(sa.func.count(PasswordLink.id))),
            db.session.execute(sa.select(OutboxMessage.recipient, OutboxMessage.status)).all())


def refused(call, *args, **kwargs) -> dict:
    """The sentences a service call was refused with, by field, the call run as a page runs it."""
    with pytest.raises(Refusal) as refusal, all_or_nothing():
        call(*args, **kwargs)
    return refusal.value.reasons


def link_in(message: OutboxMessage) -> str:
    match = re.search(r"http://127\.0\.0\.1:5000(/password/\S+)", message.body_text or "")
    assert match, message.body_text
    return match.group(1)


def test_a_new_account_has_no_password_and_its_person_is_sent_a_link_to_choose_one(app, client):
    user = links.create_account_with_link("Olli.Laine@Example.com", ["owner"], "Olli Laine")
    db.session.commit()
    assert (user.email, user.display_name, user.password_hash, user.roles) == (
        "olli.laine@example.com", "Olli Laine", None, ["owner"])
    mail = db.session.scalar(sa.select(OutboxMessage))
    assert (mail.purpose, mail.recipient, mail.recipient_name, mail.status) == (
        SET_PASSWORD, "olli.laine@example.com", "Olli Laine", QUEUED)
    assert "The link works once, for 7 days" in mail.body_text

    # The link sets the password of this account (no second account is made) and signs it in.
    address = link_in(mail)
    page = client.get(address).get_data(as_text=True)
    done = client.post(address, data={"csrf_token": csrf_token(page), "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert db.session.get(User, user.id).password_hash is not None
    assert client.get("/process-map/").status_code == 200


def test_a_new_account_takes_the_rosters_name_and_needs_no_role_in_the_rotation(app, make_person):
    boss = make_person(full_name="Maria Jansen", email="maria@example.com")
    make_person(manager=boss)
    user = links.create_account_with_link("maria@example.com", [])
    assert user.display_name == "Maria Jansen"
    assert user.role_grants == [] and user.roles == ["manager"]


@pytest.mark.parametrize("email, message", [
    ("olli@example.com", "olli@example.com already has an account; open it from the list of accounts to change it."),
    ("  OLLI@example.COM ", "olli@example.com already has an account"),
    ("not-an-address", "'not-an-address' is not a valid e-mail address"),
    ("", "Enter an e-mail address."),
])
def test_a_used_or_invalid_address_is_refused_beside_it_and_nothing_is_written(app, make_user, email, message):
    make_user(email="olli@example.com", roles=["hr"])
    before = snapshot()
    reasons = refused(links.create_account_with_link, email, ["owner"], "Someone")
    assert message in reasons["email"]
    assert snapshot() == before


def test_an_account_outside_the_rotation_needs_a_role(app, make_person):
    make_person(email="lone@example.com")  # in the roster, but nobody reports to them
    reasons = refused(links.create_account_with_link, "lone@example.com", [])
    assert reasons == {"roles": "Give at least one role: lone@example.com is not a manager in the rotation, so "
                                "without a role the account could do nothing."}
    both = refused(links.create_account_with_link, "nobody", ["boss"])
    assert set(both) == {"email", "roles"} and "Unknown role 'boss'" in both["roles"]
    assert snapshot() == ([], [], 0, [])


def test_changing_roles_sets_exactly_those(app, make_user):
    admin = make_user(roles=["admin"])
    user = make_user(roles=["hr", "manager"])
    services.change_roles(user, ["owner", "hr", "owner"], by=admin)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).roles == ["hr", "owner"]


def test_an_administrator_cannot_take_their_own_administrator_role(app, make_user):
    admin, other = make_user(roles=["admin", "hr"]), make_user(roles=["admin"])
    before = snapshot()
    assert refused(services.change_roles, admin, ["hr"], by=admin) == {
        "roles": "You cannot remove your own Administrator role; ask another administrator."}
    assert snapshot() == before
    services.change_roles(admin, ["admin", "owner"], by=admin)  # keeping it, the rest may change
    assert admin.roles == ["owner", "admin"]
    services.change_roles(admin, ["hr"], by=other)  # another administrator may take it
    assert admin.roles == ["hr"]


def test_the_last_enabled_administrator_stays_one_and_stays_enabled(app, make_user):
    last = make_user(roles=["admin"], email="ada@example.com")
    make_user(roles=["admin"], enabled=False)  # a disabled administrator manages nothing
    before = snapshot()
    assert refused(services.change_roles, last, ["hr"]) == {
        None: "ada@example.com is the last enabled administrator; make another account an administrator first, "
              "or nobody could manage accounts."}
    assert "the last enabled administrator" in refused(services.disable_account, last)[None]
    assert snapshot() == before


def test_the_users_command_keeps_the_last_administrator(runner, make_user):
    make_user(roles=["admin"], email="ada@example.com")
    result = runner.invoke(args=["users", "create", "--email", "ada@example.com", "--role", "hr"], input="")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "ada@example.com is the last enabled administrator" in result.output
    db.session.expire_all()
    assert services.find_user_by_email("ada@example.com").roles == ["admin"]


def test_a_new_link_for_an_account_replaces_the_older_one(app, make_user):
    user = make_user(roles=["owner"], password=None)
    links.send_link_to_account(user)
    links.send_link_to_account(user)
    db.session.commit()
    statuses = db.session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)).all()
    assert statuses == [SUPERSEDED, QUEUED]
    user.is_enabled = False
    db.session.commit()
    before = snapshot()
    assert "is disabled; enable it before sending a link" in refused(links.send_link_to_account, user)[None]
    assert snapshot() == before
