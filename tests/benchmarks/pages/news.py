"""What the year told people: News in the app, and the outbox's e-mails in every status — this year's
invitations and reminders sent (a few refused), no-show notices, andon alerts, news about problems and
declined observations, answers to change requests, set-password links, and next year's invitations
partly sent, a few failed and a few superseded by an update."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.benchmarks.pages.findings import Findings
from tests.benchmarks.pages.rows import execute, insert
from tests.benchmarks.pages.world import Shift, World

OUTBOX_COLUMNS = ("purpose", "recipient", "recipient_name", "assignment_id", "sequence", "subject", "body_text",
                  "status", "attempts", "created_at", "next_attempt_at", "sent_at", "last_error", "reminder_days")
REFUSED = "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"
KIND_WORDS = {"customer_service": "customer-service day", "warehouse": "warehouse week"}


def notifications(rng: random.Random, engine: sa.Engine, world: World, findings: Findings,
                  decided: dict[str, list[tuple[Shift, str]]]) -> int:
    """News for authors (their observation triaged or declined, their problem moving on), line managers
    (a no-show in their team), managers whose change request was answered; the log-ins get a page or two."""
    rows = []

    def tell(person_id: int, text: str, link: str | None, when: datetime | None) -> None:
        assert when is not None, text  # what is told has happened
        read = when < world.now - timedelta(days=3) and rng.random() < 0.8
        rows.append((person_id, text[:500], link, when, when + timedelta(hours=rng.randint(1, 48)) if read else None))

    for observation in findings.observations:
        title = observation.values["title"]
        if observation.status == "triaged" and observation.problem_id:
            tell(observation.shift.person_id, f"Your observation “{title}” is now part of a problem an owner is "
                 "working on.", f"/problems/{observation.problem_id}", observation.triaged_at)
        elif observation.status == "declined":
            tell(observation.shift.person_id, f"An owner declined your observation “{title}”: not a process "
                 "problem.", f"/observations/{observation.id}", observation.triaged_at)
    for problem in findings.problems:
        if problem.seed is None:
            continue
        for what, _, after, at in problem.events:
            if what == "status":
                tell(problem.seed.shift.person_id, f"The problem “{problem.seed.values['title']}” is now "
                     f"{(after or '').replace('_', ' ')}.", f"/problems/{problem.id}", at)
    for shift in world.this_shifts:
        if shift.status == "no_show":
            boss = world.people[shift.person_id].manager_id
            if boss is not None:
                tell(boss, f"{world.people[shift.person_id].name} missed their {KIND_WORDS[shift.kind]} on "
                     f"{shift.slot.first_day.isoformat()}.", "/coverage/", shift.attendance_at)
    for status, answered in decided.items():
        for shift, when in answered:
            tell(shift.person_id, f"HR {status} your request to move your {KIND_WORDS[shift.kind]}.", "/my/",
                 datetime.fromisoformat(when))
    for role in ("ceo", "manager"):
        for number in range(45):
            tell(world.person(role), f"News {number + 1} for you: a problem you follow moved on.",
                 f"/problems/{findings.problems[number % len(findings.problems)].id}",
                 world.now - timedelta(hours=7 * number + 1))
    rows.sort(key=lambda row: row[3])
    insert(engine, "notification", ("person_id", "text", "link", "created_at", "read_at"), rows)
    return len(rows)


def outbox(rng: random.Random, engine: sa.Engine, world: World, findings: Findings,
           decided: dict[str, list[tuple[Shift, str]]]) -> int:
    """This year's e-mails (written in the order they were queued), then next year's invitations' fates."""
    people, now = world.people, world.now
    rows = []

    def message(purpose: str, person_id: int | None, when: datetime | None, *, email: str | None = None,
                shift: Shift | None = None, subject: str | None = None, text: str | None = None,
                reminder_days: int | None = None, status: str | None = None) -> None:
        person = people.get(person_id) if person_id else None
        address = email or (person.email if person else None)
        assert when is not None and address, purpose  # what is sent has happened, to someone
        status = status or rng.choices(("sent", "failed"), weights=(99, 1))[0]
        sent = when + timedelta(seconds=rng.randint(5, 600)) if status == "sent" else None
        rows.append((purpose, address, person.name if person else "", shift.id if shift else None,
                     shift.sequence if shift else None, subject, text, status, 1 if status != "queued" else 0,
                     when, when, sent, REFUSED if status == "failed" else None, reminder_days))

    published = datetime(world.this_year - 1, 12, 1, 10, tzinfo=now.tzinfo)
    for shift in world.this_shifts:
        message("invitation", shift.person_id, published, shift=shift, status="sent")
        if shift.status == "cancelled":
            message("cancellation", shift.person_id, published + timedelta(days=90), shift=shift, status="sent")
            continue
        for days in (7, 1):
            due = shift.slot.starts_at - timedelta(days=days)
            if due <= now:
                message("reminder", shift.person_id, due, shift=shift, reminder_days=days,
                        subject=f"Reminder: your {KIND_WORDS[shift.kind]} at {shift.slot.site_code} in {days} "
                                f"day{'s' if days > 1 else ''}",
                        text=f"Your {KIND_WORDS[shift.kind]} starts on {shift.slot.first_day.isoformat()}.")
        if shift.status == "no_show" and people[shift.person_id].manager_id:
            message("no_show", people[shift.person_id].manager_id, shift.attendance_at,
                    subject=f"{people[shift.person_id].name} missed their shift",
                    text=f"{people[shift.person_id].name} did not come to their {KIND_WORDS[shift.kind]}.")
    for observation in findings.observations:
        values = observation.values
        if observation.status != "draft" and (values["severity"] == 5 or values["kind"] == "safety"):
            assert observation.area_id is not None, observation.id
            message("andon", None, observation.submitted_at, email=world.owner_email(observation.area_id),
                    subject=f"Andon: {values['title']}", text=values["what_happened"][:300])
        if observation.status == "declined":
            message("observation_declined", observation.shift.person_id, observation.triaged_at,
                    subject=f"Your observation “{values['title']}” was declined", text="Not a process problem.")
    for problem in findings.problems:
        for what, _, after, at in problem.events:
            if what == "status" and problem.seed is not None:
                message("problem_news", problem.seed.shift.person_id, at,
                        subject=f"Problem {problem.id} is now {(after or '').replace('_', ' ')}",
                        text="See the problem.",
                        status="queued" if at > now - timedelta(minutes=10) else None)
    for status, answered in decided.items():
        for shift, when in answered:
            message("change_outcome", shift.person_id, datetime.fromisoformat(when),
                    subject=f"Your change request was {status}", text="See My rotation.")
    without = execute_scalars(engine, "SELECT person.id FROM person LEFT JOIN user_account "
                                      "ON user_account.email = person.email WHERE user_account.id IS NULL")
    rotation = set(world.rotation)
    for person_id in without:
        if person_id in rotation:
            message("set_password", person_id, published - timedelta(days=rng.randint(1, 20)),
                    subject="Set your Rotation password", text="Choose your password with the link (expired).",
                    status=rng.choices(("sent", "failed", "queued"), weights=(95, 2, 3))[0])
    rows.sort(key=lambda row: row[9])
    insert(engine, "outbox_message", OUTBOX_COLUMNS, rows)
    return len(rows) + _next_years_fates(engine, world)


