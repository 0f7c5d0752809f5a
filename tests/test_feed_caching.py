"""A calendar app revalidating its feed by date: Last-Modified, If-Modified-Since, and each event's LAST-MODIFIED.

Some apps send If-Modified-Since alone; the feed's Last-Modified must move with every change the calendar
shows, dated by a row (a moved shift) or not (a site renamed, a shift leaving the feed).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.http import http_date

from rotation.assignments.changes import move_assignment, valid_slots, withdraw_assignment
from rotation.assignments.models import Assignment
from rotation.db import utcnow
from rotation.extensions import db
from rotation.feeds import services
from rotation.feeds.models import FeedToken
from rotation.sites.models import Site
from tests.fixtures.shifts import assign, day, slot_at
from tests.helpers import count_queries
from tests.ical_parsers import check_structure, events_with_icalendar, events_with_icaljs, events_with_vobject


def whole_seconds(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


@pytest.fixture
def ann(five_managers):
    """Ann's customer-service day and warehouse week, last changed three and two hours ago; her link, five hours
    old. Returns (person, day, week, link)."""
    person = five_managers["managers"][0]
    shift_day = assign(person, slot_at("HEL-CC", day(10)))
    week = assign(person, slot_at("TMP-WH", day(20)))
    now = utcnow()
    changed(shift_day, now - timedelta(hours=3))
    changed(week, now - timedelta(hours=2))
    token = services.issue_token(person)
    db.session.execute(sa.update(FeedToken).where(FeedToken.person_id == person.id)
                       .values(created_at=now - timedelta(hours=5)))
    db.session.commit()
    return person, shift_day, week, token


def changed(assignment: Assignment, when: datetime) -> None:
    db.session.execute(sa.update(Assignment).where(Assignment.id == assignment.id).values(updated_at=when))
    db.session.commit()


def updated_at(assignment: Assignment) -> datetime:
    value = db.session.scalar(sa.select(Assignment.updated_at).where(Assignment.id == assignment.id))
    assert value is not None
    return value


def fetch(client, token: str, **headers):
    return client.get(f"/calendar/{token}.ics", headers=headers)


def since(instant: datetime) -> dict[str, str]:
    return {"If-Modified-Since": http_date(instant)}


def test_the_feed_says_when_what_it_shows_last_changed(client, ann):
    person, _, week, token = ann
    response = fetch(client, token)
    assert response.status_code == 200
    assert response.last_modified == whole_seconds(updated_at(week))  # the newer of the two shifts

    fresh = services.issue_token(person)  # a link newer than every shift: the feed is new from then on
    db.session.commit()
    created = db.session.scalar(sa.select(FeedToken.created_at).where(FeedToken.person_id == person.id,
                                                                      FeedToken.revoked_at.is_(None)))
    assert fetch(client, fresh).last_modified == whole_seconds(created)


def test_if_modified_since_answers_304_at_or_after_it_and_200_before(client, ann):
    token = ann[3]
    first = fetch(client, token)  # notes the link's use: the polls below write nothing
    stamp = first.last_modified

    for asked in (stamp, stamp + timedelta(hours=1)):
        with count_queries() as queries:
            unchanged = fetch(client, token, **since(asked))
        assert unchanged.status_code == 304 and unchanged.data == b""
        assert unchanged.headers["ETag"] == first.headers["ETag"]
        assert len(queries) == 1, queries
    before = fetch(client, token, **since(stamp - timedelta(seconds=1)))
    assert before.status_code == 200 and before.data == first.data


def test_the_etag_decides_when_an_app_sends_both(client, ann):
    token = ann[3]
    first = fetch(client, token)
    fresh_date, old_date = since(first.last_modified), since(first.last_modified - timedelta(days=1))

    assert fetch(client, token, **{"If-None-Match": '"stale"'}, **fresh_date).status_code == 200
    assert fetch(client, token, **{"If-None-Match": first.headers["ETag"]}, **old_date).status_code == 304


def test_a_change_to_one_shift_moves_last_modified_forward(client, ann):
    _, shift_day, _, token = ann
    before = fetch(client, token).last_modified

    move_assignment(shift_day, valid_slots(shift_day)[0].slot, None)
    db.session.commit()
    moved = fetch(client, token, **since(before))
    assert moved.status_code == 200
    assert moved.last_modified > before
    assert moved.last_modified >= whole_seconds(updated_at(shift_day))
    assert fetch(client, token, **since(moved.last_modified)).status_code == 304


@pytest.mark.parametrize("change", ["the site renamed", "a shift withdrawn"])
def test_changes_no_shift_row_dates_move_last_modified_too(client, ann, change):
    """A renamed site changes no assignment; a withdrawn shift leaves the feed, so its date is not among those
    the feed shows. Either way an app asking by date alone gets the new calendar."""
    _, _, week, token = ann
    first = fetch(client, token)

    if change == "the site renamed":
        db.session.execute(sa.update(Site).where(Site.code == "HEL-CC").values(name="Helsinki customer centre"))
    else:
        withdraw_assignment(db.session.get(Assignment, week.id), None)
    db.session.commit()
    later = fetch(client, token, **since(first.last_modified))
    assert later.status_code == 200 and later.data != first.data
    assert later.last_modified > first.last_modified
    assert fetch(client, token, **since(later.last_modified)).status_code == 304
    assert fetch(client, token, **since(first.last_modified)).status_code == 200  # another app, still behind


def test_each_event_carries_its_own_last_modified_in_utc(client, ann, icaljs):
    _, shift_day, week, token = ann
    raw = fetch(client, token).data
    check_structure(raw, None)
    assert b"\r\nLAST-MODIFIED:" in raw

    expected = {shift_day.uid: whole_seconds(updated_at(shift_day)), week.uid: whole_seconds(updated_at(week))}
    for parsed in (events_with_icalendar(raw), events_with_vobject(raw), events_with_icaljs(raw, icaljs)):
        assert {event.uid: event.last_modified for event in parsed} == expected
