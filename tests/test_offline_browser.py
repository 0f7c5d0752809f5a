"""The installable app in Chromium: the browser's own installability check, pages kept for use without signal,
the offline page, an observation filed without signal, and signing out leaving nothing on the device."""
import io
import threading

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from werkzeug.serving import make_server

from rotation.extensions import db
from rotation.observations.evidence import path_of
from rotation.observations.models import SUBMITTED, Evidence, Observation
from tests.helpers import PASSWORD, PHONE, open_account_menu, page_width, sign_in
from tests.test_accessibility_browser import violations
from tests.test_observations_browser import photo_with_location

pytestmark = pytest.mark.browser


class Network:
    """The app on a local port whose network can be cut and restored. The browser's offline switch alone does not
    reach a service worker's own requests in Chromium (microsoft/playwright#2311), so the server goes away too."""

    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._serve()

    def _serve(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def cut(self, context):
        context.set_offline(True)
        self.server.shutdown()
        self.server.server_close()  # connections are refused, as with no network at all

    def restore(self, context):
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._serve()
        context.set_offline(False)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def network(app):
    network = Network(app)
    yield network
    network.close()


@pytest.fixture
def phone(chromium, network):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=network.url,
                                   service_workers="allow")
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def worker_ready(page):
    """Waits until the service worker is active and answers for this page."""
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.wait_for_function("navigator.serviceWorker.controller !== null")


def test_chromium_finds_the_app_installable_with_a_valid_manifest(phone, make_user):
    user = make_user(roles=["manager"], name="Dana Field")
    sign_in(phone, user.email, PASSWORD)
    phone.get_by_role("heading", name="Welcome, Dana Field").wait_for()
    worker_ready(phone)
    cdp = phone.context.new_cdp_session(phone)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"].endswith("/manifest.webmanifest")
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # A test browser's context is a private window, where Chromium never offers to install.
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []


def test_without_signal_the_kept_pages_open_and_others_show_the_offline_page(phone, network, make_user):
    user = make_user(roles=["manager"], name="Dana Field")
    sign_in(phone, user.email, PASSWORD)
    phone.get_by_role("heading", name="Welcome, Dana Field").wait_for()
    worker_ready(phone)
    phone.goto("/my/")  # opened once with signal: kept
    phone.get_by_role("heading", name="My rotation").wait_for()

    network.cut(phone.context)
    phone.goto("/my/")
    phone.get_by_role("heading", name="My rotation").wait_for()
    phone.goto("/")  # home was kept at sign-in, by the page itself
    phone.get_by_role("heading", name="Welcome, Dana Field").wait_for()

    phone.goto("/observations/")  # never kept
    phone.get_by_role("heading", name="No connection").wait_for()
    kept = phone.get_by_role("region", name="Kept on this device")
    kept.get_by_role("link", name="My rotation").wait_for()
    assert page_width(phone) <= PHONE["width"]
    assert violations(phone) == []
    kept.get_by_role("link", name="My rotation").click()
    phone.get_by_role("heading", name="My rotation").wait_for()

    network.restore(phone.context)
    phone.goto("/observations/")
    phone.get_by_role("heading", name="My observations").wait_for()


def eventually(page, expression: str, expected, tries: int = 50) -> bool:
    """Whether the promise ``expression`` resolves to ``expected`` within a few seconds (wait_for_function takes
    a pending promise for a truthy answer)."""
    for _ in range(tries):
        if page.evaluate(expression) == expected:
            return True
        page.wait_for_timeout(100)
    return False


KEPT_DRAFTS = "indexedDB.databases().then((found) => found.some((database) => database.name === 'rotation-device'))"


def test_signing_out_leaves_no_page_and_no_worker_on_the_device(phone, network, make_user):
    user = make_user(roles=["manager"], name="Dana Field")
    sign_in(phone, user.email, PASSWORD)
    phone.get_by_role("heading", name="Welcome, Dana Field").wait_for()
    worker_ready(phone)
    phone.goto("/my/")
    phone.get_by_role("heading", name="My rotation").wait_for()
    assert phone.evaluate("caches.keys()")  # something is kept while signed in

    open_account_menu(phone, "Dana Field")
    phone.get_by_role("button", name="Sign out").click()
    phone.get_by_text("You are signed out.").wait_for()
    assert eventually(phone, "caches.keys().then((names) => names.length)", 0)
    assert phone.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0

    network.cut(phone.context)
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):  # nothing answers from the device
        phone.goto("/my/")


def test_signing_out_forgets_the_kept_observations_even_where_the_browser_ignores_clear_site_data(
        chromium, network, make_user):
    # Without the service worker, so that the browser's requests pass through the route that drops the header.
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, base_url=network.url,
                                   service_workers="block")
    context.set_default_timeout(30_000)
    try:
        _forgets_kept_observations(context.new_page(), make_user)
    finally:
        context.close()


