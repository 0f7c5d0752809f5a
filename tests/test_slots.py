"""``slots generate`` and the service behind it: days, weeks, blackouts, time zones, idempotence."""
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from rotation.extensions import db
from rotation.refusals import FieldRefusal
from rotation.sites.models import Slot
from rotation.sites.slots import generate_slots
from tests.helpers import count_queries

WORKING_DAYS_2027 = 261  # 2027 starts on a Friday: 52 whole weeks and one more Friday
MONDAYS_2027 = 52


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def slots_of(site) -> dict[date, Slot]:
    return {slot.first_day: slot for slot in db.session.scalars(sa.select(Slot).where(Slot.site_id == site.id))}


def slot_count() -> int:
    return db.session.execute(sa.select(sa.func.count(Slot.id))).scalar_one()


def test_a_contact_centre_gets_one_slot_per_working_day(make_site):
    site = make_site(code="HEL-CC", name="Helsinki contact centre", seats=3)
    [summary] = generate_slots(2027)
    db.session.commit()
    assert (summary.code, summary.created, summary.already_there, summary.skipped_for_blackouts) == \
        ("HEL-CC", WORKING_DAYS_2027, 0, 0)
    slots = slots_of(site)
    assert len(slots) == WORKING_DAYS_2027
    assert all(day.weekday() < 5 and day.year == 2027 for day in slots)
    assert min(slots) == date(2027, 1, 1) and max(slots) == date(2027, 12, 31)
    first = slots[date(2027, 1, 1)]
    assert (first.kind, first.last_day, first.seats) == ("customer_service", date(2027, 1, 1), 3)
    assert (first.starts_at, first.ends_at) == (utc(2027, 1, 1, 7), utc(2027, 1, 1, 15))


def test_running_twice_creates_nothing_new(make_site):
    site = make_site()
    make_site(kind="warehouse")
    generate_slots(2027)
    db.session.commit()
    before = slot_count()
    again = generate_slots(2027)
    db.session.commit()
    assert [(s.created, s.already_there) for s in again] == [(0, WORKING_DAYS_2027), (0, MONDAYS_2027)]
    assert slot_count() == before == WORKING_DAYS_2027 + MONDAYS_2027
    # A slot deleted by hand comes back; the others stay as they are.
    db.session.execute(sa.delete(Slot).where(Slot.site_id == site.id, Slot.first_day == date(2027, 6, 1)))
    db.session.commit()
    [summary] = generate_slots(2027, site.code)
    assert (summary.created, summary.already_there) == (1, WORKING_DAYS_2027 - 1)


def test_company_and_site_blackouts_are_skipped_but_not_other_sites_or_people(make_site, make_blackout,
                                                                             make_person):
    helsinki = make_site(code="HEL-CC")
    amsterdam = make_site(code="AMS-CC", timezone="Europe/Amsterdam")
    # The company closes Friday 24 December to Friday 31 December: six working days.
    make_blackout(date(2027, 12, 24), date(2027, 12, 31), reason="Holidays")
    # Helsinki alone closes Tuesday 1 June to Thursday 3 June: three working days.
    make_blackout(date(2027, 6, 1), date(2027, 6, 3), site=helsinki, reason="Move")
    make_blackout(date(2027, 3, 1), date(2027, 3, 31), person=make_person(home_site=amsterdam))
    # Blackouts outside the year change nothing.
    make_blackout(date(2026, 12, 1), date(2026, 12, 31))

    summaries = {summary.code: summary for summary in generate_slots(2027)}
    assert summaries["HEL-CC"].skipped_for_blackouts == 9
    assert summaries["HEL-CC"].created == WORKING_DAYS_2027 - 9
    assert summaries["AMS-CC"].skipped_for_blackouts == 6
    assert summaries["AMS-CC"].created == WORKING_DAYS_2027 - 6
    helsinki_days, amsterdam_days = slots_of(helsinki), slots_of(amsterdam)
    assert date(2027, 6, 1) not in helsinki_days and date(2027, 6, 4) in helsinki_days
    assert date(2027, 5, 31) in helsinki_days
    assert date(2027, 6, 1) in amsterdam_days  # Helsinki's blackout is not Amsterdam's
    assert date(2027, 3, 15) in amsterdam_days  # nor is a person's
    assert date(2027, 12, 23) in amsterdam_days and date(2027, 12, 24) not in amsterdam_days


def test_one_site_only_uses_its_own_and_the_company_blackouts(make_site, make_blackout):
    helsinki = make_site(code="HEL-CC")
    tampere = make_site(code="TMP-WH", kind="warehouse")
    make_blackout(date(2027, 6, 1), site=tampere)
    make_blackout(date(2027, 6, 2), site=helsinki)
    make_blackout(date(2027, 6, 3))
    [summary] = generate_slots(2027, "HEL-CC")
    assert (summary.code, summary.skipped_for_blackouts) == ("HEL-CC", 2)
    assert slots_of(tampere) == {}
    assert date(2027, 6, 1) in slots_of(helsinki)


