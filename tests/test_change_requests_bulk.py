"""HR keeps several shifts as planned at once: the ticked requests on a confirmation list, then all declined with
one reason, or none."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.change_requests.models import DECLINED, PENDING, WITHDRAWN, ChangeRequest
from rotation.change_requests.services import ask_for_change, bulk_field, decline_many, withdraw_request
from rotation.extensions import db
from rotation.outbox.models import CHANGE_OUTCOME, OutboxMessage
from rotation.refusals import FieldRefusal, Refusal, all_or_nothing
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year

NAMES = ("Ann Aalto", "Bo Berg", "Cy Cole")


def day(week: int) -> date:
    return date.fromisocalendar(next_year(), week, 2)


@pytest.fixture
def asked(make_site, make_person):
    """Three managers, each with a published day at Helsinki and a request waiting to move it."""
    hel = make_site("HEL-CC", name="Helsinki contact centre", seats=2)
    generate_slots(next_year())
    db.session.flush()
    requests = []
    for n, name in enumerate(NAMES):
        person = make_person(f"E1{n:02d}", full_name=name, department=f"Dept {n}", home_site=hel)
        make_person(f"E2{n:02d}", manager=person, department=f"Dept {n}")
        slot = db.session.scalar(sa.select(Slot).join(Site).where(Site.code == "HEL-CC", Slot.first_day == day(10 + n)))
        shift = Assignment(person_id=person.id, slot_id=slot.id, year=next_year(), kind=slot.kind, status=PUBLISHED)
        db.session.add(shift)
        db.session.flush()
        requests.append(ask_for_change(shift, None, "Board meeting", date(next_year() - 1, 12, 1)))
    db.session.commit()
    return requests


def statuses(requests) -> list[str]:
    db.session.expire_all()
    return [db.session.get_one(ChangeRequest, change.id).status for change in requests]


def outcome_mails() -> list[str]:
    return list(db.session.scalars(sa.select(OutboxMessage.recipient).where(OutboxMessage.purpose == CHANGE_OUTCOME)
                                   .order_by(OutboxMessage.recipient)))


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(response.get_data(as_text=True))).split())


def test_several_requests_are_declined_with_one_reason_and_each_manager_is_told(app, asked):
    with all_or_nothing():
        decline_many(asked, "hr@example.com", "The plan is full that month")
    db.session.commit()
    assert statuses(asked) == [DECLINED] * 3
    assert outcome_mails() == ["e100@example.com", "e101@example.com", "e102@example.com"]
    assert {change.decision_note for change in db.session.scalars(sa.select(ChangeRequest))} == {
        "The plan is full that month"}


def test_one_decided_meanwhile_leaves_every_request_waiting(app, asked):
    withdraw_request(asked[1])
    db.session.commit()
    with pytest.raises(Refusal) as refused, all_or_nothing():
        decline_many(asked, "hr@example.com", "Full")
    db.session.commit()
    assert refused.value.reasons == {bulk_field(asked[1]): f"Bo Berg's request was {WITHDRAWN} meanwhile."}
    assert statuses(asked) == [PENDING, WITHDRAWN, PENDING] and outcome_mails() == []


def test_the_reason_is_needed_as_for_one(app, asked):
    with pytest.raises(FieldRefusal) as refused, all_or_nothing():
        decline_many(asked, "hr@example.com", "  ")
    assert refused.value.reasons == {"note": "Say why you decline; the manager reads it."}
    assert statuses(asked) == [PENDING] * 3


def test_only_hr_keeps_shifts_as_planned(client, login_as, asked):
    assert client.get(f"/changes/keep-as-planned?request={asked[0].id}").status_code == 302
    login_as("manager")
    assert client.get(f"/changes/keep-as-planned?request={asked[0].id}").status_code == 403
    assert statuses(asked) == [PENDING] * 3


def test_hr_ticks_requests_confirms_the_list_and_keeps_them_as_planned(client, login_as, post_form, asked):
    login_as("hr", email="hr@example.com")
    queue = client.get("/changes/").get_data(as_text=True)
    assert len(re.findall(r'<input type="checkbox" name="request" value="\d+" form="bulk"', queue)) == 3
    assert "Keep selected as planned…" in queue
    url = f"/changes/keep-as-planned?request={asked[0].id}&request={asked[2].id}"
    page = words(client.get(url))
    assert "Keep 2 shifts as planned?" in page
    assert "To Ann Aalto (e100@example.com): change request declined, with your reason" in page
    assert "Cy Cole" in page and "Bo Berg" not in page
    assert outcome_mails() == []

    empty = post_form("/changes/keep-as-planned", {"request": [asked[0].id, asked[2].id], "note": ""}, page=url)
    assert empty.status_code == 200 and "Say why you decline; the manager reads it." in words(empty)
    assert statuses(asked) == [PENDING] * 3

    done = post_form("/changes/keep-as-planned", {"request": [asked[0].id, asked[2].id], "note": "Plan is full"},
                     page=url, follow_redirects=True)
    assert done.request.path == "/changes/"
    assert "Kept 2 shifts as planned: Ann Aalto, Cy Cole. Each manager is e-mailed why." in words(done)
    assert statuses(asked) == [DECLINED, PENDING, DECLINED]


def test_a_request_decided_before_confirming_is_listed_and_nothing_is_decided(client, login_as, post_form, asked):
    login_as("hr", email="hr@example.com")
    withdraw_request(asked[0])
    db.session.commit()
    url = f"/changes/keep-as-planned?request={asked[0].id}&request={asked[1].id}"
    assert "Cannot be kept as planned: Ann Aalto's request was withdrawn meanwhile." in words(client.get(url))
    response = post_form("/changes/keep-as-planned", {"request": [asked[0].id, asked[1].id], "note": "Full"},
                         page=url)
    page = words(response)
    assert response.status_code == 200
    assert "Nothing was decided: 1 of the 2 requests cannot be kept as planned now" in page
    assert statuses(asked) == [WITHDRAWN, PENDING, PENDING] and outcome_mails() == []


def test_nothing_ticked_goes_back_to_the_queue(client, login_as, asked):
    login_as("hr")
    response = client.get("/changes/keep-as-planned", follow_redirects=True)
    assert response.request.path == "/changes/"
    assert "Tick the requests to keep as planned first." in words(response)
