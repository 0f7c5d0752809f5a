import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
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


def test_each_demo_login_can_file_today_and_confirm_tomorrow(runner, client, post_form):
    """Whatever the date: a warehouse week just worked with its window for observations open, and a
    customer-service day tomorrow waiting to be confirmed, at the top of My rotation and of home."""
    from datetime import timedelta

    from rotation.db import utc_today, utcnow
    from rotation.my_rotation.services import CONFIRM, FILE, my_shifts, timeline
    from rotation.people.models import Person

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    for email, _name, _roles in DEMO_ACCOUNTS:
        person = db.session.scalar(sa.select(Person).where(Person.email == email))
        parts = timeline(my_shifts(person, utc_today()), utcnow())
        assert parts.next is not None and parts.next.action == FILE, email
        first = parts.upcoming[0]
        # Tomorrow at the site: not begun yet, wherever the site is (Sydney's tomorrow may be UTC's today).
        assert first.status == "published" and utcnow() < first.slot.starts_at < utcnow() + timedelta(days=2), email
        post_form("/login", {"email": email, "password": DEMO_PASSWORD})
        page = client.get("/my/").get_data(as_text=True)
        assert page.index("Your next shift") < page.index("File an observation") < page.index("Coming up"), email
        assert page.index("Coming up") < page.index(">Confirm</button>"), email
        home = client.get("/").get_data(as_text=True)
        assert "File an observation" in home, email
        client.post("/logout", data={"csrf_token": _token(client)})
    assert CONFIRM == "confirm"


def test_the_demo_shows_answers_from_calendar_apps_closing_the_loop(runner, client, post_form):
    from rotation.change_requests.models import FROM_COUNTER, FROM_DECLINE, PENDING, ChangeRequest
    from rotation.replies.models import CalendarReply

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    kinds = [reply.kind for reply in db.session.scalars(sa.select(CalendarReply).order_by(CalendarReply.id))]
    assert kinds == ["accepted", "declined", "proposed", "tentative", "not_matched"]
    waiting = db.session.scalars(sa.select(ChangeRequest).where(ChangeRequest.status == PENDING,
                                                                ChangeRequest.source != "app")).all()
    assert sorted(request.source for request in waiting) == sorted([FROM_DECLINE, FROM_COUNTER])
    post_form("/login", {"email": "hr@example.com", "password": DEMO_PASSWORD})
    queue = client.get("/changes/").get_data(as_text=True)
    assert "parental leave from March to May" in queue and "Our quarterly review is that day" in queue
