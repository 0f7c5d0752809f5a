"""Before HR confirms an import the preview says what will happen to whom, and afterwards the result page says
what did: who joins the rotation and why, what changes, who leaves, their shifts withdrawn, who would report to
a leaver, and the e-mails that go out. Every problem of a bad file downloads as CSV."""
import csv
import io
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from rotation.assignments.models import CANCELLED, DRAFT
from rotation.extensions import db
from rotation.outbox.models import CANCELLATION, SET_PASSWORD, OutboxMessage
from rotation.people.models import BY_FEED, Person
from tests.fixtures.attendance import make_slot
from tests.fixtures.shifts import assign, reloaded
from tests.imports_helpers import PEOPLE, SITES, confirm, upload

LEAVER_FILE = PEOPLE.replace("E2,Maria Jansen,maria@example.com,Operations,E1,TMP-WH,\n", "").replace(
    "E4,Ben Expert,ben@example.com,Finance,E1,,yes", "E4,Ben Expertson,ben@example.com,Finance,E1,HEL-CC,yes")


def section(page: str, name: str) -> str:
    """The text of one list on the page (its <details>)."""
    start = page.index(f'id="list-{name}"')
    return page[start:page.index("</details>", start)]


def person(employee_id: str) -> Person:
    return db.session.scalars(sa.select(Person).where(Person.employee_id == employee_id)).one()


def test_the_first_roster_says_who_joins_the_rotation_and_who_gets_a_set_password_email(client, login_as, make_site):
    login_as("hr")
    make_site("HEL-CC", name="Helsinki contact centre")
    make_site("TMP-WH", kind="warehouse", name="Tampere warehouse")
    preview_url = upload(client, "people", PEOPLE).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)

    added = section(page, "added")
    for name, key, note in (("Esposito, Carla", "E1", "joins the rotation: 2 people report to them"),
                            ("Maria Jansen", "E2", "joins the rotation: 1 person reports to them"),
                            ("Anna Worker", "E3", "not in the rotation: nobody active reports to them"),
                            ("Ben Expert", "E4", "joins the rotation: HR&#39;s file says yes")):
        assert f'{name} <small class="muted">{key}</small> <small>— {note}</small>' in added
    emails = section(page, "emails")
    assert "E-mails that would go out (3)" in emails
    for name, address in (("Esposito, Carla", "ceo@example.com"), ("Maria Jansen", "maria@example.com"),
                          ("Ben Expert", "ben@example.com")):
        assert f"{name} <small class=\"muted\">" in emails and f"to {address}: a link to set their password" in emails
    assert "anna@example.com" not in emails
    assert "send 3 e-mails" in page
    assert 'id="list-cancelled"' not in page and 'id="list-reporting_to_leavers"' not in page

    confirm(client, preview_url)
    done = client.get(preview_url).get_data(as_text=True)
    assert "Imported: 4 added, 0 updated, 0 deactivated, 0 unchanged" in done
    assert "E-mails queued (3)" in section(done, "emails")
    assert f'<a href="/people/{person("E2").id}">Maria Jansen</a>' in section(done, "added")
    queued = db.session.scalars(sa.select(OutboxMessage.recipient).where(OutboxMessage.purpose == SET_PASSWORD))
    assert sorted(queued) == ["ben@example.com", "ceo@example.com", "maria@example.com"]


def test_a_leaver_preview_names_their_shifts_the_cancellations_and_who_would_report_to_them(
        client, login_as, make_site):
    login_as("hr")
    hel = make_site("HEL-CC", name="Helsinki contact centre")
    wh = make_site("TMP-WH", kind="warehouse", name="Tampere warehouse")
    confirm(client, upload(client, "people", PEOPLE).headers["Location"])
    now = datetime.now(UTC).replace(microsecond=0)
    soon, later = datetime.now(UTC).date() + timedelta(days=30), datetime.now(UTC).date() + timedelta(days=60)
    published = assign(person("E2"), make_slot(hel, soon, now + timedelta(days=30), now + timedelta(days=30, hours=8)))
    draft = assign(person("E2"), make_slot(wh, later, now + timedelta(days=60), now + timedelta(days=65),
                                           last_day=later + timedelta(days=4)), status=DRAFT)
    feed_only = assign(person("E4"), make_slot(hel, soon + timedelta(days=1), now + timedelta(days=31),
                                               now + timedelta(days=31, hours=8))).id
    published, draft = published.id, draft.id

    preview_url = upload(client, "people", LEAVER_FILE, deactivate=True).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "The file is valid: 0 added, 1 updated, 1 deactivated, 2 unchanged" in page
    assert ("Maria Jansen <small class=\"muted\">E2</small> <small>— 2 shifts still to come withdrawn; signed out "
            "everywhere; their calendar link stops") in section(page, "deactivated")
    updated = section(page, "updated")
    assert "name: Ben Expert → Ben Expertson" in updated and "home site: none → HEL-CC" in updated
    cancelled = section(page, "cancelled")
    assert "Leavers&#39; shifts that would be withdrawn (2)" in cancelled
    assert (f"Maria Jansen <small class=\"muted\">E2</small> <small>— {soon:%a %d %b %Y}; Helsinki contact centre; "
            "cancelled; a cancellation e-mail goes to them") in cancelled
    assert f"{later:%a %d %b %Y}; Tampere warehouse; a draft, taken out of the plan; nobody is told" in cancelled
    assert "Ben" not in cancelled  # only the leavers' shifts
    orphans = section(page, "reporting_to_leavers")
    assert "Anna Worker <small class=\"muted\">E3</small> <small>— reports to Maria Jansen (E2), who leaves" in orphans
    emails = section(page, "emails")
    assert "E-mails that would go out (1)" in emails  # the three set-password links sent last time still work
    assert f"to maria@example.com: the cancellation of their shift on {soon:%a %d %b %Y} at Helsinki contact centre" \
        in emails
    assert ("Confirming it will also: withdraw 2 shifts of the people who leave; leave 1 person reporting to "
            "someone who leaves; send 1 e-mail.") in " ".join(page.split())

    confirm(client, preview_url)
    done = client.get(preview_url).get_data(as_text=True)
    assert "Imported: 0 added, 1 updated, 1 deactivated, 2 unchanged" in done
    assert "Leavers&#39; shifts withdrawn (2)" in done and "Report to someone who left (1)" in done
    assert f'<a href="/people/{person("E3").id}">Anna Worker</a>' in section(done, "reporting_to_leavers")
    assert reloaded(published).status == CANCELLED and reloaded(draft) is None
    assert reloaded(feed_only).status != CANCELLED
    cancellations = db.session.scalars(sa.select(OutboxMessage.recipient)
                                       .where(OutboxMessage.purpose == CANCELLATION)).all()
    assert cancellations == ["maria@example.com"]


