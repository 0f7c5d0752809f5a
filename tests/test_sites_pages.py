"""HR's Sites pages: every site with its year's slot count, and one site's slots month by month."""
import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from rotation.assignments.models import Assignment
from rotation.db import utc_today
from rotation.extensions import db
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.helpers import count_queries, csrf_token


def cell(page: str, label: str, value: str) -> bool:
    return f'data-label="{label}"' in page and re.search(
        rf'data-label="{re.escape(label)}"[^>]*>\s*{re.escape(value)}\s*</td>', page) is not None


def site_statements(statements: list[str]) -> list[str]:
    return [statement for statement in statements if re.search(r"\bFROM (site|slot)\b", statement)]


def who(page: str, day: str) -> str:
    """The text of the Who cell of the slot on ``day``: the seat holders' names and their shifts' statuses."""
    match = re.search(rf"{re.escape(day)}</td>.*?data-label=\"Who\"><span>(.*?)</span></td>", page, re.S)
    assert match, f"no Who cell for {day}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def row_with(page: str, *cells: str) -> bool:
    """A table row holding these cell texts, in this order."""
    pattern = r"\s*</td>\s*<td[^>]*>\s*".join(re.escape(text) for text in cells)
    return re.search(rf"<td[^>]*>\s*{pattern}\s*</td>", page) is not None


def test_site_list_shows_each_site_and_its_slots_in_the_year(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC", name="Helsinki contact centre", seats=3, region="Nordics",
              shift_start=time(8, 0), shift_end=time(16, 0))
    make_site(code="TMP-WH", name="Tampere fulfilment centre", kind="warehouse", region=None)
    generate_slots(2026, "HEL-CC")
    generate_slots(2027)
    db.session.commit()

    page = client.get("/sites?year=2027").get_data(as_text=True)
    assert row_with(page, "Helsinki contact centre", "Contact centre", "Europe/Helsinki", "Nordics", "3",
                    "08:00–16:00", "261")
    assert row_with(page, "Tampere fulfilment centre", "Warehouse", "Europe/Helsinki", "—", "2", "—", "52")
    assert 'href="/sites/HEL-CC?year=2027"' in page
    assert "2 sites." in page and "313 slots in 2027." in page
    assert 'href="/sites?year=2026"' in page and 'href="/sites?year=2028"' in page

    earlier = client.get("/sites?year=2026").get_data(as_text=True)
    assert row_with(earlier, "08:00–16:00", "261")  # 2026 also has 261 working days
    assert row_with(earlier, "Warehouse", "Europe/Helsinki", "—", "2", "—", "0")

    later = client.get("/sites?year=2028").get_data(as_text=True)
    assert "No site has slots in 2028 yet." in later
    assert '<a href="/sites/slots/new?year=2028">Create the slots of 2028</a>' in later
    assert "slots generate" not in later
    assert "1 site has no slots in 2026 yet." in earlier
    assert '<a href="/sites/slots/new?year=2026">Create them</a>' in earlier
    assert "no slots in 2027" not in page


@pytest.mark.dates
def test_site_list_defaults_to_this_year(client, login_as, make_site):
    login_as("hr")
    make_site()
    this_year = utc_today().year
    for url in ("/sites", "/sites?year=nonsense", "/sites?year=1492"):
        page = client.get(url).get_data(as_text=True)
        assert f"Slots in {this_year}" in page, url


def test_site_list_without_sites_says_how_to_add_them(client, login_as):
    login_as("hr")
    page = client.get("/sites").get_data(as_text=True)
    assert "There are no sites yet." in page
    assert 'href="/imports' in page


def test_site_list_runs_the_same_few_queries_however_many_sites(client, login_as, make_site):
    login_as("hr")

    def add_sites(count: int) -> None:
        for number in range(count):
            make_site(kind="warehouse" if number % 2 else "contact_center")
        generate_slots(2027)
        db.session.commit()

    add_sites(3)
    client.get("/sites")  # the first request after signing in looks the account up once more
    with count_queries() as few:
        assert client.get("/sites?year=2027").status_code == 200
    add_sites(6)
    with count_queries() as many:
        page = client.get("/sites?year=2027").get_data(as_text=True)
    assert "9 sites." in page
    assert len(many) == len(few), many
    # The signed-in account, then the sites with their slot counts.
    assert len(many) <= 4, many
    assert len(site_statements(many)) == 1, many


