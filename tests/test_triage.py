"""Triage through the pages: the owner's queue, making a problem of an observation, linking and declining,
who may triage, merging two problems without losing evidence or counts, telling every subscriber exactly once,
and status changes in the audit trail."""
from __future__ import annotations

import html
from datetime import timedelta

import pytest
import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.assignments.models import COMPLETED, Assignment
from rotation.extensions import db
from rotation.notifications.models import Notification
from rotation.observations.models import DECLINED, SUBMITTED, TRIAGED, Evidence, Observation, Second
from rotation.outbox.models import OBSERVATION_DECLINED, PROBLEM_NEWS, OutboxMessage
from rotation.problems import services
from rotation.problems.models import (
    DUPLICATE,
    FIX_IN_PLACE,
    INVESTIGATING,
    VERIFIED,
    Problem,
    ProblemEvent,
)
from rotation.problems.pain import pain_of
from rotation.refusals import Refusal
from tests.fixtures.findings import now, post, reloaded, sign_in, sign_out
from tests.helpers import PASSWORD, count_queries, csrf_token


@pytest.fixture
def world(triage_world):
    return triage_world


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def queue_titles(client) -> list[str]:
    """The titles of ``TITLES`` the queue shows, in its order."""
    page = text(client.get("/problems/triage"))
    return sorted((title for title in TITLES if title in page), key=page.index)


TITLES = ("Refund approval wait", "Return labels missing", "Forklift blocks the aisle", "Old refund question",
          "Refund screen freezes", "Picking list out of order", "A draft", "Already triaged")


# --- The queue ------------------------------------------------------------------------------------------------

def test_the_queue_shows_what_waits_in_the_owned_areas_andon_first_then_the_oldest(client, world, make_user):
    world.observe("ann", "refunds", "Refund approval wait", filed=now() - timedelta(days=2))
    world.observe("bo", "returns", "Return labels missing", filed=now() - timedelta(days=3))
    world.observe("cai", "refunds", "Refund screen freezes", severity=5, andon=True, filed=now() - timedelta(hours=1))
    world.observe("dee", "refunds", "Old refund question", filed=now() - timedelta(days=5))
    world.observe("ann", "picking", "Picking list out of order", filed=now() - timedelta(days=4))
    world.observe("bo", "refunds", "A draft", status="draft")
    problem = world.problem("Refunds need approval", "refunds")
    world.observe("cai", "refunds", "Already triaged", status=TRIAGED, problem=problem)

    sign_in(client, "olli@example.com")  # Customer service: Refunds and Returns
    assert queue_titles(client) == ["Refund screen freezes", "Old refund question", "Return labels missing",
                                    "Refund approval wait"]
    page = text(client.get("/problems/triage"))
    assert "Andon" in page and "Customer service › Refunds" in page and "Cai Castro" in page
    sign_out(client)
    sign_in(client, "rita@example.com")  # Refunds only
    assert queue_titles(client) == ["Refund screen freezes", "Old refund question", "Refund approval wait"]
    sign_out(client)
    sign_in(client, "wendy@example.com")
    assert queue_titles(client) == ["Picking list out of order"]
    sign_out(client)
    make_user(roles=["admin"], email="ada@example.com")
    sign_in(client, "ada@example.com")
    assert queue_titles(client) == ["Refund screen freezes", "Old refund question", "Picking list out of order",
                                    "Return labels missing", "Refund approval wait"]


def test_the_queue_shows_each_entrys_facts_and_me_too_count(client, world):
    observation = world.observe("ann", "refunds", "Refund approval wait", severity=4)
    world.second(observation, "bo")
    world.second(observation, "cai")
    sign_in(client, "olli@example.com")
    page = text(client.get("/problems/triage"))
    for fact in ("Refund approval wait", "Customer service › Refunds", "The computer (or a policy) says no",
                 "severity 4", "2 “me too”", "Ann Author", "customer-service day at Helsinki contact centre",
                 world["past"].first_day.isoformat()):
        assert fact in page, fact
    assert f'href="/problems/triage/{observation.id}"' in page


