from datetime import date

from tests.helpers import count_queries, next_page_url


def test_people_list_searches_filters_and_paginates(client, login_as, make_person, make_site):
    login_as("hr")
    site = make_site(code="HEL-CC")
    ceo = make_person(employee_id="E1", full_name="Carla Esposito", department="Executive", home_site=site)
    maria = make_person(employee_id="E2", full_name="Maria Jansen", department="Operations", manager=ceo)
    make_person(employee_id="E3", full_name="Anna Worker", department="Operations", manager=maria)
    make_person(employee_id="E4", full_name="Ben Expert", department="Finance", manager=ceo, in_rotation=True)
    make_person(employee_id="E5", full_name="Lea Left", department="Finance", manager=ceo, active=False)

    page = client.get("/people").get_data(as_text=True)
    assert "Showing 1–4 of 4 people." in page  # active people by default
    assert "Lea Left" not in page
    rotation = client.get("/people?in_rotation=yes").get_data(as_text=True)
    assert all(name in rotation for name in ("Carla Esposito", "Maria Jansen", "Ben Expert"))
    assert ">Anna Worker</a>" not in rotation
    assert "(set by HR)" in rotation  # Ben's override
    not_in = client.get("/people?in_rotation=no").get_data(as_text=True)
    assert ">Anna Worker</a>" in not_in and ">Maria Jansen</a>" not in not_in
    assert "Lea Left" in client.get("/people?active=no").get_data(as_text=True)
    by_department = client.get("/people?q=finance").get_data(as_text=True)
    assert "Ben Expert" in by_department and "Maria Jansen" not in by_department
    by_email = client.get("/people?q=e3@example").get_data(as_text=True)
    assert "Anna Worker" in by_email and "Showing 1–1 of 1 people." in by_email


def test_people_list_renders_in_a_bounded_number_of_queries(client, login_as, make_person, make_site):
    login_as("hr")
    sites = [make_site(), make_site()]
    boss = make_person()
    for i in range(60):
        make_person(manager=boss, home_site=sites[i % 2])
    following = next_page_url(client.get("/people").get_data(as_text=True))
    with count_queries() as queries:
        page = client.get(following).get_data(as_text=True)
    assert "Showing 51–61 of 61 people." in page
    assert len(queries) <= 5, queries


def test_person_page_shows_manager_reports_blackouts_and_account(client, login_as, make_person, make_blackout,
                                                                 make_user):
    login_as("hr")
    ceo = make_person(full_name="Carla Esposito")
    maria = make_person(full_name="Maria Jansen", email="maria@example.com", manager=ceo)
    make_person(full_name="Anna Worker", manager=maria)
    make_blackout(date(2027, 7, 1), date(2027, 7, 31), person=maria, reason="Parental leave")
    make_user(roles=["owner"], email="maria@example.com")
    url = f"/people/{maria.id}"
    with count_queries() as queries:
        page = client.get(url).get_data(as_text=True)
    assert "Carla Esposito" in page and "Anna Worker" in page
    assert "2027-07-01 to 2027-07-31 — Parental leave" in page
    assert "yes — by the default rule (has direct reports)" in page
    assert "maria@example.com (Manager, Process owner)" in page  # in the rotation, so a manager too
    # signed-in HR account: 3; the person, reports, blackouts: 3; their account and roles: 3; e-mail to them that
    # failed: 1
    assert len(queries) <= 10, "\n".join(q[:80] for q in queries)


def test_unknown_person_is_404_and_managers_are_refused(client, login_as):
    login_as("hr")
    assert client.get("/people/999999").status_code == 404


def test_a_manager_cannot_see_the_roster(client, login_as):
    login_as("manager")
    assert client.get("/people").status_code == 403


def test_roster_people_in_the_rotation_sign_in_as_managers(client, login_as, make_person):
    boss = make_person(email="boss@example.com")
    make_person(manager=boss)
    user = login_as("owner", email="boss@example.com")
    assert user.roles == ["manager", "owner"]
    page = client.get("/").get_data(as_text=True)
    assert 'id="role-manager"' in page