def test_site_page_shows_facts_and_local_slot_times_by_month(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC", name="Helsinki contact centre", seats=3, region="Nordics")
    generate_slots(2027)
    db.session.commit()
    with count_queries() as queries:
        page = client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True)
    # The account with its roles (the first page after signing in), the site, its slots; the seats taken are
    # kept: one small query reads the tables' versions, and one counts the seats, as the slots are new. Nobody
    # holds a seat, so nobody's name is read.
    assert len(queries) <= 7, queries
    assert len(site_statements(queries)) == 2, queries
    assert "<h1>Helsinki contact centre</h1>" in page
    assert "<dt>Seats per slot</dt><dd>3</dd>" in page
    assert "09:00–17:00 local time, Monday to Friday" in page
    assert "261 customer-service days in 2027" in page
    # One month's slots at a time, with a link to each month of the year.
    assert '<h3 id="month-2027-03">March 2027</h3>' in page
    assert re.search(r'<a href="/sites/HEL-CC\?year=2027&amp;month=3#month-2027-03" aria-current="page">March</a>',
                     page)
    assert '<a href="/sites/HEL-CC?year=2027&amp;month=12#month-2027-12">December</a>' in page
    assert "Mon 2027-02-01" not in page and "Thu 2027-04-01" not in page
    assert "← February" in page and "April →" in page
    # Winter time before the change on Sunday 28 March, summer time after it.
    assert row_with(page, "Fri 2027-03-26", "09:00–17:00 EET", "3")
    assert row_with(page, "Mon 2027-03-29", "09:00–17:00 EEST", "3")
    assert "Sat 2027-03-27" not in page
    assert 'href="/sites/HEL-CC?year=2026"' in page and 'href="/sites/HEL-CC?year=2028"' in page
    # No assignments exist yet, so a slot shows its seats and nothing about seats taken or free.
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headers == ["Day", "Local time", "Seats"]


def test_site_page_shows_the_seats_used_and_free_in_each_slot(client, login_as, make_site, make_person):
    login_as("hr")
    site = make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    generate_slots(2027)
    slots = {slot.first_day: slot for slot in db.session.scalars(sa.select(Slot))}
    monday, tuesday, wednesday = date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3)

    def assign(name: str, first_day: date, status: str = "published", **values) -> Assignment:
        person = make_person(full_name=name, home_site=site)
        assignment = Assignment(person_id=person.id, slot_id=slots[first_day].id, year=2027,
                                kind="customer_service", status=status, **values)
        db.session.add(assignment)
        db.session.commit()
        return assignment

    published = assign("Pia Published", monday)
    draft = assign("Dan Draft", monday, status="draft")
    assign("Cecil Cancelled", monday, status="cancelled")  # holds no seat
    assign("Nina Noshow", monday, status="no_show")    # nor does a missed shift
    assign("Will Withdrawn", tuesday, proposal="withdraw")  # the draft gives this seat back
    # Counted where it will be.
    moved = assign("Mo Mover", tuesday, proposal="move", proposed_slot_id=slots[wednesday].id)
    client.get("/sites/HEL-CC?year=2027&month=3")  # the first page after signing in also settles the account's roles
    with count_queries() as queries:
        page = client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True)
    # The account, the site, its slots, the versions of the tables the seats taken were counted from, and who
    # holds the seats of the month shown.
    assert len(queries) <= 6, queries
    assert len(site_statements(queries)) == 2, queries
    headers = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    assert headers == ["Day", "Local time", "Seats", "Used", "Free", "Who"]
    assert row_with(page, "Mon 2027-03-01", "09:00–17:00 EET", "3", "2", "1")
    assert row_with(page, "Tue 2027-03-02", "09:00–17:00 EET", "3", "0", "3")
    assert row_with(page, "Wed 2027-03-03", "09:00–17:00 EET", "3", "1", "2")
    # Who holds the seats: by name, each linking to the person and to the shift.
    assert who(page, "Mon 2027-03-01") == "Dan Draft (draft), Pia Published (published)"
    assert who(page, "Tue 2027-03-02") == "nobody"
    assert who(page, "Wed 2027-03-03") == "Mo Mover (published, the draft moves it here)"
    for assignment in (published, draft, moved):
        assert f'href="/people/{assignment.person_id}"' in page
        assert f'href="/assignments/{assignment.id}"' in page
    assert "Cecil Cancelled" not in page and "Nina Noshow" not in page and "Will Withdrawn" not in page
    assert "<td data-label=\"Who\"" in page and "Thu 2027-04-01" not in page  # names only for March's slots


