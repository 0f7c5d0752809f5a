"""HR walks through an import in the browser: upload, see problems, fix, confirm."""
import pytest

from tests.helpers import PASSWORD, PHONE, page_width, sign_in
from tests.imports_helpers import SITES

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
