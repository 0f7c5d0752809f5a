"""List pages read page by page from a position in the list, never by an offset, with a bounded count."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.pagination import encode_cursor, paginate, paginate_sequence
from rotation.people.models import Person


@pytest.fixture
def people(make_person):
    # Names tie in pairs, so the order's last key (the id) decides.
    return [make_person(f"E{number:03d}", full_name=f"Person {number // 2:02d}") for number in range(23)]


def ordered(descending: bool = False) -> sa.Select:
    name = Person.full_name.desc() if descending else Person.full_name
    return sa.select(Person).order_by(name, Person.id)


def page_of(app, statement, query: str = "", **kwargs):
    with app.test_request_context("/people" + query):
        return paginate(statement, **kwargs)


def cursor_query(page, which: str) -> str:
    arguments = page.link_arguments(which)
    return "?" + "&".join(f"{key}={value}" for key, value in arguments.items())


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "mixed directions"])
def test_walking_forwards_and_back_visits_every_row_once_in_order(app, people, descending):
    expected = [person.id for person in db.session.scalars(ordered(descending))]
    first = page_of(app, ordered(descending), per_page=10)
    assert (first.total, first.first_index, first.last_index, first.has_previous, first.has_next) == (
        23, 1, 10, False, True)
    second = page_of(app, ordered(descending), cursor_query(first, "next"), per_page=10)
    third = page_of(app, ordered(descending), cursor_query(second, "next"), per_page=10)
    assert (second.first_index, second.last_index, third.first_index, third.last_index) == (11, 20, 21, 23)
    assert not third.has_next and third.has_previous
    walked = [person.id for page in (first, second, third) for person in page.items]
    assert walked == expected
    back = page_of(app, ordered(descending), cursor_query(third, "previous"), per_page=10)
    assert [person.id for person in back.items] == expected[10:20] and (back.first_index, back.last_index) == (11, 20)
    last = page_of(app, ordered(descending), "?page=last", per_page=10)
    assert [person.id for person in last.items] == expected[-10:] and (last.first_index, last.last_index) == (14, 23)
    assert cursor_query(last, "first") == "?"


def test_a_long_list_is_counted_only_so_far(app, people):
    page = page_of(app, ordered(), per_page=5, count_limit=10)
    assert page.total is None and page.first_index == 1
    last = page_of(app, ordered(), "?page=last", per_page=5, count_limit=10)
    assert last.total is None and last.start is None and len(last.items) == 5 and not last.has_next


def test_a_cursor_the_app_did_not_make_shows_the_first_page(app, people):
    for junk in ("?after=nonsense", "?before=%00%01", "?after=" + encode_cursor([1], None),
                 "?after=eyJrIjpbeyJ4IjoxfV19", "?page=-3"):
        page = page_of(app, ordered(), junk, per_page=10)
        assert page.first_index == 1 and len(page.items) == 10, junk


def test_a_cursor_past_the_end_shows_the_last_page(app, people):
    last_person = db.session.scalars(ordered()).all()[-1]
    beyond = encode_cursor([last_person.full_name, last_person.id], 23)
    page = page_of(app, ordered(), f"?after={beyond}", per_page=10)
    assert page.last_index == 23 and not page.has_next


def test_a_list_ranked_in_python_pages_the_same_way(app):
    with app.test_request_context("/"):
        first = paginate_sequence(list(range(23)), per_page=10)
    with app.test_request_context("/" + cursor_query(first, "next")):
        second = paginate_sequence(list(range(23)), per_page=10)
    with app.test_request_context("/?page=last"):
        last = paginate_sequence(list(range(23)), per_page=10)
    assert (first.items, second.items, last.items) == (list(range(10)), list(range(10, 20)), [20, 21, 22])
    assert (second.first_index, second.last_index, last.first_index) == (11, 20, 21)


def test_the_pager_keeps_the_filters_and_the_page_address(client, login_as, make_person):
    login_as("hr")
    for number in range(60):
        make_person(f"P{number:03d}", full_name=f"Pat {number:03d}", department="Sales")
    page = client.get("/people?q=Pat&active=yes").get_data(as_text=True)
    assert "Showing 1–50 of 60 people." in page
    following = re.search(r'<a href="([^"]+)" rel="next">', page).group(1).replace("&amp;", "&")
    assert following.startswith("/people?") and "q=Pat" in following and "after=" in following
    later = client.get(following).get_data(as_text=True)
    assert "Showing 51–60 of 60 people." in later and "Pat 059" in later and "Pat 049" not in later
    assert client.get("/people?after=%FF%FE&before=x").status_code == 200
