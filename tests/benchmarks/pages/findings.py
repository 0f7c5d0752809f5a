"""What the managers saw on this year's shifts and what the owners made of it: observations (drafts,
submitted, triaged, declined) with their "me too"s and evidence, and problems in every status with their
audit trail and the later shifts asked to verify a fix."""
from __future__ import annotations

import hashlib
import io
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from tests.benchmarks.pages.rows import continue_ids, insert, next_id, random_hex
from tests.benchmarks.pages.world import Shift, World

OBSERVATIONS_PER_MANAGER = 0.55   # 55,000 observations at 100,000 managers
PROBLEMS_PER_MANAGER = 0.05       # 5,000 problems
SECONDS_PER_OBSERVATION = 0.35
PROBLEM_STATUSES = {"new": 10, "triaged": 8, "investigating": 15, "fix_planned": 10, "fix_in_place": 8,
                    "verifying": 5, "verified": 24, "declined": 12, "duplicate": 8}
PATHS = {"new": [], "triaged": ["triaged"], "investigating": ["triaged", "investigating"],
         "fix_planned": ["triaged", "investigating", "fix_planned"],
         "fix_in_place": ["triaged", "investigating", "fix_planned", "fix_in_place"],
         "verifying": ["triaged", "investigating", "fix_in_place", "verifying"],
         "verified": ["triaged", "investigating", "fix_in_place", "verifying", "verified"],
         "declined": ["declined"], "duplicate": ["duplicate"]}
CLOSED = ("verified", "declined", "duplicate")
DUE_DAYS = {5: 2, 4: 7, 3: 30, 2: 90, 1: 180}
OBSERVATION_COLUMNS = (
    "id", "assignment_id", "author_id", "area_id", "status", "kind", "title", "contact_driver", "waste",
    "what_happened", "customer_minutes", "customer_visible", "frequency", "severity", "why_1", "why_2", "why_3",
    "cause", "suggested_fix", "frontline_quote", "reference_numbers", "andon", "decline_reason", "problem_id",
    "created_at", "updated_at", "submitted_at")
PROBLEM_COLUMNS = (
    "id", "title", "area_id", "owner_id", "status", "severity", "safety", "due_on", "root_cause", "countermeasure",
    "countermeasure_type", "verification_metric", "verification_baseline", "verification_target", "verify_by",
    "ticket_links", "decline_reason", "duplicate_of_id", "reopened", "created_at", "updated_at", "closed_at")


@dataclass
class Filed:
    """One observation as generated: its row's values by column, and what the rest of the year needs."""

    id: int
    shift: Shift
    area_id: int | None
    status: str
    values: dict
    submitted_at: datetime | None
    triaged_at: datetime | None = None
    problem_id: int | None = None

    @property
    def severity(self) -> int:
        return self.values["severity"] or 1


@dataclass
class ProblemRow:
    id: int
    status: str
    area_id: int
    created_at: datetime
    seed: Filed | None
    linked: list[Filed] = field(default_factory=list)
    events: list[tuple[str, str | None, str | None, datetime]] = field(default_factory=list)
    duplicate_of: int | None = None
    actor: str = "system"

    @property
    def last_change(self) -> datetime:
        return max(at for *_, at in self.events)


@dataclass
class Findings:
    observations: list[Filed]
    problems: list[ProblemRow]
    seconds: list[tuple[int, int, int, datetime]]  # (second id, observation id, person id, when)


def _templates() -> dict[str, list[tuple]]:
    from rotation.demo.observations import CUSTOMER_SERVICE_OBSERVATIONS, WAREHOUSE_OBSERVATIONS

    return {"customer_service": CUSTOMER_SERVICE_OBSERVATIONS, "warehouse": WAREHOUSE_OBSERVATIONS}


def _areas_for(world: World) -> dict[str, list[int]]:
    """Where a shift's observations land: customer service and policy for a day, the warehouse for a week."""
    tops = {"customer_service": ("Customer service", "Policy"), "warehouse": ("Warehouse",)}
    return {kind: [area_id for path, area_id in world.areas.items() if path.split(" › ")[0] in names]
            for kind, names in tops.items()}