def test_a_leaver_who_chose_the_feed_gets_no_cancellation_email(client, login_as, make_site):
    login_as("hr")
    hel = make_site("HEL-CC", name="Helsinki contact centre")
    make_site("TMP-WH", kind="warehouse")
    confirm(client, upload(client, "people", PEOPLE).headers["Location"])
    person("E2").calendar_delivery = BY_FEED
    db.session.commit()
    now = datetime.now(UTC).replace(microsecond=0)
    assign(person("E2"), make_slot(hel, datetime.now(UTC).date() + timedelta(days=9), now + timedelta(days=9),
                                   now + timedelta(days=9, hours=8)))
    page = client.get(upload(client, "people", LEAVER_FILE, deactivate=True).headers["Location"]).get_data(
        as_text=True)
    assert "cancelled; they chose the calendar feed, so no e-mail" in section(page, "cancelled")
    assert 'id="list-emails"' not in page


def test_a_manager_whose_reports_all_leave_is_said_to_leave_the_rotation(client, login_as, make_site):
    login_as("hr")
    make_site("HEL-CC")
    make_site("TMP-WH", kind="warehouse")
    confirm(client, upload(client, "people", PEOPLE).headers["Location"])
    without_anna = PEOPLE.replace("E3,Anna Worker,anna@example.com,Operations,E2,,\n", "")
    page = client.get(upload(client, "people", without_anna, deactivate=True).headers["Location"]).get_data(
        as_text=True)
    assert ("Maria Jansen <small class=\"muted\">E2</small> <small>— leaves the rotation: nobody active reports to "
            "them; their shifts still to come are withdrawn when the plan runs again") in section(page, "rotation")


def test_every_problem_downloads_as_csv_beyond_the_500_on_the_page(client, login_as):
    login_as("hr")
    rows = "".join(f"E{n},Person {n},not-an-address-{n},Sales,,,\n" for n in range(1, 601))
    preview_url = upload(client, "people", "employee_id,full_name,email,department,manager_id,home_site,in_rotation\n"
                         + rows, "roster.csv").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "600 problems — nothing can be imported" in page
    assert page.count("<tr>") == 501  # the header and the first 500
    assert "… and 100 more" in page and f'href="{preview_url}/problems.csv"' in page

    response = client.get(preview_url + "/problems.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="problems-roster.csv"' in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table[0] == ["line", "column", "value", "message"]
    assert len(table) == 601
    assert table[600][:3] == ["601", "email", "not-an-address-600"]
    assert table[600][3].startswith("Not a valid e-mail address")


def test_only_the_uploader_may_download_the_problems(client, login_as, post_form):
    login_as("hr")
    preview_url = upload(client, "people", "employee_id\nE1\n").headers["Location"]
    post_form("/logout", {}, page="/")
    login_as("hr")
    assert client.get(preview_url + "/problems.csv").status_code == 404


def test_the_full_list_of_changes_downloads_as_csv(client, login_as, make_site):
    login_as("hr")
    make_site("HEL-CC")
    make_site("TMP-WH", kind="warehouse")
    preview_url = upload(client, "people", PEOPLE).headers["Location"]
    response = client.get(preview_url + "/changes.csv")
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["list"], row["key"]) for row in table[:4]] == [("Would be added", f"E{n}") for n in range(1, 5)]
    assert table[0]["details"] == "joins the rotation: 2 people report to them"
    assert {row["key"] for row in table if row["list"] == "E-mails that would go out"} == {"E1", "E2", "E4"}


def test_a_sites_preview_says_what_changes_and_that_no_shift_moves(client, login_as):
    login_as("hr")
    confirm(client, upload(client, "sites", SITES).headers["Location"])
    changed = SITES.replace("Nordics,3,09:00,17:00", "Nordics,2,08:00,16:00")
    page = client.get(upload(client, "sites", changed).headers["Location"]).get_data(as_text=True)
    updated = section(page, "updated")
    assert "seats: 3 → 2; shift start: 09:00 → 08:00; shift end: 17:00 → 16:00" in updated
    assert "slots already made keep their seats and hours: no shift is moved or cancelled" in updated
    assert "Confirming it will also" not in page
