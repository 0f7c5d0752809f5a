import pytest
import sqlalchemy as sa

from rotation.accounts import cli as users_cli
from rotation.accounts.models import User
from rotation.extensions import db


def accounts():
    return db.session.scalars(sa.select(User)).all()


def test_creates_an_account_with_the_password_from_standard_input(runner, client, post_form):
    result = runner.invoke(args=["users", "create", "--email", "Olli@Example.com", "--role", "owner,manager"],
                           input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created olli@example.com with roles manager, owner." in result.output
    response = post_form("/login", {"email": "olli@example.com", "password": "a long enough password"})
    assert response.status_code == 302


def test_updating_sets_exactly_the_given_roles_and_keeps_the_password(runner, make_user):
    user = make_user(roles=["hr", "manager"])
    result = runner.invoke(args=["users", "create", "--email", user.email, "--role", "admin"], input="")
    assert result.exit_code == 0, result.output
    assert f"Updated {user.email} with roles admin." in result.output
    db.session.expire_all()
    assert db.session.get(User, user.id).roles == ["admin"]
    assert db.session.get(User, user.id).password_hash == user.password_hash


def test_generates_and_prints_a_password_on_a_terminal(runner, monkeypatch, client, post_form):
    monkeypatch.setattr(users_cli, "stdin_is_terminal", lambda: True)
    result = runner.invoke(args=["users", "create", "--email", "new@example.com", "--role", "hr"])
    assert result.exit_code == 0, result.output
    password = result.output.split("Password: ")[1].strip()
    assert len(password) >= 12
    assert post_form("/login", {"email": "new@example.com", "password": password}).status_code == 302


@pytest.mark.parametrize("args, stdin, message", [
    (["--email", "a@example.com", "--role", "boss"], "a long enough password\n",
     "Unknown role 'boss'; roles are hr, manager, owner, admin."),
    (["--email", "not-an-address", "--role", "hr"], "a long enough password\n",
     "'not-an-address' is not a valid e-mail address"),
    (["--email", "a@example.com", "--role", "hr"], "short\n", "Use at least 10 characters."),
    (["--email", "a@example.com", "--role", "hr"], "",
     "Give the new account's password as one line on standard input"),
    (["--email", "a@example.com", "--role", ""], "a long enough password\n", "Give at least one role"),
])
def test_bad_input_exits_non_zero_with_a_sentence_and_writes_nothing(runner, args, stdin, message):
    result = runner.invoke(args=["users", "create", *args], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert accounts() == []