def test_a_months_names_are_read_in_one_query_however_many_seats_are_taken(client, login_as, make_site,
                                                                        make_person):
    login_as("hr")
    site = make_site(code="HEL-CC", name="Helsinki contact centre", seats=5)
    generate_slots(2027)
    march = db.session.scalars(sa.select(Slot).where(Slot.first_day.between(date(2027, 3, 1), date(2027, 3, 31)))
                               .order_by(Slot.first_day)).all()

    def fill(slots: list[Slot]) -> None:
        for slot in slots:
            for _ in range(slot.seats):
                db.session.add(Assignment(person_id=make_person(home_site=site).id, slot_id=slot.id, year=2027,
                                          kind="customer_service", status="published"))
        db.session.commit()

    fill(march[:1])
    client.get("/sites/HEL-CC?year=2027&month=3")
    with count_queries() as few:
        client.get("/sites/HEL-CC?year=2027&month=3")
    fill(march[1:])
    client.get("/sites/HEL-CC?year=2027&month=3")  # the seats taken are counted again once, then kept
    with count_queries() as many:
        page = client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True)
    assert len(many) == len(few), many
    assert page.count('href="/people/') == 5 * len(march)
    assert re.search(r"March <span class=\"count\">0 seats free</span>", page)


def test_the_seats_used_change_as_soon_as_a_shift_does(client, login_as, make_site, make_person):
    login_as("hr")
    site = make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    generate_slots(2027)
    slots = {slot.first_day: slot for slot in db.session.scalars(sa.select(Slot))}
    monday, tuesday = date(2027, 3, 1), date(2027, 3, 2)

    def assign(first_day: date) -> Assignment:
        assignment = Assignment(person_id=make_person(home_site=site).id, slot_id=slots[first_day].id, year=2027,
                                kind="customer_service", status="published")
        db.session.add(assignment)
        db.session.commit()
        return assignment

    def used() -> tuple[bool, bool]:
        page = client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True)
        return (row_with(page, "Mon 2027-03-01", "09:00–17:00 EET", "3", "1", "2"),
                row_with(page, "Tue 2027-03-02", "09:00–17:00 EET", "3", "1", "2"))

    first = assign(monday)
    assign(monday)
    page = client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True)
    assert row_with(page, "Mon 2027-03-01", "09:00–17:00 EET", "3", "2", "1")
    assert row_with(client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True),
                    "Mon 2027-03-01", "09:00–17:00 EET", "3", "2", "1")  # kept
    # A draft moving one to Tuesday, written by a bulk statement, counts it there at once.
    db.session.execute(sa.update(Assignment).where(Assignment.id == first.id)
                       .values(proposal="move", proposed_slot_id=slots[tuesday].id))
    db.session.commit()
    assert used() == (True, True)
    # Cancelled, it holds no seat any more.
    db.session.execute(sa.update(Assignment).where(Assignment.id == first.id)
                       .values(status="cancelled", proposal=None, proposed_slot_id=None))
    db.session.commit()
    assert used() == (True, False)
    page = client.get("/sites/HEL-CC?year=2027&month=3").get_data(as_text=True)
    assert row_with(page, "Tue 2027-03-02", "09:00–17:00 EET", "3", "0", "3")