def execute_scalars(engine: sa.Engine, statement: str) -> list:
    with engine.connect() as connection:
        return list(connection.scalars(sa.text(statement)))


def _next_years_fates(engine: sa.Engine, world: World) -> int:
    """Next year's invitations went out over the days since publishing: about half are sent, one in two
    hundred was refused, one in a thousand was overtaken by an update (the shift moved) still queued."""
    invitation = (f"purpose = 'invitation' AND status = 'queued' AND assignment_id IN "
                  f"(SELECT id FROM assignment WHERE year = {world.this_year + 1})")
    sent_at = world.now - timedelta(hours=6)
    execute(engine, f"UPDATE outbox_message SET status = 'sent', attempts = 1, sent_at = :at "
                    f"WHERE {invitation} AND id % 100 < 55", {"at": sent_at})
    execute(engine, f"UPDATE outbox_message SET status = 'failed', attempts = 1, last_error = :error "
                    f"WHERE {invitation} AND id % 200 = 199", {"error": REFUSED})
    with engine.connect() as connection:
        overtaken = connection.execute(sa.text(
            f"SELECT id, assignment_id, recipient, recipient_name FROM outbox_message "
            f"WHERE {invitation} AND id % 1000 = 998")).all()
    if not overtaken:
        return 0
    ids = ", ".join(str(row.id) for row in overtaken)
    assignments = ", ".join(str(row.assignment_id) for row in overtaken)
    execute(engine, f"UPDATE outbox_message SET status = 'superseded' WHERE id IN ({ids})")
    execute(engine, f"UPDATE assignment SET sequence = sequence + 1 WHERE id IN ({assignments})")
    queued = world.now - timedelta(hours=2)
    insert(engine, "outbox_message", OUTBOX_COLUMNS,
           [("invitation", row.recipient, row.recipient_name, row.assignment_id, 1, None, None, "queued", 0,
             queued, queued, None, None, None) for row in overtaken])
    return len(overtaken)
