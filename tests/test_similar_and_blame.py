"""Similar observations suggested while typing, and the blame guard that warns when the text names someone."""
from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from rotation.accounts.services import save_user
from rotation.assignments.models import COMPLETED, Assignment
from rotation.extensions import db
from rotation.observations.blame import blame_message, names_in
from rotation.observations.models import CONTACT, DECLINED, DRAFT, SUBMITTED, TRIAGED, WASTE, Observation, Second
from rotation.observations.similar import Candidate, rank, similar_observations, stem
from rotation.process_map.models import ProcessArea
from rotation.sites.models import CUSTOMER_SERVICE, Slot
from tests.helpers import PASSWORD, count_queries, csrf_token

REFUND_APPROVAL = ("Refunds need a supervisor for every order",
                   "Every refund over 20 euros needs a supervisor to approve it, so the customer waits on hold "
                   "while the agent looks for one.")


@pytest.fixture
def areas(app):
    """Customer service › Returns, Refunds, Billing; Warehouse › Picking."""
    def area(name, parent=None):
        made = ProcessArea(name=name, parent_id=parent.id if parent else None)
        db.session.add(made)
        db.session.flush()
        return made

    service = area("Customer service")
    warehouse = area("Warehouse")
    made = {"service": service, "returns": area("Returns", service), "refunds": area("Refunds", service),
            "billing": area("Billing", service), "warehouse": warehouse, "picking": area("Picking", warehouse)}
    db.session.commit()
    return made


@pytest.fixture
def people(make_site, make_person):
    """Five managers, each with a completed customer-service day to file about."""
    site = make_site("HEL-CC")
    starts = datetime(2025, 3, 3, 7, tzinfo=UTC)
    slot = Slot(site_id=site.id, kind=CUSTOMER_SERVICE, first_day=date(2025, 3, 3), last_day=date(2025, 3, 3),
                starts_at=starts, ends_at=starts + timedelta(hours=8), seats=9)
    db.session.add(slot)
    db.session.flush()
    made = {}
    for name in ("Ann Aalto", "Bo Berg", "Cai Castro", "Dina Dahl", "Eli Eskola"):
        person = make_person(full_name=name, email=f"{name.split()[0].lower()}@example.com")
        db.session.add(Assignment(person_id=person.id, slot_id=slot.id, year=2025, kind=CUSTOMER_SERVICE,
                                  status=COMPLETED))
        made[name.split()[0].lower()] = person
    db.session.commit()
    return made


@pytest.fixture
def observe(people):
    """Files an observation (committed) by ``author`` in ``area``."""
    assignments = {assignment.person_id: assignment.id for assignment in db.session.scalars(db.select(Assignment))}
    moments = iter(datetime(2025, 3, 3, 16, tzinfo=UTC) + timedelta(minutes=n) for n in range(10_000))

    def observe(author, area, title, text, status=SUBMITTED, kind=CONTACT, seconds=()):
        observation = Observation(assignment_id=assignments[author.id], author_id=author.id,
                                  area_id=area.id if area else None, status=status, kind=kind, title=title,
                                  what_happened=text, severity=3, problem_id=_problem_for(status, title, area),
                                  submitted_at=None if status == DRAFT else next(moments))
        db.session.add(observation)
        db.session.flush()
        for seconder in seconds:
            db.session.add(Second(observation_id=observation.id, person_id=seconder.id,
                                  assignment_id=assignments[seconder.id]))
        db.session.commit()
        return observation

    return observe


def _problem_for(status: str, title: str, area) -> int | None:
    """A triaged observation belongs to a problem."""
    if status != TRIAGED:
        return None
    from rotation.problems.models import Problem

    problem = Problem(title=title, area_id=area.id, severity=3, due_on=date(2025, 4, 1), status="triaged")
    db.session.add(problem)
    db.session.flush()
    return problem.id


def ids(matches):
    return [match.id for match in matches]


# --- Ranking ------------------------------------------------------------------------------------------------

