"""Observations: the filing window, drafts and submitting, permissions, the andon alert, "me too", my list."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, COMPLETED, Assignment
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.observations.models import DRAFT, SUBMITTED, TRIAGED, Observation, Second, WindowExtension
from rotation.observations.services import filing_problem, start_draft, submit
from rotation.outbox.models import OutboxMessage
from rotation.refusals import Refusal
from tests.fixtures.observations import now
from tests.helpers import PASSWORD, count_queries, csrf_token

COMPLETE = {"area_id": None, "kind": "blocked", "title": "Refund needs a supervisor for every order",
            "what_happened": "Every refund over 20 euros waits for a supervisor's approval; callers wait 6 minutes.",
            "customer_minutes": "6", "customer_visible": "yes", "frequency": "hourly", "severity": "3",
            "why_1": "The refund tool asks for approval above 20 euros.", "cause": "policy",
            "suggested_fix": "Let agents approve refunds up to 100 euros.",
            "frontline_quote": "We apologise more than we help.", "reference_numbers": "T-1001, T-1002"}


@pytest.fixture
def company(filing_company):
    return filing_company


@pytest.fixture
def ann(company, login_as):
    login_as("manager", email=company["ann"].email)
    return company["ann"]


def complete(company, **changes) -> dict:
    return {**COMPLETE, "area_id": str(company["refunds"].id), **changes}


def draft_of(company, person_key: str = "ann") -> Observation:
    observation = start_draft(company[f"{person_key}_shift"], company[person_key], now())
    db.session.commit()
    return observation


def submitted_of(company, observation: Observation | None = None) -> Observation:
    """Ann's draft (or ``observation``) completed and submitted."""
    observation = observation or draft_of(company)
    for name, value in complete(company).items():
        if name not in ("customer_minutes", "severity", "customer_visible", "area_id"):
            setattr(observation, name, value)
    observation.area_id, observation.severity, observation.customer_minutes = company["refunds"].id, 3, 6
    submit(observation, now())
    db.session.commit()
    return observation


def reloaded(observation_id: int) -> Observation | None:
    db.session.expire_all()
    return db.session.get(Observation, observation_id)


def sign_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})


def switch_to(client, post_form, email: str) -> None:
    """Sign out, then in as the account with ``email`` (its password is the fixtures' one)."""
    sign_out(client)
    assert post_form("/login", {"email": email, "password": PASSWORD}).status_code == 302


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# --- The window -----------------------------------------------------------------------------------------------

@pytest.mark.dates
def test_the_window_opens_at_the_shifts_start_and_closes_14_days_after_its_end(app, company):
    shift, ann = company["ann_shift"], company["ann"]
    slot = company["slot"]
    assert filing_problem(shift, ann, slot.starts_at) is None
    assert "from the start of this shift" in filing_problem(shift, ann, slot.starts_at - timedelta(minutes=1))
    assert filing_problem(shift, ann, slot.ends_at + timedelta(days=14)) is None
    late = filing_problem(shift, ann, slot.ends_at + timedelta(days=14, minutes=1))
    assert "ask HR to extend the window" in late
    app.config["ROTATION_OBSERVATION_DAYS"] = 30
    assert filing_problem(shift, ann, slot.ends_at + timedelta(days=20)) is None


@pytest.mark.dates
def test_hr_extends_the_window_from_the_assignment_page(client, company, login_as, post_form):
    shift, ann, slot = company["ann_shift"], company["ann"], company["slot"]
    later = slot.ends_at + timedelta(days=20)
    assert filing_problem(shift, ann, later) is not None
    login_as("hr")
    until = (later + timedelta(days=1)).date()
    response = post_form(f"/observations/window/{shift.id}", {"until": until.isoformat()},
                         page=f"/assignments/{shift.id}")
    assert response.status_code == 302
    assert filing_problem(db.session.get(Assignment, shift.id), ann, later) is None
    assert "(extended)" in client.get(f"/assignments/{shift.id}").get_data(as_text=True)


