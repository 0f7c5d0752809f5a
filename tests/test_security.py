import pytest

from rotation.security import ACCESS_ATTRIBUTE


def test_security_headers_are_on_every_page(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script(client, login_as):
    login_as("hr", "manager", "owner", "admin")
    for url in ("/login", "/", "/accounts", "/account/password"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>" not in page and "onclick=" not in page, url


def test_a_post_without_a_csrf_token_is_rejected(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert response.status_code == 400
    assert "did not come from Rotation" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in


def test_signed_out_visitors_are_sent_to_the_login_page(client):
    response = client.get("/accounts")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_manager_gets_403_on_an_admin_page(client, login_as):
    login_as("manager")
    response = client.get("/accounts")
    assert response.status_code == 403
    assert "Your account does not have access to this page." in response.get_data(as_text=True)


def test_every_view_declares_who_may_use_it(app):
    undeclared = [
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not getattr(view, ACCESS_ATTRIBUTE, None)
    ]
    assert undeclared == []


def test_a_view_without_an_access_rule_is_refused(make_app, login_as, client):
    app = make_app()

    @app.get("/forgotten")
    def forgotten():
        return "secret"

    with app.app_context():
        test_client = app.test_client()
        assert test_client.get("/forgotten").status_code == 403


@pytest.mark.parametrize("base_url, secure", [("https://rotation.example.com", True),
                                              ("http://127.0.0.1:5000", False)])
def test_session_cookie_flags(make_app, make_user, base_url, secure):
    from tests.helpers import PASSWORD, csrf_token

    app = make_app(ROTATION_BASE_URL=base_url)
    with app.app_context():
        user = make_user()
        client = app.test_client()
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


@pytest.mark.parametrize("base_url, hsts", [("https://rotation.example.com", True), ("http://127.0.0.1:5000", False)])
def test_browsers_are_told_to_keep_to_https_when_the_app_is_served_over_it(make_app, base_url, hsts):
    app = make_app(ROTATION_BASE_URL=base_url)
    with app.app_context():
        response = app.test_client().get("/login")
        assert ("Strict-Transport-Security" in response.headers) is hsts
        if hsts:
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
