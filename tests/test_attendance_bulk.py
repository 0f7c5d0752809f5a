"""HR marks several shifts at once: ticked on the list or a site's day, shown on a confirmation first, then all or
nothing with the same checks as one at a time."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from rotation.assignments.models import COMPLETED, DRAFT, NO_SHOW, PUBLISHED
from rotation.attendance.services import bulk_field, bulk_preview, load_assignment, record_bulk
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.outbox.models import NO_SHOW_NOTICE, OutboxMessage
from rotation.refusals import Refusal, all_or_nothing
from tests.fixtures.attendance import messages
from tests.fixtures.shifts import assign, reloaded
from tests.helpers import count_queries

HR_EMAIL = "hr@example.com"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def words(response) -> str:
    """The page as a reader sees it: without tags, the spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def loaded(*assignments):
    db.session.expire_all()
    return [load_assignment(assignment.id) for assignment in assignments]


def counts() -> tuple[int, int]:
    return (db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) or 0,
            db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) or 0)


# --- The service -------------------------------------------------------------------------------------------

def test_several_no_shows_are_recorded_together_and_each_line_manager_is_told(app, recent):
    shifts = loaded(recent["ann"], recent["bo"])
    with all_or_nothing():
        record_bulk(shifts, NO_SHOW, HR_EMAIL, datetime.now(UTC))
    db.session.commit()
    assert [(reloaded(s.id).status, reloaded(s.id).attendance_by) for s in shifts] == [(NO_SHOW, HR_EMAIL)] * 2
    assert [message.recipient for message in messages(NO_SHOW_NOTICE)] == ["e001@example.com"] * 2


def test_one_shift_that_cannot_be_marked_leaves_every_shift_as_it_was(app, recent):
    shifts = loaded(recent["ann"], recent["dina"], recent["eli"], recent["bo"])
    with pytest.raises(Refusal) as refused, all_or_nothing():
        record_bulk(shifts, NO_SHOW, HR_EMAIL, datetime.now(UTC))
    db.session.commit()
    # Every shift that cannot be marked is named with its reason, the same as one at a time says.
    assert refused.value.reasons == {
        bulk_field(shifts[1]): "Dina Dahl's customer-service day has not started yet; record the attendance once "
                               "it has.",
        bulk_field(shifts[2]): "Eli Eskola's customer-service day is still a draft that nobody was told about, so "
                               "there is no attendance to record."}
    assert [reloaded(s.id).status for s in shifts] == [PUBLISHED, PUBLISHED, DRAFT, PUBLISHED]
    assert counts() == (0, 0)


def test_a_shift_recorded_meanwhile_is_refused_rather_than_changed(app, recent):
    ann, bo = loaded(recent["ann"], recent["bo"])
    with all_or_nothing():
        record_bulk([ann], COMPLETED, "host@example.com", datetime.now(UTC))
    db.session.commit()
    ann, bo = loaded(recent["ann"], recent["bo"])
    with pytest.raises(Refusal) as refused, all_or_nothing():
        record_bulk([ann, bo], NO_SHOW, HR_EMAIL, datetime.now(UTC))
    assert list(refused.value.reasons.values()) == [
        "Ann Aalto's customer-service day was already recorded as came by host@example.com; only HR can change that."]
    db.session.commit()
    assert (reloaded(ann.id).status, reloaded(bo.id).status) == (COMPLETED, PUBLISHED)


def test_the_preview_names_the_line_manager_each_no_show_e_mails_and_writes_nothing(app, recent):
    shifts = loaded(recent["ann"], recent["bo"], recent["dina"])
    with count_queries() as queries:
        lines = bulk_preview(shifts, NO_SHOW, datetime.now(UTC))
    assert len(queries) <= 1
    assert [(line.assignment.person.full_name, line.emails.full_name if line.emails else None, bool(line.problem))
            for line in lines] == [("Ann Aalto", "Carla Esposito", False), ("Bo Berg", "Carla Esposito", False),
                                   ("Dina Dahl", None, True)]
    assert [line.emails for line in bulk_preview(shifts, COMPLETED, datetime.now(UTC))] == [None] * 3
    assert counts() == (0, 0)


# --- The pages -------------------------------------------------------------------------------------------

def test_only_hr_may_mark_several(client, login_as, recent):
    assert client.get(f"/attendance/bulk?outcome=completed&shift={recent['ann'].id}").status_code == 302
    login_as("manager")
    assert client.get(f"/attendance/bulk?outcome=completed&shift={recent['ann'].id}").status_code == 403
    assert client.post("/attendance/bulk", data={"outcome": COMPLETED, "shift": [recent["ann"].id]}).status_code \
        in (400, 403)
    assert reloaded(recent["ann"].id).status == PUBLISHED


def test_the_list_offers_a_checkbox_per_waiting_shift(client, login_as, recent):
    login_as("hr")
    page = text(client.get("/attendance/"))
    assert len(re.findall(r'<input type="checkbox" name="shift" value="\d+" form="bulk"', page)) == 3
    assert "Mark selected as no-show…" in page and "Mark a site's day at once" in page
    assert 'name="shift"' not in text(client.get("/attendance/?tab=recorded"))