@pytest.mark.dates
def test_a_window_far_in_the_future_is_refused_beside_the_field_and_nothing_is_written(client, company, login_as,
                                                                                    post_form):
    shift = company["ann_shift"]
    login_as("hr")
    response = post_form(f"/observations/window/{shift.id}", {"until": "9999-12-31"},
                         page=f"/assignments/{shift.id}")
    assert response.status_code < 500
    page = client.get(f"/assignments/{shift.id}") if response.status_code == 302 else response
    assert page.status_code == 200
    assert "Enter a date between" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WindowExtension)) == 0


@pytest.mark.dates
def test_only_ones_own_worked_shifts_can_be_filed_about(company):
    ann, bo_shift = company["ann"], company["bo_shift"]
    assert filing_problem(bo_shift, ann, now()) == "You can file observations only about your own shifts."
    shift = company["ann_shift"]
    for status in (CANCELLED, "no_show", "draft"):
        shift.status = status
        assert "was not worked" in filing_problem(shift, ann, now())
    shift.status = COMPLETED
    assert filing_problem(shift, ann, now()) is None


def test_the_invitations_link_names_the_shift_and_starting_makes_a_draft(client, company, ann, post_form):
    shift = company["ann_shift"]
    page = client.get(f"/observations/new?assignment={shift.uid}")
    assert page.status_code == 200 and "Start an observation" in page.get_data(as_text=True)
    response = post_form("/observations/new", {"assignment": shift.uid}, page="/observations/new")
    assert response.status_code == 302
    observation = db.session.scalar(sa.select(Observation))
    assert (observation.status, observation.author_id, observation.assignment_id) == (DRAFT, company["ann"].id,
                                                                                     shift.id)
    refused = post_form("/observations/new", {"assignment": company["bo_shift"].uid}, page="/observations/new",
                        follow_redirects=True)
    assert "You can file observations only about your own shifts." in text(refused)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 1


def test_starting_again_on_a_shift_opens_the_empty_draft_instead_of_a_second(company):
    """"File an observation" tapped twice (or again after going back) leaves no stray "Draft · No area yet"; once
    anything is in the draft, even only a detail, starting again begins another observation."""
    from rotation.observations.services import save

    first = draft_of(company)
    assert draft_of(company).id == first.id
    save(first, {"why_1": "The refund tool asks for approval."}, now())
    db.session.commit()
    second = draft_of(company)
    assert second.id != first.id
    assert draft_of(company, "bo").id not in (first.id, second.id)  # someone else's shift: their own draft
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Observation)) == 3


# --- Drafts and submitting --------------------------------------------------------------------------------------

def test_a_draft_keeps_whatever_was_typed_and_submitting_asks_for_the_rest(client, company, ann, post_form):
    observation = draft_of(company)
    url = f"/observations/{observation.id}/edit"
    saved = post_form(url, {"title": "Refunds are slow", "action": "save"})
    assert saved.status_code == 302
    assert reloaded(observation.id).title == "Refunds are slow"
    refused = post_form(url, {"title": "Refunds are slow", "action": "submit"})
    page = text(refused)
    for message in ("Choose the process area where you saw it.", "Choose what kind of observation this is.",
                    "Say what happened: the facts you saw or heard."):
        assert message in page
    # The summary at the top links to each field in error.
    assert '<a href="#area_id">Process area</a>' in page and '<a href="#kind-0">' in page
    assert "Choose a severity" not in page and "Say how often" not in page
    assert reloaded(observation.id).status == DRAFT
    done = post_form(url, {**complete(company), "action": "submit"})
    assert done.status_code == 302
    submitted = reloaded(observation.id)
    assert (submitted.status, submitted.severity, submitted.customer_visible, submitted.andon) == \
        (SUBMITTED, 3, True, False)
    assert submitted.why_1.startswith("The refund tool") and submitted.reference_numbers == "T-1001, T-1002"


def test_a_draft_opened_to_be_checked_shows_what_it_lacks_beside_each_answer(client, company, ann, post_form):
    """The phone's "needs a look" link (a submission sent in the background was refused) opens the form with
    the messages Submit would give, and changes nothing."""
    observation = draft_of(company)
    url = f"/observations/{observation.id}/edit"
    post_form(url, {"what_happened": "Refunds wait for a supervisor.", "action": "save"})
    checked = client.get(f"{url}?check=1").get_data(as_text=True)
    assert 'id="area_id-error"' in checked and "Choose the process area where you saw it." in checked
    assert "Choose what kind of observation this is." in checked
    assert "Say what happened" not in checked  # answered
    assert 'id="area_id-error"' not in client.get(url).get_data(as_text=True)  # opened plainly: no messages
    assert reloaded(observation.id).status == DRAFT


