"""Change requests: a manager asks to move a shift; HR approves (the shift moves) or declines; both are told."""
from __future__ import annotations

import html
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from rotation.assignments.models import CONFIRMED, PUBLISHED, Assignment
from rotation.change_requests.models import APPROVED, DECLINED, PENDING, WITHDRAWN, ChangeRequest
from rotation.change_requests.services import approve, ask_for_change
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.outbox.models import OutboxMessage
from rotation.people.models import Person
from rotation.refusals import FieldRefusal
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import count_queries

DEPARTMENTS = ("Board", "Finance", "Sales", "Legal", "Marketing", "Logistics", "Buying", "IT")


def day(week: int, weekday: int = 1) -> date:
    return date.fromisocalendar(next_year(), week, weekday)


def slot_at(code: str, first_day: date) -> Slot:
    slot = db.session.scalar(sa.select(Slot).join(Site).where(Site.code == code, Slot.first_day == first_day))
    assert slot is not None, (code, first_day)
    return slot


@pytest.fixture
def company(make_site, make_person):
    """Helsinki (two seats, everyone's home), Amsterdam (one seat), a warehouse; eight managers, each the only
    rotation member of their department (so no department cap gets in the way), each with a published
    customer-service day at Helsinki in a week of their own."""
    hel = make_site("HEL-CC", name="Helsinki contact centre", seats=2, region="Nordics")
    make_site("AMS-CC", name="Amsterdam contact centre", seats=1, region="Benelux", timezone="Europe/Amsterdam")
    make_site("TMP-WH", name="Tampere warehouse", kind="warehouse", seats=3, region="Nordics")
    managers = []
    for n, department in enumerate(DEPARTMENTS):
        manager = make_person(f"E1{n:02d}", full_name=f"Manager {department}", department=department,
                              home_site=hel)
        make_person(f"E2{n:02d}", manager=manager, department=department)
        managers.append(manager)
    generate_slots(next_year())
    db.session.flush()
    shifts = []
    for n, manager in enumerate(managers):
        slot = slot_at("HEL-CC", day(10 + n))
        shift = Assignment(person_id=manager.id, slot_id=slot.id, year=next_year(), kind=slot.kind, status=PUBLISHED)
        db.session.add(shift)
        shifts.append(shift)
    db.session.commit()
    return {"managers": managers, "shifts": shifts}


@pytest.fixture
def me(company, login_as):
    login_as("manager", email=company["managers"][0].email)
    return company["managers"][0]


def reloaded(model, id_: int):
    db.session.expire_all()
    return db.session.get(model, id_)


def requests_of(shift_id: int) -> list[tuple[str, int | None]]:
    db.session.expire_all()
    return [(r.status, r.wanted_slot_id) for r in db.session.scalars(
        sa.select(ChangeRequest).where(ChangeRequest.assignment_id == shift_id).order_by(ChangeRequest.id))]


def messages_to(email: str) -> list[tuple[str, str | None]]:
    return [(m.purpose, m.subject) for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id))]


def news_of(person: Person) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.text).where(Notification.person_id == person.id)
                                   .order_by(Notification.id)))


