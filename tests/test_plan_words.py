"""The plan pages in names rather than counts, and words that say what really happens: one publishing state,
new placements and colliding shifts by name, where the shifts are, who gets what before publishing, what a
withdrawal sends, and the demo's runs and attendance."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from rotation.assignments.models import DRAFT, NO_SHOW, Assignment
from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.outbox.models import SENT, OutboxMessage
from rotation.people.models import BY_FEED, Person
from rotation.plans.models import PlanRun
from rotation.sites.models import CUSTOMER_SERVICE, Slot
from tests.fixtures.clock import next_year
from tests.test_plan_pages import build_company, page_token, plan_page, publish, run_plan, text


@pytest.fixture
def company(make_site, make_person):
    return build_company(make_site, make_person)


def shifts_of(person: Person) -> list[Assignment]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.person_id == person.id)
                                   .order_by(Assignment.kind)))


def links(html: str, prefix: str) -> list[str]:
    """The words of every link whose address starts with ``prefix``, in page order."""
    return [" ".join(re.sub(r"<[^>]+>", " ", words).split())
            for words in re.findall(rf'<a href="{re.escape(prefix)}[^"]*">(.*?)</a>', html, re.S)]


def test_new_placements_are_listed_by_name_with_links_before_publishing(client, login_as, company):
    login_as("hr")
    run_plan()
    html = client.get(plan_page()).get_data(as_text=True)
    page = text(html)
    assert "Not yet published: the draft of" in page and "has 12 changes nobody has been told about" in page
    assert "Nothing to publish" not in page
    assert "New placements" in page
    named = links(html.split('id="placements-heading"')[1], "/people/")
    # Ten of the twelve shifts by person, A to Z, then a link to all of them.
    assert named[:4] == ["Carla Chief", "Carla Chief", "Manager 00", "Manager 00"] and len(named) == 10
    assert f'href="/assignments/?year={next_year()}&amp;status=draft">All 12 new placements' in html


def test_the_run_reads_in_plain_words(client, login_as, company):
    login_as("hr")
    run_plan()
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "by the plan command, under a second" in page
    assert "someone since removed" not in page and "0.0 s" not in page
    # Where the shifts are, counted over the draft, with the numeric comparison folded away.
    found = re.search(r"Where the shifts are (\d+) shifts? at the person's home site (\d+) elsewhere in their home "
                      r"region (\d+) outside their home region", page)
    assert found and sum(int(number) for number in found.groups()) == 12
    assert "none unplaced" in page
    assert "How close to the best possible plan" in page


def test_a_demo_run_says_the_demo_and_a_loose_estimate_gives_no_percentage(client, login_as, company):
    login_as("hr")
    run = run_plan()
    run.source, run.seconds, run.objective, run.lower_bound = "demo", 75.4, 4776, 1000
    db.session.commit()
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "by the demo, in 1 min 15 s" in page
    assert "%" not in page.split("How close to the best possible plan")[1].split("Load")[0]
    assert "not comparable with the best possible" in page


def test_collisions_show_alone_and_name_the_shifts(client, login_as, company):
    login_as("hr")
    run_plan()
    publish()
    ann = company["managers"][0]
    hit = shifts_of(ann)[0]
    hit.needs_replan = True
    db.session.commit()
    html = client.get(plan_page()).get_data(as_text=True)
    page = text(html)
    assert "1 shift collides with blackouts added since the plan last ran" in page
    # One state only: no green "up to date" under the red box.
    assert "Nothing to publish" not in page and "up to date" not in page
    assert f'<a href="/assignments/{hit.id}">Manager 00\'s {hit.kind_label.lower()}</a>' in html


def test_withdrawing_a_published_shift_says_the_plan_needs_to_run_again(client, login_as, company):
    login_as("hr")
    run_plan()
    publish()
    ann = company["managers"][0]
    shift = shifts_of(ann)[0]
    assert "is up to date" in text(client.get(plan_page()).get_data(as_text=True))
    confirmed = client.post(f"/assignments/{shift.id}/withdraw",
                            data={"csrf_token": page_token(client), "confirmed": "yes"}, follow_redirects=True)
    assert confirmed.status_code == 200
    html = client.get(plan_page()).get_data(as_text=True)
    page = text(html)
    assert "up to date" not in page
    assert ("Changed since the last run: this shift was withdrawn by hand, so its person has no shift of that kind "
            f"in {next_year()}. Run the plan again to place them, then publish.") in page
    assert f'<a href="/people/{ann.id}">Manager 00</a>' in html
    # Run again: Manager 00 is placed anew and the draft is there to publish.
    run_plan()
    page = text(client.get(plan_page()).get_data(as_text=True))
    assert "Changed since the last run" not in page and "has 1 change nobody has been told about" in page


def test_the_publish_confirmation_lists_who_gets_what_and_the_e_mails(client, login_as, company):
    login_as("hr")
    run_plan()
    publish()
    ann, bo = company["managers"][:2]
    feed_only = company["managers"][2]
    feed_only.calendar_delivery = BY_FEED
    # Bo leaves the rotation: the next run proposes withdrawing both his shifts. Ann's invitations went out.
    bo.in_rotation_override = False
    db.session.commit()
    for shift in shifts_of(ann) + shifts_of(bo):
        db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.assignment_id == shift.id)
                           .values(status=SENT, sent_at=utcnow()))
    db.session.commit()
    # Manager 02, who takes the calendar feed alone, is to be placed anew.
    for shift in shifts_of(feed_only):
        db.session.delete(shift)
    db.session.commit()
    run_plan()
    html = client.post(f"{plan_page()}/publish", data={"csrf_token": page_token(client)}).get_data(as_text=True)
    page = text(html)
    assert "2 invitations, 0 updates and 2 cancellations will be queued for sending: 2 e-mails go out." in page
    invitations = html.split('id="news-invitation"')[1].split("</section>")[0]
    assert "Invitations: a new shift (2, 0 by e-mail)" in text(invitations)
    assert links(invitations, "/people/") == ["Manager 02", "Manager 02"]
    assert text(invitations).count("(no e-mail: calendar feed only)") == 2
    cancellations = html.split('id="news-cancellation"')[1].split("</section>")[0]
    assert "Cancellations: a shift is withdrawn (2)" in text(cancellations)
    assert links(cancellations, "/people/") == ["Manager 01", "Manager 01"]
    assert "no e-mail" not in cancellations
    assert 'id="news-update"' not in html
    assert "Publish and queue the invitations" in page


def test_the_publish_confirmation_caps_each_list_and_links_to_the_rest(client, login_as, make_site, make_person):
    build_company(make_site, make_person, managers=11)
    login_as("hr")
    run_plan()
    html = client.post(f"{plan_page()}/publish", data={"csrf_token": page_token(client)}).get_data(as_text=True)
    invitations = html.split('id="news-invitation"')[1].split("</section>")[0]
    assert len(links(invitations, "/people/")) == 10
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(Assignment.status == DRAFT))
    assert (f'<a href="/assignments/?year={next_year()}&amp;status=draft">and {total - 10} more →</a>'
            in invitations)


def test_withdrawing_says_a_cancellation_goes_only_when_the_invitation_had_left(client, login_as, company):
    login_as("hr")
    run_plan()
    publish()
    ann, bo = company["managers"][:2]
    sent_shift, unsent_shift = shifts_of(ann)[0], shifts_of(bo)[0]
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.assignment_id == sent_shift.id)
                       .values(status=SENT, sent_at=utcnow()))
    db.session.commit()
    token = page_token(client)

    def confirmation(shift: Assignment) -> str:
        return text(client.post(f"/assignments/{shift.id}/withdraw", data={"csrf_token": token})
                    .get_data(as_text=True))

    assert "will be cancelled, and Manager 00 will be sent a cancellation." in confirmation(sent_shift)
    unsent = confirmation(unsent_shift)
    assert "will be cancelled; no invitation had been sent, so nothing is sent." in unsent
    assert "sent a cancellation" not in unsent
    done = text(client.post(f"/assignments/{unsent_shift.id}/withdraw",
                            data={"csrf_token": token, "confirmed": "yes"}, follow_redirects=True)
                .get_data(as_text=True))
    assert "no invitation had been sent, so nothing is sent." in done
    assert "a cancellation will be sent" not in done


def test_the_demo_stamps_no_attendance_in_the_future_and_its_runs_say_the_demo(runner, client, login_as):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    latest = db.session.scalar(sa.select(sa.func.max(Assignment.attendance_at)))
    assert latest is not None and latest <= utcnow()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanRun).where(PlanRun.source == "demo"))
    login_as("hr")
    page = text(client.get(f"/plan/{utc_today().year}").get_data(as_text=True))
    assert "by the demo" in page and "someone since removed" not in page and "%" not in page.split("Load")[0]


def test_hr_home_links_the_people_unbooked_to_a_list_of_their_names(client, login_as, company):
    login_as("hr")
    run_plan()
    home = client.get("/").get_data(as_text=True)
    assert f'<a href="/plan/{next_year()}/unbooked">6 people unbooked in {next_year()}</a>' in home
    publish()
    assert f"Everyone in the rotation is booked in {next_year()}" in client.get("/").get_data(as_text=True)
    ann, bo = company["managers"][:2]
    db.session.execute(sa.update(Assignment).where(Assignment.person_id == ann.id,
                                                   Assignment.kind == CUSTOMER_SERVICE).values(status=NO_SHOW))
    db.session.execute(sa.delete(Assignment).where(Assignment.person_id == bo.id, Assignment.kind != CUSTOMER_SERVICE))
    db.session.commit()
    home = client.get("/").get_data(as_text=True)
    assert f'<a href="/plan/{next_year()}/unbooked">2 people unbooked in {next_year()}</a>' in home
    assert "Overdue and no-shows to re-book" in home
    html = client.get(f"/plan/{next_year()}/unbooked").get_data(as_text=True)
    rows = [text(row) for row in re.findall(r"<tr>\s*<td.*?</tr>", html, re.S)]
    assert rows == ["Manager 00 E100 Department 0 no-show, to re-book booked",
                    "Manager 01 E101 Department 1 booked nothing planned"]
    assert f'<a href="/people/{ann.id}">Manager 00</a>' in html
    assert "Showing 1–2 of 2 people unbooked." in text(html)


def test_the_unbooked_list_is_for_hr_only(client, login_as, company):
    login_as("manager")
    assert client.get(f"/plan/{next_year()}/unbooked").status_code == 403


def test_moves_and_withdrawals_say_why(client, login_as, company, make_blackout):
    login_as("hr")
    run_plan()
    publish()
    moved, leaving = company["managers"][:2]
    day = next(shift for shift in shifts_of(moved) if shift.kind == CUSTOMER_SERVICE)
    first_day = db.session.get(Slot, day.slot_id).first_day
    make_blackout(first_day, person=moved, reason="Dentist")
    leaving.in_rotation_override = False
    db.session.commit()
    run_plan()
    for html in (client.get(plan_page()).get_data(as_text=True),
                 client.get(f"{plan_page()}/changes").get_data(as_text=True)):
        rows = [text(row) for row in re.findall(r"<tr>\s*<td.*?</tr>", html.split("Moves and withdrawals")[-1],
                                                re.S)]
        assert any(row.startswith("Manager 00") and "a blackout now covers its day" in row for row in rows), rows
        assert [row for row in rows if row.startswith("Manager 01")] and all(
            "no longer in the rotation" in row for row in rows if row.startswith("Manager 01")), rows
