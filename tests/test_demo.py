import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.demo.accounts import DEMO_PASSWORD
from rotation.extensions import db
from rotation.roles import ROLES


def test_demo_load_gives_every_role_a_working_login(runner, client, post_form):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo log-ins" in result.output
    held = {role for user in db.session.scalars(sa.select(User)) for role in user.roles}
    assert held == set(ROLES)
    for line in result.output.splitlines():
        if "@example.com" in line:
            email = line.split()[0]
            response = post_form("/login", {"email": email, "password": DEMO_PASSWORD})
            assert response.status_code == 302, email
            client.post("/logout", data={"csrf_token": _token(client)})


def _token(client):
    from tests.helpers import csrf_token

    return csrf_token(client.get("/").get_data(as_text=True))


def test_demo_load_refuses_a_database_with_data(runner, make_user):
    make_user()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "already has data" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_demo_load_if_empty_leaves_existing_data_alone(runner, make_user):
    make_user()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0
    assert "was not loaded again" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
