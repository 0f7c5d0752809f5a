"""This year's shifts as a year of use leaves them: worked, missed, still to record, still to come; the change
requests managers made; the calendar feeds they subscribed to."""
from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.benchmarks.pages.rows import calendar_uid, continue_ids, insert, next_id
from tests.benchmarks.pages.world import Shift, SlotRow, World

ASSIGNMENT_COLUMNS = ("id", "uid", "person_id", "slot_id", "year", "kind", "status", "sequence", "needs_replan",
                      "attendance_by", "attendance_at", "created_at", "updated_at")
STILL_TO_RECORD = timedelta(days=14)  # shifts that started this recently may still wait for their attendance
NO_SHOW_SHARE = 0.05
HR_EMAIL = "hr@bench.example"


def host_email(slot: SlotRow) -> str:
    return f"host.{slot.site_code.lower()}@bench.example"


def this_years_shifts(rng: random.Random, world: World) -> list[Shift]:
    """One customer-service day and one warehouse week for everyone in the rotation, in different ISO weeks,
    never more than a slot's seats; the chief executive and the manager had their day this week."""
    year, now = world.this_year, world.now
    seats = {}
    for kind in ("customer_service", "warehouse"):
        pool = [slot for slot in world.slots_of(year, kind) for _ in range(slot.seats)]
        rng.shuffle(pool)
        seats[kind] = pool
    recent_days = [slot for slot in world.slots_of(year, "customer_service")
                   if now - timedelta(days=6) <= slot.starts_at and slot.ends_at <= now]
    coming_weeks = [slot for slot in world.slots_of(year, "warehouse") if slot.starts_at > now]
    forced: dict[tuple[int, str], SlotRow] = {}
    for role in ("ceo", "manager"):
        if recent_days:
            forced[(world.person(role), "customer_service")] = recent_days[-1]
    if coming_weeks:
        forced[(world.person("manager"), "warehouse")] = coming_weeks[0]
    for slot in forced.values():
        seats[slot.kind].remove(slot)

    shifts: list[Shift] = []
    next_number = 0
    for person_id in world.rotation:
        week = forced.get((person_id, "warehouse")) or seats["warehouse"].pop()
        day = forced.get((person_id, "customer_service"))
        if day is None:
            day = seats["customer_service"].pop()
            if day.first_day.isocalendar()[:2] == week.first_day.isocalendar()[:2]:
                day, seats["customer_service"][0] = seats["customer_service"][0], day
        for slot in (week, day):
            next_number += 1
            shifts.append(_played(rng, Shift(next_number, calendar_uid(rng), person_id, slot, "published", year),
                                  now))
    # HR withdrew a few shifts during the year (a leaver's, a long leave's) and placed the person again.
    for person_id in rng.sample(world.rotation, max(1, len(world.rotation) // 300)):
        next_number += 1
        slot = rng.choice(world.slots_of(year, "customer_service"))
        shifts.append(Shift(next_number, calendar_uid(rng), person_id, slot, "cancelled", year, sequence=1))
    return shifts


def _played(rng: random.Random, shift: Shift, now: datetime) -> Shift:
    """What became of a shift by ``now``: still to come, waiting for its attendance, worked or missed."""
    slot = shift.slot
    if slot.starts_at > now or (slot.starts_at > now - STILL_TO_RECORD and rng.random() < 0.5):
        shift.status = "confirmed" if rng.random() < 0.4 else "published"
    else:
        shift.status = "no_show" if rng.random() < NO_SHOW_SHARE else "completed"
        by_host = rng.random() < 0.7
        shift.attendance_by = host_email(slot) if by_host else HR_EMAIL
        shift.attendance_at = min(now, slot.ends_at + timedelta(hours=rng.randint(1, 72)))
    return shift


def write_shifts(engine: sa.Engine, world: World, shifts: list[Shift]) -> None:
    """Insert this year's shifts with ids after next year's; the plan was published on the first of December."""
    first = next_id(engine, "assignment")
    published = datetime(world.this_year - 1, 12, 1, 10, tzinfo=world.now.tzinfo)
    for offset, shift in enumerate(shifts):
        shift.id = first + offset
    insert(engine, "assignment", ASSIGNMENT_COLUMNS,
           ((shift.id, shift.uid, shift.person_id, shift.slot.id, shift.year, shift.kind, shift.status,
             shift.sequence, False, shift.attendance_by, shift.attendance_at, published,
             shift.attendance_at or published) for shift in shifts))
    continue_ids(engine, ["assignment"])


def change_requests(rng: random.Random, engine: sa.Engine, world: World) -> dict[str, list[tuple[Shift, str]]]:
    """Requests in every status: waiting ones about next year's shifts (the manager's own among them), decided
    and withdrawn ones about this year's and next year's. Returns what HR decided, for the news and e-mails."""
    count = max(4, len(world.rotation) // 250)
    coming = [shift for shift in world.next_shifts if shift.status in ("published", "confirmed")]
    worked = [shift for shift in world.this_shifts if shift.status == "completed"]
    mine = [shift for shift in world.next_shifts + world.this_shifts
            if shift.person_id == world.person("manager") and shift.slot.starts_at > world.now]
    chosen = mine[:1] + rng.sample(coming, min(len(coming), count * 2))
    chosen = list({shift.id: shift for shift in chosen}.values())
    pending, decided_next = chosen[:count], chosen[count:]
    same_kind = {(year, kind): world.slots_of(year, kind) for year in (world.this_year, world.this_year + 1)
                 for kind in ("customer_service", "warehouse")}
    reasons = ("Our product launch is that week.", "I am on a customer visit abroad that day.",
               "The board meets that day.", "School holidays: I am away with my family.",
               "I would rather go in the autumn peak.")
    rows: list[tuple] = []
    decided: dict[str, list[tuple[Shift, str]]] = {"approved": [], "declined": []}
    now = world.now
    for shift in pending:
        wanted = rng.choice(same_kind[(shift.year, shift.kind)]).id if rng.random() < 0.6 else None
        rows.append((shift.id, wanted, shift.slot.id, rng.choice(reasons), "pending",
                     now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(0, 600)), None, None, None, None))
    for number, shift in enumerate(rng.sample(worked, min(len(worked), count)) + decided_next):
        asked = min(now, shift.slot.starts_at) - timedelta(days=rng.randint(10, 60))
        status = ("approved", "declined", "withdrawn")[number % 3] if shift.year == world.this_year else \
            ("declined", "withdrawn")[number % 2]
        if status == "approved":
            original = rng.choice(same_kind[(shift.year, shift.kind)]).id
            rows.append((shift.id, shift.slot.id, original, rng.choice(reasons), status, asked,
                         asked + timedelta(days=2), HR_EMAIL, "Done: enjoy the day.", shift.slot.id))
        elif status == "declined":
            rows.append((shift.id, None, shift.slot.id, rng.choice(reasons), status, asked,
                         asked + timedelta(days=3), HR_EMAIL, "Those weeks are full already; your shift stays.", None))
        else:
            rows.append((shift.id, None, shift.slot.id, rng.choice(reasons), status, asked, None, None, None, None))
        if status in decided:
            decided[status].append((shift, (asked + timedelta(days=2)).isoformat()))
    insert(engine, "change_request", ("assignment_id", "wanted_slot_id", "from_slot_id", "reason", "status",
                                      "created_at", "decided_at", "decided_by", "decision_note", "moved_to_slot_id"),
           rows)
    return decided


def feed_token(seed: int, person_id: int) -> str:
    """A 256-bit feed token, the same for the same seed and person (so the benchmark can poll the feed)."""
    digest = hashlib.sha256(f"rotation-bench-feed-{seed}-{person_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_tokens(rng: random.Random, engine: sa.Engine, world: World, seed: int) -> dict[str, str]:
    """One in ten people subscribed to their calendar, the log-ins in the rotation among them."""
    subscribers = set(rng.sample(world.rotation, len(world.rotation) // 10))
    subscribers |= {world.person("ceo"), world.person("manager")}
    created = world.now - timedelta(days=200)
    insert(engine, "feed_token", ("person_id", "token_hash", "created_at", "revoked_at", "last_used_at"),
           ((person_id, hashlib.sha256(feed_token(seed, person_id).encode()).hexdigest(),
             created + timedelta(minutes=person_id % 10_000), None,
             world.now - timedelta(hours=rng.randint(2, 400)) if rng.random() < 0.7 else None)
            for person_id in sorted(subscribers)))
    return {role: feed_token(seed, world.person(role)) for role in ("ceo", "manager")}
