"""Finding people by the words of their name, e-mail address or department, on both databases."""
import sqlalchemy as sa

from rotation.extensions import db
from rotation.people.models import Person
from rotation.people.search import matching


def found(text: str) -> list[str]:
    return list(db.session.scalars(sa.select(Person.full_name).where(matching(text)).order_by(Person.full_name)))


def test_each_word_typed_begins_a_word_of_the_name_email_or_department(app, make_person):
    make_person("E1", "Ann Smith", email="ann.smith@example.com", department="Finance")
    make_person("E2", "Bo Smithson", email="bo@example.com", department="Sales")
    make_person("E3", "Cy Goldsmith", email="cy@example.com", department="Finance")
    assert found("smith") == ["Ann Smith", "Bo Smithson"]     # a word's beginning, not its middle
    assert found("SMI ann") == ["Ann Smith"]                   # every word must match, in any case
    assert found("fin") == ["Ann Smith", "Cy Goldsmith"]       # the department
    assert found("ann.smith@exam") == ["Ann Smith"]            # an e-mail address is its words
    assert found("E3") == ["Cy Goldsmith"]                     # an employee ID, exactly
    assert found("'\"*)(") == [] and found("smith*") == ["Ann Smith", "Bo Smithson"]  # search syntax is text


def test_the_search_follows_renames_and_leavers(app, make_person):
    ann = make_person("E1", "Ann Smith", department="Finance")
    make_person("E2", "Dora Dahl", department="Sales")
    ann.full_name, ann.department = "Ann Jones", "Legal"
    db.session.commit()
    assert found("smith") == [] and found("jones legal") == ["Ann Jones"]
    db.session.execute(sa.delete(Person).where(Person.employee_id == "E2"))
    db.session.commit()
    assert found("dora") == []


def test_hr_searches_people_and_shifts_by_words(client, login_as, make_person):
    make_person("E1", "Ann Smith", department="Finance")
    make_person("E2", "Bo Smithson", department="Sales")
    make_person("E3", "Cy Goldsmith", department="Sales")
    login_as("hr")
    page = client.get("/people?q=smith").get_data(as_text=True)
    assert ">Ann Smith</a>" in page and ">Bo Smithson</a>" in page and "Goldsmith" not in page
    assert "Showing 1–2 of 2 people." in page
