"""HR's schedule: people by ISO week with their shifts, its filters and pages, and the seats of sites by day."""
from __future__ import annotations

import html
import re
from datetime import date

import pytest

from rotation.assignments.models import CANCELLED, MOVE, PUBLISHED, WITHDRAW
from rotation.data_versions import forget_kept
from rotation.extensions import db
from rotation.people.models import Person
from rotation.schedule import queries as schedule_queries
from tests.fixtures.schedule import SCHEDULE_YEAR as YEAR
from tests.fixtures.schedule import book, schedule_slot
from tests.helpers import count_queries, next_page_url


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def plain(fragment: str) -> str:
    """The fragment's visible text: tags and what only screen readers read left out."""
    fragment = re.sub(r'<span class="visually-hidden">.*?</span>', "", fragment, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def row_heading(row: str) -> str:
    """The text of a row's heading cell before its small print."""
    match = re.search(r"<th[^>]*>(.*?)<small", row, re.S)
    assert match, row
    return plain(match.group(1))


def grid(page: str) -> dict[str, dict[str, str]]:
    """Each person's row: name → {week (2030-W10) → what the cell says}, empty cells left out."""
    if "<tbody>" not in page:
        return {}
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        name = row_heading(row)
        cells = {week: plain(cell) for week, cell in re.findall(r'<td data-week="([^"]+)"[^>]*>(.*?)</td>', row, re.S)}
        rows[name] = {week: said for week, said in cells.items() if said}
    return rows


def field_error(page: str, field: str) -> str:
    match = re.search(rf'id="{field}-error" class="field-error">([^<]*)<', page)
    return match.group(1) if match else ""


def test_the_menu_takes_hr_to_this_years_grid(client, login_as, schedule_world):
    login_as("hr")
    home = text(client.get("/"))
    assert '<a href="/schedule/">Schedule</a>' in home
    response = client.get("/schedule/")
    assert response.status_code == 302 and re.search(r"/schedule/\d{4}$", response.headers["Location"])


def test_each_cell_shows_the_persons_shifts_that_week_and_links_to_them(client, login_as, schedule_world):
    login_as("hr")
    page = text(client.get(f"/schedule/{YEAR}"))
    assert "Showing 1–4 of 4 people." in page  # Eve is not in the rotation
    assert grid(page) == {
        "Ann Aalto": {"2030-W10": "C HEL-CC", "2030-W11": "W TMP-WH"},
        "Bob Berg": {"2030-W14": "C HEL-CC"},
        "Cleo Chief": {"2031-W01": "C HEL-CC"},  # Tue 2030-12-31 is in 2031's first week, the grid's last column
        "Dan Dahl": {"2030-W11": "W TMP-WH"},  # the cancelled day is left out
    }
    # Columns: 2030's 52 weeks (its week 1 starts on Mon 2029-12-30) and the week of Tue 2030-12-31.
    assert page.count('scope="col" class="week') == 53
    ann_day = schedule_world["ann_day"].id
    assert (f'href="/assignments/{ann_day}" data-move="/assignments/{ann_day}/find" draggable="true" '
            'title="Customer-service day at HEL-CC, Tue 2030-03-05, Published" '
            'aria-label="C HEL-CC: Ann Aalto, Customer-service day at HEL-CC, Tue 2030-03-05, Published"') in page
    assert 'class="shift shift-draft"' in page  # Ann's warehouse week is still a draft
    bob_day = schedule_world["bob_day"]
    bob_day.proposal = WITHDRAW
    db.session.commit()
    page = text(client.get(f"/schedule/{YEAR}"))
    assert (f'class="shift shift-confirmed pending" href="/assignments/{bob_day.id}"') in page
    assert 'aria-label="C HEL-CC: Bob Berg, Customer-service day at HEL-CC, Tue 2030-04-02, Confirmed; ' \
           'the draft withdraws it"' in page


def test_filters_narrow_the_rows_and_the_shifts(client, login_as, schedule_world):
    login_as("hr")
    sales = grid(text(client.get(f"/schedule/{YEAR}?department=Sales")))
    assert list(sales) == ["Ann Aalto", "Bob Berg"]
    at_warehouse = grid(text(client.get(f"/schedule/{YEAR}?site=TMP-WH")))
    assert at_warehouse == {"Ann Aalto": {"2030-W11": "W TMP-WH"}, "Dan Dahl": {"2030-W11": "W TMP-WH"}}
    confirmed = grid(text(client.get(f"/schedule/{YEAR}?status=confirmed")))
    assert confirmed == {"Bob Berg": {"2030-W14": "C HEL-CC"}}
    cancelled = grid(text(client.get(f"/schedule/{YEAR}?status=cancelled")))
    assert cancelled == {"Dan Dahl": {"2030-W19": "C HEL-CC"}}
    drafts_in_sales = grid(text(client.get(f"/schedule/{YEAR}?status=draft&department=Sales")))
    assert drafts_in_sales == {"Ann Aalto": {"2030-W11": "W TMP-WH"}}


def test_a_managers_tree_is_them_and_everyone_below_by_employee_id_or_email(client, login_as, schedule_world):
    login_as("hr")
    by_id = text(client.get(f"/schedule/{YEAR}?manager=E2"))
    assert list(grid(by_id)) == ["Ann Aalto", "Bob Berg"]
    assert "Ann Aalto and everyone below them in the line-manager tree." in by_id
    by_email = grid(text(client.get(f"/schedule/{YEAR}?manager=%20E2@Example.com%20")))
    assert list(by_email) == ["Ann Aalto", "Bob Berg"]
    assert list(grid(text(client.get(f"/schedule/{YEAR}?manager=E1")))) == [
        "Ann Aalto", "Bob Berg", "Cleo Chief", "Dan Dahl"]
    assert list(grid(text(client.get(f"/schedule/{YEAR}?manager=E3")))) == ["Bob Berg"]
    assert list(grid(text(client.get(f"/schedule/{YEAR}?manager=Ann%20Aalto")))) == ["Ann Aalto", "Bob Berg"]


def test_a_department_is_found_whatever_its_case_and_suggested_as_hr_types(client, login_as, schedule_world):
    login_as("hr")
    page = client.get(f"/schedule/{YEAR}?department=sALES").get_data(as_text=True)
    assert 'name="department" value="Sales"' in page
    assert set(grid(text(client.get(f"/schedule/{YEAR}?department=sALES")))) == set(
        grid(text(client.get(f"/schedule/{YEAR}?department=Sales"))))
    assert client.get("/schedule/departments?q=ale").get_json() == {"departments": ["Sales"], "more": False}
    assert client.get("/schedule/departments?q=").get_json() == {"departments": [], "more": False}
    assert client.get("/schedule/departments?q=nothing-like-it").get_json()["departments"] == []


def test_a_site_or_status_filter_shows_the_same_people_whichever_way_it_is_read(
        client, login_as, schedule_world, monkeypatch):
    """A filter selecting many people reads the roster in name order, one selecting a few finds the shifts first:
    the same rows and cells either way."""
    login_as("hr")
    addresses = [f"/schedule/{YEAR}?status=draft", f"/schedule/{YEAR}?site=HEL-CC",
                 f"/schedule/{YEAR}?status=published&site=HEL-CC", f"/schedule/{YEAR}?status=no_show"]
    few = [grid(text(client.get(address))) for address in addresses]
    monkeypatch.setattr(schedule_queries, "MANY", 0)
    forget_kept()
    assert [grid(text(client.get(address))) for address in addresses] == few
    assert any(few)


def test_unknown_filter_values_are_named_beside_their_field(client, login_as, schedule_world):
    login_as("hr")
    response = client.get(f"/schedule/{YEAR}?manager=nobody@example.com&site=NOPE&status=lost&department=Nope")
    assert response.status_code == 200
    page = text(response)
    assert field_error(page, "manager") == \
        "Nobody on the roster has the name, e-mail address or employee ID “nobody@example.com”."
    assert field_error(page, "site") == "There is no site with the code NOPE."
    assert field_error(page, "status") == "Choose a status from the list."
    assert field_error(page, "department") == "Nobody on the roster is in a department called Nope."
    assert "Correct the filter above to see the schedule." in page
    for hostile in ("x" * 5000, "a%00b", "%E2%80%AEevil%E2%80%AC"):
        for name in ("manager", "department", "site", "status"):
            assert client.get(f"/schedule/{YEAR}?{name}={hostile}").status_code == 200
        assert client.get(f"/schedule/{YEAR}/sites?period={hostile}").status_code == 200
    assert field_error(text(client.get(f"/schedule/{YEAR}?manager=E2%00")), "manager") == ""  # E2, the NUL dropped


def test_the_grid_pages_through_people_fifty_at_a_time_in_a_fixed_number_of_queries(
        client, login_as, make_person, schedule_world):
    login_as("hr")
    db.session.add_all(Person(employee_id=f"P{number:03d}", full_name=f"Zed {number:03d}",
                              email=f"p{number:03d}@example.com", department="Sales",
                              manager_id=schedule_world["ann"].id, in_rotation_override=True)
                       for number in range(120))
    db.session.commit()
    client.get(f"/schedule/{YEAR}")  # the first request of a test loads what every request shares
    with count_queries() as queries:
        first = text(client.get(f"/schedule/{YEAR}?manager=E1"))
    assert "Showing 1–50 of 124 people." in first
    assert len(grid(first)) == 50
    with count_queries() as more:
        second = text(client.get(next_page_url(first)))
    assert "Showing 51–100 of 124 people." in second
    assert next(iter(grid(second))) == "Zed 046"
    # The account and its roles, the manager, the sites, the count, the page of people, their shifts and the
    # kept figures' version: the same for any number of people; the next page uses the count the first one kept.
    assert len(queries) == 8, queries
    assert len(more) == 7, more
    last = text(client.get(next_page_url(second)))
    assert "Showing 101–124 of 124 people." in last and 'rel="next"' not in last


def test_a_managers_tree_pages_forwards_backwards_and_to_its_end_and_sees_a_newcomer(
        client, login_as, schedule_world):
    login_as("hr")
    db.session.add_all(Person(employee_id=f"P{number:03d}", full_name=f"Zed {number:03d}",
                              email=f"p{number:03d}@example.com", department="Sales",
                              manager_id=schedule_world["ann"].id, in_rotation_override=True)
                       for number in range(120))
    db.session.commit()
    first = text(client.get(f"/schedule/{YEAR}?manager=E1"))
    second = text(client.get(next_page_url(first)))
    back = re.search(r'<a href="([^"]+)" rel="prev">', second).group(1).replace("&amp;", "&")
    assert grid(text(client.get(back))) == grid(first)
    last = text(client.get(f"/schedule/{YEAR}?manager=E1&page=last"))
    assert "Showing 75–124 of 124 people." in last and list(grid(last))[-1] == "Zed 119"
    db.session.add(Person(employee_id="P500", full_name="Zed 500", email="p500@example.com", department="Sales",
                          manager_id=schedule_world["bob"].id, in_rotation_override=True))
    db.session.commit()
    again = text(client.get(f"/schedule/{YEAR}?manager=E1&page=last"))  # the kept tree follows the roster
    assert "Showing 76–125 of 125 people." in again and list(grid(again))[-1] == "Zed 500"
    other = text(client.get(f"/schedule/{YEAR}?manager=E1&department=Sales"))
    assert "Cleo Chief" not in grid(other) and "Zed 000" in grid(other)


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_managers_and_process_owners_are_refused(client, login_as, schedule_world, role):
    login_as(role)
    assert client.get("/schedule/departments?q=Sales").status_code == 403
    assert client.get(f"/schedule/{YEAR}").status_code == 403
    assert client.get(f"/schedule/{YEAR}/sites").status_code == 403
    assert client.get("/schedule/").status_code == 403
    assert "/schedule/" not in text(client.get("/"))


def test_administrators_read_the_schedule_without_the_links_to_hrs_pages(client, login_as, schedule_world):
    login_as("admin")
    page = text(client.get(f"/schedule/{YEAR}"))
    assert grid(page)["Ann Aalto"] == {"2030-W10": "C HEL-CC", "2030-W11": "W TMP-WH"}
    assert ": Ann Aalto, Customer-service day at HEL-CC, Tue 2030-03-05, Published</span>" in page
    assert "/assignments/" not in page  # the assignment pages are HR's: an administrator reads the cells
    assert client.get(f"/schedule/{YEAR}/sites?period=2030-W11").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client, schedule_world):
    response = client.get(f"/schedule/{YEAR}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("year", [1999, 2101])
def test_a_year_no_slot_can_be_in_is_not_found(client, login_as, year):
    login_as("hr")
    assert client.get(f"/schedule/{year}").status_code == 404


def sites_table(page: str) -> dict[str, list[str]]:
    if "<tbody>" not in page:
        return {}
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        code = row_heading(row)
        rows[code] = [plain(cell) for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
    return rows


def test_the_sites_view_shows_a_weeks_seats_and_who_sits_there(client, login_as, schedule_world):
    login_as("hr")
    client.get(f"/schedule/{YEAR}/sites")  # the first request of a test loads what every request shares
    with count_queries() as queries:
        page = text(client.get(f"/schedule/{YEAR}/sites?period=2030-W11"))
    assert "Seats by site, week 11, Mon 2030-03-11 to Fri 2030-03-15" in page
    assert sites_table(page) == {
        "HEL-CC": ["", "", "", "", ""],
        "TMP-WH": ["Mon–Fri week: 2 of 2 used, 0 free Ann Aalto Draft Dan Dahl Completed", "", "", "", ""],
    }
    assert f'<a href="/assignments/{schedule_world["ann_week"].id}">Ann Aalto</a>' in page
    # The account and its roles, the sites counted and a page of them, their slots, who holds their seats.
    assert len(queries) == 6, queries
    march = text(client.get(f"/schedule/{YEAR}/sites?period=2030-03"))
    assert "Seats by site, March 2030" in march
    days = sites_table(march)["HEL-CC"]
    assert len(days) == 21  # March 2030's working days
    assert days[2] == "1 of 3 used, 2 free"  # Fri 1, Mon 4, Tue 5 March: a month counts, its week names
    assert ('<a href="/schedule/2030/sites?period=2030-W10" aria-label="1 of 3 used, 2 free at HEL-CC on 2030-03-05: '
            'who">') in march
    assert '<a href="/schedule/2030/sites?period=2030-04">April 2030 →</a>' in march
    assert '<a href="/schedule/2030/sites?period=2030-02">← February 2030</a>' in march
    week = text(client.get(f"/schedule/{YEAR}/sites?period=2030-W11"))
    assert '<a href="/schedule/2030/sites?period=2030-W12">Week 12 →</a>' in week


def test_a_month_of_sites_is_paged_ten_sites_at_a_time_and_a_week_fifty(client, login_as, make_site, schedule_world):
    for number in range(12):
        make_site(f"Z{number:02d}-CC", name=f"Zone {number:02d}")
    login_as("hr")
    march = text(client.get(f"/schedule/{YEAR}/sites?period=2030-03"))
    assert list(sites_table(march)) == ["HEL-CC", "TMP-WH", *[f"Z{number:02d}-CC" for number in range(8)]]
    assert "Showing 1–10 of 14 sites." in march
    rest = text(client.get(next_page_url(march)))
    assert list(sites_table(rest)) == [f"Z{number:02d}-CC" for number in range(8, 12)]
    assert "Showing 11–14 of 14 sites." in rest and "period=2030-03" in next_page_url(march)
    week = text(client.get(f"/schedule/{YEAR}/sites?period=2030-W11"))
    assert len(sites_table(week)) == 14 and 'class="pager"' not in week


def test_the_sites_view_names_a_period_it_cannot_show(client, login_as, schedule_world):
    login_as("hr")
    page = text(client.get(f"/schedule/{YEAR}/sites?period=2031-W20"))
    assert field_error(page, "period") == "Choose a week or a month of 2030 from the list."
    assert "Seats by site, week 1," in page  # the year's first week instead
    assert client.get(f"/schedule/{YEAR}/sites?period=2030-13").status_code == 200



def test_a_full_slot_names_its_first_eight_holders_and_counts_the_rest(client, login_as, make_person, schedule_world):
    cc = schedule_world["cc"]
    busy, other = schedule_slot(cc, date(2030, 6, 4), seats=12), schedule_slot(cc, date(2030, 6, 5))
    for number in range(11):
        book(make_person(f"B{number:02d}", f"Busy {number:02d}"), busy, PUBLISHED)
    book(make_person("B98", "Gone Away"), busy, CANCELLED)  # holds no seat
    mover = book(make_person("B99", "Aaron Mover"), other, PUBLISHED)
    mover.proposal, mover.proposed_slot_id = MOVE, busy.id  # the draft moves him in: he counts here, not there
    db.session.commit()
    login_as("hr")
    days = sites_table(text(client.get(f"/schedule/{YEAR}/sites?period=2030-W23")))["HEL-CC"]
    assert days[1] == ("12 of 12 used, 0 free Aaron Mover Published, moving in "
                       + " ".join(f"Busy {number:02d} Published" for number in range(7)) + " and 4 more")
    assert days[2] == "0 of 3 used, 3 free"
