"""The installable app: its manifest, its service worker, the offline page, and signing out clearing the device."""
import json

import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.observations.models import Observation
from tests.helpers import PASSWORD, csrf_token


@pytest.fixture
def signed_in(client, make_user):
    user = make_user(roles=["manager"], name="Dana Field")
    client.post("/login", data={"email": user.email, "password": PASSWORD,
                                "csrf_token": csrf_token(client.get("/login").get_data(as_text=True))})
    return client


def test_the_manifest_names_the_app_its_start_page_and_icons_anyone_can_fetch(client, app):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Rotation"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:  # every icon is served
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_answers_for_the_whole_site_and_loads_nothing_from_elsewhere(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    script = response.get_data(as_text=True)
    assert 'importScripts("/static/vendor/workbox/workbox-sw.js")' in script
    assert 'modulePathPrefix: "/static/vendor/workbox/"' in script
    assert "https://" not in script and "http://" not in script
    # Each module the worker uses is vendored.
    for module in ("core", "routing", "strategies", "precaching", "expiration", "cacheable-response"):
        assert client.get(f"/static/vendor/workbox/workbox-{module}.prod.js").status_code == 200
    # The shell it keeps includes the offline page, the styles and the scripts.
    for kept in ('"/offline"', '"/static/css/app.css"', '"/static/js/app.js"'):
        assert kept in script


def test_the_offline_page_shows_no_one_s_data(signed_in):
    html = signed_in.get("/offline").get_data(as_text=True)
    assert "No connection" in html
    assert "Dana Field" not in html and "csrf_token" not in html


def test_pages_say_which_pages_the_device_keeps_only_to_someone_signed_in(client, signed_in):
    page = signed_in.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'name="rotation-kept-pages"' in page and "data-signed-in" in page
    signed_in.post("/logout", data={"csrf_token": csrf_token(page)})
    login = client.get("/login").get_data(as_text=True)
    assert 'name="rotation-kept-pages"' not in login and "data-signed-in" not in login


def test_signing_out_clears_what_the_device_kept(signed_in):
    page = signed_in.get("/").get_data(as_text=True)
    response = signed_in.post("/logout", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'
    # The log-in page right after tells the page's script to forget the kept observations too, once: a log-in page
    # reached otherwise (a sign-in that expired) keeps them to send after signing in again.
    assert "<html lang=\"en\" data-clear-device>" in signed_in.get("/login").get_data(as_text=True)
    assert "data-clear-device" not in signed_in.get("/login").get_data(as_text=True)


def test_signing_out_everywhere_clears_this_device_too(signed_in):
    page = signed_in.get("/account").get_data(as_text=True)
    forms = [form for form in page.split("<form") if "everywhere" in form]
    assert forms, "the account page offers signing out everywhere"
    action = forms[0].split('action="', 1)[1].split('"', 1)[0]
    response = signed_in.post(action, data={"csrf_token": csrf_token(page)})
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_an_observation_begun_on_a_phone_is_started_once_however_often_it_is_sent(client, filing_company, make_user):
    ann, shift = filing_company["ann"], filing_company["ann_shift"]
    make_user(roles=["manager"], email=ann.email)
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": ann.email, "password": PASSWORD, "csrf_token": csrf_token(page)})
    form = client.get(f"/observations/offline/{shift.uid}")
    assert form.status_code == 200 and "Kept on your phone" in form.get_data(as_text=True)
    token = csrf_token(form.get_data(as_text=True))
    sent = {"assignment": shift.uid, "device_key": "6f1c2a9e-4b7d-4e0a-9c1f-3b2a1d0e9f8c", "csrf_token": token}
    first = client.post("/observations/new", data=sent)
    again = client.post("/observations/new", data=sent)
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 1
    other = client.post("/observations/new", data={**sent, "device_key": "another-key-123"})
    assert other.headers["Location"] != first.headers["Location"]
    # Someone else's shift: no form.
    assert client.get("/observations/offline/not-a-shift").status_code == 404
