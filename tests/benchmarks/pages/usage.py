"""The year of use, written in a child process once next year's plan is published (see ``bench_pages``)."""
from __future__ import annotations

import json
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from tests.benchmarks.bench_plan import settle
from tests.benchmarks.pages import findings, news, shifts
from tests.benchmarks.pages.world import load_world


def usage_child(url: str, seed: int, evidence_folder: str, logins: list[dict]) -> None:
    """Write this year's shifts, observations, problems, change requests, feeds, news and e-mails; print
    what was written and the samples the benchmark drives, as JSON."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from rotation import create_app
    from rotation.extensions import db

    rng = random.Random(seed * 104729 + 3)
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        engine = db.engine
        world = load_world(datetime.now(UTC), logins)
        db.session.commit()  # the reads are done; the bulk writes go through connections of their own
        world.this_shifts = shifts.this_years_shifts(rng, world)
        shifts.write_shifts(engine, world, world.this_shifts)
        decided = shifts.change_requests(rng, engine, world)
        tokens = shifts.feed_tokens(rng, engine, world, seed)
        found = findings.write_findings(rng, engine, world, Path(evidence_folder))
        told = news.notifications(rng, engine, world, found, decided)
        messages = news.outbox(rng, engine, world, found, decided)
        settle(engine)
        figures = {name: db.session.scalar(sa.text(f"SELECT count(*) FROM {name}")) for name in (
            "person", "assignment", "observation", "observation_second", "evidence", "problem", "problem_event",
            "change_request", "notification", "outbox_message", "feed_token", "user_account")}
        samples = _samples(world, found, tokens)
    print(json.dumps({"figures": figures, "samples": samples, "notifications": told, "messages": messages,
                      "seconds": round(time.perf_counter() - started, 1)}))


def _samples(world, found: findings.Findings, tokens: dict[str, str]) -> dict:
    """What the benchmark opens: the manager's person and organisation, a shift of theirs next year, an
    observation many saw (with evidence), the problem gathering most observations in the owner's areas."""
    manager = world.people[world.person("manager")]
    next_shift = next(shift for shift in world.next_shifts if shift.person_id == manager.id)
    seconded: dict[int, int] = {}
    for _, observation_id, *_ in found.seconds:
        seconded[observation_id] = seconded.get(observation_id, 0) + 1
    shown = [observation for observation in found.observations
             if observation.status in ("submitted", "triaged") and observation.shift.person_id != manager.id]
    observation = max(shown, key=lambda observation: (seconded.get(observation.id, 0), -observation.id))
    owned = [problem for problem in found.problems
             if world.area_owner.get(problem.area_id) == "owner" and problem.status != "duplicate"]
    problem = max(owned, key=lambda problem: (len(problem.linked), -problem.id))
    return {"manager_person_id": manager.id, "manager_employee_id": manager.employee_id,
            "next_year_assignment_id": next_shift.id, "observation_id": observation.id, "problem_id": problem.id,
            "site_code": next_shift.slot.site_code, "feed_tokens": tokens}