def test_the_queue_runs_the_same_queries_for_two_observations_as_for_twenty(client, world):
    sign_in(client, "olli@example.com")
    client.get("/problems/triage")  # the first page after signing in does a little more
    counts = []
    for batch in (2, 18):
        for number in range(batch):
            observation = world.observe(("ann", "bo", "cai", "dee")[number % 4], ("refunds", "returns")[number % 2],
                                        f"Observation {len(counts)}-{number}", andon=number == 0)
            world.second(observation, ("bo", "cai", "dee", "ann")[number % 4])
        db.session.expire_all()
        with count_queries() as queries:
            assert client.get("/problems/triage").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 10, counts


def test_an_owner_without_areas_is_told_how_to_get_one(client, make_user, world):
    make_user(roles=["owner"], email="nora@example.com")
    sign_in(client, "nora@example.com")
    assert "You own no process area yet." in text(client.get("/problems/triage"))


# --- Make a problem, link, decline ------------------------------------------------------------------------------

def test_an_owner_makes_a_problem_of_an_observation(client, world):
    observation = world.observe("ann", "refunds", "Refund approval wait", severity=4)
    sign_in(client, "rita@example.com")
    page = text(client.get(f"/problems/triage/{observation.id}"))
    assert 'value="Refund approval wait"' in page  # the title is prefilled
    assert f'<option selected value="{world["refunds"].id}">Customer service › Refunds</option>' in page
    assert '<option selected value="4">' in page
    # The owners of Refunds and of Customer service above it; the one triaging is chosen.
    assert f'<option selected value="{world["rita"].id}">Rita Refunds (rita@example.com)</option>' in page
    assert f'<option value="{world["olli"].id}">Olli Owner (olli@example.com)</option>' in page
    assert "Wendy" not in page

    response = post(client, f"/problems/triage/{observation.id}/problem",
                    {"title": "Refunds over 20 euros need a supervisor", "area_id": world["refunds"].id,
                     "severity": "4", "owner_id": world["olli"].id}, page=f"/problems/triage/{observation.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/problems/triage")
    problem = db.session.scalar(sa.select(Problem))
    assert (problem.title, problem.area_id, problem.severity, problem.owner_id, problem.status) == \
        ("Refunds over 20 euros need a supervisor", world["refunds"].id, 4, world["olli"].id, "triaged")
    assert problem.due_on == now().date() + timedelta(days=7)
    linked = reloaded(Observation, observation.id)
    assert (linked.status, linked.problem_id) == (TRIAGED, problem.id)
    assert "Made the problem “Refunds over 20 euros need a supervisor” of “Refund approval wait”." in \
        text(client.get("/problems/triage"))
    events = [event.what for event in db.session.scalars(sa.select(ProblemEvent).order_by(ProblemEvent.id))]
    assert events == ["created", "observation linked"]
    # The author hears that it is now part of a problem.
    assert db.session.scalar(sa.select(Notification.text).where(Notification.person_id == world["ann"].id)) \
        .startswith("Your observation “Refund approval wait” is now part of the problem")


@pytest.mark.parametrize("changes, field, message", [
    ({"title": "  "}, "title", "Give the problem a title that names the broken process."),
    ({"title": "x" * 201}, "title", "Keep the title to 200 characters."),
    ({"area_id": "abc"}, "area_id", "Choose the process area from the list."),
    ({"area_id": "picking"}, "area_id", "Choose the process area from the list."),
    ({"severity": "9"}, "severity", "Choose a severity from 1 to 5."),
    ({"owner_id": "wendy"}, "owner_id", "Choose the owner from the list."),
    ({"owner_id": "99999999999999999999"}, "owner_id", "Choose the owner from the list."),
])
def test_making_a_problem_shows_each_mistake_beside_its_field(client, world, changes, field, message):
    observation = world.observe("ann", "refunds", "Refund approval wait")
    data = {"title": "Refund approval", "area_id": world["refunds"].id, "severity": "3",
            "owner_id": world["rita"].id, **changes}
    for key, value in data.items():
        if value in ("picking", "wendy"):
            data[key] = world[value].id
    sign_in(client, "rita@example.com")
    url = f"/problems/triage/{observation.id}"
    response = post(client, url + "/problem", data, page=url)
    assert response.status_code == 200
    page = text(response)
    assert f'<small id="{field}-error" class="field-error">{message}</small>' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Problem)) == 0
    assert reloaded(Observation, observation.id).status == SUBMITTED


