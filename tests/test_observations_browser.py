"""A manager files an observation on a phone, from the shift to a draft with a photo to a submission; another
manager is offered it while typing a similar one, and seconds it."""
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
    page.get_by_label("Title").fill("Refunds over 20 euros wait for a supervisor")
    page.get_by_label("What happened").fill("Picker Anna had to wait for a supervisor for every refund.")
    expect(page.locator("#blame-warning")).to_contain_text("This names Anna")
    page.get_by_label("What happened").fill("Every refund over 20 euros waited for a supervisor's approval.")
    expect(page.locator("#blame-warning")).to_be_hidden()
    expect(page.locator("#autosave-status")).to_contain_text("Saved at", timeout=20_000)
    db.session.expire_all()
    draft = db.session.scalar(sa.select(Observation))
    assert draft.title == "Refunds over 20 euros wait for a supervisor" and draft.status == "draft"

    page.locator("#files").set_input_files(photo_with_location(tmp_path))
    page.get_by_role("button", name="Upload").click()
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