def file_observations(rng: random.Random, world: World, first_id: int) -> list[Filed]:
    """Observations on past shifts, filed by their people as the shift ended; recent ones still wait."""
    now, templates, areas = world.now, _templates(), _areas_for(world)
    worked = [shift for shift in world.this_shifts
              if shift.status in ("completed", "published", "confirmed") and shift.slot.starts_at <= now]
    count = max(20, round(OBSERVATIONS_PER_MANAGER * len(world.rotation)))
    chosen = rng.choices(worked, k=count)
    logged = {world.person("ceo"), world.person("manager")}
    chosen += [shift for shift in worked if shift.person_id in logged for _ in range(6)]
    filed: list[Filed] = []
    for number, shift in enumerate(chosen):
        recent = shift.slot.ends_at > now - timedelta(days=14)
        status = rng.choices(("draft", "submitted", "triaged", "declined"),
                             weights=(15, 60, 20, 5) if recent else (2, 12, 74, 12))[0]
        if shift.person_id in logged and number % 3 == 0:
            status = "draft"
        entry = rng.choice(templates[shift.kind])
        (path, kind, title, what, driver, waste, minutes, visible, frequency, severity, whys, cause, fix,
         quote) = entry
        area_id = world.areas.get(path) if rng.random() < 0.7 else None
        area_id = area_id or rng.choice(areas[shift.kind])
        severity = 5 if kind == "safety" else min(5, max(1, severity + rng.choice((-1, 0, 0, 0, 1))))
        filed_at = min(now - timedelta(minutes=5),
                       shift.slot.ends_at - timedelta(minutes=30) + timedelta(minutes=rng.randint(0, 4000)))
        whys = [*whys, None, None, None][:3]
        values = {
            "kind": kind, "title": title if rng.random() < 0.7 else f"{title} ({shift.slot.site_code})",
            "contact_driver": driver, "waste": waste, "what_happened": what,
            "customer_minutes": None if minutes is None else max(0, minutes + rng.randint(-2, 5)),
            "customer_visible": visible, "frequency": frequency, "severity": severity, "why_1": whys[0],
            "why_2": whys[1], "why_3": whys[2], "cause": cause, "suggested_fix": fix, "frontline_quote": quote,
            "reference_numbers": f"ORD-{rng.randint(100000, 999999)}" if rng.random() < 0.4 else None}
        if status == "draft" and rng.random() < 0.5:  # half-typed on the phone
            values.update(kind=None, severity=None, what_happened="", suggested_fix=None)
            area_id = None
        submitted = filed_at if status != "draft" else None
        filed.append(Filed(first_id + len(filed), shift, area_id, status, values, submitted,
                           triaged_at=min(now - timedelta(minutes=1), filed_at + timedelta(days=2, hours=3))
                           if status in ("triaged", "declined") else None))
    return filed


def make_problems(rng: random.Random, world: World, observations: list[Filed], first_id: int) -> list[ProblemRow]:
    """Problems in every status, each made from a triaged observation; the other triaged observations join a
    problem of their area (a few problems gather many); duplicates point at a problem of their area."""
    triaged = [observation for observation in observations if observation.status == "triaged"]
    rng.shuffle(triaged)
    count = max(len(PROBLEM_STATUSES), round(PROBLEMS_PER_MANAGER * len(world.rotation)))
    statuses = rng.choices(list(PROBLEM_STATUSES), weights=list(PROBLEM_STATUSES.values()), k=count)
    statuses[:len(PROBLEM_STATUSES)] = list(PROBLEM_STATUSES)
    seeded = [status for status in statuses if status != "duplicate"][:len(triaged)]
    problems: list[ProblemRow] = []
    by_area: defaultdict[int | None, list[ProblemRow]] = defaultdict(list)
    for status, seed in zip(seeded, triaged, strict=False):
        assert seed.area_id is not None and seed.triaged_at is not None, seed.id
        problem = ProblemRow(first_id + len(problems), status, seed.area_id, seed.triaged_at, seed, [seed])
        problems.append(problem)
        by_area[seed.area_id].append(problem)
    for observation in triaged[len(seeded):]:
        near = by_area.get(observation.area_id)
        if not near:
            observation.status, observation.triaged_at = "submitted", None
            continue
        # The first problems of an area gather most of its observations.
        problem = near[min(len(near) - 1, int(rng.paretovariate(1.2)) - 1)]
        problem.linked.append(observation)
    for _ in range(statuses.count("duplicate") if problems else 0):
        survivor = rng.choice(problems[:len(seeded)])
        duplicate = ProblemRow(first_id + len(problems), "duplicate", survivor.area_id,
                               survivor.created_at + timedelta(days=1), None, duplicate_of=survivor.id)
        problems.append(duplicate)
    for problem in problems:
        for observation in problem.linked:
            observation.problem_id = problem.id
            observation.triaged_at = max(observation.triaged_at or problem.created_at, problem.created_at)
        _history(rng, world, problem)
    return problems