def test_an_owner_links_an_observation_to_a_problem_nearby_ones_first_by_pain(client, world):
    mild = world.problem("Refund wording unclear", "refunds", severity=2)
    painful = world.problem("Refund approval wait", "refunds", severity=4)
    parent = world.problem("Callers wait on hold", "service", severity=3)
    elsewhere = world.problem("Pick lists out of order", "picking", severity=5)
    world.problem("Closed one", "refunds", status=VERIFIED)
    observation = world.observe("ann", "refunds", "Supervisor approval again")
    sign_in(client, "rita@example.com")
    url = f"/problems/triage/{observation.id}"
    page = text(client.get(url))
    near = page.index('<optgroup label="In this part of the process map">')
    other = page.index('<optgroup label="Elsewhere">')
    assert near < page.index("Refund approval wait —") < page.index("Callers wait on hold —") \
        < page.index("Refund wording unclear —") < other < page.index("Pick lists out of order —")
    assert "Closed one" not in page
    found = text(client.get(url + "?q=wording"))
    assert "Refund wording unclear —" in found and "Refund approval wait —" not in found

    response = post(client, url + "/link", {"problem_id": painful.id}, page=url)
    assert response.status_code == 302
    linked = reloaded(Observation, observation.id)
    assert (linked.status, linked.problem_id) == (TRIAGED, painful.id)
    assert "Linked “Supervisor approval again” to the problem “Refund approval wait”." in \
        text(client.get("/problems/triage"))
    assert {mild.id, parent.id, elsewhere.id}.isdisjoint({linked.problem_id})


def test_linking_refuses_a_missing_or_merged_problem_beside_the_field(client, world):
    survivor = world.problem("Refund approval wait", "refunds")
    merged = world.problem("Refund approval", "refunds")
    merged.status, merged.duplicate_of_id = DUPLICATE, survivor.id
    db.session.commit()
    observation = world.observe("ann", "refunds", "Supervisor approval again")
    sign_in(client, "rita@example.com")
    url = f"/problems/triage/{observation.id}"
    for value, message in (("", "Choose the problem it is part of."), ("x", "Choose the problem from the list."),
                           ("123456", "Choose the problem from the list."),
                           (str(merged.id), "That problem is closed as duplicate")):
        response = post(client, url + "/link", {"problem_id": value}, page=url)
        assert response.status_code == 200 and message in text(response), value
    assert reloaded(Observation, observation.id).status == SUBMITTED


def test_declining_needs_a_reason_and_tells_the_author(client, world):
    observation = world.observe("ann", "refunds", "Refund approval wait")
    sign_in(client, "rita@example.com")
    url = f"/problems/triage/{observation.id}"
    refused = post(client, url + "/decline", {"reason": "   "}, page=url)
    assert refused.status_code == 200
    assert "Say why you decline it; the author reads it." in text(refused)
    assert reloaded(Observation, observation.id).status == SUBMITTED

    reason = "Approval above 20 euros is the law here <b>not</b> a process choice."
    response = post(client, url + "/decline", {"reason": reason}, page=url)
    assert response.status_code == 302
    declined = reloaded(Observation, observation.id)
    assert (declined.status, declined.decline_reason) == (DECLINED, reason)
    note = db.session.scalar(sa.select(Notification).where(Notification.person_id == world["ann"].id))
    assert reason in note.text and note.link == f"/observations/{observation.id}"
    message = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.purpose == OBSERVATION_DECLINED))
    assert message.recipient == "ann@example.com" and reason in message.body_text
    queue = client.get("/problems/triage").get_data(as_text=True)
    assert "Declined “Refund approval wait”. Ann Author is told why." in html.unescape(queue)
    assert "Refund approval wait</a>" not in queue


def test_an_observation_already_triaged_offers_nothing_more(client, world):
    problem = world.problem("Refund approval wait", "refunds")
    observation = world.observe("ann", "refunds", "Supervisor approval", status=TRIAGED, problem=problem)
    sign_in(client, "rita@example.com")
    url = f"/problems/triage/{observation.id}"
    page = text(client.get(url))
    assert "no longer waiting for triage" in page and "Make it a problem</button>" not in page
    response = post(client, url + "/decline", {"reason": "Twice"}, page="/problems/triage",
                    follow_redirects=True)
    assert "Only a submitted observation waiting for triage can be triaged" in text(response)
    assert reloaded(Observation, observation.id).status == TRIAGED