def test_a_minimal_observation_needs_three_answers_and_gets_a_title_and_the_middle_severity(client, company, ann,
                                                                                          post_form):
    observation = draft_of(company)
    url = f"/observations/{observation.id}/edit"
    text_typed = ("The refund tool asks a supervisor to approve every refund above twenty euros, even when the "
                  "customer has the receipt in hand.\nSecond line.")
    done = post_form(url, {"area_id": str(company["refunds"].id), "kind": "contact", "what_happened": text_typed,
                           "action": "submit"})
    assert done.status_code == 302
    submitted = reloaded(observation.id)
    assert (submitted.status, submitted.severity, submitted.frequency, submitted.contact_driver) == \
        (SUBMITTED, 3, None, None)
    assert submitted.title == "The refund tool asks a supervisor to approve every refund above twenty euros…"
    assert len(submitted.title) <= 81


def test_a_title_and_severity_given_are_kept(company):
    from rotation.observations.services import save

    observation = draft_of(company)
    save(observation, {"area_id": company["refunds"].id, "kind": "waste", "what_happened": "Walked 40 m per pick.",
                       "title": "Long walks", "severity": 2}, now())
    submit(observation, now())
    assert (observation.title, observation.severity, observation.waste) == ("Long walks", 2, None)


@pytest.mark.parametrize("field, value, message", [
    ("customer_minutes", "-5", "Give whole minutes from 0 to 100,000."),
    ("customer_minutes", "lots", "Not a valid integer value."),
    ("severity", "7", "Choose a severity from 1 to 5."),
    ("kind", "gossip", "Choose a kind from the list."),
    ("area_id", "99999", "Choose a process area from the list."),
    ("area_id", "abc", "Choose a process area from the list."),
    ("frequency", "sometimes", "Choose how often from the list."),
    ("title", "x" * 201, "Keep the title to 200 characters."),
    ("why_3", "y" * 1001, "Keep each why to 1,000 characters."),
])
def test_bad_answers_are_explained_beside_the_field_and_nothing_is_saved(client, company, ann, post_form, field,
                                                                        value, message):
    observation = draft_of(company)
    response = post_form(f"/observations/{observation.id}/edit",
                         {**complete(company), field: value, "action": "submit"})
    assert response.status_code == 200
    assert message in text(response)
    unchanged = reloaded(observation.id)
    assert (unchanged.status, unchanged.title) == (DRAFT, "")


