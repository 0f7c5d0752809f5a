"""HR withdraws several assignments at once: ticked on the list, a page saying what withdrawing each does, then
every one of them or none."""
from __future__ import annotations

import html
import re

import pytest

from rotation.assignments.bulk import withdraw_many
from rotation.assignments.models import CANCELLED, DRAFT, PUBLISHED
from rotation.extensions import db
from rotation.refusals import Refusal, all_or_nothing
from tests.fixtures.shifts import assign, day, next_year, reloaded, slot_at
from tests.helpers import count_queries


@pytest.fixture
def company(five_managers):
    return five_managers


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def lines(page: str) -> list[str]:
    table = page.split('id="bulk-lines"', 1)[1].split("</table>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)][1:]


def test_the_list_ticks_assignments_and_the_next_page_says_what_withdrawing_each_does(client, login_as, company):
    ann, bo, cai = company["managers"][:3]
    published = assign(ann, slot_at("AMS-CC", day(10, 2)))
    draft = assign(bo, slot_at("TMP-WH", day(12)), status=DRAFT)
    gone = assign(cai, slot_at("TLL-CC", day(30, 3)), status=CANCELLED)
    login_as("hr")
    listing = text(client.get(f"/assignments/?year={next_year()}"))
    assert f'name="assignment" value="{published.id}" form="bulk"' in listing
    assert f'name="assignment" value="{gone.id}"' not in listing  # nothing to withdraw
    assert 'action="/assignments/withdraw-several"' in listing
    ticked = f"/assignments/withdraw-several?assignment={published.id}&assignment={draft.id}&assignment={gone.id}"
    with count_queries() as queries:
        page = text(client.get(ticked))
    assert "<h1>Withdraw 2 assignments?</h1>" in page
    assert lines(page) == [
        f"Ann Aalto E100 Customer-service day AMS-CC, Tue {day(10, 2)} Published "
        "Cancelled; a cancellation is e-mailed to Ann Aalto (e100@example.com).",
        f"Bo Berg E101 Warehouse week TMP-WH, Mon {day(12)} to Fri {day(12, 5)} Draft "
        "The draft is removed; nothing is sent.",
        f"Cai Castro E102 Customer-service day TLL-CC, Wed {day(30, 3)} Cancelled "
        "Cannot be withdrawn: It is cancelled; only a shift still to come can be moved or withdrawn.",
    ]
    assert "1 cannot be and is left out" in page
    assert len(queries) <= 12, queries
    # Nothing happened yet.
    assert reloaded(published.id).status == PUBLISHED and reloaded(draft.id) is not None


def test_confirming_withdraws_them_all_in_one_go(client, login_as, post_form, company):
    ann, bo = company["managers"][:2]
    published = assign(ann, slot_at("AMS-CC", day(10, 2)))
    draft = assign(bo, slot_at("TMP-WH", day(12)), status=DRAFT)
    login_as("hr")
    confirm = f"/assignments/withdraw-several?assignment={published.id}&assignment={draft.id}"
    response = post_form("/assignments/withdraw-several", {"assignment": [published.id, draft.id]}, page=confirm)
    assert response.status_code == 302
    assert "Withdrew 2 assignments; 1 cancellation will be sent" in text(client.get(response.headers["Location"]))
    assert reloaded(published.id).status == CANCELLED
    assert reloaded(draft.id) is None


def test_one_that_cannot_be_withdrawn_leaves_every_one_as_it_was(client, login_as, post_form, company):
    ann, bo = company["managers"][:2]
    published = assign(ann, slot_at("AMS-CC", day(10, 2)))
    gone = assign(bo, slot_at("TLL-CC", day(30, 3)), status=CANCELLED)
    login_as("hr")
    confirm = f"/assignments/withdraw-several?assignment={published.id}"
    page = text(post_form("/assignments/withdraw-several", {"assignment": [published.id, gone.id]}, page=confirm))
    assert "Nothing was withdrawn: 1 of the 2 assignments cannot be withdrawn now" in page
    assert lines(page)[1].endswith(
        "Cannot be withdrawn: It is cancelled; only a shift still to come can be moved or withdrawn.")
    assert reloaded(published.id).status == PUBLISHED


def test_the_service_refuses_all_when_one_cannot_go(app, company):
    ann, bo = company["managers"][:2]
    published = assign(ann, slot_at("AMS-CC", day(10, 2)))
    gone = assign(bo, slot_at("TLL-CC", day(30, 3)), status=CANCELLED)
    with pytest.raises(Refusal) as refused, all_or_nothing():
        withdraw_many([published, gone], None)
    assert list(refused.value.reasons) == [str(gone.id)]
    db.session.expire_all()
    assert reloaded(published.id).status == PUBLISHED


def test_only_hr_withdraws_several(client, login_as, company):
    published = assign(company["managers"][0], slot_at("AMS-CC", day(10, 2)))
    login_as("manager")
    assert client.get(f"/assignments/withdraw-several?assignment={published.id}").status_code == 403