def test_warehouses_get_monday_to_friday_weeks_and_lose_a_week_with_one_day_blacked_out(make_site,
                                                                                        make_blackout):
    site = make_site(code="TMP-WH", kind="warehouse", seats=4)
    make_blackout(date(2027, 6, 10), site=site)  # a Thursday
    make_blackout(date(2027, 7, 10), date(2027, 7, 11))  # a weekend: no week is lost
    [summary] = generate_slots(2027)
    assert (summary.created, summary.skipped_for_blackouts) == (MONDAYS_2027 - 1, 1)
    weeks = slots_of(site)
    assert min(weeks) == date(2027, 1, 4) and max(weeks) == date(2027, 12, 27)
    assert all(monday.weekday() == 0 for monday in weeks)
    assert date(2027, 6, 7) not in weeks and date(2027, 7, 5) in weeks and date(2027, 7, 12) in weeks
    week = weeks[date(2027, 3, 1)]
    assert (week.kind, week.last_day, week.seats) == ("warehouse", date(2027, 3, 5), 4)
    # Monday 00:00 to Saturday 00:00 in Helsinki (UTC+2 in winter).
    assert (week.starts_at, week.ends_at) == (utc(2027, 2, 28, 22), utc(2027, 3, 5, 22))


def test_a_warehouse_week_may_end_in_the_next_year(make_site, make_blackout):
    site = make_site(kind="warehouse", timezone="Europe/Helsinki")
    generate_slots(2024)
    last = slots_of(site)[date(2024, 12, 30)]
    assert last.last_day == date(2025, 1, 3)
    # The week belongs to 2024, whose Monday it starts on; 2025's first week starts on 6 January.
    [summary] = generate_slots(2025)
    assert date(2025, 1, 6) == min(day for day in slots_of(site) if day.year == 2025)
    assert summary.already_there == 0
    # A blackout on the week's Thursday in 2025 keeps the whole 2024 week out.
    other = make_site(kind="warehouse")
    make_blackout(date(2025, 1, 2))
    [summary] = generate_slots(2024, other.code)
    assert date(2024, 12, 30) not in slots_of(other) and summary.skipped_for_blackouts == 1


# Customer service from 09:00 to 17:00 local: the Friday before and the Monday after each change.
DAYLIGHT_SAVING_2027 = {
    "Europe/Helsinki": [
        (date(2027, 3, 26), utc(2027, 3, 26, 7), utc(2027, 3, 26, 15)),  # EET, UTC+2
        (date(2027, 3, 29), utc(2027, 3, 29, 6), utc(2027, 3, 29, 14)),  # EEST, UTC+3
        (date(2027, 10, 29), utc(2027, 10, 29, 6), utc(2027, 10, 29, 14)),
        (date(2027, 11, 1), utc(2027, 11, 1, 7), utc(2027, 11, 1, 15)),
    ],
    "America/Los_Angeles": [
        (date(2027, 3, 12), utc(2027, 3, 12, 17), utc(2027, 3, 13, 1)),  # PST, UTC-8
        (date(2027, 3, 15), utc(2027, 3, 15, 16), utc(2027, 3, 16, 0)),  # PDT, UTC-7
        (date(2027, 11, 5), utc(2027, 11, 5, 16), utc(2027, 11, 6, 0)),
        (date(2027, 11, 8), utc(2027, 11, 8, 17), utc(2027, 11, 9, 1)),
    ],
    "Australia/Sydney": [
        (date(2027, 4, 2), utc(2027, 4, 1, 22), utc(2027, 4, 2, 6)),  # AEDT, UTC+11
        (date(2027, 4, 5), utc(2027, 4, 4, 23), utc(2027, 4, 5, 7)),  # AEST, UTC+10
        (date(2027, 10, 1), utc(2027, 9, 30, 23), utc(2027, 10, 1, 7)),
        (date(2027, 10, 4), utc(2027, 10, 3, 22), utc(2027, 10, 4, 6)),
    ],
}


@pytest.mark.parametrize("zone", sorted(DAYLIGHT_SAVING_2027))
def test_customer_service_hours_are_local_on_both_sides_of_daylight_saving(make_site, zone):
    site = make_site(timezone=zone, shift_start=time(9, 0), shift_end=time(17, 0))
    generate_slots(2027)
    db.session.commit()
    db.session.expire_all()  # read back what the database holds
    slots = slots_of(site)
    for day, starts_at, ends_at in DAYLIGHT_SAVING_2027[zone]:
        assert (slots[day].starts_at, slots[day].ends_at) == (starts_at, ends_at), (zone, day)
        assert slots[day].starts_at.tzinfo is not None