def test_autosave_keeps_a_draft_and_reports_bad_answers(client, company, ann):
    observation = draft_of(company)
    token = csrf_token(client.get(f"/observations/{observation.id}/edit").get_data(as_text=True))
    url = f"/observations/{observation.id}/autosave"
    saved = client.post(url, data={"title": "Half a thought"}, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.json["saved"] is True
    assert reloaded(observation.id).title == "Half a thought"
    bad = client.post(url, data={"title": "x", "customer_minutes": "-1"}, headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and "customer_minutes" in bad.json["errors"]
    assert reloaded(observation.id).title == "Half a thought"
    assert client.post(url, data={"title": "no token"}).status_code == 400
    huge = client.post(url, data={"title": "x", "customer_minutes": "9" * 400}, headers={"X-CSRFToken": token})
    assert huge.status_code == 422 and huge.json["errors"]["customer_minutes"] == ["Enter a smaller number."]
    nul = client.post(url, data={"title": "Half\x00 a thought"}, headers={"X-CSRFToken": token})
    assert nul.status_code == 422 and "NUL" in nul.json["errors"]["title"][0]
    assert reloaded(observation.id).title == "Half a thought"


def test_the_author_edits_until_an_owner_triages(client, company, ann, post_form):
    observation = draft_of(company)
    post_form(f"/observations/{observation.id}/edit", {**complete(company), "action": "submit"})
    edited = post_form(f"/observations/{observation.id}/edit", {**complete(company, title="Refunds wait"),
                                                                "action": "save"})
    assert edited.status_code == 302 and reloaded(observation.id).title == "Refunds wait"
    emptied = post_form(f"/observations/{observation.id}/edit", {**complete(company, what_happened=""),
                                                                 "action": "save"})
    assert "Say what happened" in text(emptied)
    assert reloaded(observation.id).what_happened.startswith("Every refund")
    from rotation.problems.services import create_from

    create_from(reloaded(observation.id), company["owner"], title="Refund approvals", area_id=company["refunds"].id,
                severity=3)
    db.session.commit()
    assert reloaded(observation.id).status == TRIAGED
    assert client.get(f"/observations/{observation.id}/edit").status_code == 403


# --- Who sees what --------------------------------------------------------------------------------------------

def test_nobody_else_edits_and_only_the_right_people_see(client, company, login_as, post_form):
    observation = draft_of(company)
    login_as("manager", email=company["bo"].email)
    assert client.get(f"/observations/{observation.id}").status_code == 404  # a draft is the author's alone
    assert client.get(f"/observations/{observation.id}/edit").status_code == 404
    observation = submitted_of(company, reloaded(observation.id))
    assert client.get(f"/observations/{observation.id}").status_code == 200  # bo has an open shift: may second
    assert client.get(f"/observations/{observation.id}/edit").status_code == 403
    sign_out(client)
    login_as("owner", email="other-owner@example.com")
    assert client.get(f"/observations/{observation.id}").status_code == 404  # owns nothing
    switch_to(client, post_form, "olli@example.com")
    detail = client.get(f"/observations/{observation.id}")
    assert detail.status_code == 200 and "Refund needs a supervisor" in text(detail)
    assert client.get(f"/observations/{observation.id}/edit").status_code == 403


def test_hr_on_the_roster_but_not_in_the_rotation_reads_no_observation(client, company, login_as, make_person):
    """The written rule: the author, everyone in the rotation, the area's owners and admins read a submitted
    observation; an HR account whose roster person is not in the rotation does not, nor its photos."""
    observation = submitted_of(company)
    make_person("E900", full_name="Henna HR", email="henna@example.com", in_rotation=False)
    login_as("hr", email="henna@example.com")
    assert client.get(f"/observations/{observation.id}").status_code == 404


# --- Andon ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("answers", [{"severity": "5"}, {"kind": "safety", "severity": "2"}],
                         ids=["severity 5", "safety"])
def test_andon_alerts_the_areas_owners_at_once_and_tops_their_queue(client, company, ann, post_form, login_as,
                                                                    answers):
    quiet = draft_of(company)
    post_form(f"/observations/{quiet.id}/edit", {**complete(company, title="A quiet one"), "action": "submit"})
    loud = draft_of(company)
    post_form(f"/observations/{loud.id}/edit", {**complete(company, title="Forklift <alarm> broken", **answers),
                                                 "action": "submit"})
    assert reloaded(loud.id).andon is True and reloaded(quiet.id).andon is False
    alerts = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.purpose == "andon")).all()
    assert [(alert.recipient, alert.subject) for alert in alerts] == \
        [("olli@example.com", "Andon: Forklift <alarm> broken (Customer service › Refunds)")]
    assert f"/observations/{loud.id}" in alerts[0].body_text
    # Saving it again alerts nobody twice.
    post_form(f"/observations/{loud.id}/edit", {**complete(company, title="Forklift <alarm> broken", **answers),
                                                 "action": "save"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.purpose == "andon")) == 1
    switch_to(client, post_form, "olli@example.com")
    queue = client.get("/observations/areas").get_data(as_text=True)
    assert queue.index("Forklift &lt;alarm&gt; broken") < queue.index("A quiet one")


# --- Me too, and my list ---------------------------------------------------------------------------------------