def test_a_near_duplicate_outranks_a_loosely_related_one(areas, people, observe):
    loose = observe(people["bo"], areas["refunds"], "Customers wait on hold too long",
                    "The hold queue is long in the afternoon; customers give up and call again.")
    duplicate = observe(people["cai"], areas["refunds"], *REFUND_APPROVAL, seconds=[people["dina"]])
    observe(people["dina"], areas["picking"], "Labels print in the wrong order",
            "The printer at pack station 4 prints labels out of order, so pickers walk back for them.",
            kind=WASTE)

    matches = similar_observations(
        "Agents must find a supervisor to approve every refund; the customer waits on hold meanwhile.",
        title="Supervisor approval needed for refunds", area_id=areas["refunds"].id, exclude_id=None,
        viewer_person_id=people["ann"].id)

    assert ids(matches) == [duplicate.id, loose.id]
    best = matches[0]
    assert (best.title, best.area, best.kind, best.seconds) == (
        REFUND_APPROVAL[0], "Customer service › Refunds", "A customer contact and its driver", 1)
    assert best.score > matches[1].score


def test_unrelated_text_suggests_nothing(areas, people, observe):
    observe(people["bo"], areas["refunds"], *REFUND_APPROVAL)
    observe(people["cai"], areas["picking"], "Labels print in the wrong order",
            "The printer at pack station 4 prints labels out of order, so pickers walk back for them.")

    assert similar_observations("The forklift charging point is far from the dock, batteries run flat.",
                                title="Forklift batteries", area_id=areas["picking"].id, exclude_id=None,
                                viewer_person_id=people["ann"].id) == []
    assert similar_observations("", area_id=None, exclude_id=None, viewer_person_id=people["ann"].id) == []
    assert similar_observations("the and of it", area_id=None, exclude_id=None,
                                viewer_person_id=people["ann"].id) == []


def test_own_drafts_declined_and_the_one_being_edited_are_never_suggested(areas, people, observe):
    ann = people["ann"]
    own = observe(ann, areas["refunds"], *REFUND_APPROVAL)
    observe(people["bo"], areas["refunds"], *REFUND_APPROVAL, status=DRAFT)
    observe(people["cai"], areas["refunds"], *REFUND_APPROVAL, status=DECLINED)
    triaged = observe(people["dina"], areas["refunds"], *REFUND_APPROVAL, status=TRIAGED)
    editing = observe(people["eli"], areas["refunds"], *REFUND_APPROVAL)

    def similar(viewer, exclude_id=None):
        return ids(similar_observations(REFUND_APPROVAL[1], title=REFUND_APPROVAL[0], area_id=None,
                                        exclude_id=exclude_id, viewer_person_id=viewer.id))

    assert set(similar(ann)) == {triaged.id, editing.id}
    assert set(similar(people["bo"], exclude_id=editing.id)) == {own.id, triaged.id}


def test_matches_in_the_same_area_come_before_neighbours_and_those_before_other_areas(areas, people, observe):
    elsewhere = observe(people["bo"], areas["picking"], *REFUND_APPROVAL)
    neighbour = observe(people["cai"], areas["billing"], *REFUND_APPROVAL)
    same = observe(people["dina"], areas["refunds"], *REFUND_APPROVAL)

    def similar(area):
        return ids(similar_observations(REFUND_APPROVAL[1], title=REFUND_APPROVAL[0],
                                        area_id=area.id if area else None, exclude_id=None,
                                        viewer_person_id=people["ann"].id))

    assert similar(areas["refunds"]) == [same.id, neighbour.id, elsewhere.id]
    assert similar(areas["picking"])[0] == elsewhere.id
    assert set(similar(None)) == {same.id, neighbour.id, elsewhere.id}


def test_title_words_count_double():
    candidates = [Candidate(1, "Parcel tracking link broken", "Customers ask about delivery."),
                  Candidate(2, "Delivery questions", "Customers say the parcel tracking link is broken.")]
    ranked = rank("", "the parcel tracking link is broken", candidates)
    assert [candidate.id for candidate, _ in ranked] == [1, 2]


def test_stemming_joins_plurals_and_tenses():
    assert {stem("refunds"), stem("refunded"), stem("refunding"), stem("refund")} == {"refund"}
    assert stem("boxes") == stem("box") and stem("shipped") == stem("shipping") == stem("ship")
    assert stem("address") == "address" and stem("status") == "status"


