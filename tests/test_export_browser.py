"""HR filters the Assignments page in the browser and downloads what it selects, as ``assignments export`` writes it."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from rotation.assignments.models import CANCELLED
from tests.fixtures.shifts import assign, day, next_year, slot_at
from tests.helpers import PASSWORD, save_screenshot, sign_in

pytestmark = pytest.mark.browser


def test_hr_downloads_the_filtered_assignments_as_csv(page, runner, make_user, five_managers):
    ann, bo, cai = five_managers["managers"][:3]
    assign(ann, slot_at("HEL-CC", day(10)))
    assign(ann, slot_at("TMP-WH", day(12)))
    assign(bo, slot_at("TMP-WH", day(14)), status=CANCELLED)
    assign(cai, slot_at("TLL-CC", day(16)))
    hr = make_user(roles=["hr"])
    sign_in(page, hr.email, PASSWORD)

    page.goto(f"/assignments/?year={next_year()}")
    page.get_by_label("Shift").select_option(label="Warehouse week")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Showing 1–2 of 2 assignments.")).to_be_visible()
    save_screenshot(page, "assignments-download-desktop")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value

    assert download.suggested_filename == f"assignments-{next_year()}.csv"
    content = Path(download.path()).read_bytes()
    result = runner.invoke(args=["assignments", "export", "--year", str(next_year()), "--kind", "warehouse"])
    assert result.exit_code == 0, result.output
    assert content == result.stdout_bytes
    lines = content.decode("utf-8").splitlines()
    assert lines[0] == "employee_id,email,kind,site,start,end,status,uid,sequence"
    assert [line.split(",")[:3] + line.split(",")[6:7] for line in lines[1:]] == [
        ["E100", "e100@example.com", "warehouse", "published"], ["E101", "e101@example.com", "warehouse", "cancelled"]]
    assert page.console_errors == []