def test_another_manager_seconds_from_their_own_shift_once(client, company, login_as, post_form):
    observation = draft_of(company)
    for name, value in complete(company).items():
        if name not in ("customer_minutes", "severity", "customer_visible", "area_id"):
            setattr(observation, name, value)
    observation.area_id, observation.severity = company["refunds"].id, 3
    submit(observation, now())
    db.session.commit()
    login_as("manager", email=company["bo"].email)
    page = client.get(f"/observations/{observation.id}")
    assert "Did you see it too?" in text(page)
    html = page.get_data(as_text=True)
    # The way to the form comes before the details, which fill screens on a phone.
    assert html.index('href="#me-too"') < html.index("<dt>Kind</dt>") < html.index('id="me-too"')
    response = post_form(f"/observations/{observation.id}/second",
                         {"assignment_id": str(company["bo_shift"].id), "note": "Same on my day"},
                         page=f"/observations/{observation.id}")
    assert response.status_code == 302
    assert [(s.person_id, s.note) for s in db.session.scalars(sa.select(Second))] == [(company["bo"].id,
                                                                                       "Same on my day")]
    after = client.get(f"/observations/{observation.id}").get_data(as_text=True)
    assert "Did you see it too?" not in text(client.get(f"/observations/{observation.id}"))
    assert after.index("You said “me too”: take it back") < after.index("<dt>Kind</dt>")
    news = db.session.scalars(sa.select(Notification.text).where(Notification.person_id == company["ann"].id)).all()
    assert news == ["Bo Second saw it too: “Refund needs a supervisor for every order”."]


def test_my_observations_shows_what_became_of_each(client, company, ann, post_form):
    draft = draft_of(company)
    post_form(f"/observations/{draft.id}/edit", {"title": "Still thinking <b>", "action": "save"})
    done = draft_of(company)
    post_form(f"/observations/{done.id}/edit", {**complete(company), "action": "submit"})
    with count_queries() as queries:
        page = client.get("/observations/").get_data(as_text=True)
    assert "Still thinking &lt;b&gt;" in page and "Refund needs a supervisor for every order" in page
    assert page.index("Still thinking") < page.index("Refund needs a supervisor")
    assert "Draft" in page and "Submitted" in page and "File an observation" in page
    assert len(queries) <= 12, queries


def test_a_draft_is_deleted_but_a_submitted_one_stays(client, company, ann, post_form):
    draft = draft_of(company)
    post_form(f"/observations/{draft.id}/delete", {}, page=f"/observations/{draft.id}/edit")
    assert reloaded(draft.id) is None
    kept = draft_of(company)
    post_form(f"/observations/{kept.id}/edit", {**complete(company), "action": "submit"})
    with pytest.raises(Refusal):
        from rotation.observations.services import delete_draft

        delete_draft(reloaded(kept.id))
    db.session.rollback()
    assert reloaded(kept.id) is not None


def test_a_me_too_carries_its_own_photo_and_a_bad_file_saves_nothing(client, company, login_as, post_form):
    import io

    from PIL import Image

    from rotation.observations.models import Evidence

    observation = draft_of(company)
    for name, value in complete(company).items():
        if name not in ("customer_minutes", "severity", "customer_visible", "area_id"):
            setattr(observation, name, value)
    observation.area_id, observation.severity = company["refunds"].id, 3
    submit(observation, now())
    db.session.commit()
    login_as("manager", email=company["bo"].email)
    token = csrf_token(client.get(f"/observations/{observation.id}").get_data(as_text=True))
    url = f"/observations/{observation.id}/second"
    bad = client.post(url, data={"csrf_token": token, "assignment_id": str(company["bo_shift"].id),
                                 "files": (io.BytesIO(b"<html>hi</html>"), "photo.jpg")},
                      content_type="multipart/form-data")
    assert bad.status_code == 200 and "was not saved either" in text(bad)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Second)) == 0
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(photo, "JPEG")
    photo.seek(0)
    good = client.post(url, data={"csrf_token": token, "assignment_id": str(company["bo_shift"].id),
                                  "note": "Same here", "files": (photo, "mine.jpg")},
                       content_type="multipart/form-data")
    assert good.status_code == 302
    second = db.session.scalar(sa.select(Second))
    evidence = db.session.scalar(sa.select(Evidence))
    assert (evidence.second_id, evidence.uploaded_by_id, evidence.filename) == (second.id, company["bo"].id,
                                                                                "mine.jpg")
    assert "(from a “me too”)" in text(client.get(f"/observations/{observation.id}"))