# --- Who may triage ---------------------------------------------------------------------------------------------

def test_only_the_areas_owners_and_admins_triage(client, world, make_user):
    refund = world.observe("ann", "refunds", "Refund approval wait")
    returns = world.observe("bo", "returns", "Return labels missing")
    url = f"/problems/triage/{refund.id}"
    actions = {"/problem": {"title": "T", "area_id": world["refunds"].id, "severity": "3",
                            "owner_id": world["rita"].id},
               "/link": {"problem_id": "1"}, "/decline": {"reason": "No"}}

    assert client.get("/problems/triage").status_code == 302  # anonymous: to the log-in page
    assert "/login" in client.get(url).headers["Location"]
    assert client.post(url + "/decline", data={"reason": "No"}).status_code in (302, 400)

    make_user(roles=["manager"], email="max@example.com")
    sign_in(client, "max@example.com")
    token = csrf_token(client.get("/problems/").get_data(as_text=True))
    assert client.get("/problems/triage").status_code == 403
    assert client.get(url).status_code == 403
    for action, data in actions.items():
        assert client.post(url + action, data={"csrf_token": token, **data}).status_code == 403
    sign_out(client)

    sign_in(client, "wendy@example.com")  # owns the warehouse, not customer service
    token = csrf_token(client.get("/problems/triage").get_data(as_text=True))
    assert client.get(url).status_code == 403
    for action, data in actions.items():
        assert client.post(url + action, data={"csrf_token": token, **data}).status_code == 403
    sign_out(client)

    sign_in(client, "rita@example.com")  # Refunds, not Returns
    assert client.get(url).status_code == 200
    assert client.get(f"/problems/triage/{returns.id}").status_code == 403
    sign_out(client)
    assert reloaded(Observation, refund.id).status == SUBMITTED

    make_user(roles=["admin"], email="ada@example.com")
    sign_in(client, "ada@example.com")
    response = post(client, f"/problems/triage/{returns.id}/decline", {"reason": "Not ours"},
                    page=f"/problems/triage/{returns.id}")
    assert response.status_code == 302 and reloaded(Observation, returns.id).status == DECLINED
    assert client.get("/problems/triage/999999").status_code == 404


# --- Merging ---------------------------------------------------------------------------------------------------

def test_a_merge_keeps_every_observation_second_and_piece_of_evidence(client, world):
    survivor = world.problem("Refund approval wait", "refunds", severity=3)
    duplicate = world.problem("Supervisor needed for refunds", "refunds", severity=4)
    first = world.observe("ann", "refunds", "Approval wait", problem=survivor, status=TRIAGED)
    world.second(first, "bo")
    second_obs = world.observe("cai", "refunds", "Supervisor again", problem=duplicate, status=TRIAGED)
    seconded = world.second(second_obs, "dee", note="Same on my day")
    world.second(second_obs, "ann")  # Ann filed the other one too: counted once
    evidence = [world.evidence(first, "ann"), world.evidence(second_obs, "cai"),
                world.evidence(second_obs, "dee", seconded=seconded)]
    before = {item.id: (item.observation_id, item.second_id, item.storage_key) for item in evidence}
    assert pain_of([survivor])[survivor.id].reporters == 2
    assert pain_of([duplicate])[duplicate.id].reporters == 3

    sign_in(client, "olli@example.com")
    url = f"/problems/{duplicate.id}"
    confirm = post(client, url + "/merge", {"survivor_id": survivor.id}, page=url)
    assert confirm.status_code == 200 and "Merge into another problem?" in text(confirm)
    assert reloaded(Problem, duplicate.id).status == INVESTIGATING  # nothing happens before the confirmation
    done = post(client, url + "/merge", {"survivor_id": survivor.id, "confirm": "yes"}, page=url)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/problems/{survivor.id}")

    db.session.expire_all()
    kept = db.session.get(Problem, survivor.id)
    assert set(db.session.scalars(sa.select(Observation.id).where(Observation.problem_id == kept.id))) == \
        {first.id, second_obs.id}
    assert pain_of([kept])[kept.id].reporters == 4  # Ann, Bo, Cai, Dee: the union
    assert kept.severity == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Second)) == 3
    after = {item.id: (item.observation_id, item.second_id, item.storage_key)
             for item in db.session.scalars(sa.select(Evidence))}
    assert after == before
    reachable = db.session.scalars(sa.select(Evidence.id).join(Observation, Observation.id == Evidence.observation_id)
                                   .where(Observation.problem_id == kept.id))
    assert set(reachable) == set(before)
    merged = db.session.get(Problem, duplicate.id)
    assert (merged.status, merged.duplicate_of_id) == (DUPLICATE, survivor.id)

    page = text(client.get(f"/problems/{survivor.id}"))
    assert "Merged “Supervisor needed for refunds” into this problem" in page
    assert "Observations (2)" in page and "Pain:" in page and "4 reporters" in page
    assert "2 photos or files" in page and "1 photo or file" in page
    duplicate_page = text(client.get(url))
    assert f'Duplicate of <a href="/problems/{survivor.id}">Refund approval wait</a>' in duplicate_page
    assert "Change status</button>" not in duplicate_page
    late = post(client, url + "/status", {"status": FIX_IN_PLACE}, page=url, follow_redirects=True)
    assert "This problem was merged into another and does not change any more" in text(late)
    assert reloaded(Problem, duplicate.id).status == DUPLICATE


