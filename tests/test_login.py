import threading
from datetime import timedelta

import pytest

from rotation.accounts import services, throttle
from rotation.accounts.models import LoginThrottle, SignIn, User
from rotation.extensions import db
from tests.helpers import PASSWORD


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
    for _ in range(throttle.PER_ACCOUNT_AND_ADDRESS):
        post_form("/login", {"email": user.email, "password": "wrong password"})
    # Even the right password is refused, unchecked, while the account must wait.
    response = post_form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins. Wait 15 seconds" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_the_wait_doubles_and_ends(app, make_user):
    user = make_user()
    now = services.utcnow()
    for i in range(throttle.PER_ACCOUNT_AND_ADDRESS + 1):
        services.sign_in(user.email, "wrong password", "10.0.0.1", now=now + timedelta(minutes=i))
    last = now + timedelta(minutes=throttle.PER_ACCOUNT_AND_ADDRESS)
    waiting = services.sign_in(user.email, PASSWORD, "10.0.0.1", now=last + timedelta(seconds=10))
    assert waiting.user is None and waiting.wait == timedelta(seconds=20)
    later = services.sign_in(user.email, PASSWORD, "10.0.0.1", now=last + timedelta(seconds=31))
    assert later.user == user
    # A success clears the account's record from that address.
    assert db.session.get(LoginThrottle, f"account-address:{user.email}|10.0.0.1") is None


def test_many_failures_from_one_address_are_slowed_down(app, make_user):
    user = make_user()
    now = services.utcnow()
    for i in range(throttle.PER_ADDRESS):
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
    from tests.helpers import csrf_token

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
    from tests.helpers import csrf_token

    app = make_app(ROTATION_PROXIES=1)
    with app.app_context():
        user = make_user()
        client = app.test_client()

        def attempt(client_address: str, email: str, password: str):
            headers = {"X-Forwarded-For": client_address}
            token = csrf_token(client.get("/login", headers=headers).get_data(as_text=True))
            return client.post("/login", headers=headers,
                               data={"csrf_token": token, "email": email, "password": password})

        for i in range(throttle.PER_ADDRESS):
            attempt("203.0.113.9", f"guess{i}@example.com", "wrong password")
        assert attempt("203.0.113.9", user.email, PASSWORD).status_code == 429
        assert attempt("198.51.100.7", user.email, PASSWORD).status_code == 302


def known_address(user, address: str) -> None:
    """The account signed in from ``address`` before."""
    now = services.utcnow()
    db.session.add(SignIn(user_id=user.id, secret_hash="0" * 64, device="Firefox on Windows", address=address,
                          created_at=now - timedelta(days=3), last_seen_at=now - timedelta(days=3),
                          expires_at=now - timedelta(days=2), ended_at=now - timedelta(days=2)))
    db.session.commit()


def test_strangers_guessing_from_many_addresses_never_keep_the_owner_out(app, make_user):
    """Guesses from many addresses slow down new addresses only; the owner's own address always gets in."""
    chief = make_user(email="ceo@example.com")
    known_address(chief, "198.51.100.7")
    now = services.utcnow()
    guesses = 0
    for address in range(12):
        for _ in range(throttle.PER_ACCOUNT_AND_ADDRESS):
            services.sign_in(chief.email, "guess", f"203.0.113.{address}", now=now)
            guesses += 1
    db.session.commit()
    assert guesses > throttle.PER_ACCOUNT_ELSEWHERE
    # Each guessing address waits; the owner at their usual address signs in at once, right password or not.
    assert services.sign_in(chief.email, "guess", "203.0.113.1", now=now).wait is not None
    assert services.sign_in(chief.email, "wrong once", "198.51.100.7", now=now).user is None
    owner = services.sign_in(chief.email, PASSWORD, "198.51.100.7", now=now)
    assert owner.user == chief and owner.wait is None
    # From a new network the owner is slowed down, and told about the link that always works.
    travelling = services.sign_in(chief.email, PASSWORD, "192.0.2.44", now=now)
    assert travelling.user is None and travelling.wait is not None
    assert "Forgot your password?" in travelling.message
    later = services.sign_in(chief.email, PASSWORD, "192.0.2.44", now=now + throttle.MAX_DELAY)
    assert later.user == chief


def test_the_owner_is_told_why_they_wait_on_the_log_in_page(make_app, make_user):
    from tests.helpers import csrf_token

    app = make_app(ROTATION_PROXIES=1)
    with app.app_context():
        user = make_user()
        client = app.test_client()
        now = services.utcnow()
        for address in range(throttle.PER_ACCOUNT_ELSEWHERE // throttle.PER_ACCOUNT_AND_ADDRESS + 1):
            for _ in range(throttle.PER_ACCOUNT_AND_ADDRESS):
                services.sign_in(user.email, "guess", f"203.0.113.{address}", now=now)
        db.session.commit()
        headers = {"X-Forwarded-For": "192.0.2.44"}
        token = csrf_token(client.get("/login", headers=headers).get_data(as_text=True))
        response = client.post("/login", headers=headers,
                               data={"csrf_token": token, "email": user.email, "password": PASSWORD})
        assert response.status_code == 429
        page = response.get_data(as_text=True)
        assert "Too many failed log-ins to this account from other places. Wait" in page
        assert "Forgot your password?" in page


def test_simultaneous_guesses_get_no_more_checks_than_one_guesser(app, database_url, make_user, monkeypatch):
    """Sixteen wrong passwords at the same moment: at most the free five are checked."""
    if not database_url.startswith("postgresql"):
        pytest.skip("simultaneous writers need PostgreSQL; SQLite lets one writer in at a time")
    email = make_user().email
    checked = []
    real_check = services.check_password_hash

    def counting(hashed, password):
        checked.append(password)
        return real_check(hashed, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    start = threading.Barrier(16)

    def guess(number: int) -> None:
        with app.app_context():
            try:
                start.wait(timeout=10)
                attempt = services.sign_in(email, f"guess {number}", "203.0.113.9")
                if attempt.wait is None:
                    db.session.commit()
                else:
                    db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(checked) <= throttle.PER_ACCOUNT_AND_ADDRESS
    counted = db.session.get(LoginThrottle, f"account-address:{email}|203.0.113.9")
    db.session.refresh(counted)
    assert counted.failures == len(checked)


def test_a_nul_in_the_log_in_form_is_refused_beside_the_field(client, post_form, make_user):
    """On PostgreSQL a NUL reaching a query used to answer 500; now it never leaves the form."""
    user = make_user()
    response = post_form("/login", {"email": user.email + "\x00", "password": PASSWORD})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page and "Remove a NUL character from this field" in page
    assert client.get("/").status_code == 302
