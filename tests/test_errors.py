import re

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.accounts.services import save_user
from rotation.extensions import db
from rotation.security import public


def test_unknown_address_shows_the_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Not found" in page and "There is nothing at this address." in page


def test_a_failing_request_shows_the_500_page_and_saves_nothing(make_app, caplog):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    @public
    def boom():
        save_user("half-written@example.com", ["hr"], "a long enough password")
        raise RuntimeError("the service failed half-way")

    with app.app_context():
        response = app.test_client().get("/boom")
        assert response.status_code == 500
        page = response.get_data(as_text=True)
        assert "nothing was saved" in page
        assert "Traceback" not in page and "half-way" not in page
        # The page and the log share a reference, so a person's report finds the traceback.
        reference = re.search(r"give them this reference: <strong>([0-9A-F]{8})</strong>", page).group(1)
        logged = [record for record in caplog.records if reference in record.getMessage()]
        assert logged and logged[0].exc_info[0] is RuntimeError
        assert response.headers["Content-Security-Policy"] and response.headers["X-Frame-Options"] == "DENY"
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_bad_request_shows_the_400_page(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert "Error 400" in response.get_data(as_text=True)


def test_a_value_the_database_refuses_is_a_bad_request_and_saves_nothing(make_app):
    """A value only the database finds wrong (a number too large for its column) answers 400, not 500."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/too-large")
    @public
    def too_large():
        save_user("half-written@example.com", ["hr"], "a long enough password")
        raise sa.exc.DataError("INSERT ...", {}, ValueError("integer out of range"))

    with app.app_context():
        response = app.test_client().get("/too-large")
        assert response.status_code == 400
        assert "cannot be stored" in response.get_data(as_text=True)
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