def test_a_merge_is_refused_beside_the_field_for_a_problem_not_offered(client, world):
    problem = world.problem("Refund approval wait", "refunds")
    closed = world.problem("Old one", "refunds", status=VERIFIED)
    world.problem("Another open one", "returns")
    sign_in(client, "olli@example.com")
    url = f"/problems/{problem.id}"
    for value, message in (("", "Choose the problem it is the same as."),
                           (closed.id, "Choose the problem from the list."),
                           (problem.id, "Choose the problem from the list."),
                           ("zz", "Choose the problem from the list.")):
        response = post(client, url + "/merge", {"survivor_id": value, "confirm": "yes"}, page=url)
        assert response.status_code == 200 and message in text(response), value
    assert reloaded(Problem, problem.id).status == INVESTIGATING


# --- Telling everyone once -----------------------------------------------------------------------------------

def test_a_status_change_reaches_every_subscriber_exactly_once_and_not_the_one_who_made_it(client, world):
    """Ann filed one observation and seconded the other; Olli (owner of Customer service) also seconded one
    (his account is a roster person too); Rita owns Refunds, the problem's own area."""
    from rotation.accounts.services import save_user
    from rotation.people.models import Person

    olli_person = Person(employee_id="E-OLLI", full_name="Olli Owner", email="olli@example.com",
                         department="Service", in_rotation_override=True)
    db.session.add(olli_person)
    db.session.flush()
    olli_shift = Assignment(person_id=olli_person.id, slot_id=world["past"].id, year=world["past"].first_day.year,
                            kind="customer_service", status=COMPLETED)
    db.session.add(olli_shift)
    db.session.commit()
    world["olli_person"], world["olli_person_shift"] = olli_person, olli_shift

    problem = world.problem("Refund approval wait", "refunds", owner=world["rita"])
    first = world.observe("ann", "refunds", "Approval wait", problem=problem, status=TRIAGED)
    other = world.observe("bo", "refunds", "Approval again", problem=problem, status=TRIAGED)
    world.second(other, "ann")
    world.second(first, "olli_person")
    world.second(first, "cai")
    save_user("ada@example.com", ["admin"], PASSWORD, "Ada Admin")  # the actor: an admin outside the roster
    db.session.commit()

    sign_in(client, "ada@example.com")
    url = f"/problems/{problem.id}"
    response = post(client, url + "/status", {"status": FIX_IN_PLACE, "note": "The limit is 100 euros now."},
                    page=url)
    assert response.status_code == 302
    news = db.session.execute(sa.select(OutboxMessage.recipient, OutboxMessage.body_text)
                              .where(OutboxMessage.purpose == PROBLEM_NEWS)).all()
    assert sorted(recipient for recipient, _ in news) == ["ann@example.com", "bo@example.com", "cai@example.com",
                                                          "olli@example.com", "rita@example.com"]
    assert all("has a fix in place. The limit is 100 euros now." in body for _, body in news)
    told = db.session.scalars(sa.select(Notification.person_id).where(Notification.link == url)).all()
    assert sorted(told) == sorted([world["ann"].id, world["bo"].id, world["cai"].id, olli_person.id])

    # Now Olli changes it himself: he is not told about his own change; the admin is no subscriber.
    sign_out(client)
    sign_in(client, "olli@example.com")
    before = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id)))
    post(client, url + "/status", {"status": INVESTIGATING}, page=url)
    recipients = sorted(db.session.scalars(sa.select(OutboxMessage.recipient).where(OutboxMessage.id > before)))
    assert recipients == ["ann@example.com", "bo@example.com", "cai@example.com", "rita@example.com"]


