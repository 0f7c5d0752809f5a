"""The process map: everyone reads the tree; administrators add, move, retire, delete areas and choose owners."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from rotation.assignments.models import COMPLETED, Assignment
from rotation.demo.accounts import DEMO_ACCOUNTS
from rotation.extensions import db
from rotation.observations.models import DRAFT, SUBMITTED, TRIAGED, Observation
from rotation.process_map import services
from rotation.process_map.models import AreaOwner, ProcessArea
from rotation.process_map.tree import SEPARATOR, area_paths, owned_area_ids
from rotation.roles import ADMIN, HR, MANAGER, OWNER
from rotation.sites.models import Slot
from tests.helpers import count_queries


def add(name: str, parent: ProcessArea | None = None, description: str | None = None,
        active: bool = True) -> ProcessArea:
    """An area exactly as a test needs it (committed)."""
    area = services.add_area(name, parent.id if parent else None, description)
    area.is_active = active
    db.session.commit()
    return area


def own(area: ProcessArea, user) -> None:
    db.session.add(AreaOwner(area_id=area.id, user_id=user.id))
    db.session.commit()


def snapshot() -> list[tuple]:
    """Everything the map holds, to show that a refused change wrote nothing."""
    db.session.expire_all()
    areas = db.session.execute(sa.select(ProcessArea.id, ProcessArea.parent_id, ProcessArea.name,
                                         ProcessArea.description, ProcessArea.is_active)
                               .order_by(ProcessArea.id)).all()
    owners = db.session.execute(sa.select(AreaOwner.area_id, AreaOwner.user_id)
                                .order_by(AreaOwner.area_id, AreaOwner.user_id)).all()
    return [tuple(row) for row in areas] + [tuple(row) for row in owners]


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<small id="{field}-error" class="field-error">(.*?)</small>', html, re.S)
    assert match, f"no error beside {field}"
    return match.group(1).strip()


@pytest.fixture
def observe(make_site, make_person):
    """Files ``count`` observations in ``area`` from one finished shift (committed)."""
    site = make_site("HEL-CC")
    author = make_person(full_name="Ann Aalto")
    start = datetime(2026, 3, 2, 7, tzinfo=UTC)
    slot = Slot(site_id=site.id, kind="customer_service", first_day=date(2026, 3, 2), last_day=date(2026, 3, 2),
                starts_at=start, ends_at=start + timedelta(hours=8), seats=2)
    db.session.add(slot)
    db.session.flush()
    shift = Assignment(person_id=author.id, slot_id=slot.id, year=2026, kind=slot.kind, status=COMPLETED)
    db.session.add(shift)
    db.session.commit()

    def file(area: ProcessArea, count: int = 1, status: str = SUBMITTED) -> None:
        from rotation.problems.models import Problem

        for n in range(count):
            problem = None
            if status == "triaged":  # a triaged observation belongs to a problem
                problem = Problem(title=f"Seen {n}", area_id=area.id, severity=3, due_on=date(2026, 4, 1),
                                  status="triaged")
                db.session.add(problem)
                db.session.flush()
            db.session.add(Observation(assignment_id=shift.id, author_id=author.id, area_id=area.id, status=status,
                                       kind="contact", severity=3, title=f"Seen {n}", what_happened="It broke.",
                                       problem_id=problem.id if problem else None))
        db.session.commit()

    return file


# --- The tree ------------------------------------------------------------------------------------------

def test_everyone_signed_in_sees_the_tree_with_owners_and_counts(client, login_as, make_user, observe):
    owner = make_user(roles=[OWNER], name="Olli Laine")
    service = add("Customer service", description="Every contact a customer makes.")
    returns = add("Returns", service)
    add("Refunds", service)
    warehouse = add("Warehouse")
    own(service, owner)
    observe(returns, 2)
    observe(returns, 1, status=TRIAGED)
    observe(returns, 4, status=DRAFT)  # drafts are their authors' own

    login_as(MANAGER)
    html = client.get("/process-map/").get_data(as_text=True)
    assert "<h1>Process map</h1>" in html
    assert "Every contact a customer makes." in html
    assert re.search(r"Owner:\s*Olli Laine", html)
    returns_item = html[html.index(f'id="area-{returns.id}"'):]
    assert re.search(r"3 observations", returns_item[:returns_item.index("</li>")])
    assert "Owned through Customer service" in returns_item[:returns_item.index("</li>")]
    warehouse_item = html[html.index(f'id="area-{warehouse.id}"'):]
    assert "No owner yet" in warehouse_item and "0 observations" in warehouse_item
    # Indented: sub-areas sit in a list inside their parent's item.
    assert html.index(f'id="area-{service.id}"') < html.index(f'id="area-{returns.id}"') < \
        html.index(f'id="area-{warehouse.id}"')
    assert "Add an area" not in html


def test_the_tree_is_empty_at_first(client, login_as):
    login_as(MANAGER)
    assert "The process map is empty. An administrator draws it." in client.get("/process-map/").get_data(
        as_text=True)


def test_the_page_needs_a_sign_in(client):
    response = client.get("/process-map/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_names_and_descriptions_are_escaped(client, login_as, post_form):
    area = add("<script>alert(1)</script>", description="<b>bold</b> & more")
    login_as(ADMIN)
    html = client.get("/process-map/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
    html = client.get(f"/process-map/areas/{area.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    response = post_form("/process-map/areas/new", {"name": "<img src=x onerror=alert(2)>", "parent": str(area.id)},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "<img src=x" not in html and "Added &lt;script&gt;alert(1)&lt;/script&gt; › &lt;img src=x" in html


def test_only_admins_see_retired_areas_and_what_lies_under_them(client, login_as, make_user):
    service = add("Customer service")
    fax = add("Fax orders", service, active=False)
    add("Fax paper", fax)
    add("Returns", service)

    login_as(OWNER)
    html = client.get("/process-map/").get_data(as_text=True)
    assert "Returns" in html and "Fax orders" not in html and "Fax paper" not in html

    client.post("/logout", data={"csrf_token": _token(client)})
    login_as(ADMIN)
    html = client.get("/process-map/").get_data(as_text=True)
    fax_item = html[html.index(f'id="area-{fax.id}"'):]
    assert 'class=" not-offered"' in html and '<span class="tag">retired</span>' in fax_item
    assert "not offered: an area above is retired" in fax_item
    assert "2 areas offered for observations; 1 retired, shown greyed out." in html


def test_the_tree_page_runs_the_same_queries_however_large_the_map(client, login_as, make_user, observe):
    owners = [make_user(roles=[OWNER]) for _ in range(3)]
    login_as(ADMIN)

    def grow(count: int) -> None:
        for n in range(count):
            top = add(f"Area {len(area_paths())} {n}")
            own(top, owners[n % 3])
            child = add("Child", top)
            own(child, owners[(n + 1) % 3])
            observe(child)

    grow(2)
    client.get("/process-map/")  # warm up: the session's account is loaded once
    with count_queries() as small:
        assert client.get("/process-map/").status_code == 200
    grow(10)
    with count_queries() as large:
        assert client.get("/process-map/").status_code == 200
    assert len(large) == len(small)
    # The map itself: its areas, their owners, the observations counted per area.
    map_queries = [q for q in large if re.search(r"\b(process_area|area_owner|observation)\b", q)]
    assert len(map_queries) == 3, map_queries


# --- Who may change it ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", [MANAGER, OWNER, HR])
def test_only_admins_change_the_map(client, login_as, role):
    area = add("Returns")
    login_as(role)
    for url in ("/process-map/areas/new", f"/process-map/areas/{area.id}"):
        assert client.get(url).status_code == 403
    token = _token(client)
    before = snapshot()
    for url in ("/process-map/areas/new", f"/process-map/areas/{area.id}", f"/process-map/areas/{area.id}/retire",
                f"/process-map/areas/{area.id}/delete", f"/process-map/areas/{area.id}/owners"):
        assert client.post(url, data={"csrf_token": token, "name": "Mine", "confirmed": "yes"}).status_code == 403
    assert snapshot() == before
    assert "Add an area" not in client.get("/process-map/").get_data(as_text=True)


def test_an_unknown_area_is_not_found(client, login_as):
    login_as(ADMIN)
    assert client.get("/process-map/areas/999999").status_code == 404


# --- Adding and changing areas --------------------------------------------------------------------

def test_an_admin_adds_an_area_under_another(client, login_as, post_form):
    service = add("Customer service")
    login_as(ADMIN)
    response = post_form("/process-map/areas/new", {"name": "  Gift   cards ", "parent": str(service.id),
                                                    "description": "Buying and redeeming gift cards."},
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert f"Added Customer service{SEPARATOR}Gift cards. Add its owners below." in html
    area = db.session.scalar(sa.select(ProcessArea).where(ProcessArea.name == "Gift cards"))
    assert area.parent_id == service.id and area.description == "Buying and redeeming gift cards."
    assert area.is_active


def test_the_add_form_starts_under_the_area_it_was_opened_from(client, login_as):
    service = add("Customer service")
    login_as(ADMIN)
    html = client.get(f"/process-map/areas/new?parent={service.id}").get_data(as_text=True)
    assert f'<option selected value="{service.id}">Customer service</option>' in html


@pytest.mark.parametrize("data, field, message", [
    ({"name": "   "}, "name", "Enter the area's name."),
    ({"name": "x" * 121}, "name", "A name has at most 120 characters; this one has 121."),
    ({"name": "Returns › Labels"}, "name", "A name cannot contain “›”: the map uses it between an area and the "
                                          "areas above it."),
    ({"name": "Returns"}, "name", "There is already an area called Returns under Customer service; "
                                  "choose another name."),
    ({"name": "RETURNS"}, "name", "There is already an area called Returns under Customer service; "
                                  "choose another name."),
    ({"name": "Fax orders"}, "name", "There is already an area called Fax orders under Customer service; it is "
                                     "retired: reactivate it, or choose another name."),
    ({"name": "New", "parent": "999999"}, "parent", "That parent area does not exist (it may have just been "
                                                    "deleted); choose another."),
    ({"name": "New", "parent": "nonsense"}, "parent", "Choose where the area sits from the list."),
    ({"name": "New", "parent": "9" * 40}, "parent", "Choose where the area sits from the list."),
    ({"name": "New", "description": "d" * 1001}, "description",
     "A description has at most 1000 characters; this one has 1001."),
])
def test_bad_input_on_the_add_form_is_refused_beside_its_field(client, login_as, post_form, data, field, message):
    service = add("Customer service")
    add("Returns", service)
    add("Fax orders", service, active=False)
    login_as(ADMIN)
    before = snapshot()
    response = post_form("/process-map/areas/new", {"parent": str(service.id), **data})
    assert response.status_code == 200
    assert field_error(response.get_data(as_text=True), field) == message.replace("'", "&#39;")
    assert snapshot() == before


def test_names_are_unique_at_the_top_of_the_map_too(client, login_as, post_form):
    add("Warehouse")
    login_as(ADMIN)
    before = snapshot()
    response = post_form("/process-map/areas/new", {"name": "warehouse", "parent": ""})
    assert field_error(response.get_data(as_text=True), "name") == \
        "There is already an area called Warehouse at the top of the map; choose another name."
    assert snapshot() == before


def test_an_admin_renames_and_moves_an_area_with_what_lies_below(client, login_as, post_form):
    service, policy = add("Customer service"), add("Policy")
    rules = add("Return rules", service)
    window = add("Return window", rules)
    login_as(ADMIN)
    response = post_form(f"/process-map/areas/{rules.id}", {"name": "Customer-facing rules",
                                                            "parent": str(policy.id), "description": ""},
                         follow_redirects=True)
    assert f"Saved Policy{SEPARATOR}Customer-facing rules." in response.get_data(as_text=True)
    assert area_paths()[window.id] == f"Policy{SEPARATOR}Customer-facing rules{SEPARATOR}Return window"
    response = post_form(f"/process-map/areas/{rules.id}", {"name": "Customer-facing rules", "parent": ""},
                         follow_redirects=True)
    assert "Saved Customer-facing rules." in response.get_data(as_text=True)
    assert db.session.get(ProcessArea, rules.id).parent_id is None


@pytest.mark.parametrize("target", ["itself", "child", "grandchild"])
def test_an_area_cannot_move_under_itself_or_its_own_sub_areas(client, login_as, post_form, target):
    service = add("Customer service")
    returns = add("Returns", service)
    labels = add("Return labels", returns)
    parent = {"itself": service, "child": returns, "grandchild": labels}[target]
    login_as(ADMIN)
    page = client.get(f"/process-map/areas/{service.id}").get_data(as_text=True)
    # The list does not even offer them.
    assert f'value="{parent.id}"' not in page
    before = snapshot()
    response = post_form(f"/process-map/areas/{service.id}", {"name": "Customer service", "parent": str(parent.id)})
    assert field_error(response.get_data(as_text=True), "parent") == \
        "An area cannot move under itself or under one of its own sub-areas; choose another parent."
    assert snapshot() == before


def test_a_rename_to_a_siblings_name_is_refused(client, login_as, post_form):
    service = add("Customer service")
    add("Returns", service)
    refunds = add("Refunds", service)
    login_as(ADMIN)
    before = snapshot()
    response = post_form(f"/process-map/areas/{refunds.id}", {"name": "Returns", "parent": str(service.id)})
    html = response.get_data(as_text=True)
    assert field_error(html, "name") == "There is already an area called Returns under Customer service; " \
                                        "choose another name."
    assert "<h1 class=\"wrap-anywhere\">Refunds</h1>" in html  # the heading keeps the saved name
    assert snapshot() == before
    # Saving an area under its own name is no clash with itself.
    assert post_form(f"/process-map/areas/{refunds.id}", {"name": "refunds", "parent": str(service.id)}
                     ).status_code == 302


# --- Retiring, reactivating, deleting --------------------------------------------------------------

def test_retiring_stops_offering_an_area_and_retires_nothing_else(client, login_as, post_form):
    service = add("Customer service")
    returns = add("Returns", service)
    labels = add("Return labels", returns)
    login_as(ADMIN)
    response = post_form(f"/process-map/areas/{returns.id}/retire", {}, page=f"/process-map/areas/{returns.id}",
                         follow_redirects=True)
    assert (f"Retired Customer service{SEPARATOR}Returns. It is no longer offered for new observations and neither "
            "is the area below it; its observations and owners are kept.") in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(ProcessArea, returns.id).is_active
    assert db.session.get(ProcessArea, labels.id).is_active and db.session.get(ProcessArea, service.id).is_active
    assert set(area_paths(active_only=True)) == {service.id}

    response = post_form(f"/process-map/areas/{returns.id}/reactivate", {}, page=f"/process-map/areas/{returns.id}",
                         follow_redirects=True)
    assert "It is offered for new observations again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProcessArea, returns.id).is_active
    assert set(area_paths(active_only=True)) == {service.id, returns.id, labels.id}


def test_an_empty_area_is_deleted_only_after_confirming(client, login_as, post_form, make_user):
    service = add("Customer service")
    gifts = add("Gift cards", service)
    own(gifts, make_user(roles=[OWNER]))
    login_as(ADMIN)
    page = f"/process-map/areas/{gifts.id}"
    response = post_form(f"/process-map/areas/{gifts.id}/delete", {}, page=page)
    assert "Delete this area?" in response.get_data(as_text=True)
    assert db.session.get(ProcessArea, gifts.id) is not None
    response = post_form(f"/process-map/areas/{gifts.id}/delete", {"confirmed": "yes"}, page=page,
                         follow_redirects=True)
    assert f"Deleted Customer service{SEPARATOR}Gift cards." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProcessArea, gifts.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaOwner)) == 0


def test_an_area_with_sub_areas_or_observations_is_not_deleted(client, login_as, post_form, observe):
    service = add("Customer service")
    returns = add("Returns", service)
    billing = add("Billing", service)
    observe(billing, status=DRAFT)  # even a draft keeps it
    login_as(ADMIN)
    cases = {service: "Customer service has 2 sub-areas, so it cannot be deleted; retire it instead.",
             billing: "Billing has 1 observation, so it cannot be deleted; retire it instead."}
    for area, message in cases.items():
        page = f"/process-map/areas/{area.id}"
        assert message in client.get(page).get_data(as_text=True)
        before = snapshot()
        response = client.post(f"{page}/delete", data={"csrf_token": _token(client), "confirmed": "yes"},
                               follow_redirects=True)
        assert response.status_code == 200 and message in response.get_data(as_text=True)
        assert snapshot() == before
    assert "Delete this area…" in client.get(f"/process-map/areas/{returns.id}").get_data(as_text=True)


# --- Owners -------------------------------------------------------------------------------------------

def test_an_admin_adds_and_removes_owners(client, login_as, post_form, make_user):
    olli = make_user(roles=[OWNER], name="Olli Laine", email="owner@example.com")
    carla = make_user(roles=[MANAGER, OWNER], name="Carla Esposito")
    make_user(roles=[OWNER], name="Dee Disabled", enabled=False)
    make_user(roles=[MANAGER], name="Mia Manager")
    service = add("Customer service")
    returns = add("Returns", service)
    login_as(ADMIN)

    page = client.get(f"/process-map/areas/{service.id}").get_data(as_text=True)
    offered = re.findall(r'<option value="\d+">([^<]*)</option>', page[page.index('id="user"'):])
    assert offered == ["Carla Esposito (user1@example.com)", "Olli Laine (owner@example.com)"]

    response = post_form(f"/process-map/areas/{service.id}/owners", {"user": str(olli.id)},
                         page=f"/process-map/areas/{service.id}", follow_redirects=True)
    assert "Olli Laine now owns Customer service." in response.get_data(as_text=True)
    post_form(f"/process-map/areas/{service.id}/owners", {"user": str(carla.id)},
              page=f"/process-map/areas/{service.id}")
    assert owned_area_ids(olli.id) == {service.id, returns.id}

    response = post_form(f"/process-map/areas/{service.id}/owners/{olli.id}/remove", {},
                         page=f"/process-map/areas/{service.id}", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Olli Laine no longer owns Customer service." in html and "Nobody owns" not in html
    response = post_form(f"/process-map/areas/{service.id}/owners/{carla.id}/remove", {},
                         page=f"/process-map/areas/{service.id}", follow_redirects=True)
    assert ("Nobody owns Customer service or an area above it now, so nobody is alerted about what is observed "
            "there. Add an owner.") in response.get_data(as_text=True)
    assert owned_area_ids(olli.id) == set()


@pytest.mark.parametrize("who, message", [
    ("manager", "Mia Manager does not hold the process-owner role, so cannot own an area. Give the account the "
                "role first."),
    ("disabled", "The account of Dee Disabled is disabled; choose an enabled one."),
    ("owner", "Olli Laine already owns Customer service."),
    ("unknown", "Choose an account from the list; that one does not exist."),
    ("nothing", "Choose the account to add as an owner."),
    ("nonsense", "Choose an account from the list."),
])
def test_an_owner_who_cannot_own_is_refused_beside_the_field(client, login_as, post_form, make_user, who, message):
    users = {"owner": make_user(roles=[OWNER], name="Olli Laine"),
             "manager": make_user(roles=[MANAGER], name="Mia Manager"),
             "disabled": make_user(roles=[OWNER], name="Dee Disabled", enabled=False)}
    service = add("Customer service")
    own(service, users["owner"])
    make_user(roles=[OWNER], name="Another Owner")  # so the form is offered
    login_as(ADMIN)
    made_up = {"unknown": "999999", "nothing": "", "nonsense": "first"}
    value = made_up[who] if who in made_up else str(users[who].id)
    before = snapshot()
    response = post_form(f"/process-map/areas/{service.id}/owners", {"user": value},
                         page=f"/process-map/areas/{service.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert field_error(html, "user") == message
    assert 'value="Customer service"' in html  # the details form shows the area as saved
    assert snapshot() == before


def test_the_page_says_when_no_account_can_be_an_owner(client, login_as, make_user):
    service = add("Customer service")
    login_as(ADMIN)
    html = client.get(f"/process-map/areas/{service.id}").get_data(as_text=True)
    assert "No\n    enabled account holds the process-owner role yet, so there is nobody to add." in html
    assert 'id="user"' not in html
    own(service, make_user(roles=[OWNER], name="Olli Laine"))
    html = client.get(f"/process-map/areas/{service.id}").get_data(as_text=True)
    assert "Every enabled account with the process-owner role already owns this area." in html


def test_removing_someone_who_is_not_an_owner_says_so(client, login_as, post_form, make_user):
    service = add("Customer service")
    olli = make_user(roles=[OWNER], name="Olli Laine")
    login_as(ADMIN)
    response = post_form(f"/process-map/areas/{service.id}/owners/{olli.id}/remove", {},
                         page=f"/process-map/areas/{service.id}", follow_redirects=True)
    assert response.status_code == 200
    assert "That account does not own this area." in response.get_data(as_text=True)


def test_owned_area_ids_include_every_area_below(make_user):
    owner = make_user(roles=[OWNER])
    service, warehouse = add("Customer service"), add("Warehouse")
    returns = add("Returns", service)
    labels = add("Return labels", returns)
    add("Picking", warehouse)
    own(service, owner)
    own(labels, owner)  # owning twice over changes nothing
    assert owned_area_ids(owner.id) == {service.id, returns.id, labels.id}


# --- The demo map ------------------------------------------------------------------------------------

def test_the_demo_map_loads_with_its_owners_and_loads_twice_without_doubling(app):
    from rotation.accounts.services import save_user
    from rotation.demo.process_map import load_process_map

    for email, name, roles in DEMO_ACCOUNTS:
        save_user(email, roles, None, name)
    areas = load_process_map()
    db.session.commit()
    paths = area_paths()
    for path in ("Customer service › Returns", "Customer service › Refunds", "Customer service › Delivery promises",
                 "Customer service › Order changes", "Customer service › Billing",
                 "Customer service › Contact channels", "Warehouse › Inbound", "Warehouse › Stowing",
                 "Warehouse › Picking", "Warehouse › Packing", "Warehouse › Dispatch",
                 "Warehouse › Tooling and equipment", "Policy › Policies and approvals",
                 "Policy › Customer-facing rules"):
        assert path in paths.values() and areas[path].description
    olli = db.session.scalar(sa.select(AreaOwner.user_id).join(ProcessArea).where(ProcessArea.name == "Policy"))
    by_name = {area.name: area.id for area in areas.values() if area.parent_id is None}
    assert owned_area_ids(olli) >= {by_name["Customer service"], by_name["Policy"],
                                    areas["Customer service › Returns"].id}
    assert by_name["Warehouse"] not in owned_area_ids(olli)
    count = db.session.scalar(sa.select(sa.func.count(ProcessArea.id)))
    assert load_process_map() == areas
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(ProcessArea.id))) == count
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaOwner)) == 3


def test_the_demo_map_loads_without_its_owner_accounts(app):
    from rotation.demo.process_map import load_process_map

    load_process_map()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AreaOwner)) == 0


def _token(client) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client.get("/").get_data(as_text=True))