def test_the_confirmation_lists_who_is_marked_what_and_the_e_mails_then_marks_them(client, login_as, post_form,
                                                                                   recent):
    user = login_as("hr")
    ann, bo, dina = recent["ann"].id, recent["bo"].id, recent["dina"].id
    url = f"/attendance/bulk?outcome=no_show&shift={ann}&shift={bo}&shift={dina}&site=HEL-CC"
    page = text(client.get(url))
    seen = words(client.get(url))
    assert "Mark 2 shifts as no-show?" in page
    assert "2 to mark as no-show; 1 cannot be marked and is left out." in page
    assert "To Carla Esposito (e001@example.com), the line manager" in page
    assert "Cannot be marked: Dina Dahl's customer-service day has not started yet" in seen
    assert re.findall(r'<input type="hidden" name="shift" value="(\d+)">', page) == [str(bo), str(ann)]
    assert counts() == (0, 0)  # showing writes nothing

    response = post_form("/attendance/bulk?site=HEL-CC", {"outcome": NO_SHOW, "shift": [ann, bo]}, page=url,
                         follow_redirects=True)
    assert response.request.path == "/attendance/" and response.request.args.to_dict() == {"site": "HEL-CC"}
    assert "Marked 2 shifts as no-show: Bo Berg, Ann Aalto. Their line managers are e-mailed." in text(response)
    assert [(reloaded(i).status, reloaded(i).attendance_by) for i in (ann, bo)] == [(NO_SHOW, user.email)] * 2
    assert len(messages(NO_SHOW_NOTICE)) == 2


def test_when_one_cannot_be_marked_at_confirmation_nothing_is_and_the_page_says_which(client, login_as, post_form,
                                                                                      recent):
    login_as("hr")
    ann, dina = recent["ann"].id, recent["dina"].id
    response = post_form("/attendance/bulk", {"outcome": COMPLETED, "shift": [ann, dina]},
                         page=f"/attendance/bulk?outcome=completed&shift={ann}")
    page = words(response)
    assert response.status_code == 200
    assert "Nothing was marked: 1 of the 2 shifts cannot be marked came now" in page
    assert "Cannot be marked: Dina Dahl's customer-service day has not started yet" in page
    assert (reloaded(ann).status, reloaded(dina).status) == (PUBLISHED, PUBLISHED)
    assert counts() == (0, 0)


def test_a_sites_day_is_chosen_by_site_and_date(client, login_as, post_form, recent, make_person):
    login_as("hr")
    gus = make_person("E300", full_name="Gus Grey", department="Legal", manager=recent["chief"])
    assign(gus, recent["yesterday"])
    db.session.commit()
    day = recent["yesterday"].first_day.isoformat()
    page = text(client.get(f"/attendance/bulk?outcome=completed&day_site=HEL-CC&day={day}"))
    assert "Mark 2 shifts as came?" in page
    assert "Ann Aalto" in page and "Gus Grey" in page and "Eli Eskola" not in page  # Eli's is a draft
    assert "Bo Berg" not in page

    week_day = recent["week"].last_day.isoformat()  # the Friday of Bo's warehouse week
    assert "Bo Berg" in text(client.get(f"/attendance/bulk?outcome=completed&day_site=TMP-WH&day={week_day}"))

    bad = text(client.get("/attendance/bulk?outcome=maybe&day_site=NOPE&day=yesterday"))
    assert "There is no site with the code NOPE." in bad and "Enter the day as YYYY-MM-DD." in bad
    assert "Choose came or no-show." in bad
    empty = text(client.get("/attendance/bulk?outcome=completed&day_site=TMP-WH&day=2001-01-01"))
    assert "No shift at TMP-WH on 2001-01-01 has started and waits for its attendance." in empty


def test_nothing_ticked_goes_back_to_the_list_with_a_message(client, login_as, recent):
    login_as("hr")
    response = client.get("/attendance/bulk?outcome=completed", follow_redirects=True)
    assert response.request.path == "/attendance/"
    assert "Tick the shifts to mark first, or choose a site's day." in text(response)


def test_the_confirmation_reads_a_fixed_number_of_queries(client, login_as, recent, make_person):
    login_as("hr")
    ids = [recent["ann"].id, recent["bo"].id]

    def queries_for(shift_ids: list[int]) -> int:
        url = "/attendance/bulk?outcome=no_show&" + "&".join(f"shift={each}" for each in shift_ids)
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    queries_for(ids)  # the first page of the session reads what the session keeps
    few = queries_for(ids)
    for number in range(5):
        person = make_person(f"E4{number:02d}", full_name=f"Extra {number}", manager=recent["chief"])
        ids.append(assign(person, recent["yesterday"]).id)
    db.session.commit()
    assert queries_for(ids) == few