def ask_page(client, shift: Assignment, search: str = "") -> str:
    response = client.get(f"/changes/ask/{shift.uid}{search}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- The manager asks -------------------------------------------------------------------------------

@pytest.mark.dates
def test_a_manager_asks_for_a_valid_slot_and_nothing_moves_until_hr_decides(client, company, me, post_form):
    shift = company["shifts"][0]
    wanted = slot_at("AMS-CC", day(20, 3))
    page = ask_page(client, shift)
    # By default the finder shows the home site around the shift's day; the manager searches Amsterdam.
    assert "Let HR choose a slot for me" in page and f'value="{wanted.id}"' not in page
    assert f'value="{slot_at("HEL-CC", day(10, 3)).id}"' in page
    page = ask_page(client, shift, f"?site=AMS-CC&start={day(20)}&end={day(20, 5)}")
    assert f'value="{wanted.id}"' in page and "AMS-CC</strong>" in page
    response = post_form(f"/changes/ask/{shift.uid}", {"slot": str(wanted.id), "reason": "Board meeting that week"})
    assert response.status_code == 302 and response.location.endswith("/my/")
    assert requests_of(shift.id) == [(PENDING, wanted.id)]
    assert reloaded(Assignment, shift.id).slot_id == slot_at("HEL-CC", day(10)).id
    assert messages_to(me.email) == []
    my_page = client.get("/my/").get_data(as_text=True)
    assert "Waiting for HR" in my_page and "Withdraw your change request" in my_page
    assert f"/changes/ask/{shift.uid}" not in my_page


def test_a_manager_can_leave_the_choice_to_hr(client, company, me, post_form):
    shift = company["shifts"][0]
    post_form(f"/changes/ask/{shift.uid}", {"slot": "hr", "reason": "Any other week works"})
    assert requests_of(shift.id) == [(PENDING, None)]
    assert "HR chooses the new slot" in client.get("/my/").get_data(as_text=True)


@pytest.mark.parametrize("fields, message", [
    ({"slot": "hr", "reason": "  "}, "Say why you need the change; HR decides on it."),
    ({"slot": "hr", "reason": "x" * 1001}, "Keep it to 1000 characters."),
    ({"slot": "not a slot", "reason": "Busy"}, "Choose a slot from the list."),
    ({"slot": "", "reason": "Busy"}, "Choose a slot, or let HR choose one for you."),
])
def test_bad_input_is_explained_beside_the_field_and_nothing_is_written(client, company, me, post_form, fields,
                                                                       message):
    shift = company["shifts"][0]
    response = post_form(f"/changes/ask/{shift.uid}", fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert requests_of(shift.id) == []


@pytest.mark.dates
def test_a_slot_that_breaks_a_rule_or_is_full_is_refused(client, company, me, post_form):
    shift = company["shifts"][0]
    full = slot_at("HEL-CC", day(11))  # the second manager's slot: the third one joins it, and it is full
    reloaded(Assignment, company["shifts"][2].id).slot_id = full.id
    db.session.commit()
    warehouse = db.session.scalar(sa.select(Slot).join(Site).where(Site.code == "TMP-WH").limit(1))
    for slot_id in (full.id, warehouse.id, 999_999):
        response = post_form(f"/changes/ask/{shift.uid}", {"slot": str(slot_id), "reason": "Busy"})
        assert "That slot is no longer free, or it breaks one of the plan's rules for you" in \
            html.unescape(response.get_data(as_text=True))
    assert requests_of(shift.id) == []


def test_one_request_at_a_time_and_only_for_ones_own_shift(client, company, me, post_form):
    shift = company["shifts"][0]
    post_form(f"/changes/ask/{shift.uid}", {"slot": "hr", "reason": "Busy"})
    again = client.get(f"/changes/ask/{shift.uid}").get_data(as_text=True)
    assert "You have already asked to move this shift; HR has not answered yet." in html.unescape(again)
    with pytest.raises(FieldRefusal):
        ask_for_change(reloaded(Assignment, shift.id), None, "Still busy", date(next_year() - 1, 12, 1))
    db.session.rollback()
    assert requests_of(shift.id) == [(PENDING, None)]
    someone_elses = company["shifts"][1]
    assert client.get(f"/changes/ask/{someone_elses.uid}").status_code == 404


def test_a_manager_withdraws_their_request(client, company, me, post_form):
    shift = company["shifts"][0]
    post_form(f"/changes/ask/{shift.uid}", {"slot": "hr", "reason": "Busy"})
    change = db.session.scalar(sa.select(ChangeRequest))
    response = post_form(f"/changes/{change.id}/withdraw", {}, page="/my/")
    assert response.status_code == 302
    assert requests_of(shift.id) == [(WITHDRAWN, None)]
    assert f"/changes/ask/{shift.uid}" in client.get("/my/").get_data(as_text=True)


def test_nobody_withdraws_someone_elses_request(client, company, login_as, post_form):
    shift = company["shifts"][1]
    ask_for_change(shift, None, "Busy", date(next_year() - 1, 12, 1))
    db.session.commit()
    login_as("manager", email=company["managers"][0].email)
    change = db.session.scalar(sa.select(ChangeRequest))
    assert post_form(f"/changes/{change.id}/withdraw", {}, page="/my/").status_code == 404
    assert requests_of(shift.id) == [(PENDING, None)]


# --- HR decides -----------------------------------------------------------------------------------------

@pytest.fixture
def hr(login_as):
    return login_as("hr", email="hr@example.com")


def file_request(shift: Assignment, wanted: Slot | None, reason: str = "Board meeting") -> ChangeRequest:
    change = ask_for_change(shift, wanted.id if wanted else None, reason, date(next_year() - 1, 12, 1))
    db.session.commit()
    return change


def test_only_hr_sees_the_queue(client, company, login_as):
    assert client.get("/changes/").status_code == 302  # to the log-in page
    login_as("manager", email=company["managers"][0].email)
    assert client.get("/changes/").status_code == 403


@pytest.mark.dates
def test_hr_approves_the_wanted_slot_the_shift_moves_and_the_manager_is_told(client, company, hr, post_form):
    manager, shift = company["managers"][0], company["shifts"][0]
    shift.status = CONFIRMED
    db.session.commit()
    wanted = slot_at("AMS-CC", day(20, 3))
    change = file_request(shift, wanted)
    queue = client.get("/changes/").get_data(as_text=True)
    assert manager.full_name in queue and "Board meeting" in queue and "AMS-CC" in queue
    detail = client.get(f"/changes/{change.id}").get_data(as_text=True)
    assert f"The slot {manager.full_name} asked for" in detail
    # First a page saying what will happen, and that the home site has a free seat that week.
    asked = html.unescape(post_form(f"/changes/{change.id}/approve",
                                    {"slot": str(wanted.id), "note": "Enjoy Amsterdam"},
                                    page=f"/changes/{change.id}").get_data(as_text=True))
    assert "<h1>Approve and move this shift?</h1>" in asked
    assert f"A better free slot exists that week:</strong> HEL-CC, Wed {day(20, 3)}" in asked
    assert "The slot Manager Board asked for is outside home region." in asked
    assert f"Manager Board ({manager.email}) is sent an <strong>updated invitation</strong>" in asked
    assert "and they must confirm again" in asked
    assert "Warning: AMS-CC is outside Manager Board's home region Nordics." in asked
    assert ">Enjoy Amsterdam</textarea>" in asked
    assert reloaded(Assignment, shift.id).slot_id == slot_at("HEL-CC", day(10)).id
    response = post_form(f"/changes/{change.id}/approve", {"slot": str(wanted.id), "note": "Enjoy Amsterdam",
                                                           "confirmed": "yes"}, page=f"/changes/{change.id}")
    assert response.status_code == 302
    moved = reloaded(Assignment, shift.id)
    assert (moved.slot_id, moved.status, moved.sequence) == (wanted.id, PUBLISHED, 1)
    decided = reloaded(ChangeRequest, change.id)
    assert (decided.status, decided.moved_to_slot_id, decided.decided_by, decided.decision_note) == \
        (APPROVED, wanted.id, "hr@example.com", "Enjoy Amsterdam")
    purposes = [purpose for purpose, _ in messages_to(manager.email)]
    assert purposes == ["invitation", "change_outcome"]
    outcome = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.purpose == "change_outcome"))
    assert outcome.subject.startswith("Change request approved: Customer-service day at Amsterdam contact centre")
    assert "Enjoy Amsterdam" in outcome.body_text and "/my/" in outcome.body_text
    assert news_of(manager)[0].startswith("HR approved your change request.")