def test_ranking_five_hundred_candidates_is_quick():
    words = ["refund", "supervisor", "parcel", "label", "printer", "queue", "delivery", "promise", "tracking",
             "billing", "invoice", "order", "return", "courier", "damage", "scanner", "tote", "shelf", "stow",
             "inbound", "pallet", "forklift", "weekend", "backlog", "chat"]
    candidates = [Candidate(n, " ".join(words[(n + k) % len(words)] for k in range(5)),
                            " ".join(words[(n * 7 + k) % len(words)] for k in range(60)) + f" case {n}",
                            n % 3, datetime(2025, 1, 1, tzinfo=UTC))
                  for n in range(500)]
    rank("refund supervisor", "the supervisor must approve each refund " * 20, candidates)  # warm the caches
    fastest = min(_timed(lambda: rank("refund supervisor", "the supervisor must approve each refund " * 20,
                                      candidates)) for _ in range(3))
    assert fastest < 0.05


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# --- The blame guard ------------------------------------------------------------------------------------------

def test_roster_names_are_found(people, make_person):
    make_person(full_name="Ruud van der Berg")
    make_person(full_name="Gone Person", active=False)

    assert names_in("Ann Aalto told the customer to call back tomorrow.") == ["Ann Aalto"]
    assert names_in("Refund was refused. Later Ruud van der Berg and Bo Berg's team looked.") == [
        "Ruud van der Berg", "Bo Berg"]
    assert names_in("Gone Person said so.") == []


def test_role_patterns_and_named_or_called_are_found(app):
    assert names_in("The picker Anna had to walk back to aisle 4.") == ["Anna"]
    assert names_in("Our team member Jukka Virtanen could not open the case.") == ["Jukka Virtanen"]
    assert names_in("Maria, the new agent, kept the customer on hold.") == ["Maria"]
    assert names_in("Then Lena our team lead approved it.") == ["Lena"]
    assert names_in("Ask Pekka (driver) about it.") == ["Pekka"]
    assert names_in("A new starter named Olli did it. A guy called Tom helped.") == ["Olli", "Tom"]
    assert names_in("Agent Smith, agent Smith and Smith the packer.") == ["Smith"]


def test_roster_first_names_near_a_role_are_found(people):
    assert names_in("Dina, one of the pickers, says the scanner is slow.") == ["Dina"]
    assert names_in("Zelda, one of the pickers, says the scanner is slow.") == []


def test_no_false_alarm_on_days_sentence_starts_and_products(people):
    assert names_in("Monday was busy. The customer called Tuesday about it. Customer Service had no answer.") == []
    assert names_in("The agent Desktop froze, so the agent used the Returns Portal and Excel instead.") == []
    assert names_in("Lead Time For Refund Agents Is Too Long") == []
    assert names_in("A driver called DHL. I asked the picker. It was the supervisor who approved.") == []
    assert names_in("refund delays because the parcel never arrived") == []


def test_the_warning_lists_the_names_and_is_plain():
    assert blame_message([]) is None
    assert blame_message(["Anna"]).startswith("This names Anna. Observations are about processes, not people")
    assert blame_message(["Anna", "Bo", "Cai"]).startswith("This names Anna, Bo and Cai.")


def test_looking_names_up_asks_the_roster_at_most_twice(people):
    with count_queries() as queries:
        names_in("Picker Anna and Bo Berg, one of the drivers, met Dina the packer on Monday.")
    assert len(queries) <= 2
    with count_queries() as queries:
        names_in("the refund took five days and the customer called again")
    assert queries == []


# --- The endpoint ------------------------------------------------------------------------------------------------

def test_the_check_answers_similar_observations_and_names(client, login_as, areas, people, observe):
    duplicate = observe(people["bo"], areas["refunds"], *REFUND_APPROVAL, seconds=[people["cai"]])
    login_as("manager", email="ann@example.com")

    response = client.get("/observations/check", query_string={
        "title": "Supervisor approval for refunds", "area": areas["refunds"].id,
        "text": "Every refund needs a supervisor to approve it. The agent Maria kept the customer on hold."})

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json == {
        "similar": [{"id": duplicate.id, "title": REFUND_APPROVAL[0], "area": "Customer service › Refunds",
                     "kind": "A customer contact and its driver", "seconds": 1,
                     "url": f"/observations/{duplicate.id}"}],
        "blame": {"names": ["Maria"], "message": blame_message(["Maria"])},
    }


