"""HR imports a large roster and plans its year from the pages while the background worker does the work."""

import pytest
from playwright.sync_api import expect

from rotation.extensions import db
from rotation.sites.slots import generate_slots
from tests.fixtures.clock import next_year
from tests.helpers import PASSWORD, PHONE, page_width, save_screenshot, sign_in

pytestmark = pytest.mark.browser

MANAGERS = 300
TEAM = 9
SITES = """code,name,kind,timezone,region,seats,shift_start,shift_end
HEL-CC,Helsinki contact centre,contact_center,Europe/Helsinki,Nordics,4,09:00,17:00
TMP-WH,Tampere warehouse,warehouse,Europe/Helsinki,Nordics,12,,
"""


def roster() -> str:
    """A chief executive, ``MANAGERS`` managers reporting to her and a team of ``TEAM`` under each."""
    lines = ["employee_id,full_name,email,department,manager_id,home_site",
             "E00001,Carla Chief,carla@example.com,Board,,HEL-CC"]
    number = 1
    for manager in range(MANAGERS):
        number += 1
        boss = f"E{number:05d}"
        lines.append(f"{boss},Manager {manager:03d},{boss.lower()}@example.com,Department {manager % 40},E00001,HEL-CC")
        for _ in range(TEAM):
            number += 1
            lines.append(f"E{number:05d},Member {number},e{number:05d}@example.com,Department {manager % 40},{boss},")
    return "\n".join(lines) + "\n"


def upload(page, label: str, path) -> None:
    page.goto("/imports")
    page.get_by_label(label).check()
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and preview").click()


def test_a_large_import_and_a_plan_run_happen_in_the_worker_while_the_pages_follow(page, worker, make_user,
                                                                                   tmp_path):
    hr = make_user(roles=["hr"], name="Henna Salo")
    people = 1 + MANAGERS * (1 + TEAM)
    (tmp_path / "sites.csv").write_text(SITES)
    (tmp_path / "people.csv").write_text(roster())
    sign_in(page, hr.email, PASSWORD)

    upload(page, "Sites", tmp_path / "sites.csv")
    page.get_by_role("button", name="Confirm and import").click()
    page.get_by_role("heading", name="Imported: 2 added").wait_for()

    upload(page, "People (the roster)", tmp_path / "people.csv")
    # The request returns at once; the page says what is happening and follows the worker.
    expect(page.get_by_role("heading", name="Preview: people.csv")).to_be_visible()
    expect(page.get_by_text(f"{people:,} lines")).to_be_visible()
    page.get_by_role("heading", name=f"The file is valid: {people} added, 0 updated, 0 deactivated, 0 unchanged") \
        .wait_for(timeout=60_000)
    expect(page.locator("#list-added")).to_contain_text(f"… and {people - 200:,} more: download the full list (CSV).")
    page.get_by_role("button", name="Confirm and import").click()
    page.get_by_role("heading", name=f"Imported: {people} added, 0 updated, 0 deactivated, 0 unchanged") \
        .wait_for(timeout=60_000)
    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "background-import-done-phone")
    page.get_by_role("link", name="Import another file").click()
    recent = page.get_by_role("region", name="Your recent imports")
    expect(recent.get_by_role("row", name="people.csv")).to_contain_text(f"imported: {people} added")
    assert any(line.startswith(f"imported people.csv: {people} added") for line in worker), worker

    generate_slots(next_year())
    db.session.commit()
    page.goto(f"/plan/{next_year()}")
    page.get_by_role("button", name=f"Run the plan of {next_year()}").click()
    expect(page.get_by_text(f"The plan of {next_year()} is running.")).to_be_visible()
    expect(page.get_by_text(f"{2 * (MANAGERS + 1)} new assignments", exact=False)).to_be_visible(timeout=90_000)
    figures = page.locator(".run-figures").inner_text()
    assert f"{MANAGERS + 1} customer-service days and {MANAGERS + 1} warehouse weeks" in figures
    assert "Henna Salo" in figures
    assert page_width(page) <= PHONE["width"]
    save_screenshot(page, "background-plan-done-phone")
    assert any(line.startswith(f"plan of {next_year()}: ") for line in worker), worker
    assert page.console_errors == []
