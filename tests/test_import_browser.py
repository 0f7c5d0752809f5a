"""HR walks through an import in the browser: upload, see problems, fix, confirm; see what a leaver import
will do before confirming it."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.people.models import Person
from tests.fixtures.attendance import make_slot
from tests.fixtures.shifts import assign
from tests.helpers import DESKTOP, PASSWORD, PHONE, page_width, sign_in
from tests.imports_helpers import PEOPLE, SITES

pytestmark = pytest.mark.browser

BAD_PEOPLE = ("employee_id,full_name,email,department,manager_id,home_site\n"
              "E1,Carla Esposito,ceo@example.com,Executive,,HEL-CC\n"
              "E2,Maria Jansen,maria-at-example.com,Operations,E1,NOPE\n")


def choose_and_upload(page, kind_label: str, path) -> None:
    page.goto("/imports")
    page.get_by_label(kind_label).check()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()


def test_hr_uploads_fixes_and_confirms(page, worker, make_user, tmp_path):
    hr = make_user(roles=["hr"])
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES)
    people = tmp_path / "people.csv"
    people.write_text(BAD_PEOPLE)
    sign_in(page, hr.email, PASSWORD)

    choose_and_upload(page, "Sites", sites)
    page.get_by_role("button", name="Confirm and import").click()
    # The worker checks the file again and writes it; the page follows along and shows the outcome.
    page.get_by_role("heading", name="Imported: 2 added, 0 updated, 0 deactivated, 0 unchanged").wait_for()

    choose_and_upload(page, "People (the roster)", people)
    page.get_by_role("heading", name="2 problems — nothing can be imported").wait_for()
    rows = page.locator("article.problems tbody tr")
    assert rows.count() == 2
    assert "maria-at-example.com" in rows.nth(0).inner_text()
    assert "NOPE" in rows.nth(1).inner_text()
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    page.get_by_role("button", name="Upload a corrected file").click()

    people.write_text(BAD_PEOPLE.replace("maria-at-example.com", "maria@example.com").replace("NOPE", "TMP-WH"))
    choose_and_upload(page, "People (the roster)", people)
    page.get_by_role("heading", name="The file is valid: 2 added, 0 updated, 0 deactivated, 0 unchanged").wait_for()
    page.get_by_role("button", name="Confirm and import").click()
    page.get_by_role("heading", name="Imported: 2 added").wait_for()
    page.get_by_role("link", name="See the people").click()
    assert page.get_by_role("link", name="Maria Jansen").is_visible()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_sees_what_a_leaver_import_will_do_then_confirms_it(page, worker, make_user, make_site, tmp_path, viewport):
    hr = make_user(roles=["hr"])
    hel = make_site("HEL-CC", name="Helsinki contact centre")
    make_site("TMP-WH", kind="warehouse", name="Tampere warehouse")
    page.set_viewport_size(viewport)
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE)
    sign_in(page, hr.email, PASSWORD)
    choose_and_upload(page, "People (the roster)", people)
    page.get_by_role("button", name="Confirm and import").click()
    page.get_by_role("heading", name="Imported: 4 added").wait_for()

    maria = db.session.scalars(sa.select(Person).where(Person.employee_id == "E2")).one()
    now = datetime.now(UTC).replace(microsecond=0)
    shift_day = now.date() + timedelta(days=20)
    assign(maria, make_slot(hel, shift_day, now + timedelta(days=20), now + timedelta(days=20, hours=8)))

    people.write_text(PEOPLE.replace("E2,Maria Jansen,maria@example.com,Operations,E1,TMP-WH,\n", ""))
    page.goto("/imports")
    page.get_by_label("People (the roster)").check()
    page.get_by_label("CSV file").set_input_files(str(people))
    page.get_by_label("Deactivate people who are not in this file (leavers)").check()
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="The file is valid: 0 added, 0 updated, 1 deactivated, 3 unchanged").wait_for()
    summary = page.locator("#consequences-summary")
    expect(summary).to_contain_text("withdraw 1 shift of the people who leave")
    expect(summary).to_contain_text("leave 1 person reporting to someone who leaves")
    expect(summary).to_contain_text("send 1 e-mail")
    expect(page.locator("#list-deactivated")).to_contain_text("Maria Jansen")
    expect(page.locator("#list-cancelled")).to_contain_text(
        f"{shift_day:%a %d %b %Y}; Helsinki contact centre; cancelled; a cancellation e-mail goes to them")
    expect(page.locator("#list-reporting_to_leavers")).to_contain_text(
        "Anna Worker E3 — reports to Maria Jansen (E2), who leaves")
    expect(page.locator("#list-emails")).to_contain_text("to maria@example.com: the cancellation of their shift")
    assert page_width(page) <= viewport["width"]

    page.get_by_role("button", name="Confirm and import").click()
    page.get_by_role("heading", name="Imported: 0 added, 0 updated, 1 deactivated, 3 unchanged").wait_for()
    expect(page.locator("#list-cancelled")).to_contain_text("Leavers' shifts withdrawn (1)")
    assert page_width(page) <= viewport["width"]
    page.locator("#list-reporting_to_leavers").get_by_role("link", name="Anna Worker").click()
    expect(page.get_by_role("heading", name="Anna Worker", exact=False).first).to_be_visible()