def _forgets_kept_observations(phone, make_user):
    user = make_user(roles=["manager"], name="Dana Field")
    sign_in(phone, user.email, PASSWORD)
    phone.get_by_role("heading", name="Welcome, Dana Field").wait_for()
    phone.wait_for_function("window.rotationDevice !== undefined")
    phone.evaluate("window.rotationDevice.put({id: 'kept-1', answers: {what_happened: 'Pallet wrap ran out'}})")
    assert phone.evaluate(KEPT_DRAFTS)

    def without_clear_site_data(route):
        answer = route.fetch(max_redirects=0)
        headers = {name: value for name, value in answer.headers.items() if name.lower() != "clear-site-data"}
        route.fulfill(response=answer, headers=headers)

    phone.route("**/logout", without_clear_site_data)
    open_account_menu(phone, "Dana Field")
    phone.get_by_role("button", name="Sign out").click()
    phone.get_by_text("You are signed out.").wait_for()
    assert eventually(phone, KEPT_DRAFTS, False)
    # A log-in page reached otherwise (a sign-in that expired) keeps what waits to be sent.
    phone.evaluate("new Promise((done) => { const r = indexedDB.open('rotation-device', 1);"
                   " r.onupgradeneeded = () => r.result.createObjectStore('observations', {keyPath: 'id'});"
                   " r.onsuccess = () => { r.result.close(); done(); }; })")
    phone.reload()
    phone.get_by_role("heading", name="Sign in").wait_for()
    phone.wait_for_timeout(300)  # app.js has run
    assert phone.evaluate(KEPT_DRAFTS)


def test_an_observation_filed_without_signal_is_submitted_once_with_its_photos_when_it_returns(
        phone, network, filing_company, make_user, tmp_path):
    ann = filing_company["ann"]
    make_user(roles=["manager"], email=ann.email)
    sign_in(phone, ann.email, PASSWORD)
    worker_ready(phone)
    phone.goto("/my/")
    phone.get_by_role("button", name="File an observation").click()
    phone.get_by_role("heading", name="New observation", level=1).wait_for()  # opened with signal: kept
    form_url = phone.url

    network.cut(phone.context)  # into the warehouse
    phone.get_by_label("Process area").select_option(label="Customer service › Refunds")
    phone.get_by_label("A quality defect").check()
    phone.get_by_label("What happened").fill("The returns label printer jams on every third label.")
    camera = phone.locator("#photo")
    camera.set_input_files(photo_with_location(tmp_path))
    second = tmp_path / "second.jpg"
    Image.new("RGB", (3000, 2000), (20, 90, 160)).save(second, "JPEG")
    camera.set_input_files(str(second))
    expect(phone.locator(".kept-on-device")).to_have_count(2)
    phone.get_by_role("button", name="Submit").click()
    expect(phone.locator("#autosave-status")).to_contain_text("kept on this device and submitted when the network")

    phone.reload()  # still no signal: the form comes from the device, with what was typed and the photos
    phone.get_by_role("heading", name="New observation", level=1).wait_for()
    expect(phone.get_by_label("What happened")).to_have_value("The returns label printer jams on every third label.")
    expect(phone.locator(".kept-on-device")).to_have_count(2)
    assert phone.url == form_url
    assert page_width(phone) <= PHONE["width"]

    network.restore(phone.context)  # back in signal: sent, then submitted
    phone.get_by_text("Submitted. The owners of Customer service › Refunds will triage it").wait_for()
    phone.reload()  # a second try from the device finds nothing left to send
    phone.get_by_role("heading", level=1).wait_for()
    assert phone.evaluate("""new Promise((resolve) => {
        const request = indexedDB.open("rotation-device", 1);
        request.onsuccess = () => {
            const all = request.result.transaction("observations").objectStore("observations").getAll();
            all.onsuccess = () => resolve(all.result.length);
        };
    })""") == 0

    db.session.expire_all()
    observations = db.session.scalars(sa.select(Observation)).all()
    assert len(observations) == 1 and observations[0].status == SUBMITTED
    photos = db.session.scalars(sa.select(Evidence).where(Evidence.observation_id == observations[0].id)).all()
    assert len(photos) == 2
    for photo in photos:  # shrunk on the device, without the camera's metadata
        stored = Image.open(io.BytesIO(path_of(photo).read_bytes()))
        assert max(stored.size) <= 1600
        assert not stored.getexif()


def new_observation_form(phone, filing_company, make_user) -> None:
    """Ann, signed in with signal, on the form "File an observation" opens for her shift."""
    ann = filing_company["ann"]
    make_user(roles=["manager"], email=ann.email)
    sign_in(phone, ann.email, PASSWORD)
    phone.goto("/my/")
    phone.get_by_role("button", name="File an observation").click()
    phone.get_by_role("heading", name="New observation", level=1).wait_for()


