"""HR's assignment pages: the year's list with filters, one assignment, moving and withdrawing it."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest
import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, COMPLETED, DRAFT, MOVE, PUBLISHED, WITHDRAW
from rotation.extensions import db
from rotation.people.models import Person
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import this_year
from tests.fixtures.shifts import assign, day, next_year, reloaded, slot_at
from tests.helpers import count_queries, next_page_url, outbox_of
from tests.imports_helpers import confirm, upload


@pytest.fixture
def company(five_managers):
    return five_managers


def text(response) -> str:
    """The page as a person reads it: tags kept, entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-error" class="field-error">([^<]*)<', page)
    return match.group(1) if match else ""


def rows(page: str) -> list[str]:
    """Each table row's text, whitespace collapsed."""
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)]


def test_the_list_shows_the_years_assignments_in_local_time(client, login_as, company):
    ann, bo, cai = company["managers"][:3]
    assign(ann, slot_at("AMS-CC", day(10, 2)), proposal=MOVE, proposed_slot_id=slot_at("HEL-CC", day(11)).id)
    assign(bo, slot_at("TMP-WH", day(12)), status=DRAFT, needs_replan=True)
    assign(cai, slot_at("TLL-CC", day(30, 3)), proposal=WITHDRAW)
    login_as("hr")
    page = text(client.get(f"/assignments/?year={next_year()}"))
    assert "Showing 1–3 of 3 assignments." in page
    assert rows(page)[1:] == [
        f"Ann Aalto E100 Customer-service day AMS-CC Tue {day(10, 2)} 09:00–17:00 CET Published "
        f"Move to HEL-CC, Mon {day(11)}",
        f"Bo Berg E101 Warehouse week TMP-WH Mon {day(12)} to Fri {day(12, 5)} all day Draft "
        "Needs re-planning",
        f"Cai Castro E102 Customer-service day TLL-CC Wed {day(30, 3)} 09:00–17:00 EEST Published Withdraw",
    ]
    assert "No assignment matches." in text(client.get(f"/assignments/?year={next_year() + 1}"))


def test_the_list_filters_by_status_kind_site_and_person(client, login_as, company):
    ann, bo, cai = company["managers"][:3]
    assign(ann, slot_at("HEL-CC", day(10)), status=DRAFT)
    assign(ann, slot_at("TMP-WH", day(12)), needs_replan=True)
    assign(bo, slot_at("TLL-CC", day(14)))
    assign(cai, slot_at("HEL-CC", day(16)), status=CANCELLED)
    login_as("hr")

    def names(query: str) -> list[str]:
        response = client.get(f"/assignments/?year={next_year()}&{query}")
        assert response.status_code == 200
        return [row.split(" E1")[0] for row in rows(text(response))[1:]]

    assert names("status=draft") == ["Ann Aalto"]
    assert names("status=cancelled") == ["Cai Castro"]
    assert names("status=replan") == ["Ann Aalto"]
    assert names("kind=warehouse") == ["Ann Aalto"]
    assert names("site=HEL-CC") == ["Ann Aalto", "Cai Castro"]
    assert names("q=berg") == ["Bo Berg"]
    assert names("q=E102") == ["Cai Castro"]
    assert names("site=TLL-CC&kind=customer_service&q=ann") == []
    # Filters that mean nothing are ignored rather than refused.
    assert len(names("status=nonsense&kind=nonsense")) == 4
    assert client.get("/assignments/?year=nonsense&page=x").status_code == 200