# --- Status changes and the audit trail ------------------------------------------------------------------------

def test_status_changes_are_in_the_audit_trail_and_reopening_counts_up(client, world):
    problem = world.problem("Refund approval wait", "refunds")
    world.observe("ann", "refunds", "Approval wait", problem=problem, status=TRIAGED)
    sign_in(client, "rita@example.com")
    url = f"/problems/{problem.id}"
    for status in (FIX_IN_PLACE, VERIFIED):
        response = post(client, url + "/status", {"status": status}, page=url)
        assert response.status_code == 302
    assert reloaded(Problem, problem.id).closed_at is not None
    post(client, url + "/status", {"status": INVESTIGATING, "note": "Seen again on Monday."}, page=url)
    reopened = reloaded(Problem, problem.id)
    assert (reopened.status, reopened.reopened, reopened.closed_at) == (INVESTIGATING, 1, None)
    trail = db.session.execute(sa.select(ProblemEvent.what, ProblemEvent.before, ProblemEvent.after)
                               .where(ProblemEvent.problem_id == problem.id).order_by(ProblemEvent.id)).all()
    assert [tuple(row) for row in trail] == [
        ("status", "Investigating", "Fix in place"), ("status", "Fix in place", "Verified"),
        ("status", "Verified", "Investigating"), ("note", None, "Seen again on Monday.")]
    page = text(client.get(url))
    assert "Reopened" in page and "1 time" in page
    history = page[page.index("History"):]
    assert history.index("Seen again on Monday.") < history.index("Verified</del> → Investigating") \
        < history.index("Fix in place</del> → Verified") < history.index("Investigating</del> → Fix in place")
    assert "Rita Refunds" in history


def test_linking_never_reopens_another_areas_verified_problem(client, world):
    """Rita owns Refunds; the verified problem is Wendy's (Warehouse). Linking may not reopen it."""
    world.problem("Refund approval wait", "refunds")  # an open one: the page offers linking
    fixed = world.problem("Pick lists out of order", "picking", status=VERIFIED)
    observation = world.observe("ann", "refunds", "Pick list wrong again")
    sign_in(client, "rita@example.com")
    url = f"/problems/triage/{observation.id}"
    response = post(client, url + "/link", {"problem_id": fixed.id}, page=url)
    assert response.status_code == 200
    assert "only they can reopen it" in text(response)
    assert reloaded(Problem, fixed.id).status == VERIFIED
    assert reloaded(Observation, observation.id).status == SUBMITTED


def test_making_a_problem_of_one_observation_six_times_at_once_makes_one(app, database_url, world):
    """Six submissions of "Make a problem" at the same moment (PostgreSQL): one problem, linked; the rest refused."""
    import threading

    if not database_url.startswith("postgresql"):
        pytest.skip("simultaneous writers need PostgreSQL's row locks; SQLite lets one writer in at a time")
    observation = world.observe("ann", "refunds", "Refund approval wait")
    rita_id, refunds_id = world["rita"].id, world["refunds"].id
    start = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def owner(number: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get_one(User, rita_id)
                mine = db.session.get_one(Observation, observation.id)
                start.wait(timeout=10)
                services.create_from(mine, actor, title=f"Refund wait {number}", area_id=refunds_id, severity=3)
                db.session.commit()
                result = "made"
            except Refusal:
                db.session.rollback()
                result = "refused"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=owner, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["made"] + ["refused"] * 5
    db.session.expire_all()
    problems = list(db.session.scalars(sa.select(Problem)))
    assert len(problems) == 1
    assert reloaded(Observation, observation.id).problem_id == problems[0].id
