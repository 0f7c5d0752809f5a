"""A manager files an observation on a phone, from the shift to a draft with a photo to a submission, or in three
answers from the shift's card; a failed submit shows the first missing answer; another manager is offered it while
typing a similar one, and seconds it, in place, and takes it back."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from PIL import Image
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.observations.evidence import path_of
from rotation.observations.models import SUBMITTED, Evidence, Observation, Second
from tests.helpers import PASSWORD, PHONE, menu_link, page_width, save_screenshot, sign_in
from tests.test_accessibility_browser import violations

pytestmark = pytest.mark.browser


@pytest.fixture
def company(filing_company):
    return filing_company


def photo_with_location(tmp_path) -> str:
    """A JPEG from a 'phone camera', with a GPS position in its EXIF data."""
    image = Image.new("RGB", (640, 480), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(0x8825)[2] = (60.0, 10.0, 0.0)  # GPS latitude
    path = tmp_path / "refund-screen.jpg"
    image.save(path, "JPEG", exif=exif.tobytes())
    return str(path)


def fits(page) -> None:
    page.wait_for_load_state("load")
    assert page_width(page) <= PHONE["width"]


def test_a_manager_files_an_observation_with_a_photo_on_a_phone(page, company, make_user, tmp_path):
    ann = company["ann"]
    make_user(roles=["manager"], email=ann.email)
    page.set_viewport_size(PHONE)
    sign_in(page, ann.email, PASSWORD)
    page.goto(f"/observations/new?assignment={company['ann_shift'].uid}")
    page.get_by_role("button", name="Start an observation").first.click()
    page.get_by_role("heading", name="New observation", level=1).wait_for()

    page.get_by_label("Process area").select_option(label="Customer service › Refunds")
    page.get_by_label("The computer (or a policy) says no").check()
    page.get_by_text("Add detail (optional)").click()
    page.get_by_label("Title").fill("Refunds over 20 euros wait for a supervisor")
    page.get_by_label("What happened").fill("Picker Anna had to wait for a supervisor for every refund.")
    expect(page.locator("#blame-warning")).to_contain_text("This names Anna")
    page.get_by_label("What happened").fill("Every refund over 20 euros waited for a supervisor's approval.")
    expect(page.locator("#blame-warning")).to_be_hidden()
    expect(page.locator("#autosave-status")).to_contain_text("Saved at", timeout=20_000)
    db.session.expire_all()
    draft = db.session.scalar(sa.select(Observation))
    assert draft.title == "Refunds over 20 euros wait for a supervisor" and draft.status == "draft"

    page.locator("#photo").set_input_files(photo_with_location(tmp_path))
    page.get_by_text("Added 1 file.").wait_for()
    expect(page.get_by_role("img", name="refund-screen.jpg")).to_be_visible()
    fits(page)

    page.get_by_label("How often does the frontline see it?").select_option(label="Every hour or more often")
    page.get_by_label("3 — Noticeable").check()
    page.get_by_label("Why did it happen?").fill("The refund tool asks for approval above 20 euros.")
    save_screenshot(page, "observation_form_phone")
    page.get_by_role("button", name="Submit").click()
    page.get_by_text("Submitted. The owners of Customer service › Refunds will triage it").wait_for()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refunds over 20 euros wait for a supervisor")
    fits(page)
    save_screenshot(page, "observation_detail_phone")

    db.session.expire_all()
    observation = db.session.scalar(sa.select(Observation))
    assert (observation.status, observation.severity, observation.frequency) == (SUBMITTED, 3, "hourly")
    evidence = db.session.scalar(sa.select(Evidence))
    stored = Image.open(io.BytesIO(path_of(evidence).read_bytes()))
    assert not stored.getexif() and "exif" not in stored.info

    menu_link(page, "Observations").click()
    expect(page.get_by_text("Refunds over 20 euros wait for a supervisor")).to_be_visible()
    expect(page.locator(".status-submitted").first).to_have_text("Submitted")
    assert page.console_errors == []


def test_a_similar_observation_is_offered_while_typing_and_seconded(page, company, make_user):
    from datetime import UTC, datetime

    from rotation.observations.services import save, start_draft, submit

    now = datetime.now(UTC)
    first = start_draft(company["ann_shift"], company["ann"], now)
    save(first, {"area_id": company["refunds"].id, "kind": "blocked",
                 "title": "Refunds over 20 euros wait for a supervisor",
                 "what_happened": "Every refund above 20 euros waits for a supervisor's approval in the tool.",
                 "severity": 3, "frequency": "hourly"}, now)
    submit(first, now)
    db.session.commit()
    bo = company["bo"]
    make_user(roles=["manager"], email=bo.email)
    page.set_viewport_size(PHONE)
    sign_in(page, bo.email, PASSWORD)
    page.goto(f"/observations/new?assignment={company['bo_shift'].uid}")
    page.get_by_role("button", name="Start an observation").first.click()
    page.get_by_text("Add detail (optional)").click()
    page.get_by_label("Title").fill("Supervisor approval for refunds")
    page.get_by_label("What happened").fill("Refunds above 20 euros wait for supervisor approval every time.")
    suggestion = page.locator("#similar").get_by_role("link", name="Refunds over 20 euros wait for a supervisor")
    expect(suggestion).to_be_visible()
    page.goto(suggestion.get_attribute("href"))
    page.get_by_label("What you saw (optional)").fill("Same on my day: four refunds waited.")
    page.get_by_role("button", name="Me too").click()
    page.get_by_text("Thank you: your “me too” is added.").wait_for()
    expect(page.get_by_role("heading", name="Me too (1)")).to_be_visible()
    fits(page)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Second.note)) == "Same on my day: four refunds waited."
    assert page.console_errors == []


def _filed_by_ann(company) -> Observation:
    from datetime import UTC, datetime

    from rotation.observations.services import save, start_draft, submit

    now = datetime.now(UTC)
    first = start_draft(company["ann_shift"], company["ann"], now)
    save(first, {"area_id": company["refunds"].id, "kind": "blocked",
                 "title": "Refunds over 20 euros wait for a supervisor",
                 "what_happened": "Every refund above 20 euros waits for a supervisor's approval in the tool.",
                 "severity": 3, "frequency": "hourly"}, now)
    submit(first, now)
    db.session.commit()
    return first


@pytest.mark.parametrize("size", [PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_a_minimal_observation_is_filed_from_the_shift_card_in_at_most_six_taps(page, company, make_user, size):
    ann = company["ann"]
    make_user(roles=["manager"], email=ann.email)
    page.set_viewport_size(size)
    sign_in(page, ann.email, PASSWORD)
    page.goto("/my/")
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        taps += 1
        locator.click()

    tap(page.get_by_role("button", name="File an observation"))
    page.get_by_role("heading", name="New observation", level=1).wait_for()
    expect(page.get_by_label("Title")).to_be_hidden()  # detail waits behind "Add detail"
    taps += 2  # a phone's list: open it, pick one
    page.get_by_label("Process area").select_option(label="Customer service › Refunds")
    tap(page.get_by_label("A quality defect"))
    tap(page.get_by_label("What happened"))
    page.keyboard.type("The returns label printer jams on every third label.")
    tap(page.get_by_role("button", name="Submit"))
    page.get_by_text("Submitted. The owners of Customer service › Refunds will triage it").wait_for()
    assert taps <= 6
    expect(page.get_by_role("heading", level=1)).to_have_text("The returns label printer jams on every third label.")
    if size == PHONE:
        fits(page)
        save_screenshot(page, "observation_minimal_phone")
    db.session.expire_all()
    observation = db.session.scalar(sa.select(Observation))
    assert (observation.status, observation.kind, observation.severity) == (SUBMITTED, "defect", 3)
    assert page.console_errors == []


def test_a_photo_is_added_without_leaving_the_page_and_the_text_stays(page, company, make_user, tmp_path):
    ann = company["ann"]
    make_user(roles=["manager"], email=ann.email)
    page.set_viewport_size(PHONE)
    sign_in(page, ann.email, PASSWORD)
    page.goto("/my/")
    page.get_by_role("button", name="File an observation").click()
    camera = page.locator("#photo")
    assert camera.get_attribute("accept") == "image/*" and camera.get_attribute("capture") == "environment"
    typed = "The scanner's battery died twice before noon."
    page.get_by_label("What happened").fill(typed)
    page.evaluate("window.stillHere = true")
    camera.set_input_files(photo_with_location(tmp_path))
    expect(page.get_by_role("img", name="refund-screen.jpg")).to_be_visible()
    expect(page.locator("#upload-status")).to_have_text("Added 1 file.")
    assert page.evaluate("window.stillHere") is True
    expect(page.get_by_label("What happened")).to_have_value(typed)
    # A file that is no photo is refused beside the photo field, and the text is still there.
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_bytes(b"<html>no</html>")
    camera.set_input_files(str(bad))
    expect(page.locator("#files-error")).to_contain_text("not-a-photo.jpg is not a photo")
    expect(page.get_by_label("What happened")).to_have_value(typed)
    fits(page)
    assert violations(page) == []  # the photo list and its Remove buttons too, tap targets included
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 1
    assert page.evaluate("window.stillHere") is True


def test_answers_given_before_the_form_finished_loading_are_saved_as_a_draft(page, company, make_user):
    ann = company["ann"]
    make_user(roles=["manager"], email=ann.email)
    page.set_viewport_size(PHONE)
    sign_in(page, ann.email, PASSWORD)
    page.goto("/my/")
    held = []  # the form's script, held back as on a slow connection on the floor
    page.route("**/static/js/observation_form.js", lambda route: held.append(route))
    page.get_by_role("button", name="File an observation").click()
    page.get_by_label("What happened").fill("The label printer jams.")
    page.get_by_label("A quality defect").check()
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    expect(page.locator("#autosave-status")).to_contain_text("Saved at", timeout=20_000)
    db.session.expire_all()
    draft = db.session.scalar(sa.select(Observation))
    assert (draft.what_happened, draft.kind, draft.status) == ("The label printer jams.", "defect", "draft")
    # Opened again with nothing given while it loaded, the form saves nothing until something changes.
    page.unroute("**/static/js/observation_form.js")
    saves = []
    page.on("request", lambda request: saves.append(request) if request.method == "POST" else None)
    page.reload()
    page.get_by_role("heading", name="New observation", level=1).wait_for()
    page.wait_for_timeout(2500)  # longer than the form waits after a change before saving it
    assert saves == [] and page.locator("#autosave-status").inner_text() == ""
    assert page.console_errors == []


def test_a_failed_submit_brings_the_first_missing_answer_into_view_and_focus(page, company, make_user):
    ann = company["ann"]
    make_user(roles=["manager"], email=ann.email)
    page.set_viewport_size(PHONE)
    sign_in(page, ann.email, PASSWORD)
    page.goto("/my/")
    page.get_by_role("button", name="File an observation").click()
    page.get_by_label("A quality defect").check()
    page.get_by_label("What happened").fill("The label printer jams.")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("heading", name="1 answer to look at").wait_for()
    area = page.get_by_label("Process area")
    expect(area).to_be_focused()
    expect(area).to_be_in_viewport()
    expect(page.locator("#area_id-error")).to_have_text("Choose the process area where you saw it.")
    expect(page.locator("#area_id-error")).to_be_in_viewport()
    expect(page.get_by_label("What happened")).to_have_value("The label printer jams.")
    fits(page)
    page.get_by_text("Add detail (optional)").click()
    assert violations(page) == []
    assert page.console_errors == []


def test_a_me_too_is_given_in_place_instead_of_a_draft_and_taken_back(page, company, make_user):
    _filed_by_ann(company)
    bo = company["bo"]
    make_user(roles=["manager"], email=bo.email)
    page.set_viewport_size(PHONE)
    sign_in(page, bo.email, PASSWORD)
    page.goto("/my/")
    page.get_by_role("button", name="File an observation").click()
    page.get_by_label("Process area").select_option(label="Customer service › Refunds")
    typed = "Refunds above 20 euros wait for supervisor approval every time."
    page.get_by_label("What happened").fill(typed)
    edit_url = page.url
    page.get_by_role("button", name="Me too: Refunds over 20 euros wait for a supervisor").click()
    done = page.locator("#me-too-done")
    expect(done).to_contain_text("You said “me too” to “Refunds over 20 euros wait for a supervisor”")
    expect(done).to_be_focused()
    assert page.url == edit_url
    db.session.expire_all()
    assert db.session.scalar(sa.select(Second.note)) == typed
    assert db.session.scalars(sa.select(Observation.status)).all() == [SUBMITTED]  # no draft left behind
    fits(page)
    assert violations(page) == []  # the "me too" panel and its Take back button too, tap targets included
    save_screenshot(page, "observation_me_too_phone")

    done.get_by_role("button", name="Take back").click()
    expect(done).to_contain_text("Taken back: your draft is here again")
    expect(page.get_by_label("What happened")).to_have_value(typed)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Second)) == 0
    draft = db.session.scalar(sa.select(Observation).where(Observation.status == "draft"))
    assert draft is not None and draft.what_happened == typed and draft.area_id == company["refunds"].id
    assert page.url.endswith(f"/observations/{draft.id}/edit")
    # The form goes on saving the draft that came back.
    page.get_by_label("What happened").fill(typed + " Again today.")
    expect(page.locator("#autosave-status")).to_contain_text("Saved at", timeout=20_000)
    db.session.expire_all()
    assert db.session.get(Observation, draft.id).what_happened.endswith("Again today.")
    assert page.console_errors == []