def test_hr_chooses_the_slot_when_the_manager_left_it_to_them(client, company, hr, post_form):
    shift = company["shifts"][0]
    change = file_request(shift, None)
    target = slot_at("HEL-CC", day(30, 2))
    post_form(f"/changes/{change.id}/approve", {"slot": str(target.id), "confirmed": "yes"},
              page=f"/changes/{change.id}")
    assert reloaded(Assignment, shift.id).slot_id == target.id
    assert reloaded(ChangeRequest, change.id).status == APPROVED


def test_declining_needs_a_reason_which_the_manager_reads(client, company, hr, post_form):
    manager, shift = company["managers"][0], company["shifts"][0]
    change = file_request(shift, slot_at("AMS-CC", day(20)))
    empty = post_form(f"/changes/{change.id}/decline", {"note": " "}, page=f"/changes/{change.id}")
    assert "Say why you decline; the manager reads it." in empty.get_data(as_text=True)
    assert reloaded(ChangeRequest, change.id).status == PENDING and messages_to(manager.email) == []
    post_form(f"/changes/{change.id}/decline", {"note": "Amsterdam is full of auditors that week"},
              page=f"/changes/{change.id}")
    assert reloaded(ChangeRequest, change.id).status == DECLINED
    assert reloaded(Assignment, shift.id).slot_id == slot_at("HEL-CC", day(10)).id
    assert [purpose for purpose, _ in messages_to(manager.email)] == ["change_outcome"]
    assert "Amsterdam is full of auditors that week" in news_of(manager)[0]


@pytest.mark.dates
def test_the_manager_sees_the_answer_on_my_rotation(client, company, login_as):
    manager, shift = company["managers"][0], company["shifts"][0]
    change = file_request(shift, None)
    from rotation.change_requests.services import decline

    decline(reloaded(ChangeRequest, change.id), "hr@example.com", "Not <this> year")
    db.session.commit()
    login_as("manager", email=manager.email)
    page = client.get("/my/").get_data(as_text=True)
    assert "HR declined" in page and "Not &lt;this&gt; year" in page
    news = client.get("/news/").get_data(as_text=True)
    assert "HR declined your change request" in news and "News" in news and 'class="badge">1<' in news
    client.post("/news/read", data={"csrf_token": _token(client.get("/news/").get_data(as_text=True))})
    assert 'class="badge">' not in client.get("/news/").get_data(as_text=True).split("<main")[0]