def test_photos_and_answers_kept_at_the_same_moment_are_all_kept(phone, filing_company, make_user):
    """Two photos chosen in quick succession while the answers are saved: each change is made on the record as
    the one before left it, so neither photo is lost."""
    new_observation_form(phone, filing_company, make_user)
    kept = phone.evaluate("""async () => {
        const form = document.getElementById("observation-form");
        const file = (name) => new File([new Uint8Array([1, 2, 3])], name, {type: "text/plain"});
        await Promise.all([window.rotationDevice.keepPhotos(form, {}, [file("first.txt")]),
                           window.rotationDevice.keepAnswers(form, {}),
                           window.rotationDevice.keepPhotos(form, {}, [file("second.txt")])]);
        const record = await window.rotationDevice.get(form.dataset.observation);
        await window.rotationDevice.forget(form.dataset.observation);
        return {photos: record.photos.map((photo) => photo.name).sort(), answers: record.fields !== null};
    }""")
    assert kept == {"photos": ["first.txt", "second.txt"], "answers": True}


def test_a_kept_observation_refused_in_the_background_opens_with_its_messages_beside_the_answers(
        phone, filing_company, make_user):
    new_observation_form(phone, filing_company, make_user)
    edit = phone.url
    phone.evaluate("""(edit) => window.rotationDevice.put({id: "41", urls: {edit}, fields: [], submit: false,
        photos: [], problem: "It needs a look before it can be submitted."})""", edit)
    phone.goto("/my/")
    link = phone.locator("#device-waiting").get_by_role("link", name="Observation 41")
    expect(link).to_have_attribute("href", f"{edit}?check=1")
    link.click()
    expect(phone.locator("#area_id-error")).to_have_text("Choose the process area where you saw it.")


def test_an_observation_begun_without_signal_is_filed_once_when_it_returns(
        phone, network, filing_company, make_user, tmp_path):
    ann, shift = filing_company["ann"], filing_company["ann_shift"]
    make_user(roles=["manager"], email=ann.email)
    sign_in(phone, ann.email, PASSWORD)
    worker_ready(phone)
    phone.goto("/my/")  # with signal: the shift's form is kept on the phone
    kept_form = f"/observations/offline/{shift.uid}"
    for _ in range(100):
        if phone.evaluate("""(path) => caches.open("rotation-pages")
                .then((cache) => cache.match(path, {ignoreVary: true})).then((found) => Boolean(found))""", kept_form):
            break
        phone.wait_for_timeout(200)
    else:
        pytest.fail(f"{kept_form} was not kept on the device")

    network.cut(phone.context)  # on the floor, no signal
    phone.get_by_role("button", name="File an observation").click()
    phone.get_by_role("heading", name="New observation", level=1).wait_for()
    assert phone.url.endswith(kept_form)
    phone.get_by_label("What happened").fill("Refund slips")  # begun, then Submit before choosing the rest
    phone.get_by_role("button", name="Submit").click()
    # Each missing answer beside its question, the first in focus; nothing kept yet.
    expect(phone.get_by_role("alert")).to_have_text("Choose the process area. Say what you saw.")
    expect(phone.get_by_label("Process area")).to_be_focused()
    expect(phone.locator("#area_id-error")).to_have_text("Choose the process area.")
    expect(phone.locator("#kind-error")).to_have_text("Say what you saw.")
    expect(phone.get_by_label("Process area")).to_have_attribute("aria-invalid", "true")
    expect(phone.locator("#what_happened-error")).to_have_count(0)
    expect(phone.locator("#offline-status")).to_have_text("")
    phone.get_by_label("Process area").select_option(label="Customer service › Refunds")
    phone.get_by_label("A quality defect").check()
    phone.get_by_label("What happened").fill("Refund slips run out by noon every day.")
    phone.locator("#photo").set_input_files([photo_with_location(tmp_path)])
    phone.get_by_role("button", name="Submit").click()
    expect(phone.locator("#area_id-error, #kind-error")).to_have_count(0)
    expect(phone.locator("#offline-status")).to_have_text("Kept on this device: it is filed when the network returns.")
    phone.reload()  # still no signal: what waits is said on every page
    expect(phone.locator("#device-waiting")).to_contain_text("1 observation kept on this device")
    assert page_width(phone) <= PHONE["width"]

    network.restore(phone.context)
    expect(phone.get_by_role("heading", level=1)).to_have_text("Refund slips run out by noon every day.",
                                                                timeout=30_000)
    db.session.expire_all()
    filed = db.session.scalars(sa.select(Observation)).all()
    assert len(filed) == 1 and filed[0].status == SUBMITTED and filed[0].device_key
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
