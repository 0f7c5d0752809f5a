from datetime import timedelta

from rotation.accounts import services
from rotation.accounts.models import LoginFailure, User
from rotation.extensions import db
from tests.conftest import PASSWORD


def test_good_login_redirects_to_the_home_page(client, post_form, make_user):
    user = make_user(roles=["hr"], name="Hanna HR")
    response = post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Welcome, Hanna HR" in home
    assert user.email in home


def test_login_matches_email_whatever_its_case(client, post_form, make_user):
    make_user(email="maria@example.com")
    response = post_form("/login", {"email": "  Maria@Example.COM ", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, post_form, make_user):
    user = make_user()
    wrong_password = post_form("/login", {"email": user.email, "password": "not the password"})
    unknown_email = post_form("/login", {"email": "nobody@example.com", "password": PASSWORD})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "That e-mail and password do not match an account." in page
        assert "no account" not in page.lower().replace("match an account", "")
    assert client.get("/").status_code == 302  # still signed out


def test_empty_fields_get_messages_beside_them(post_form):
    page = post_form("/login", {"email": "", "password": ""}).get_data(as_text=True)
    assert 'id="email-error"' in page and "Enter your e-mail address." in page
    assert 'id="password-error"' in page and "Enter your password." in page
    assert 'aria-invalid="true"' in page


def test_disabled_account_cannot_sign_in(post_form, make_user):
    user = make_user(enabled=False)
    page = post_form("/login", {"email": user.email, "password": PASSWORD}).get_data(as_text=True)
    assert "do not match an account" in page


def test_repeated_failures_for_one_account_are_slowed_down(client, post_form, make_user):
    user = make_user()
    for _ in range(services.FREE_FAILURES):
        post_form("/login", {"email": user.email, "password": "wrong password"})
    # Even the right password is refused, unchecked, while the account must wait.
    response = post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins. Wait 15 seconds" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_wait_doubles_and_ends(app, make_user):
    user = make_user()
    now = services.utcnow()
    for i in range(services.FREE_FAILURES + 1):
        services.sign_in(user.email, "wrong password", "10.0.0.1", now=now + timedelta(minutes=i))
    last = now + timedelta(minutes=services.FREE_FAILURES)
    waiting = services.sign_in(user.email, PASSWORD, "10.0.0.1", now=last + timedelta(seconds=10))
    assert waiting.user is None and waiting.wait == timedelta(seconds=20)
    later = services.sign_in(user.email, PASSWORD, "10.0.0.1", now=last + timedelta(seconds=31))
    assert later.user == user
    # A success clears the account's record.
    assert db.session.query(LoginFailure).filter_by(email=user.email).count() == 0


def test_many_failures_from_one_address_are_slowed_down(app, make_user):
    user = make_user()
    now = services.utcnow()
    for i in range(services.FREE_FAILURES_PER_CLIENT):
        services.sign_in(f"guess{i}@example.com", "guess", "203.0.113.9", now=now)
    refused = services.sign_in(user.email, PASSWORD, "203.0.113.9", now=now + timedelta(seconds=1))
    assert refused.wait is not None
    elsewhere = services.sign_in(user.email, PASSWORD, "198.51.100.7", now=now + timedelta(seconds=1))
    assert elsewhere.user == user


def test_passwords_are_stored_hashed(make_user):
    user = make_user()
    stored = db.session.get(User, user.id).password_hash
    assert PASSWORD not in stored
    assert stored.startswith("scrypt:")


def test_next_parameter_only_leads_within_the_site(client, make_user):
    from tests.conftest import csrf_token

    user = make_user()
    for target, expected in (("/account/password", "/account/password"), ("//evil.example/", "/"),
                             ("https://evil.example/", "/")):
        client.get("/")  # fresh page for a token
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post(f"/login?next={target}", data={
            "csrf_token": token, "email": user.email, "password": PASSWORD})
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})


def test_signing_out_ends_the_session(client, login_as, post_form):
    login_as("manager")
    assert client.get("/").status_code == 200
    response = post_form("/logout", {}, page="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_signing_out_needs_a_post(client, login_as):
    login_as("manager")
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_behind_a_proxy_failures_count_per_forwarded_client(make_app, make_user):
    from tests.conftest import csrf_token

    app = make_app(ROTATION_PROXIES=1)
    with app.app_context():
        user = make_user()
        client = app.test_client()

        def attempt(client_address: str, email: str, password: str):
            headers = {"X-Forwarded-For": client_address}
            token = csrf_token(client.get("/login", headers=headers).get_data(as_text=True))
            return client.post("/login", headers=headers,
                               data={"csrf_token": token, "email": email, "password": password})

        for i in range(services.FREE_FAILURES_PER_CLIENT):
            attempt("203.0.113.9", f"guess{i}@example.com", "wrong password")
        assert attempt("203.0.113.9", user.email, PASSWORD).status_code == 429
        assert attempt("198.51.100.7", user.email, PASSWORD).status_code == 302
