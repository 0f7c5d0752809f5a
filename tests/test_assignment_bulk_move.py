"""HR moves several assignments at once: ticked on the list, the days (and site) to move them to, a page saying
where each goes and who is e-mailed, then every one of them or none."""
from __future__ import annotations

import re

import sqlalchemy as sa

from rotation.assignments.models import DRAFT, PUBLISHED, Assignment
from rotation.extensions import db
from tests import test_assignment_bulk as withdrawing
from tests.fixtures.shifts import assign, day, next_year, reloaded, slot_at
from tests.helpers import outbox_of
from tests.test_assignment_bulk import lines, text

company = withdrawing.company  # the same company as withdrawing several



def ask(client, shifts, start, end, site="any") -> str:
    ids = "&".join(f"assignment={shift.id}" for shift in shifts)
    return text(client.get(f"/assignments/move-several?{ids}&start={start}&end={end}&site={site}"))


def confirm(client, post_form, page: str, url: str):
    moves = re.findall(r'name="move" value="([^"]+)"', page)
    return post_form("/assignments/move-several", {"move": moves}, page=url, follow_redirects=True)


def test_hr_moves_two_shifts_to_the_best_free_slots_of_the_days_chosen(client, login_as, post_form, company):
    ann, _, cai = company["managers"][:3]
    one = assign(ann, slot_at("HEL-CC", day(10)))
    two = assign(cai, slot_at("HEL-CC", day(11)), status=DRAFT)
    login_as("hr")
    listing = text(client.get(f"/assignments/?year={next_year()}"))
    assert "Move selected…" in listing
    first = text(client.get(f"/assignments/move-several?assignment={one.id}&assignment={two.id}"))
    assert "Choose the days above." in first and 'name="move"' not in first  # nothing proposed yet
    url = (f"/assignments/move-several?assignment={one.id}&assignment={two.id}&start={day(14)}&end={day(14, 5)}"
           "&site=TLL-CC")
    page = text(client.get(url))
    assert lines(page) == [
        f"Ann Aalto Customer-service day HEL-CC, Mon {day(10)} TLL-CC, Wed {day(14, 3)}, 09:00–17:00 EEST home "
        f"region Ann Aalto ({ann.email}) is sent an updated invitation. Ann Aalto is not at their home site HEL-CC.",
        f"Cai Castro Customer-service day HEL-CC, Mon {day(11)} TLL-CC, Wed {day(14, 3)}, 09:00–17:00 EEST home "
        "region A draft: nothing is sent. Cai Castro is not at their home site HEL-CC.",
    ]
    assert reloaded(one.id).slot_id == slot_at("HEL-CC", day(10)).id  # nothing moves before the button
    done = text(confirm(client, post_form, page, url))
    # Equal costs: the day nearest the middle of the days chosen, as in the slot finder.
    assert (f"Moved 2 shifts: Ann Aalto to TLL-CC, Wed {day(14, 3)}, 09:00–17:00 EEST; Cai Castro to TLL-CC, "
            f"Wed {day(14, 3)}, 09:00–17:00 EEST. Updated invitations go to 1 of them.") in done
    assert reloaded(one.id).slot_id == reloaded(two.id).slot_id == slot_at("TLL-CC", day(14, 3)).id
    assert (reloaded(one.id).status, reloaded(one.id).sequence) == (PUBLISHED, 1)
    assert outbox_of(one.id)[-1] == ("invitation", 1, "queued") and outbox_of(two.id) == []


def test_the_last_seat_goes_to_one_of_the_chosen_only(client, login_as, company):
    ann, _, cai, dina = company["managers"][:4]
    shifts = [assign(person, slot_at("HEL-CC", day(10, n + 1))) for n, person in enumerate((ann, cai, dina))]
    login_as("hr")
    page = ask(client, shifts, day(16, 2), day(16, 2), site="AMS-CC")  # one Tuesday at Amsterdam: one seat
    said = lines(page)
    assert said[0].startswith(f"Ann Aalto Customer-service day HEL-CC, Mon {day(10)} AMS-CC, Tue {day(16, 2)}")
    for line in said[1:]:
        assert line.endswith(f"Cannot move: No slot it may take has a free seat at AMS-CC from {day(16, 2)} to "
                             f"{day(16, 2)}.")
    assert "1 of 3 can move" in page and "The ones that cannot move stay where they are." in page


def test_a_move_refused_on_confirming_moves_none_and_names_it(client, login_as, post_form, company):
    ann, _, cai, dina = company["managers"][:4]
    one, two = assign(ann, slot_at("HEL-CC", day(10))), assign(cai, slot_at("HEL-CC", day(11)))
    login_as("hr")
    url = f"/assignments/move-several?assignment={one.id}&assignment={two.id}&start={day(16, 2)}&end={day(16, 3)}" \
          "&site=AMS-CC"
    page = text(client.get(url))
    assert "2 of 2 can move" in page
    assign(dina, slot_at("AMS-CC", day(16, 3)))  # someone else takes Wednesday's only seat meanwhile
    refused = text(confirm(client, post_form, page, url))
    assert "Nothing was moved: 1 of the 2 moves break a rule once the others are made." in refused
    assert "That slot is full: its one seat is taken." in refused
    assert reloaded(one.id).slot_id == slot_at("HEL-CC", day(10)).id  # not even the one that fitted
    assert reloaded(two.id).slot_id == slot_at("HEL-CC", day(11)).id
    assert reloaded(one.id).sequence == 0 and outbox_of(one.id) == []


def test_bad_days_and_sites_are_named_beside_their_fields(client, login_as, post_form, company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    login_as("hr")
    base = f"/assignments/move-several?assignment={shift.id}"
    assert 'id="start-error" class="field-error">Choose the first day.' in text(client.get(f"{base}&end={day(12)}"))
    swapped = text(client.get(f"{base}&start={day(12)}&end={day(11)}"))
    assert "The last day comes before the first; swap them." in swapped and 'name="move"' not in swapped
    assert "Give the first day as a date, like 2027-03-01." in text(client.get(f"{base}&start=soon&end={day(11)}"))
    assert "There is no site with the code NOPE." in text(client.get(f"{base}&start={day(11)}&end={day(12)}"
                                                                     "&site=NOPE"))
    nothing = text(client.get("/assignments/move-several?assignment=abc", follow_redirects=True))
    assert "Tick the assignments to move first." in nothing
    forged = text(post_form("/assignments/move-several", {"move": ["x:y", f"{shift.id}:99999999"]}, page=base,
                            follow_redirects=True))
    assert "Nothing was moved: some of the assignments or slots are no longer there." in forged
    assert db.session.scalar(sa.select(Assignment.slot_id).where(Assignment.id == shift.id)) == \
        slot_at("HEL-CC", day(10)).id


def test_managers_cannot_move_several(client, login_as, company):
    shift = assign(company["managers"][0], slot_at("HEL-CC", day(10)))
    login_as("manager")
    assert client.get(f"/assignments/move-several?assignment={shift.id}").status_code == 403
    assert client.post("/assignments/move-several", data={"move": [f"{shift.id}:1"]}).status_code in (400, 403)
