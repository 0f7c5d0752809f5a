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


def test_a_failing_request_shows_the_500_page_and_saves_nothing(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    @public
    def boom():
        save_user("half-written@example.com", ["hr"], "a long enough password")
        raise RuntimeError("the service failed half-way")

    with app.app_context():
        response = app.test_client().get("/boom")
        assert response.status_code == 500
        assert "nothing was saved" in response.get_data(as_text=True)
        db.session.remove()
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_a_bad_request_shows_the_400_page(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert "Error 400" in response.get_data(as_text=True)