def test_the_check_ignores_bad_numbers_and_caps_the_text(client, login_as, areas, people, observe):
    observe(people["bo"], areas["refunds"], *REFUND_APPROVAL)
    login_as("manager", email="ann@example.com")

    for area in ("x", "-3", "99999999999999999999", "٣", ""):
        response = client.get("/observations/check", query_string={
            "text": REFUND_APPROVAL[1], "area": area, "observation": area})
        assert response.status_code == 200
        assert len(response.json["similar"]) == 1
    response = client.get("/observations/check", query_string={"text": "word " * 50_000})
    assert response.status_code == 200
    assert response.json == {"similar": [], "blame": None}


def test_the_check_takes_long_texts_by_post_with_the_csrf_token(make_app, areas, people, observe):
    app = make_app(WTF_CSRF_ENABLED=True)
    observe(people["bo"], areas["refunds"], *REFUND_APPROVAL)
    client = app.test_client()
    user, _ = save_user("ann@example.com", ["manager"], PASSWORD, None)
    db.session.commit()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"csrf_token": token, "email": user.email, "password": PASSWORD})

    assert client.post("/observations/check", data={"text": REFUND_APPROVAL[1]}).status_code == 400
    response = client.post("/observations/check", data={"text": REFUND_APPROVAL[1] + " filler" * 2000},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200
    assert len(response.json["similar"]) == 1


def test_titles_come_back_as_typed_and_the_form_script_shows_them_as_text(client, login_as, areas, people,
                                                                           observe):
    observe(people["bo"], areas["warehouse"], "<img src=x onerror=alert(1)> refund supervisor",
            REFUND_APPROVAL[1])
    login_as("manager", email="ann@example.com")

    response = client.get("/observations/check", query_string={
        "text": REFUND_APPROVAL[1], "area": areas["warehouse"].id})

    assert response.mimetype == "application/json"
    assert response.json["similar"][0]["title"] == "<img src=x onerror=alert(1)> refund supervisor"
    script = (Path(__file__).parent.parent / "rotation/static/js/observation_form.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "textContent" in script


def test_the_check_needs_a_person_behind_the_account(client, login_as, people):
    assert client.get("/observations/check?text=refund").status_code == 302  # to the sign-in page
    login_as("admin", email="nobody@example.com")
    assert client.get("/observations/check?text=refund").status_code == 404


def test_the_check_runs_a_bounded_number_of_queries(client, login_as, areas, people, observe):
    others = [("Pickers walk to the far aisle", "The fastest movers sit in aisle 40, the furthest from packing."),
              ("Address changes typed twice", "A new address goes into the order system and the carrier portal."),
              ("Promised Friday, delivered Tuesday", "The checkout ignores the warehouse cut-off time.")]
    for n in range(30):
        title, text = REFUND_APPROVAL if n % 4 == 0 else others[n % 3]
        observe(people["bo" if n % 2 else "cai"], areas["refunds" if n % 3 else "picking"], title, text,
                seconds=[people["dina"]] if n % 5 == 0 else ())
    login_as("manager", email="ann@example.com")
    query = {"title": "Refund approval", "area": areas["refunds"].id,
             "text": REFUND_APPROVAL[1] + " Picker Anna and Dina, one of the pickers, met Eli Eskola."}

    with count_queries() as queries:
        response = client.get("/observations/check", query_string=query)

    assert response.status_code == 200 and len(response.json["similar"]) == 5
    assert {match["title"] for match in response.json["similar"]} == {REFUND_APPROVAL[0]}
    assert response.json["blame"]["names"] == ["Anna", "Dina", "Eli Eskola"]
    # The account and its roles, its person, the process map, the candidates with their "me too" counts,
    # the roster's full names and its first names: however many observations there are.
    assert len(queries) == 7, queries