def _history(rng: random.Random, world: World, problem: ProblemRow) -> None:
    """The audit trail: created, the observations linked, each status change, a merge."""
    problem.actor = world.logins[world.area_owner.get(problem.area_id, "owner")]["email"]
    when = problem.created_at
    problem.events.append(("created", None, None, when))
    for observation in problem.linked[1:4]:
        assert observation.triaged_at is not None, observation.id
        problem.events.append(("observation linked", None, str(observation.id), observation.triaged_at))
    before = "new"
    for step in PATHS[problem.status]:
        when = min(world.now - timedelta(minutes=1), when + timedelta(days=rng.randint(2, 12)))
        problem.events.append(("status", before, step, when))
        before = step
    if problem.duplicate_of:
        problem.events.append(("merged", None, str(problem.duplicate_of), when))


def problem_rows(world: World, problems: list[ProblemRow]) -> list[tuple]:
    rows = []
    survivors = {problem.id: problem for problem in problems}
    for problem in problems:
        source = survivors[problem.duplicate_of] if problem.duplicate_of else problem
        linked = source.linked or ([source.seed] if source.seed else [])
        severity = max(observation.severity for observation in linked if observation)
        safety = any(observation.values["kind"] == "safety" for observation in linked if observation)
        status = problem.status
        last = problem.last_change
        owner = world.users[world.area_owner.get(problem.area_id, "owner")]
        later = status not in ("new", "triaged", "declined", "duplicate")
        fixing = status in ("fix_planned", "fix_in_place", "verifying", "verified")
        checking = status in ("fix_in_place", "verifying", "verified")
        title = (source.seed.values["title"] if source.seed else "Problem") + (" (again)" if problem.duplicate_of
                                                                               else "")
        rows.append((
            problem.id, title[:200], problem.area_id, owner, status, severity, safety,
            problem.created_at.date() + timedelta(days=DUE_DAYS[5] if safety else DUE_DAYS[severity]),
            "The step was designed for a smaller volume and nobody owns it since." if later else None,
            "Change the step so it cannot go wrong, and tell the teams." if fixing else None,
            ("eliminate", "automate", "standardise", "train", "workaround")[problem.id % 5] if fixing else None,
            "Contacts about it per week" if checking else None, "120" if checking else None,
            "under 20" if checking else None,
            problem.created_at.date() + timedelta(days=60) if checking else None,
            f"https://tickets.example.com/OPS-{problem.id}" if fixing else None,
            "Not a process of ours: the carrier fixed it." if status == "declined" else None,
            problem.duplicate_of, 1 if status == "investigating" and problem.id % 17 == 0 else 0,
            problem.created_at, last, last if status in CLOSED else None))
    return rows


def second_them(rng: random.Random, world: World, observations: list[Filed], first_id: int):
    """"Me too"s from other people's own past shifts: one observation in three gathers a few."""
    worked = [shift for shift in world.this_shifts if shift.status == "completed"]
    shown = [observation for observation in observations if observation.status != "draft"]
    manager = world.person("manager")
    own = [shift for shift in worked if shift.person_id == manager]
    seconds: list[tuple] = []
    taken: set[tuple[int, int]] = set()
    wanted = round(SECONDS_PER_OBSERVATION * len(shown))
    picks = [(observation, rng.choice(worked)) for observation in rng.choices(shown, k=wanted)]
    picks += [(observation, own[0]) for observation in rng.sample(shown, min(5, len(shown)))] if own else []
    for observation, shift in picks:
        key = (observation.id, shift.person_id)
        if shift.person_id == observation.shift.person_id or key in taken:
            continue
        taken.add(key)
        assert observation.submitted_at is not None, observation.id
        when = min(world.now - timedelta(minutes=1), observation.submitted_at + timedelta(hours=rng.randint(1, 400)))
        seconds.append((first_id + len(seconds), observation.id, shift.person_id, shift.id, when,
                        "Same here." if rng.random() < 0.4 else None))
    return seconds