def _token(html: str) -> str:
    from tests.helpers import csrf_token

    return csrf_token(html)


def test_a_wanted_slot_that_filled_up_meanwhile_is_refused_and_nothing_changes(client, company, hr, post_form):
    first, second = company["shifts"][0], company["shifts"][1]
    last_seat = slot_at("AMS-CC", day(20))
    one, two = file_request(first, last_seat), file_request(second, last_seat)
    assert post_form(f"/changes/{one.id}/approve", {"slot": str(last_seat.id), "confirmed": "yes"},
                     page=f"/changes/{one.id}").status_code == 302
    page = client.get(f"/changes/{two.id}").get_data(as_text=True)
    assert "That slot no longer fits" in page
    refused = post_form(f"/changes/{two.id}/approve", {"slot": str(last_seat.id), "confirmed": "yes"},
                        page=f"/changes/{two.id}")
    assert refused.status_code == 200
    assert "That slot is full: its one seat is taken." in refused.get_data(as_text=True)
    assert reloaded(ChangeRequest, two.id).status == PENDING
    assert reloaded(Assignment, second.id).slot_id == slot_at("HEL-CC", day(11)).id
    assert messages_to(company["managers"][1].email) == []


def test_a_request_is_decided_once(client, company, hr, post_form):
    shift = company["shifts"][0]
    change = file_request(shift, None)
    post_form(f"/changes/{change.id}/decline", {"note": "No"}, page=f"/changes/{change.id}")
    with pytest.raises(FieldRefusal, match="This request was declined meanwhile"):
        approve(reloaded(ChangeRequest, change.id), slot_at("HEL-CC", day(30)), "hr@example.com", None)
    db.session.rollback()
    assert reloaded(Assignment, shift.id).slot_id == slot_at("HEL-CC", day(10)).id


def test_many_approvals_for_the_last_seat_at_once_exactly_one_wins(app, database_url, company):
    """Eight HR users approve eight requests for Amsterdam's one seat at the same moment (PostgreSQL)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrent writers need PostgreSQL's row locks; SQLite lets one writer in at a time")
    last_seat = slot_at("AMS-CC", day(20, 3))
    request_ids = [file_request(shift, last_seat).id for shift in company["shifts"]]
    start = threading.Barrier(len(request_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def hr_user(request_id: int) -> None:
        with app.app_context():
            try:
                change = db.session.get_one(ChangeRequest, request_id)
                slot = db.session.get_one(Slot, last_seat.id)
                start.wait(timeout=10)
                approve(change, slot, f"hr{request_id}@example.com", None)
                db.session.commit()
                result = "approved"
            except FieldRefusal as problem:
                db.session.rollback()
                result = problem.message
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=hr_user, args=(request_id,)) for request_id in request_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["That slot is full: its one seat is taken."] * 7 + ["approved"]
    db.session.expire_all()
    seated = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)
                               .where(Assignment.slot_id == last_seat.id))
    assert seated == 1
    statuses = sorted(db.session.scalars(sa.select(ChangeRequest.status)))
    assert statuses == [APPROVED] + [PENDING] * 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.purpose == "change_outcome")) == 1


def test_the_queue_runs_a_fixed_number_of_queries(client, company, hr):
    file_request(company["shifts"][0], slot_at("AMS-CC", day(20)))
    client.get("/changes/")  # the account's roles are read once
    with count_queries() as few:
        assert client.get("/changes/").status_code == 200
    for shift in company["shifts"][1:]:
        file_request(shift, None)
    with count_queries() as many:
        page = client.get("/changes/").get_data(as_text=True)
    assert page.count("Manager ") >= 8
    assert len(many) == len(few) <= 6, "\n---\n".join(q[:300] for q in many)


def test_bad_input_to_the_approval_and_its_search_is_explained_not_a_500(client, company, hr, post_form):
    change = file_request(company["shifts"][0], None)
    url = f"/changes/{change.id}"
    page = client.get(f"{url}?start=soon&site=NOPE&page=x").get_data(as_text=True)
    assert "Enter a day as YYYY-MM-DD." in page and "has the code NOPE" in page
    refused = post_form(f"{url}/approve", {"slot": "abc"}, page=url).get_data(as_text=True)
    assert 'id="approve-slot-error" class="field-error">Choose a slot from the list.' in refused
    assert reloaded(ChangeRequest, change.id).status == PENDING
