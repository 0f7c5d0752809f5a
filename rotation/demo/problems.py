"""The demo company's problems, triaged from its observations by their owners through the same services, so
the triage queue, the problem pages, News and Insights have something true to show in every status."""
from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.extensions import db
from rotation.observations.models import SUBMITTED, Observation
from rotation.observations.services import area_owners
from rotation.problems.models import DECLINED, FIX_IN_PLACE, FIX_PLANNED, INVESTIGATING, VERIFIED
from rotation.problems.services import (
    Refusal,
    change_status,
    create_from,
    merge,
    request_verification,
    update_details,
)

# Observation title → what its owner made of it. Observations not named here wait in the triage queue.
TRIAGE: dict[str, tuple[str, str | None, dict[str, str]]] = {
    "Refunds over 20 euros wait for a supervisor": ("Refund approval limit makes callers wait", FIX_IN_PLACE, {
        "root_cause": "The 20-euro approval limit dates from the 2019 fraud wave and nobody owns it since.",
        "countermeasure": "Agents approve refunds up to 100 euros; a weekly sample is reviewed.",
        "countermeasure_type": "eliminate", "verification_metric": "Average hold time on refund calls",
        "verification_baseline": "6 min", "verification_target": "under 1 min"}),
    "Supervisor sign-off needed for every refund": ("Supervisors rubber-stamp refunds", "merge", {}),
    "Promised Friday, delivered Tuesday": ("Checkout ignores the warehouse cut-off", INVESTIGATING, {
        "root_cause": "The promise is computed from the order date, not from the cut-off and carrier calendar."}),
    "Address changes typed twice": ("Address changes are typed into two systems", FIX_PLANNED, {
        "countermeasure": "Send address changes to the carrier through the existing integration.",
        "countermeasure_type": "automate", "ticket_links": "https://tickets.example.com/OPS-1432"}),
    "Forklift reversing alarm silent on truck 7": ("Reversing alarms disabled on forklifts", VERIFIED, {
        "root_cause": "Alarm fuses were pulled after noise complaints.",
        "countermeasure": "Alarms refitted, fuses sealed; quieter alarms ordered.",
        "countermeasure_type": "standardise"}),
    "Return label e-mail goes to spam": ("Return label e-mails land in spam", DECLINED, {}),
    "Fragile items packed without padding": ("Padding runs out at the packing station", None, {}),
}


def triage_demo_observations(today: date) -> None:
    """Triage the demo's observations two days after each was filed, and move each problem along; flush."""
    today_noon = datetime.combine(today, time(13), tzinfo=UTC)
    made = {}
    for title, (problem_title, status, details) in TRIAGE.items():
        observation = db.session.scalar(sa.select(Observation).where(Observation.title == title,
                                                                     Observation.status == SUBMITTED))
        # A submitted observation has its time, area and severity (the table's check constraints say so).
        if (observation is None or observation.submitted_at is None or observation.area_id is None
                or observation.severity is None):
            continue
        now = min(today_noon, observation.submitted_at + timedelta(days=2))
        owner = _owner_for(observation)
        problem = create_from(observation, owner, title=problem_title, area_id=observation.area_id,
                              severity=observation.severity, now=now)
        made[title] = (problem, owner)
        if details:
            update_details(problem, details, owner, now=now)
        if status == "merge":
            continue
        if status == DECLINED:
            change_status(problem, DECLINED, owner, note="The mail provider fixed its filter on the 3rd; we "
                                                         "watch the numbers but there is nothing for us to change.",
                          now=now)
        elif status in (INVESTIGATING, FIX_PLANNED, FIX_IN_PLACE, VERIFIED):
            paths: dict[str, list[str]] = {
                INVESTIGATING: [INVESTIGATING], FIX_PLANNED: [INVESTIGATING, FIX_PLANNED],
                FIX_IN_PLACE: [INVESTIGATING, FIX_PLANNED, FIX_IN_PLACE],
                VERIFIED: [INVESTIGATING, FIX_IN_PLACE, "verifying", VERIFIED]}
            path = paths[status]
            for step in path:
                change_status(problem, step, owner, now=now)
        if status == FIX_IN_PLACE:
            with contextlib.suppress(Refusal):  # no later shift at that site: it stays with the fix in place
                request_verification(problem, owner, now=now)
    duplicate, survivor = made.get("Supervisor sign-off needed for every refund"), made.get(
        "Refunds over 20 euros wait for a supervisor")
    if duplicate and survivor:
        merge(duplicate[0], survivor[0], survivor[1], now=today_noon)


def _owner_for(observation: Observation) -> User:
    owners = area_owners(observation.area_id)
    return owners[0] if owners else db.session.scalars(sa.select(User).where(User.email == "admin@example.com")).one()