def test_the_list_pages_in_a_fixed_number_of_queries(client, login_as, company, make_person):
    login_as("hr")
    assign(company["chief"], slot_at("HEL-CC", day(2)))
    client.get(f"/assignments/?year={next_year()}")  # the first page after signing in also settles the account's roles
    with count_queries() as few:
        assert client.get(f"/assignments/?year={next_year()}").status_code == 200
    for number in range(30):
        person = make_person(f"X{number:03d}", home_site=company["hel"])
        assign(person, slot_at("HEL-CC", day(3 + number // 2, 1 + number % 5)))
        assign(person, slot_at("TMP-WH", day(3 + number)))
    with count_queries() as many:
        page = text(client.get(f"/assignments/?year={next_year()}"))
    following = next_page_url(client.get(f"/assignments/?year={next_year()}").get_data(as_text=True))
    with count_queries() as second:
        later = text(client.get(following))
    assert "Showing 1–50 of 61 assignments." in page and "Showing 51–61 of 61 assignments." in later
    # The account, its roles, the count, the page with its people, slots and sites, and the sites to filter by.
    assert len(few) == len(many) == len(second) == 5, many


def test_an_assignments_page_shows_it_and_the_slots_it_can_move_to(client, login_as, company):
    ann = company["managers"][0]
    assignment = assign(ann, slot_at("TLL-CC", day(10, 2)), sequence=3, proposal=MOVE, needs_replan=True,
                        proposed_slot_id=slot_at("HEL-CC", day(11)).id)
    login_as("hr")
    client.get("/")  # the first page after signing in also settles the account's roles
    with count_queries() as queries:
        page = text(client.get(f"/assignments/{assignment.id}"))
    # The account, the assignment with its person and slots, then the rules: a fixed few, not one per slot;
    # and HR's extension of the observation window; the tables' versions, the seats taken (kept once counted)
    # and the sites.
    assert len(queries) <= 14, queries
    assert "<h1>Ann Aalto: customer-service day</h1>" in page
    assert (f"<dt>When</dt><dd>Tue {day(10, 2)}, 09:00–17:00 EET "
            '<small class="muted">(Europe/Tallinn)</small></dd>') in page
    assert f"<code>{assignment.uid}</code>" in page
    assert "<dt>Sequence</dt><dd>3 " in page
    assert f"The latest draft moves it to HEL-CC, Mon {day(11)}, 09:00–17:00 EET, when the plan is published." in page
    assert "a blackout added since the plan last ran covers it" in page
    assert "Find a slot…" in page and 'name="slot"' not in page  # no 600-option dropdown
    assert '<button type="submit" class="secondary">Withdraw…</button>' in page

    generate_slots(next_year() + 1)
    db.session.commit()
    with count_queries() as more:
        client.get(f"/assignments/{assignment.id}")
    assert len(more) <= len(queries)


def radios(page: str) -> list[str]:
    """The slot finder's choices as read: site, time and note, with ``(blocked)`` for one that cannot be chosen."""
    found = []
    for item in re.findall(r"<li( class=\"blocked\")?>\s*<label[^>]*>(.*?)</label>", page, re.S):
        words = " ".join(re.sub(r"<[^>]+>", " ", item[1]).split())
        found.append(words + (" (blocked)" if item[0] else ""))
    return found


def test_the_slot_finder_lists_the_best_slots_first_in_a_fixed_number_of_queries(client, login_as, company):
    ann = company["managers"][0]
    assignment = assign(ann, slot_at("TLL-CC", day(10, 2)), sequence=3, proposal=MOVE,
                        proposed_slot_id=slot_at("HEL-CC", day(11)).id)
    login_as("hr")
    client.get("/")
    url = f"/assignments/{assignment.id}/find"
    with count_queries() as queries:
        page = text(client.get(url))
    assert "<h1>Move Ann Aalto's customer-service day</h1>" in page
    # By default the home site, around the shift's day; her own proposed slot holds her seat, not someone else's.
    found = radios(page)
    assert found[0].startswith("HEL-CC ") and all(choice.startswith("HEL-CC ") for choice in found)
    assert f"HEL-CC Mon {day(11)}, 09:00–17:00 EET · home site · 2 seats left" in found
    assert f"HEL-CC Tue {day(11, 2)}, 09:00–17:00 EET · home site · 2 seats left" in found
    # Any site: the home site first, then the home region, then elsewhere.
    anywhere = radios(text(client.get(f"{url}?site=any&start={day(11)}&end={day(11, 5)}")))
    tiers = [choice.split(" · ")[1] for choice in anywhere]
    assert tiers == sorted(tiers, key=["home site", "home region", "outside home region"].index), anywhere
    assert {"home site", "home region", "outside home region"} <= set(tiers)
    assert f"TLL-CC Tue {day(10, 2)}" not in " ".join(anywhere)  # where it is now

    generate_slots(next_year() + 1)
    db.session.commit()
    with count_queries() as more:
        client.get(url)
    assert len(more) <= len(queries) <= 16, queries


def test_the_slot_finder_explains_bad_searches_beside_the_fields(client, login_as, company):
    assignment = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    login_as("hr")
    url = f"/assignments/{assignment.id}/find"
    page = text(client.get(f"{url}?start=soon&end={day(10)}&site=NOPE"))
    assert 'id="finder-start-error" class="field-error">Enter a day as YYYY-MM-DD.' in page
    assert 'id="finder-site-error" class="field-error">No site with customer-service days has the code NOPE' in page
    swapped = text(client.get(f"{url}?start={day(12)}&end={day(10)}"))
    assert "The last day comes before the first; swap them." in swapped
    assert client.get(f"{url}?page=x").status_code == 200


def test_hr_moves_an_assignment_from_its_page(client, login_as, post_form, company):
    ann = company["managers"][0]
    assignment = assign(ann, slot_at("HEL-CC", day(10)))
    target = slot_at("TLL-CC", day(11, 2))
    login_as("hr")
    url = f"/assignments/{assignment.id}"
    # Choosing the slot first says what will happen, to whom; nothing changes yet.
    asked = text(post_form(f"{url}/move", {"slot": str(target.id)}, page=f"{url}/find"))
    assert "<h1>Move this shift?</h1>" in asked
    assert (f"Ann Aalto's customer-service day moves from <strong>HEL-CC, Mon {day(10)}, 09:00–17:00 EET</strong> "
            f"to <strong>TLL-CC, Tue {day(11, 2)}, 09:00–17:00 EET</strong>.") in asked
    assert f"Ann Aalto ({ann.email}) is sent an <strong>updated invitation</strong>" in asked
    assert "Warning: Ann Aalto is not at their home site HEL-CC." in asked
    assert reloaded(assignment.id).slot_id == slot_at("HEL-CC", day(10)).id
    response = post_form(f"{url}/move", {"slot": str(target.id), "confirmed": "yes"}, page=url,
                         follow_redirects=True)
    page = text(response)
    assert f"Moved Ann Aalto's customer-service day to TLL-CC, Tue {day(11, 2)}, 09:00–17:00 EET. An updated " \
           f"invitation will be sent to {ann.email}." in page
    assert f"Undo: move it back to HEL-CC, Mon {day(10)}" in page  # while the updated invitation waits
    assert '<p class="flash flash-warning">Ann Aalto is not at their home site HEL-CC.</p>' in page
    moved = reloaded(assignment.id)
    assert (moved.slot_id, moved.sequence, moved.status) == (target.id, 1, PUBLISHED)
    assert "Published; the updated invitation is waiting to be sent" in page


def test_a_move_the_rules_refuse_shows_why_beside_the_slot_and_changes_nothing(client, login_as, post_form, company):
    ann, bo = company["managers"][:2]
    assignment = assign(ann, slot_at("HEL-CC", day(10)))
    assign(bo, slot_at("TMP-WH", day(14)))
    login_as("hr")
    url = f"/assignments/{assignment.id}"
    cases = {
        str(slot_at("TLL-CC", day(14, 2)).id): "Operations already has 1 of its 3 rotation members on a shift",
        str(slot_at("TMP-WH", day(20)).id): "That slot is a warehouse week, not a customer-service day.",
        "abc": "Choose a slot from the list.",
        "99999999": "That slot does not exist any more; choose one from the list.",
        "": "Choose the slot to move it to.",
    }
    for slot, message in cases.items():
        response = post_form(f"{url}/move", {"slot": slot, "confirmed": "yes"}, page=url)
        assert response.status_code == 200, slot
        assert field_error(text(response), "slot").startswith(message), slot
    # The confirmation page says so before anything is tried, and offers no button to do it.
    asked = text(post_form(f"{url}/move", {"slot": str(slot_at("TLL-CC", day(14, 2)).id)}, page=url))
    assert "Operations already has 1 of its 3 rotation members on a shift" in asked and "Move it</button>" not in asked
    after = reloaded(assignment.id)
    assert (after.slot_id, after.sequence) == (slot_at("HEL-CC", day(10)).id, 0)


def test_hr_undoes_moving_a_draft(client, login_as, post_form, company):
    bo = company["managers"][1]
    draft = assign(bo, slot_at("HEL-CC", day(10)), status=DRAFT)
    target = slot_at("HEL-CC", day(11))
    login_as("hr")
    url = f"/assignments/{draft.id}"
    asked = text(post_form(f"{url}/move", {"slot": str(target.id)}, page=f"{url}/find"))
    assert "No e-mail now: the shift is a draft." in asked
    page = text(post_form(f"{url}/move", {"slot": str(target.id), "confirmed": "yes"}, page=url,
                          follow_redirects=True))
    assert "It is a draft, so nobody was told." in page
    assert f"Undo: move it back to HEL-CC, Mon {day(10)}" in page
    assert reloaded(draft.id).slot_id == target.id
    assert "Nobody was told, so it simply goes back." in page
    back = text(post_form(f"{url}/undo", {}, page=url, follow_redirects=True))
    assert f"Undone: Bo Berg's customer-service day is draft at HEL-CC, Mon {day(10)}" in back
    assert "Undo:" not in back  # once
    moved_back = reloaded(draft.id)
    assert (moved_back.slot_id, moved_back.status, moved_back.sequence) == (slot_at("HEL-CC", day(10)).id, DRAFT, 0)
    assert outbox_of(draft.id) == []


def test_hr_withdraws_after_confirming(client, login_as, post_form, company):
    ann, bo = company["managers"][:2]
    published = assign(ann, slot_at("HEL-CC", day(10)))
    draft = assign(bo, slot_at("HEL-CC", day(11)), status=DRAFT)
    login_as("hr")
    url = f"/assignments/{published.id}"
    asked = text(post_form(f"{url}/withdraw", {}, page=url))
    assert "<h1>Withdraw this assignment?</h1>" in asked
    assert "will be cancelled, and Ann Aalto will be sent a cancellation." in asked
    assert reloaded(published.id).status == PUBLISHED

    done = text(post_form(f"{url}/withdraw", {"confirmed": "yes"}, page=url, follow_redirects=True))
    assert "Withdrew Ann Aalto's customer-service day; a cancellation will be sent." in done
    cancelled = reloaded(published.id)
    assert (cancelled.status, cancelled.sequence) == (CANCELLED, 1)
    assert outbox_of(cancelled.id)[-1] == ("cancellation", 1, "queued")
    assert "It is cancelled; only a shift still to come can be moved or withdrawn." in done

    url = f"/assignments/{draft.id}"
    response = post_form(f"{url}/withdraw", {"confirmed": "yes"}, page=url)
    assert response.status_code == 302 and response.headers["Location"] == f"/assignments/?year={next_year()}"
    assert "Withdrew Bo Berg's customer-service day; the draft is gone from the plan." in text(
        client.get(response.headers["Location"]))
    assert reloaded(draft.id) is None


def test_history_offers_no_changes(client, login_as, post_form, company):
    past_year = this_year() - 1
    generate_slots(past_year, "HEL-CC")
    db.session.commit()
    done = assign(company["managers"][0], slot_at("HEL-CC", date.fromisocalendar(past_year, 10, 1)))
    finished = assign(company["managers"][1], slot_at("HEL-CC", day(10)), status=COMPLETED)
    login_as("hr")
    for assignment, reason in ((done, "history is not moved or withdrawn"), (finished, "It is completed")):
        url = f"/assignments/{assignment.id}"
        page = text(client.get(url))
        assert reason in page and 'name="slot"' not in page and "Withdraw…" not in page
        response = post_form(f"{url}/withdraw", {"confirmed": "yes"}, page=url)
        assert response.status_code == 200 and reason in text(response)
        assert reloaded(assignment.id).status in (PUBLISHED, COMPLETED)
        assert reloaded(assignment.id).sequence == 0


def test_only_hr_may_see_or_change_assignments(client, login_as, post_form, company):
    assignment = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    url = f"/assignments/{assignment.id}"
    assert client.get("/assignments/").headers["Location"].startswith("/login")
    assert client.get(url).headers["Location"].startswith("/login")
    login_as("manager", "owner", "admin")
    assert client.get("/assignments/").status_code == 403
    assert client.get(url).status_code == 403
    target = slot_at("HEL-CC", day(11))
    assert post_form(f"{url}/move", {"slot": str(target.id)}, page="/").status_code == 403
    assert post_form(f"{url}/withdraw", {"confirmed": "yes"}, page="/").status_code == 403
    unchanged = reloaded(assignment.id)
    assert (unchanged.slot_id, unchanged.status) == (slot_at("HEL-CC", day(10)).id, PUBLISHED)


def test_an_unknown_assignment_is_404(client, login_as, post_form):
    login_as("hr")
    assert client.get("/assignments/12345").status_code == 404
    assert post_form("/assignments/12345/move", {"slot": "1"}, page="/").status_code == 404


def test_a_leaver_deactivated_from_the_import_page_has_their_future_shifts_withdrawn(client, login_as, company):
    ann = company["managers"][0]
    published = assign(ann, slot_at("HEL-CC", day(10)))
    draft_id = assign(ann, slot_at("TMP-WH", day(12)), status=DRAFT).id
    staying = assign(company["managers"][1], slot_at("HEL-CC", day(11)))
    people = db.session.scalars(sa.select(Person).where(Person.id != ann.id)).all()
    managers = {person.id: person.employee_id for person in people}
    roster = "employee_id,full_name,email,department,manager_id,home_site\n" + "".join(
        f"{p.employee_id},{p.full_name},{p.email},{p.department},{managers.get(p.manager_id, '')},"
        f"{'HEL-CC' if p.home_site_id else ''}\n" for p in people)
    login_as("hr")
    preview_url = upload(client, "people", roster, deactivate=True).headers["Location"]
    assert "1 deactivated" in text(client.get(preview_url))
    assert confirm(client, preview_url).status_code == 302
    cancelled = reloaded(published.id)
    assert (cancelled.status, cancelled.sequence) == (CANCELLED, 1)
    assert outbox_of(cancelled.id)[-1] == ("cancellation", 1, "queued")
    assert reloaded(draft_id) is None
    assert reloaded(staying.id).status == PUBLISHED