# --- "Me too" in place, from a draft's form -----------------------------------------------------------------

def bos_draft(company, **answers) -> Observation:
    from rotation.observations.services import save

    draft = draft_of(company, "bo")
    save(draft, {"area_id": company["refunds"].id, "kind": "blocked",
                 "what_happened": "Four refunds waited for a supervisor.", **answers}, now())
    db.session.commit()
    return draft


def test_a_me_too_from_a_draft_leaves_no_draft_and_takes_its_text_as_the_note(company):
    from rotation.observations.services import second_instead

    original = submitted_of(company)
    draft = bos_draft(company)
    seconded = second_instead(original, draft, company["bo"], now())
    db.session.commit()
    assert (seconded.person_id, seconded.assignment_id, seconded.note) == \
        (company["bo"].id, company["bo_shift"].id, "Four refunds waited for a supervisor.")
    assert db.session.scalars(sa.select(Observation.id).where(Observation.status == DRAFT)).all() == []


def test_a_me_too_from_an_observations_page_leaves_no_untouched_draft_behind(company):
    """"File an observation" begins a draft; saying "me too" instead on the observation's own page removes that
    empty draft, while a draft with something written in it stays for its author to finish or delete."""
    from rotation.observations.services import second

    original, another = submitted_of(company), submitted_of(company)
    empty = draft_of(company, "bo")
    second(original, company["bo"], company["bo_shift"], "Same here.", now())
    db.session.commit()
    assert db.session.get(Observation, empty.id) is None
    written = bos_draft(company, title="Supervisor for refunds")
    detail_only = start_draft(company["bo_shift"], company["bo"], now())
    detail_only.why_2 = "Nobody trusts the tool's limit."
    someone_elses = draft_of(company, "ann")
    second(another, company["bo"], company["bo_shift"], None, now())
    db.session.commit()
    assert set(db.session.scalars(sa.select(Observation.id).where(Observation.status == DRAFT))) == \
        {written.id, detail_only.id, someone_elses.id}


def test_a_me_too_from_a_draft_with_nothing_written_yet_leaves_no_draft(company):
    from rotation.observations.services import second_instead

    original = submitted_of(company)
    empty = draft_of(company, "bo")
    seconded = second_instead(original, empty, company["bo"], now())
    db.session.commit()
    assert (seconded.person_id, seconded.note) == (company["bo"].id, None)
    assert db.session.scalars(sa.select(Observation.id).where(Observation.status == DRAFT)).all() == []


def test_a_me_too_from_a_shift_of_another_kind_and_area_is_refused(company):
    from rotation.observations.services import second, second_instead
    from rotation.sites.models import WAREHOUSE_WEEK

    original = submitted_of(company)
    company["bo_shift"].kind = WAREHOUSE_WEEK
    with pytest.raises(Refusal) as refused:
        second(original, company["bo"], company["bo_shift"], None, now())
    assert "seen on a customer-service day" in refused.value.message
    assert "would not count" in refused.value.message
    # A draft in another area is refused too, and stays as it was.
    draft = bos_draft(company, area_id=company["service"].id)
    with pytest.raises(Refusal):
        second_instead(original, draft, company["bo"], now())
    db.session.rollback()
    assert reloaded(draft.id).status == DRAFT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Second)) == 0
    # The same process area counts, whatever the shift's kind.
    company["bo_shift"].kind = WAREHOUSE_WEEK
    draft = reloaded(draft.id)
    draft.area_id = company["refunds"].id
    assert second_instead(original, draft, company["bo"], now()).observation_id == original.id


def test_taking_back_a_me_too_from_a_draft_brings_the_draft_back_with_its_photo(company):
    import io

    from PIL import Image
    from werkzeug.datastructures import FileStorage

    from rotation.observations.evidence import store
    from rotation.observations.models import Evidence
    from rotation.observations.services import second_instead, take_back

    original = submitted_of(company)
    draft = bos_draft(company, title="Supervisor for refunds")
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(photo, "JPEG")
    photo.seek(0)
    store(FileStorage(photo, "mine.jpg"), observation_id=draft.id, uploaded_by_id=company["bo"].id)
    seconded = second_instead(original, draft, company["bo"], now())
    assert db.session.scalar(sa.select(Evidence.second_id)) == seconded.id
    restored = take_back(seconded, company["bo"], now(),
                         restore={"area_id": company["refunds"].id, "kind": "blocked",
                                  "title": "Supervisor for refunds",
                                  "what_happened": "Four refunds waited for a supervisor."})
    db.session.commit()
    assert restored is not None and restored.status == DRAFT and restored.title == "Supervisor for refunds"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Second)) == 0
    evidence = db.session.scalar(sa.select(Evidence))
    assert (evidence.observation_id, evidence.second_id) == (restored.id, None)


