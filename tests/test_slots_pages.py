"""HR creates a year's slots from the pages: a preview first, then the ticked sites' slots in one go."""
import html
import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from rotation.db import utc_today
from rotation.extensions import db
from rotation.sites import slots as slots_service
from rotation.sites.models import Site, Slot
from rotation.sites.slots import generate_slots
from tests.helpers import csrf_token

YEAR = 2028  # starts on a Saturday, a leap year: 260 working days and 52 Mondays
WORKING_DAYS = 260
MONDAYS = 52
PAGE = f"/sites/slots/new?year={YEAR}"


def text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def preview_rows(page: str) -> dict[str, dict[str, str]]:
    """The preview table: site code → {column: cell text}."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        cells = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>', row, re.DOTALL))
        if cells:
            link = re.search(r'href="/sites/([^"?]+)', cells["Site"])
            assert link, cells
            rows[link.group(1)] = {label: text(value) for label, value in cells.items()}
    return rows


def ticked(page: str) -> list[str]:
    return re.findall(r'name="sites" value="([^"]+)"\s*checked', page)


def slot_rows() -> set[tuple]:
    """Every slot as (site code, kind, first day, last day, start, end, seats)."""
    return {tuple(row) for row in db.session.execute(
        sa.select(Site.code, Slot.kind, Slot.first_day, Slot.last_day, Slot.starts_at, Slot.ends_at, Slot.seats)
        .join(Site))}


def count_by_site() -> dict[str, int]:
    return dict(db.session.execute(
        sa.select(Site.code, sa.func.count(Slot.id)).join(Slot).group_by(Site.code)).tuples().all())


@pytest.fixture
def three_sites(make_site, make_blackout):
    helsinki = make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    tampere = make_site(code="TMP-WH", name="Tampere fulfilment centre", kind="warehouse", seats=4)
    make_site(code="RNO-CC", name="Reno contact centre", timezone="America/Los_Angeles", seats=1,
              shift_start=time(8, 0), shift_end=time(16, 0))
    make_blackout(date(YEAR, 12, 25), date(YEAR, 12, 26), reason="Christmas")  # Monday and Tuesday
    make_blackout(date(YEAR, 6, 8), site=tampere, reason="Stock-taking")  # a Thursday: its week goes
    make_blackout(date(YEAR, 3, 1), date(YEAR, 3, 3), site=helsinki, reason="Move")  # Wednesday to Friday
    return helsinki, tampere


def test_the_preview_says_what_creating_writes_and_the_command_writes_the_same(client, login_as, three_sites,
                                                                              runner):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    rows = preview_rows(page)
    assert rows["HEL-CC"] == {
        "Site": "Helsinki contact centre HEL-CC", "To create": f"{WORKING_DAYS - 5} customer-service days",
        "First": f"Mon {YEAR}-01-03", "Last": f"Fri {YEAR}-12-29", "Seats each": "3",
        "Left out for blackouts": f"5 days: Wed {YEAR}-03-01, Thu {YEAR}-03-02, Fri {YEAR}-03-03, "
                                  f"Mon {YEAR}-12-25, Tue {YEAR}-12-26",
        "Already there": "none"}
    assert rows["TMP-WH"]["To create"] == f"{MONDAYS - 2} warehouse weeks"
    assert rows["TMP-WH"]["First"] == f"Mon {YEAR}-01-03 to Fri {YEAR}-01-07"
    assert rows["TMP-WH"]["Last"] == f"Mon {YEAR}-12-18 to Fri {YEAR}-12-22"
    assert rows["TMP-WH"]["Left out for blackouts"] == f"2 weeks starting Mon {YEAR}-06-05, Mon {YEAR}-12-25"
    assert rows["RNO-CC"]["To create"] == f"{WORKING_DAYS - 2} customer-service days"
    promised = {code: int(row["To create"].split()[0]) for code, row in rows.items()}
    assert f"Creating adds {sum(promised.values())} slots at 3 sites." in text(page)
    assert sorted(ticked(page)) == ["HEL-CC", "RNO-CC", "TMP-WH"]  # every site ticked
    assert slot_rows() == set()  # the preview wrote nothing

    created = client.post(PAGE, data={"csrf_token": csrf_token(page), "sites": ticked(page)}, follow_redirects=True)
    after = created.get_data(as_text=True)
    assert (f"Created {sum(promised.values())} slots of {YEAR}: {promised['HEL-CC']} at HEL-CC, "
            f"{promised['RNO-CC']} at RNO-CC, {promised['TMP-WH']} at TMP-WH.") in text(after)
    db.session.rollback()
    assert count_by_site() == promised
    assert f'href="/plan/{YEAR}"' in after and f"Next: plan {YEAR}" in text(after)
    assert f'href="/sites/HEL-CC?year={YEAR}"' in after
    assert preview_rows(after)["HEL-CC"][f"Slots in {YEAR}"] == f"{promised['HEL-CC']} customer-service days"
    assert "Create the slots</button>" not in after

    # The command makes exactly these slots from the same settings.
    written = slot_rows()
    db.session.execute(sa.delete(Slot))
    db.session.commit()
    result = runner.invoke(args=["slots", "generate", "--year", str(YEAR)])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert slot_rows() == written


def test_creating_twice_adds_nothing(client, login_as, three_sites):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    token = csrf_token(page)
    client.post(PAGE, data={"csrf_token": token, "sites": ["HEL-CC", "TMP-WH", "RNO-CC"]})
    db.session.rollback()
    before = slot_rows()
    again = client.post(PAGE, data={"csrf_token": token, "sites": ["HEL-CC", "TMP-WH", "RNO-CC"]},
                        follow_redirects=True).get_data(as_text=True)
    assert f"Nothing was added: these sites have every slot of {YEAR} already." in text(again)
    assert "Every site that can have slots has its slots of" in text(again)
    db.session.rollback()
    assert slot_rows() == before and len(before) == (WORKING_DAYS - 5) + (MONDAYS - 2) + (WORKING_DAYS - 2)


def test_only_the_ticked_sites_get_slots_and_the_others_can_follow(client, login_as, three_sites):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    done = client.post(PAGE, data={"csrf_token": csrf_token(page), "sites": ["TMP-WH"]}, follow_redirects=True)
    later = done.get_data(as_text=True)
    assert f"Created {MONDAYS - 2} slots of {YEAR} at TMP-WH Tampere fulfilment centre." in text(later)
    db.session.rollback()
    assert count_by_site() == {"TMP-WH": MONDAYS - 2}

    rows = preview_rows(later)
    assert rows["TMP-WH"]["To create"] == "none"
    assert rows["TMP-WH"]["Already there"] == f"already has {MONDAYS - 2} warehouse weeks, none added"
    assert sorted(ticked(later)) == ["HEL-CC", "RNO-CC"]  # only sites with something to create have a box
    assert "1 site already has slots in 2028: those are kept, and none is added twice." in text(later)


def test_nothing_ticked_writes_nothing_and_says_so(client, login_as, three_sites):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    response = client.post(PAGE, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert "Tick at least one site to create its slots." in response.get_data(as_text=True)
    assert ticked(response.get_data(as_text=True)) == []  # what was sent is shown again
    db.session.rollback()
    assert slot_rows() == set()


@pytest.mark.parametrize("typed, sentence", [
    ("2101", "The year must be between 2000 and 2100; 2101 is not."),
    ("1999", "The year must be between 2000 and 2100; 1999 is not."),
    ("next", "Enter the year as a number, such as 2028."),
    ("", "Enter a year, such as 2028."),
    ("9" * 400, "Enter a smaller number."),
])
def test_a_year_out_of_range_is_refused_beside_the_field(client, login_as, three_sites, typed, sentence):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    for response in (client.get("/sites/slots/new", query_string={"year": typed}),
                     client.post("/sites/slots/new", query_string={"year": typed},
                                 data={"csrf_token": csrf_token(page), "sites": ["HEL-CC"]})):
        answer = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'<small id="year-error" class="field-error">{sentence}</small>' in answer
        assert 'aria-invalid="true" aria-describedby="year-error"' in answer
        assert "Create the slots</button>" not in answer and "<table" not in answer
    db.session.rollback()
    assert slot_rows() == set()


def test_a_site_that_cannot_have_slots_is_named_and_sending_it_anyway_writes_nothing(client, login_as, make_site):
    login_as("hr")
    make_site(code="AMS-CC", name="Amsterdam contact centre")
    make_site(code="HEL-CC", name="Helsinki contact centre", shift_start=None, shift_end=None)
    page = client.get(PAGE).get_data(as_text=True)
    rows = preview_rows(page)
    assert rows["HEL-CC"]["To create"] == ("None: HEL-CC Helsinki contact centre is a contact centre without "
                                           "customer-service hours; import the site again with shift_start and "
                                           "shift_end.")
    assert ticked(page) == ["AMS-CC"]
    response = client.post(PAGE, data={"csrf_token": csrf_token(page), "sites": ["AMS-CC", "HEL-CC"]})
    assert response.status_code == 200
    assert "is a contact centre without customer-service hours" in response.get_data(as_text=True)
    db.session.rollback()
    assert slot_rows() == set()  # not even Amsterdam's
    unknown = client.post(PAGE, data={"csrf_token": csrf_token(page), "sites": ["AMS-CC", "NOPE"]})
    assert "No site has the code &#39;NOPE&#39;" in unknown.get_data(as_text=True)
    db.session.rollback()
    assert slot_rows() == set()


def test_slots_made_meanwhile_by_someone_else_leave_nothing_half_written(client, login_as, three_sites,
                                                                        monkeypatch):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    generate_slots(YEAR, "TMP-WH")  # another HR person, a moment earlier
    db.session.commit()
    before = slot_rows()
    # This request read the slots there before the other's were committed.
    monkeypatch.setattr(slots_service, "_existing_slots",
                        lambda first, last, site_id: slots_service.defaultdict(set))
    response = client.post(PAGE, data={"csrf_token": csrf_token(page), "sites": ["HEL-CC", "TMP-WH"]})
    assert response.status_code == 200
    assert f"Some of these slots of {YEAR} were created by someone else a moment ago, so none were added" in \
        response.get_data(as_text=True)
    db.session.rollback()
    assert slot_rows() == before  # Helsinki's were not written either


@pytest.mark.dates
def test_the_page_starts_at_the_first_year_without_slots(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC")
    this_year = utc_today().year
    assert f"<h1>Slots of {this_year}</h1>" in client.get("/sites/slots/new").get_data(as_text=True)
    generate_slots(this_year)
    db.session.commit()
    assert f"<h1>Slots of {this_year + 1}</h1>" in client.get("/sites/slots/new").get_data(as_text=True)


def test_without_sites_the_page_says_to_import_them(client, login_as):
    login_as("hr")
    page = client.get(PAGE).get_data(as_text=True)
    assert "There are no sites yet." in page and 'href="/imports' in page
    assert "Create the slots</button>" not in page


def test_a_manager_may_neither_see_nor_create_slots(client, login_as, make_site):
    make_site(code="HEL-CC")
    login_as("manager", "owner")
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"csrf_token": token, "sites": ["HEL-CC"]}).status_code == 403
    assert client.post(f"/sites/HEL-CC/slots?year={YEAR}", data={"csrf_token": token}).status_code == 403
    db.session.rollback()
    assert slot_rows() == set()


def test_creating_needs_the_forms_token(client, login_as, make_site):
    make_site(code="HEL-CC")
    login_as("hr")
    assert client.post(PAGE, data={"sites": ["HEL-CC"]}).status_code == 400
    assert client.post(f"/sites/HEL-CC/slots?year={YEAR}").status_code == 400
    db.session.rollback()
    assert slot_rows() == set()


@pytest.mark.dates
def test_hrs_home_links_to_creating_next_years_slots(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC")
    next_year = utc_today().year + 1
    home = client.get("/").get_data(as_text=True)
    assert f'<a href="/sites/slots/new?year={next_year}">Create {next_year}\'s slots</a>' in home
    assert "slots generate" not in home
    generate_slots(next_year)
    db.session.commit()
    assert "/sites/slots/new" not in client.get("/").get_data(as_text=True)