def test_warehouse_weeks_start_at_local_midnight_across_a_change(make_site):
    site = make_site(kind="warehouse", timezone="Australia/Sydney")
    generate_slots(2027)
    weeks = slots_of(site)
    before, after = weeks[date(2027, 3, 29)], weeks[date(2027, 4, 5)]
    assert (before.starts_at, before.ends_at) == (utc(2027, 3, 28, 13), utc(2027, 4, 2, 13))  # AEDT
    assert (after.starts_at, after.ends_at) == (utc(2027, 4, 4, 14), utc(2027, 4, 9, 14))  # AEST


def test_generation_reads_in_a_fixed_number_of_queries(make_site, make_blackout):
    for _ in range(4):
        make_site()
        make_site(kind="warehouse")
    make_blackout(date(2027, 8, 2), date(2027, 8, 6))
    with count_queries() as queries:
        summaries = generate_slots(2027)
    assert sum(summary.created for summary in summaries) == 4 * (WORKING_DAYS_2027 - 5) + 4 * (MONDAYS_2027 - 1)
    selects = [statement for statement in queries if statement.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3, selects  # sites, blackouts, existing slots
    assert len(queries) <= 8, [statement[:80] for statement in queries]


def test_service_errors_are_value_errors_with_a_sentence(make_site):
    make_site(code="HEL-CC")
    with pytest.raises(ValueError, match=r"No site has the code 'NOPE'"):
        generate_slots(2027, "NOPE")
    with pytest.raises(FieldRefusal, match="between 2000 and 2100"):
        generate_slots(1999)


def test_cli_prints_each_site_and_the_totals(runner, make_site, make_blackout):
    make_site(code="HEL-CC", name="Helsinki contact centre")
    make_site(code="TMP-WH", name="Tampere fulfilment centre", kind="warehouse")
    make_blackout(date(2027, 12, 24), date(2027, 12, 31))
    result = runner.invoke(args=["slots", "generate", "--year", "2027"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"HEL-CC Helsinki contact centre: {WORKING_DAYS_2027 - 6} created, 0 already there, 6 skipped for blackouts",
        f"TMP-WH Tampere fulfilment centre: {MONDAYS_2027 - 2} created, 0 already there, 2 skipped for blackouts",
        f"2027, 2 sites: {WORKING_DAYS_2027 - 6 + MONDAYS_2027 - 2} created, 0 already there, "
        "8 skipped for blackouts",
    ]
    db.session.rollback()
    assert slot_count() == WORKING_DAYS_2027 - 6 + MONDAYS_2027 - 2  # committed

    again = runner.invoke(args=["slots", "generate", "--year", "2027", "--site", "TMP-WH"])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"TMP-WH Tampere fulfilment centre: 0 created, {MONDAYS_2027 - 2} already there, 2 skipped for blackouts",
        f"2027, 1 site: 0 created, {MONDAYS_2027 - 2} already there, 2 skipped for blackouts",
    ]


@pytest.mark.parametrize("arguments, message", [
    (["--year", "2027", "--site", "NOPE"], "Error: No site has the code 'NOPE'; check the code on the Sites page."),
    (["--year", "1999"], "Error: The year must be between 2000 and 2100; 1999 is not."),
    (["--year", "2101"], "Error: The year must be between 2000 and 2100; 2101 is not."),
    (["--year", "next"], "Invalid value for '--year': 'next' is not a valid integer."),
    ([], "Missing option '--year'."),
])
def test_cli_refuses_bad_input_and_writes_nothing(runner, make_site, arguments, message):
    make_site(code="HEL-CC")
    result = runner.invoke(args=["slots", "generate", *arguments])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    db.session.rollback()
    assert slot_count() == 0


def test_cli_names_a_contact_centre_without_hours_and_writes_nothing(runner, make_site):
    make_site(code="AMS-CC", name="Amsterdam contact centre")
    make_site(code="HEL-CC", name="Helsinki contact centre", shift_start=None, shift_end=None)
    result = runner.invoke(args=["slots", "generate", "--year", "2027"])
    assert result.exit_code != 0
    assert ("Error: HEL-CC Helsinki contact centre is a contact centre without customer-service hours; "
            "import the site again with shift_start and shift_end.") in result.output
    db.session.rollback()
    assert slot_count() == 0  # not even Amsterdam's


def test_cli_without_sites_says_what_to_do(runner):
    result = runner.invoke(args=["slots", "generate", "--year", "2027"])
    assert result.exit_code != 0
    assert "There are no sites yet" in result.output
    assert "Traceback" not in result.output