def evidence_rows(rng: random.Random, observations: list[Filed], seconds: list[tuple],
                  real_for: set[int], folder: Path) -> list[tuple]:
    """Photos and files on one observation in four and one "me too" in ten; those of ``real_for``'s
    observations are written as real small photos into the evidence folder, the others are rows only."""
    rows = []

    def add(observation: Filed, uploader: int, second_id: int | None, when: datetime) -> None:
        key = random_hex(rng, 32)
        pdf = rng.random() < 0.15
        filename = f"receipt-{rng.randint(1, 999)}.pdf" if pdf else f"IMG_{rng.randint(1000, 9999)}.jpg"
        kind = "application/pdf" if pdf else "image/jpeg"
        if observation.shift.person_id in real_for or uploader in real_for:
            body = _photo(rng) if not pdf else b"%PDF-1.4\n% bench\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
            path = folder / key[:2] / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            size, digest = len(body), hashlib.sha256(body).hexdigest()
        else:
            size, digest = rng.randint(40_000, 3_000_000), random_hex(rng, 64)
        rows.append((observation.id, second_id, uploader, filename, kind, size, digest, key, when))

    for observation in observations:
        if rng.random() < 0.25 or observation.shift.person_id in real_for:
            when = observation.submitted_at or observation.shift.slot.ends_at
            for _ in range(rng.randint(1, 2)):
                add(observation, observation.shift.person_id, None, when)
    by_id = {observation.id: observation for observation in observations}
    for second_id, observation_id, person_id, _, when, _ in seconds:
        if rng.random() < 0.1:
            add(by_id[observation_id], person_id, second_id, when)
    return rows


def _photo(rng: random.Random) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))).save(buffer, "JPEG")
    return buffer.getvalue()


def write_findings(rng: random.Random, engine: sa.Engine, world: World, evidence_folder: Path) -> Findings:
    observations = file_observations(rng, world, next_id(engine, "observation"))
    problems = make_problems(rng, world, observations, next_id(engine, "problem"))
    rows = problem_rows(world, problems)
    # Survivors first, so a duplicate's pointer always finds its problem.
    insert(engine, "problem", PROBLEM_COLUMNS, sorted(rows, key=lambda row: row[17] is not None))
    insert(engine, "problem_event", ("problem_id", "actor", "at", "what", "before", "after"),
           ((problem.id, problem.actor, at, what, before, after)
            for problem in problems for what, before, after, at in problem.events))
    insert(engine, "observation", OBSERVATION_COLUMNS, (
        (observation.id, observation.shift.id, observation.shift.person_id, observation.area_id, observation.status,
         *(observation.values[column] for column in OBSERVATION_COLUMNS[5:21]),
         observation.status != "draft" and (observation.values["severity"] == 5
                                            or observation.values["kind"] == "safety"),
         "Not a process problem: the customer had typed a wrong address." if observation.status == "declined"
         else None,
         observation.problem_id if observation.status == "triaged" else None,
         (observation.submitted_at or world.now - timedelta(hours=3)) - timedelta(minutes=20),
         observation.triaged_at or observation.submitted_at or world.now - timedelta(hours=2),
         observation.submitted_at) for observation in observations))
    seconds = second_them(rng, world, observations, next_id(engine, "observation_second"))
    insert(engine, "observation_second", ("id", "observation_id", "person_id", "assignment_id", "created_at", "note"),
           seconds)
    real_for = {world.person("ceo"), world.person("manager")}
    insert(engine, "evidence", ("observation_id", "second_id", "uploaded_by_id", "filename", "content_type",
                                "size_bytes", "sha256", "storage_key", "created_at"),
           evidence_rows(rng, observations, seconds, real_for, evidence_folder))
    _ask_to_verify(rng, engine, world, problems)
    continue_ids(engine, ["observation", "problem", "observation_second"])
    return Findings(observations, problems, seconds)


def _ask_to_verify(rng: random.Random, engine: sa.Engine, world: World, problems: list[ProblemRow]) -> None:
    """Three later shifts asked to look at each fix being verified; the manager's coming shift among them."""
    coming = [shift for shift in world.this_shifts + world.next_shifts
              if shift.status in ("published", "confirmed") and shift.slot.starts_at > world.now]
    mine = [shift for shift in coming if shift.person_id == world.person("manager")]
    rows = []
    for number, problem in enumerate(problem for problem in problems if problem.status == "verifying"):
        shifts = rng.sample(coming, 3)
        if number < 2 and mine:
            shifts[0] = mine[0]
        for shift in {shift.id: shift for shift in shifts}.values():
            rows.append((problem.id, shift.id, problem.last_change))
    insert(engine, "verification_request", ("problem_id", "assignment_id", "created_at"), rows)