@pytest.mark.dates
def test_site_page_opens_at_this_month(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC", name="Helsinki contact centre")
    today = utc_today()
    generate_slots(today.year)
    db.session.commit()
    for url in ("/sites/HEL-CC", f"/sites/HEL-CC?year={today.year}&month=13", "/sites/HEL-CC?month=March"):
        page = client.get(url).get_data(as_text=True)
        assert f'<h3 id="month-{today:%Y-%m}">{today:%B %Y}</h3>' in page, url
        assert page.count('aria-current="page">') == 2, url  # the menu's Sites and this month


def test_warehouse_page_shows_its_weeks(client, login_as, make_site):
    login_as("hr")
    make_site(code="RNO-WH", name="Reno fulfilment centre", kind="warehouse", timezone="America/Los_Angeles",
              seats=2)
    generate_slots(2027)
    db.session.commit()
    page = client.get("/sites/RNO-WH?year=2027&month=3").get_data(as_text=True)
    assert "52 warehouse weeks in 2027" in page
    assert row_with(page, "Mon 2027-03-08 to Fri 2027-03-12", "all day", "2")
    assert row_with(page, "Mon 2027-03-15 to Fri 2027-03-19", "all day", "2")


def test_site_page_without_slots_previews_them_and_creates_them_for_that_site_alone(client, login_as, make_site,
                                                                                  make_blackout):
    login_as("hr")
    site = make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    make_site(code="TMP-WH", kind="warehouse")
    make_blackout(date(2028, 12, 25), date(2028, 12, 26))
    make_blackout(date(2028, 5, 1), site=site)
    page = client.get("/sites/HEL-CC?year=2028").get_data(as_text=True)
    assert "There are no slots at Helsinki contact centre in 2028 yet." in page
    facts = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", page, re.DOTALL))
    words = {name: " ".join(re.sub(r"<[^>]+>", "", value).split()) for name, value in facts.items()}
    assert {name: words[name] for name in ("Slots", "First", "Last", "Seats each", "Left out for blackouts")} == {
        "Slots": "257 customer-service days", "First": "Mon 2028-01-03", "Last": "Fri 2028-12-29", "Seats each": "3",
        "Left out for blackouts": "3 days: Mon 2028-05-01, Mon 2028-12-25, Tue 2028-12-26"}
    assert "Create 2028's slots for this site</button>" in page
    assert "slots generate" not in page
    assert db.session.scalar(sa.select(sa.func.count(Slot.id))) == 0  # a preview writes nothing

    response = client.post("/sites/HEL-CC/slots?year=2028", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"] == "/sites/HEL-CC?year=2028"
    after = client.get("/sites/HEL-CC?year=2028").get_data(as_text=True)
    assert "Created 257 slots of 2028 at HEL-CC Helsinki contact centre." in after
    assert "257 customer-service days in 2028" in after
    assert "for this site</button>" not in after
    counts = dict(db.session.execute(sa.select(Slot.site_id, sa.func.count()).group_by(Slot.site_id)).all())
    assert counts == {site.id: 257}  # the warehouse was left alone

    again = client.post("/sites/HEL-CC/slots?year=2028", data={"csrf_token": csrf_token(page)},
                        follow_redirects=True).get_data(as_text=True)
    assert "Nothing was added: this site has every slot of 2028 already." in again
    assert db.session.scalar(sa.select(sa.func.count(Slot.id))) == 257


def test_site_page_names_why_a_site_cannot_have_slots_and_refuses_a_bad_year(client, login_as, make_site):
    login_as("hr")
    make_site(code="HEL-CC", name="Helsinki contact centre", shift_start=None, shift_end=None)
    page = client.get("/sites/HEL-CC?year=2028").get_data(as_text=True)
    assert "HEL-CC Helsinki contact centre is a contact centre without customer-service hours" in page
    assert "for this site</button>" not in page
    token = csrf_token(client.get("/sites").get_data(as_text=True))
    refused = client.post("/sites/HEL-CC/slots?year=2028", data={"csrf_token": token}, follow_redirects=True)
    assert "is a contact centre without customer-service hours" in refused.get_data(as_text=True)
    out_of_range = client.post("/sites/HEL-CC/slots?year=2101", data={"csrf_token": token}, follow_redirects=True)
    assert "The year must be between 2000 and 2100; 2101 is not." in out_of_range.get_data(as_text=True)
    assert client.post("/sites/NOPE/slots?year=2028", data={"csrf_token": token}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Slot.id))) == 0


def test_unknown_site_is_404(client, login_as):
    login_as("hr")
    assert client.get("/sites/NOPE").status_code == 404


def test_a_manager_is_refused_the_sites(client, login_as, make_site):
    make_site(code="HEL-CC")
    login_as("manager", "owner")
    assert client.get("/sites").status_code == 403
    assert client.get("/sites/HEL-CC").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, make_site):
    make_site(code="HEL-CC")
    response = client.get("/sites/HEL-CC")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