def test_a_me_too_is_taken_back_from_the_observations_page(client, company, login_as, post_form):
    from rotation.observations.services import second

    original = submitted_of(company)
    second(original, company["bo"], company["bo_shift"], "Same", now())
    db.session.commit()
    seconded = db.session.scalar(sa.select(Second))
    login_as("manager", email=company["ann"].email)
    # Nobody else takes it back.
    assert post_form(f"/observations/seconds/{seconded.id}/take-back", {},
                     page=f"/observations/{original.id}").status_code == 404
    sign_out(client)
    login_as("manager", email=company["bo"].email)
    page = text(client.get(f"/observations/{original.id}"))
    assert "You said “me too” to this one." in page
    response = post_form(f"/observations/seconds/{seconded.id}/take-back", {}, page=f"/observations/{original.id}",
                         follow_redirects=True)
    assert "Taken back" in text(response) and "Me too (0)" in text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Second)) == 0


def test_a_photo_uploaded_in_the_background_is_answered_in_json(client, company, ann):
    import io

    from PIL import Image

    draft = draft_of(company)
    token = csrf_token(client.get(f"/observations/{draft.id}/edit").get_data(as_text=True))
    url = f"/observations/{draft.id}/evidence"
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(photo, "JPEG")
    photo.seek(0)
    added = client.post(url, data={"csrf_token": token, "files": (photo, "shelf.jpg")},
                        content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert added.status_code == 200
    answer = added.get_json()
    assert answer["message"] == "Added 1 file." and [item["filename"] for item in answer["added"]] == ["shelf.jpg"]
    assert answer["added"][0]["photo"] is True and answer["added"][0]["url"].startswith("/evidence/")
    refused = client.post(url, data={"csrf_token": token, "files": (io.BytesIO(b"<html>"), "x.jpg")},
                          content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert refused.status_code == 422 and "is not a photo" in refused.get_json()["message"]
    # Without JavaScript the same post answers with the form again.
    again = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(again, "JPEG")
    again.seek(0)
    plain = client.post(url, data={"csrf_token": token, "files": (again, "again.jpg")},
                        content_type="multipart/form-data")
    assert plain.status_code == 302 and plain.headers["Location"].endswith(f"/observations/{draft.id}/edit#evidence")


def test_a_me_too_from_a_draft_is_answered_in_json_and_taken_back_with_the_answers(client, company, login_as):
    original = submitted_of(company)
    draft = bos_draft(company)
    login_as("manager", email=company["bo"].email)
    token = csrf_token(client.get(f"/observations/{draft.id}/edit").get_data(as_text=True))
    given = client.post(f"/observations/{original.id}/second", data={"csrf_token": token, "draft": str(draft.id)},
                        headers={"Accept": "application/json"})
    assert given.status_code == 200 and given.get_json()["seconded"] is True
    assert reloaded(draft.id) is None
    undone = client.post(given.get_json()["take_back_url"], headers={"Accept": "application/json"},
                         data={"csrf_token": token, "restore": "1", "area_id": str(company["refunds"].id),
                               "kind": "blocked", "what_happened": "Four refunds waited for a supervisor."})
    answer = undone.get_json()
    assert undone.status_code == 200 and answer["taken_back"] is True
    restored = reloaded(answer["draft"])
    assert (restored.status, restored.author_id, restored.area_id) == (DRAFT, company["bo"].id, company["refunds"].id)
    # Someone else's draft cannot be turned into a "me too".
    other = draft_of(company)
    refused = client.post(f"/observations/{original.id}/second", data={"csrf_token": token, "draft": str(other.id)},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400 and reloaded(other.id) is not None
