"""The problem pages: the list in pain order with its filters, a problem's page for every reader, and the forms
its owners use on it (details, status, verification by a later shift), each mistake beside its field."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import PUBLISHED, Assignment
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.observations.models import TRIAGED
from rotation.problems.models import (
    DECLINED,
    FIX_IN_PLACE,
    INVESTIGATING,
    VERIFIED,
    VERIFYING,
    Problem,
    ProblemEvent,
    VerificationRequest,
)
from rotation.problems.pain import pain_of
from tests.fixtures.findings import now, post, reloaded, sign_in, sign_out
from tests.helpers import csrf_token, next_page_url


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def listed(client, url: str = "/problems/") -> list[str]:
    """The problem titles of the list page, in its order."""
    page = client.get(url).get_data(as_text=True)
    return [html.unescape(title) for title in re.findall(r'<a href="/problems/\d+"[^>]*>(.*?)</a>', page)]


@pytest.fixture
def world(triage_world):
    return triage_world


def reporters(world, problem, people: list[str], **observed) -> None:
    """One observation of ``problem`` by the first person, seconded by the others."""
    observation = world.observe(people[0], problem_area(world, problem), f"Seen: {problem.title}",
                                status=TRIAGED, problem=problem, **observed)
    for who in people[1:]:
        world.second(observation, who)


def problem_area(world, problem) -> str:
    return next(key for key in ("refunds", "returns", "picking", "service", "warehouse")
                if world[key].id == problem.area_id)


# --- The list -----------------------------------------------------------------------------------------------------

def test_severity_5_and_safety_come_first_then_the_higher_score(client, world, make_user):
    crowded = world.problem("Many saw it, severity 3", "refunds", severity=3)
    reporters(world, crowded, ["ann", "bo", "cai", "dee", "eve"], frequency="hourly", minutes=20, visible=True)
    critical = world.problem("One saw it, severity 5", "returns", severity=5)
    reporters(world, critical, ["ann"], frequency="first_time")
    unsafe = world.problem("Wet floor, severity 2, safety", "picking", severity=2, safety=True)
    reporters(world, unsafe, ["bo"], frequency="first_time")
    middling = world.problem("Two saw it, severity 3", "refunds", severity=3)
    reporters(world, middling, ["cai", "dee"], frequency="weekly")
    quiet = world.problem("Nobody linked, severity 1", "refunds", severity=1)
    pains = pain_of([crowded, critical, unsafe, middling, quiet])
    assert pains[crowded.id].score > pains[critical.id].score > pains[unsafe.id].score
    make_user(roles=["manager"], email="max@example.com")
    sign_in(client, "max@example.com")
    assert listed(client) == ["One saw it, severity 5", "Wet floor, severity 2, safety", "Many saw it, severity 3",
                              "Two saw it, severity 3", "Nobody linked, severity 1"]
    page = text(client.get("/problems/"))
    assert pains[crowded.id].explained() in page
    assert "5 reporters × 16 (how often) × 9 (severity 3) × (1 + 20 min ÷ 10) = 2160" in page


def test_the_list_filters_by_status_area_and_mine_and_marks_overdue(client, world):
    open_one = world.problem("Refund approval wait", "refunds", owner=world["rita"])
    world.problem("Pick list order", "picking", owner=world["wendy"])
    world.problem("Fixed long ago", "refunds", status=VERIFIED)
    late = world.problem("Labels missing", "returns", severity=4, owner=world["olli"])
    late.due_on = now().date() - timedelta(days=1)
    declined = world.problem("Not a problem", "returns", status=DECLINED)
    declined.due_on = now().date() - timedelta(days=30)
    db.session.commit()
    sign_in(client, "rita@example.com")
    assert sorted(listed(client)) == ["Labels missing", "Pick list order", "Refund approval wait"]
    assert sorted(listed(client, "/problems/?status=closed")) == ["Fixed long ago", "Not a problem"]
    assert len(listed(client, "/problems/?status=all")) == 5
    assert sorted(listed(client, f"/problems/?area={world['service'].id}")) == ["Labels missing",
                                                                                 "Refund approval wait"]
    assert listed(client, f"/problems/?area={world['picking'].id}") == ["Pick list order"]
    assert listed(client, "/problems/?mine=1") == ["Refund approval wait"]  # Rita owns Refunds
    page = text(client.get("/problems/"))
    row = page[page.index("Labels missing"):]
    assert "overdue" in row[:row.index("</tr>")]
    assert "overdue" not in text(client.get("/problems/?status=closed"))
    assert listed(client, f"/problems/{open_one.id}") == []  # (the detail page is no list)
    for odd in ("?status=nonsense", "?area=abc", "?area=99999999999999999999", "?page=-3", "?page=x", "?mine=yes"):
        assert client.get("/problems/" + odd).status_code == 200, odd


def test_the_list_pages_in_pain_order(client, world):
    for number in range(30):
        world.problem(f"Problem {number:02d}", "refunds", severity=1 + number % 5)
    sign_in(client, "olli@example.com")
    first, second = listed(client), listed(client, next_page_url(client.get("/problems/").get_data(as_text=True)))
    assert len(first) == 25 and len(second) == 5 and not set(first) & set(second)
    assert all(title.endswith(("4", "9")) for title in first[:6])  # the six severity-5 ones first
    following = next_page_url(client.get("/problems/").get_data(as_text=True))
    assert "Showing 26–30 of 30 problems." in text(client.get(following))


def test_a_signed_out_visitor_is_sent_to_sign_in(client, world):
    problem = world.problem("Refund approval wait", "refunds")
    for url in ("/problems/", f"/problems/{problem.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- A problem's page ----------------------------------------------------------------------------------------------

def test_everyone_signed_in_reads_a_problem_with_its_pain_observations_and_history(client, world, make_user):
    problem = world.problem("Refund <b>approval</b> wait", "refunds", severity=4, owner=world["rita"])
    problem.root_cause = "The tool asks for approval above 20 euros."
    problem.countermeasure, problem.countermeasure_type = "Raise the limit to 100 euros.", "standardise"
    problem.verification_metric, problem.verification_baseline = "Refund calls a week", "120"
    problem.verification_target, problem.verify_by = "30", now().date() + timedelta(days=60)
    problem.ticket_links = "https://tickets.example.com/RF-12\nJIRA-77\njavascript:alert(1)"
    db.session.add(ProblemEvent(problem_id=problem.id, actor="rita@example.com", at=now() - timedelta(days=2),
                                what="status", before="Triaged", after="Investigating"))
    db.session.add(ProblemEvent(problem_id=problem.id, actor="olli@example.com", at=now() - timedelta(days=1),
                                what="root_cause", before=None, after="The tool asks for approval."))
    db.session.commit()
    observation = world.observe("ann", "refunds", "Approval wait", status=TRIAGED, problem=problem,
                                frequency="daily", minutes=6, visible=True)
    seconded = world.second(observation, "bo")
    world.evidence(observation, "ann")
    world.evidence(observation, "bo", seconded=seconded)

    for roles, email in ((["manager"], "max@example.com"), (["hr"], "hana@example.com")):
        make_user(roles=roles, email=email)
        sign_in(client, email)
        response = client.get(f"/problems/{problem.id}")
        assert response.status_code == 200
        raw = response.get_data(as_text=True)
        assert "Refund &lt;b&gt;approval&lt;/b&gt; wait" in raw and "<b>approval</b>" not in raw
        page = html.unescape(raw)
        for fact in ("Investigating", "Customer service › Refunds", "Rita Refunds", "4 — Serious",
                     "The tool asks for approval above 20 euros.", "Raise the limit to 100 euros.",
                     "Standardise: one agreed way", "Refund calls a week: from 120 to 30",
                     (now().date() + timedelta(days=60)).isoformat(), "2 reporters × 8 (how often) × 16 (severity 4)",
                     "Approval wait", "1 “me too”", "2 photos or files"):
            assert fact in page, fact
        assert '<a href="https://tickets.example.com/RF-12" rel="noopener noreferrer">' in raw
        assert 'href="javascript' not in raw and "JIRA-77" in raw
        assert f'href="/observations/{observation.id}"' in raw
        history = page[page.index("History"):]
        assert history.index("Root cause") < history.index("Triaged</del> → Investigating")
        assert "Olli Owner" in history and "Rita Refunds" in history
        # Readers do not get the owners' forms.
        assert "Change status</button>" not in page and "Save details</button>" not in page
        sign_out(client)
    assert client.get("/problems/999999").status_code in (302, 404)
    sign_in(client, "max@example.com")
    assert client.get("/problems/999999").status_code == 404


def test_an_owner_edits_the_details_and_each_change_goes_to_the_history(client, world):
    problem = world.problem("Refund approval wait", "refunds", severity=3, owner=world["rita"])
    sign_in(client, "olli@example.com")
    url = f"/problems/{problem.id}"
    page = text(client.get(url))
    assert "Save details</button>" in page and "Change status</button>" in page
    data = {"title": "Refunds over 20 euros wait for a supervisor", "area_id": world["refunds"].id,
            "owner_id": world["olli"].id, "severity": "4", "root_cause": "  The tool's limit is 20 euros. ",
            "countermeasure": "Raise the limit.", "countermeasure_type": "automate",
            "verification_metric": "Refund calls a week", "verification_baseline": "120",
            "verification_target": "30", "verify_by": (now().date() + timedelta(days=40)).isoformat(),
            "ticket_links": "\n RF-12 \n\nhttps://tickets.example.com/RF-13\n"}
    response = post(client, url + "/edit", data, page=url)
    assert response.status_code == 302
    saved = reloaded(Problem, problem.id)
    assert (saved.title, saved.owner_id, saved.severity, saved.root_cause, saved.countermeasure_type,
            saved.verify_by, saved.ticket_links) == (
        "Refunds over 20 euros wait for a supervisor", world["olli"].id, 4, "The tool's limit is 20 euros.",
        "automate", now().date() + timedelta(days=40), "RF-12\nhttps://tickets.example.com/RF-13")
    assert saved.due_on == saved.created_at.date() + timedelta(days=7)
    events = dict(db.session.execute(sa.select(ProblemEvent.what, ProblemEvent.after)
                                     .where(ProblemEvent.problem_id == problem.id)).all())
    assert events["owner_id"] == "Olli Owner" and events["severity"] == "4" and events["countermeasure_type"] == \
        "Automate"
    shown = text(client.get(url))
    assert "Saved: title, owner, severity, root cause" in shown
    assert "Rita Refunds</del> → Olli Owner" in shown
    again = post(client, url + "/edit", data, page=url, follow_redirects=True)
    assert "Nothing had changed." in text(again)


@pytest.mark.parametrize("changes, field, message", [
    ({"title": ""}, "title", "Give the problem a title that names the broken process."),
    ({"area_id": "12345678"}, "area_id", "Choose the process area from the list."),
    ({"area_id": "picking"}, "area_id", "Choose the process area from the list."),
    ({"owner_id": "x"}, "owner_id", "Choose the owner from the list."),
    ({"severity": "0"}, "severity", "Choose a severity from 1 to 5."),
    ({"countermeasure_type": "pray"}, "countermeasure_type", "Choose a kind of countermeasure from the list."),
    ({"verify_by": "31.12.2030"}, "verify_by", "Give the day as YYYY-MM-DD."),
    ({"verify_by": "2030-02-30"}, "verify_by", "Give the day as YYYY-MM-DD."),
    ({"verification_target": "x" * 101}, "verification_target", "Keep it to 100 characters."),
    ({"root_cause": "x" * 5001}, "root_cause", "Keep it to 5,000 characters."),
])
def test_a_mistake_in_the_details_is_shown_beside_its_field_and_nothing_is_saved(client, world, changes, field,
                                                                                  message):
    problem = world.problem("Refund approval wait", "refunds", owner=world["rita"])
    sign_in(client, "rita@example.com")
    url = f"/problems/{problem.id}"
    data = {"title": "New title", "area_id": world["refunds"].id, "owner_id": world["rita"].id, "severity": "3",
            **changes}
    if data["area_id"] == "picking":
        data["area_id"] = world["picking"].id  # Rita does not triage the warehouse
    response = post(client, url + "/edit", data, page=url)
    assert response.status_code == 200
    assert f'<small id="{field}-error" class="field-error">{message}</small>' in text(response)
    assert reloaded(Problem, problem.id).title == "Refund approval wait"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProblemEvent)) == 0


def test_declining_a_problem_needs_a_note_beside_the_field(client, world):
    problem = world.problem("Refund approval wait", "refunds")
    sign_in(client, "olli@example.com")
    url = f"/problems/{problem.id}"
    response = post(client, url + "/status", {"status": DECLINED, "note": " "}, page=url)
    assert response.status_code == 200
    assert '<small id="note-error" class="field-error">Say why you decline the problem; everyone who reported it ' \
           'reads it.</small>' in text(response)
    for status, message in (("", "Choose the new status."), ("duplicate", "Choose a status from the list."),
                            (INVESTIGATING, "Choose a status from the list."), ("new", "Choose a status from")):
        response = post(client, url + "/status", {"status": status}, page=url)
        assert response.status_code == 200 and message in text(response), status
    assert reloaded(Problem, problem.id).status == INVESTIGATING
    done = post(client, url + "/status", {"status": DECLINED, "note": "It is the law."}, page=url,
                follow_redirects=True)
    assert "The problem is now declined." in text(done) and "It is the law." in text(done)


def test_only_the_areas_owners_and_admins_change_a_problem(client, world, make_user):
    problem = world.problem("Refund approval wait", "refunds")
    url = f"/problems/{problem.id}"
    posts = {"/edit": {"title": "Changed", "area_id": world["refunds"].id, "severity": "3",
                       "owner_id": world["olli"].id},
             "/status": {"status": FIX_IN_PLACE}, "/verify": {}, "/merge": {"survivor_id": "1"}}
    make_user(roles=["manager"], email="max@example.com")
    for email in ("max@example.com", "wendy@example.com"):
        sign_in(client, email)
        token = csrf_token(client.get(url).get_data(as_text=True))
        for action, data in posts.items():
            assert client.post(url + action, data={"csrf_token": token, **data}).status_code == 403, (email, action)
        sign_out(client)
    assert reloaded(Problem, problem.id).title == "Refund approval wait"
    make_user(roles=["admin"], email="ada@example.com")
    sign_in(client, "ada@example.com")
    assert post(client, url + "/status", {"status": FIX_IN_PLACE}, page=url).status_code == 302
    assert reloaded(Problem, problem.id).status == FIX_IN_PLACE


def test_asking_a_later_shift_to_verify_names_who_was_asked(client, world, make_person):
    problem = world.problem("Refund approval wait", "refunds", status=INVESTIGATING)
    world.observe("ann", "refunds", "Approval wait", status=TRIAGED, problem=problem)
    fay = make_person(full_name="Fay Later", email="fay@example.com", in_rotation=True)
    later = Assignment(person_id=fay.id, slot_id=world["later"].id, year=world["later"].first_day.year,
                       kind="customer_service", status=PUBLISHED)
    db.session.add(later)
    db.session.commit()
    sign_in(client, "rita@example.com")
    url = f"/problems/{problem.id}"
    assert "Ask a later shift to verify" not in text(client.get(url))
    post(client, url + "/status", {"status": FIX_IN_PLACE}, page=url)
    assert "Ask a later shift to verify" in text(client.get(url))
    response = post(client, url + "/verify", {}, page=url, follow_redirects=True)
    page = text(response)
    assert f"Asked Fay Later ({world['later'].first_day.isoformat()}) to check the fix on their shift." in page
    assert reloaded(Problem, problem.id).status == VERIFYING
    assert db.session.scalar(sa.select(VerificationRequest.assignment_id)) == later.id
    assert "Later shifts asked to check the fix" in page and "not answered yet" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.person_id == fay.id)) == 1
    # Nobody else is planned: said as a message, nothing changes.
    nobody = post(client, url + "/verify", {}, page=url, follow_redirects=True)
    assert "No shift is planned yet at the sites where this was seen" in text(nobody)


def test_odd_requests_never_fail(client, world):
    problem = world.problem("Refund approval wait", "refunds")
    sign_in(client, "olli@example.com")
    url = f"/problems/{problem.id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    for action, data in (("/edit", {}), ("/status", {}), ("/merge", {}), ("/verify", {}),
                         ("/edit", {"severity": "３", "area_id": "１",  # noqa: RUF001 full-width digits: hostile input
                                    "owner_id": "-1", "verify_by": "9999-99-99"}),
                         ("/merge", {"survivor_id": "99999999999999999999", "confirm": "yes"})):
        response = client.post(url + action, data={"csrf_token": token, **data})
        assert response.status_code in (200, 302), (action, data)
    assert client.post(url + "/status", data={"status": FIX_IN_PLACE}).status_code == 400  # no CSRF token
    assert reloaded(Problem, problem.id).status == INVESTIGATING
