"""``make bench-plan``: plan the year of synthetic companies of 1,000, 10,000 and 100,000 managers.

For every size a company is written straight into a fresh database (bulk
inserts: sites in several regions with seats for 130 % of the rotation, a
reporting hierarchy whose managers are exactly the rotation, their teams,
departments of 1 to 400 managers, homes, and person, site and company
blackouts), and its slots are generated with ``generate_slots``. Then the real
command, ``flask --app rotation plan --year Y --format json``, runs in a process
of its own, so its wall-clock time and peak memory are the planning's alone:
reading, solving and writing the draft. At the largest size the plan is then
published (``plan --publish``) and planned again, which must keep everything.

Runs on SQLite, and on PostgreSQL when a server is reachable
(``TEST_DATABASE_URL`` or the local one). Target on a 2-core machine: 100,000
managers in under 60 s and 2 GiB, and 10,000 → 100,000 at most 15 times as long.
``--profile FOLDER`` keeps a cProfile of each plan run there and prints where the time went.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rotation.db import utc_today

MODULE = "tests.benchmarks.bench_plan"
SIZES = (1_000, 10_000, 100_000)
PG_DATABASE = "rotation_plan_bench"
SEAT_RATIO = 1.3  # seats for 130 % of the rotation, of each kind
TARGET_SECONDS = 60
TARGET_MIB = 2048
TARGET_GROWTH = 15

# (region, time zone, customer-service hours)
REGIONS = [
    ("Nordics", "Europe/Helsinki", "08:00", "16:00"),
    ("Benelux", "Europe/Amsterdam", "09:00", "17:00"),
    ("Iberia", "Europe/Madrid", "09:00", "18:00"),
    ("Americas East", "America/New_York", "08:00", "17:00"),
    ("Americas West", "America/Los_Angeles", "07:00", "16:00"),
    ("APAC", "Australia/Sydney", "09:00", "17:30"),
]
DIVISIONS = ["Operations", "Customer Service", "Finance", "Technology", "Marketing", "People", "Logistics",
             "Sales", "Legal", "Procurement", "Stores", "Supply Chain"]
PERSON_COLUMNS = ("id", "employee_id", "full_name", "email", "department", "manager_id", "home_site_id",
                  "in_rotation_override", "is_active")
BLACKOUT_COLUMNS = ("person_id", "site_id", "start", "end", "reason")


# --- The synthetic company ----------------------------------------------------------------------


@dataclass(frozen=True)
class SiteRow:
    code: str
    kind: str
    region: str
    timezone: str
    seats: int
    shift_start: str | None
    shift_end: str | None


def sites_for(managers: int) -> list[SiteRow]:
    """Contact centres and warehouses growing with the square root of the rotation; seats for 130 % of it."""
    contact_centres = max(2, math.ceil(math.sqrt(managers) / 30))
    warehouses = max(3, math.ceil(math.sqrt(managers) / 15))
    day_seats = max(1, math.ceil(managers * SEAT_RATIO / (contact_centres * 250)))
    week_seats = max(1, math.ceil(managers * SEAT_RATIO / (warehouses * 50)))
    sites = []
    for number in range(contact_centres):
        region, zone, start, end = REGIONS[number % len(REGIONS)]
        sites.append(SiteRow(f"CC{number + 1:02d}", "contact_center", region, zone, day_seats, start, end))
    for number in range(warehouses):
        region, zone, _, _ = REGIONS[(number + 1) % len(REGIONS)]
        sites.append(SiteRow(f"WH{number + 1:02d}", "warehouse", region, zone, week_seats, None, None))
    return sites


def manager_tree(rng: random.Random, managers: int) -> list[list[int]]:
    """The managers' reporting lines: index 0 is the chief executive, each manager leads 3 to 6 others.

    Built breadth-first, so the tree is as shallow as a real one (about eight
    levels at 100,000); most managers lead only a team.
    """
    reports: list[list[int]] = [[] for _ in range(managers)]
    queue, number, head = [0], 1, 0
    while number < managers:
        boss = queue[head]
        head += 1
        for _ in range(rng.randint(3, 6)):
            if number >= managers:
                break
            reports[boss].append(number)
            queue.append(number)
            number += 1
    return reports


def preorder(reports: list[list[int]], head: int = 0) -> list[int]:
    """``head`` and everyone below them, depth first: a run of the order is (mostly) one part of the hierarchy."""
    order, stack = [], [head]
    while stack:
        manager = stack.pop()
        order.append(manager)
        stack.extend(reversed(reports[manager]))
    return order


def department_size(rng: random.Random) -> int:
    """Many small departments (a weekly cap of 1), some middling, a few of up to 400 managers."""
    roll = rng.random()
    if roll < 0.55:
        return rng.randint(1, 9)
    return rng.randint(10, 40) if roll < 0.9 else rng.randint(41, 400)


def departments(rng: random.Random, reports: list[list[int]]) -> dict[int, str]:
    """Each manager's department: every division (a direct report's part of the hierarchy) cut into runs."""
    of: dict[int, str] = {0: "Executive"}
    for number, head in enumerate(reports[0]):
        division = DIVISIONS[number % len(DIVISIONS)]
        members = preorder(reports, head)
        start, count = 0, 0
        while start < len(members):
            size = department_size(rng)
            count += 1
            for manager in members[start:start + size]:
                of[manager] = f"{division} {number + 1:02d}-{count:03d}"
            start += size
    return of


def roster(rng: random.Random, managers: int, site_ids: list[int]) -> Iterator[tuple]:
    """Person rows (``PERSON_COLUMNS``): exactly ``managers`` people in the rotation, each manager before their team.

    Managers leading no other manager have a team of 2 to 6; others 0 to 2 of
    their own. About 0.5 % of the team members are put in the rotation by HR
    (``in_rotation`` yes) and as many managers taken out of it (no), so the
    rotation stays exactly ``managers`` people. A department sits mostly at one
    site; one in ten people has no home site.
    """
    reports = manager_tree(rng, managers)
    boss_of = {report: boss for boss, team in enumerate(reports) for report in team}
    department_of = departments(rng, reports)
    department_home: dict[str, int] = {}
    overrides = max(1, managers // 200)
    taken_out = set(rng.sample(range(1, managers), overrides))
    chosen_team_members = 0
    number = 0
    id_of: dict[int, int] = {}

    def home_for(department: str) -> int | None:
        base = department_home.setdefault(department, rng.choice(site_ids))
        roll = rng.random()
        return base if roll < 0.75 else (None if roll > 0.9 else rng.choice(site_ids))

    def person(department: str, boss: int | None, home: int | None, override: bool | None) -> tuple:
        nonlocal number
        number += 1
        return (number, f"E{number:07d}", f"Person {number}", f"person{number}@bench.example", department, boss,
                home, override, True)

    for manager in preorder(reports):
        department = department_of[manager]
        home = home_for(department)
        row = person(department, id_of.get(boss_of.get(manager, -1)), home, False if manager in taken_out else None)
        id_of[manager] = row[0]
        yield row
        team = rng.randint(2, 6) if not reports[manager] else rng.randint(0, 2)
        if manager in taken_out:
            team = max(team, 1)  # taken out by HR although people report to them
        for _ in range(team):
            override = None
            # About 3.3 team members a manager: one in 600 of them is one in 200 managers, company-wide.
            if chosen_team_members < overrides and rng.random() < 1 / 600:
                override = True
                chosen_team_members += 1
            yield person(department, row[0], home if rng.random() < 0.8 else home_for(department), override)
    # Top up, should chance have picked fewer team members than managers taken out.
    while chosen_team_members < overrides:
        chosen_team_members += 1
        yield person("Executive", 1, None, True)


def blackouts(rng: random.Random, year: int, rotation: list[int], site_ids: list[int]) -> Iterator[tuple]:
    """Blackout rows (``BLACKOUT_COLUMNS``): holidays, long leave, a few whole years, site closures, the company's."""
    first = date(year, 1, 1)
    yield (None, None, first, first, "New Year's Day")
    yield (None, None, date(year, 12, 21), date(year, 12, 31), "Year-end freeze")
    yield (None, None, date(year, 6, 8), date(year, 6, 9), "Company summit")
    for site_id in site_ids[::4]:
        start = first + timedelta(days=rng.randint(20, 330))
        yield (None, site_id, start, start + timedelta(days=rng.randint(4, 11)), "Stocktake")
    for person_id in rotation:
        roll = rng.random()
        if roll < 0.0005:
            yield (person_id, None, first, date(year, 12, 31), "Sabbatical")
        elif roll < 0.01:
            start = first + timedelta(days=rng.randint(0, 200))
            yield (person_id, None, start, start + timedelta(days=rng.randint(60, 270)), "Parental leave")
        elif roll < 0.2:
            for _ in range(rng.randint(1, 3)):
                start = first + timedelta(days=rng.randint(0, 360))
                yield (person_id, None, start, start + timedelta(days=rng.choice([0, 1, 2, 4, 9, 13, 20])),
                       "Holiday")


def build_child(url: str, managers: int, year: int, seed: int) -> None:
    """Write the company of ``managers`` into the migrated database at ``url``; print what was written as JSON."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from rotation import create_app
    from rotation.extensions import db
    from rotation.people.models import Person, in_rotation_clause
    from rotation.sites.models import Site, Slot
    from rotation.sites.slots import generate_slots

    rng = random.Random(seed)
    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        db.session.execute(sa.insert(Site), [
            {"code": site.code, "name": f"Site {site.code}", "kind": site.kind, "timezone": site.timezone,
             "region": site.region, "seats": site.seats,
             "shift_start": clock.fromisoformat(site.shift_start) if site.shift_start else None,
             "shift_end": clock.fromisoformat(site.shift_end) if site.shift_end else None}
            for site in sites_for(managers)])
        site_ids = list(db.session.scalars(sa.select(Site.id).order_by(Site.id)))
        db.session.commit()
        people = list(roster(rng, managers, site_ids))
        in_rotation = [row[0] for row in people if row[7] is True] + _default_rotation(people)
        bulk_insert(db.engine, "person", PERSON_COLUMNS, people)
        bulk_insert(db.engine, "blackout", BLACKOUT_COLUMNS,
                    blackouts(rng, year, sorted(in_rotation), site_ids))
        generate_slots(year)
        db.session.commit()
        settle(db.engine)
        rotation = db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(in_rotation_clause()))
        slots = dict(db.session.execute(sa.select(Slot.kind, sa.func.count()).group_by(Slot.kind)).tuples().all())
        blackout_count = db.session.scalar(sa.text("SELECT count(*) FROM blackout"))
        seconds = time.perf_counter() - started
    if rotation != managers:
        raise SystemExit(f"the company has {rotation} people in the rotation, not {managers}")
    print(json.dumps({"people": len(people), "rotation": rotation, "slots": slots, "blackouts": blackout_count,
                      "sites": len(site_ids), "seconds": round(seconds, 1)}))


def _default_rotation(people: list[tuple]) -> list[int]:
    """Ids of the people in the rotation by the default rule: no override and someone reports to them."""
    bosses = {row[5] for row in people if row[5] is not None}
    return [row[0] for row in people if row[7] is None and row[0] in bosses]


def bulk_insert(engine: sa.Engine, table: str, columns: tuple[str, ...], rows: Iterator[tuple] | list[tuple]) -> None:
    """Insert ``rows`` fast: ``COPY`` on PostgreSQL, one ``executemany`` on SQLite."""
    quoted = ", ".join(f'"{column}"' for column in columns)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            # The DB-API stub asks for a sequence of rows; sqlite3 takes any iterable, so the rows stream.
            cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})",
                               (tuple(_sqlite_value(value) for value in row) for row in rows))  # type: ignore[arg-type]
        raw.commit()
    finally:
        raw.close()


def _sqlite_value(value: object) -> object:
    """What SQLAlchemy itself would store in SQLite: dates as ISO text, booleans as 0/1."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def settle(engine: sa.Engine) -> None:
    """After the bulk load, what a running PostgreSQL does by itself: ids continue, statistics are fresh."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('person', 'id'), max(id)) FROM person"))
        connection.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("ANALYZE"))


# --- Timing the plan command ---------------------------------------------------------------------


def plan_child(record: str, profile: str | None, flask_args: list[str]) -> None:
    """Run ``flask --app rotation plan …`` as the ``flask`` script does, and write its phases to ``record``.

    The functions a plan run calls (read, solve, write) are wrapped to note the
    time; nothing else about the command changes.
    """
    marks: dict[str, float] = {}
    figures: dict[str, Any] = {}
    _probe(marks, figures)
    from flask.cli import main

    sys.argv = ["flask", *flask_args]
    code: int | str | None = 0
    try:
        if profile:
            import cProfile

            cProfile.runctx("main()", globals(), {"main": main}, profile)
        else:
            main()
    except SystemExit as stop:
        code = stop.code
    Path(record).write_text(json.dumps({"exit": code, "marks": marks, "figures": figures}))
    sys.exit(code if isinstance(code, int) else 1)


def _probe(marks: dict[str, float], figures: dict[str, Any]) -> None:
    """Wrap ``load_year``, ``plan_year`` (and its stages) and ``execute_run`` to note when each starts and ends."""
    from rotation.plans import cli, runs

    load_year, plan_year, execute_run = runs.load_year, runs.plan_year, cli.execute_run

    def timed_load_year(*args: Any, **kwargs: Any) -> Any:
        marks["read"] = time.perf_counter()
        loaded = load_year(*args, **kwargs)
        marks["read_done"] = time.perf_counter()
        return loaded

    def timed_plan_year(request: Any, on_stage: Callable[[str], None] | None = None) -> Any:
        def stage(kind: str) -> None:
            marks[kind] = time.perf_counter()
            if on_stage:
                on_stage(kind)

        marks["solve"] = time.perf_counter()
        result = plan_year(request, on_stage=stage)
        marks["solve_done"] = time.perf_counter()
        return result

    def timed_execute_run(*args: Any, **kwargs: Any) -> Any:
        run = execute_run(*args, **kwargs)
        marks["written"] = time.perf_counter()
        figures.update({name: getattr(run, name) for name in (
            "people", "customer_service", "warehouse", "kept", "moved", "placed", "withdrawn", "unplaced",
            "objective", "lower_bound", "seconds")})
        return run

    runs.load_year, runs.plan_year, cli.execute_run = timed_load_year, timed_plan_year, timed_execute_run


@dataclass
class Timing:
    """One run of the plan command: wall clock, peak memory, the phases, and the run's figures."""

    label: str
    seconds: float
    cpu_seconds: float  # the command's own processor time, user and system: less swayed by a busy machine
    peak_mib: float
    phases: dict[str, float]
    figures: dict[str, Any]
    report: dict[str, Any]  # what the command printed (--format json)

    @property
    def planning(self) -> float:
        """Reading, solving and writing, without the interpreter's start-up."""
        return sum(self.phases.values())

    @property
    def gap(self) -> int:
        """How far the plan's cost lies above the lower bound, in the engine's units (1,000 = a region away)."""
        return self.figures["objective"] - self.figures["lower_bound"]

    @property
    def relative_gap(self) -> float | None:
        """The gap as a share of what the placed shifts cost.

        Every unplaced shift adds the same large constant to the objective and the
        bound alike (``unplaced_cost`` in rotation/planning/README.md); dividing
        by it too would hide the gap.
        """
        from rotation.planning.model import ANYWHERE, LOAD_SCALE, TIER_COSTS

        unplaced_cost = (TIER_COSTS[ANYWHERE] + 2 * LOAD_SCALE) * (2 * self.figures["people"] + 1)
        placed_bound = self.figures["lower_bound"] - self.figures["unplaced"] * unplaced_cost
        return self.gap / placed_bound if placed_bound > 0 else None


def phases_from(marks: dict[str, float]) -> dict[str, float]:
    """Read; prepare (index the year, keep what is published); the warehouse and customer-service stages;
    write (the draft, the run's figures, the commit, and with ``--publish`` the publishing)."""
    missing = {"read", "read_done", "solve", "warehouse", "customer_service", "solve_done", "written"} - set(marks)
    if missing:
        raise SystemExit(f"The plan run no longer calls load_year, plan_year (with its stages) and execute_run as "
                         f"this benchmark expects; no time was noted for {', '.join(sorted(missing))}.")
    return {
        "read": marks["read_done"] - marks["read"],
        "prepare": marks["warehouse"] - marks["solve"],
        "warehouse": marks["customer_service"] - marks["warehouse"],
        "customer service": marks["solve_done"] - marks["customer_service"],
        "write": marks["written"] - marks["solve_done"],
    }


def time_plan(url: str, year: int, folder: Path, label: str, publish: bool = False,
              profile: Path | None = None) -> Timing:
    """Run the plan command in a child process; its own peak memory comes from ``wait4``.

    With ``profile`` (a folder) the run is profiled and its cProfile file kept there.
    """
    record, output, errors = folder / "record.json", folder / "plan.out", folder / "plan.err"
    slug = "-".join(label.replace(",", "").replace("--", "").split())
    profile_path = profile / f"{slug}.prof" if profile else None
    args = [sys.executable, "-m", MODULE, "--child-plan", str(record), str(profile_path or ""), "--",
            "--app", "rotation", "plan", "--year", str(year), "--format", "json"]
    if publish:
        args.append("--publish")
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench")
    with output.open("w") as out, errors.open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{label}: the plan command failed:\n{errors.read_text()[-2000:]}")
    data = json.loads(record.read_text())
    timing = Timing(label=label, seconds=seconds, cpu_seconds=usage.ru_utime + usage.ru_stime,
                    peak_mib=usage.ru_maxrss / 1024,
                    phases=phases_from(data["marks"]), figures=data["figures"],
                    report=json.loads(output.read_text()))
    check_report(timing)
    if profile_path:
        print(f"  where the time of {label} went: Rotation's functions by cumulative time ({profile_path})")
        pstats.Stats(str(profile_path)).sort_stats("cumulative").print_stats(r"/rotation/", 20)
    return timing


def check_report(timing: Timing) -> None:
    """The command's JSON (docs/contracts.md) must tell what the run recorded."""
    report, figures = timing.report, timing.figures
    told = (report["assigned"]["customer_service"], report["assigned"]["warehouse"], report["kept"],
            report["moved"], len(report["unplaced"]))
    recorded = (figures["customer_service"], figures["warehouse"], figures["kept"], figures["moved"],
                figures["unplaced"])
    if told != recorded:
        raise SystemExit(f"{timing.label}: the command printed {told} but the run recorded {recorded} "
                         "(customer service, warehouse, kept, moved, unplaced)")


# --- Databases and the report --------------------------------------------------------------------


def migrate(url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench")
    subprocess.run([sys.executable, "-m", "flask", "--app", "rotation", "db", "upgrade"], env=env, check=True,
                   capture_output=True)


def build(url: str, managers: int, year: int, seed: int) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-m", MODULE, "--child-build", url, str(managers), str(year), str(seed)],
                            capture_output=True, text=True, env=dict(os.environ, SECRET_KEY="bench"))
    if result.returncode != 0:
        raise SystemExit(f"building the company of {managers:,} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def fresh_postgresql(server: str) -> str | None:
    """Create the benchmark's PostgreSQL database anew; None when no server answers."""
    url = sa.make_url(server).set(database=PG_DATABASE)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{PG_DATABASE}"'))
    except sa.exc.OperationalError:
        return None
    finally:
        admin.dispose()
    return url.render_as_string(hide_password=False)


def drop_postgresql(url: str) -> None:
    admin = sa.create_engine(sa.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def describe(timing: Timing) -> str:
    """One line: time (and its phases), peak memory, the plan's cost against its lower bound, unplaced."""
    figures = timing.figures
    phases = ", ".join(f"{name} {seconds:.1f}" for name, seconds in timing.phases.items())
    share = timing.relative_gap
    relative = f"{share:.1e} of the placed shifts' cost" if share is not None else "unplaced shifts differ"
    return (f"  {timing.label}: {timing.seconds:.1f} s ({phases}; PlanRun.seconds {figures['seconds']:.1f}; "
            f"processor {timing.cpu_seconds:.1f} s), "
            f"peak {timing.peak_mib:,.0f} MiB; objective {figures['objective']:,}, lower bound "
            f"{figures['lower_bound']:,}, gap {timing.gap:,} ({relative}); unplaced {figures['unplaced']}; "
            f"kept {figures['kept']:,}, moved {figures['moved']:,}, placed {figures['placed']:,}")


def unplaced_reasons(timing: Timing) -> str:
    """How many shifts went unplaced for each reason the command gave."""
    reasons = Counter(entry["reason"] for entry in timing.report["unplaced"])
    listed = "; ".join(f"{count} × {reason}" for reason, count in reasons.most_common()) or "none"
    return f"    unplaced shifts by reason: {listed}"


def table(timings: list[Timing]) -> list[str]:
    """The runs as a Markdown table, ready for the README."""
    lines = ["  | run | seconds (processor) | read / solve / write | peak | objective | lower bound | gap | unplaced |",
             "  |---|---|---|---|---|---|---|---|"]
    for timing in timings:
        phases = timing.phases
        solve = phases["prepare"] + phases["warehouse"] + phases["customer service"]
        share = timing.relative_gap
        gap = f"{timing.gap:,}" + (f" ({share:.1e})" if share else "")
        lines.append(f"  | {timing.label} | {timing.seconds:.1f} s ({timing.cpu_seconds:.1f} s) | "
                     f"{phases['read']:.1f} / {solve:.1f} / "
                     f"{phases['write']:.1f} s | {timing.peak_mib:,.0f} MiB | {timing.figures['objective']:,} | "
                     f"{timing.figures['lower_bound']:,} | {gap} | {timing.figures['unplaced']} |")
    return lines


def verdicts(timings: dict[int, Timing]) -> list[str]:
    """The targets at 100,000 managers, each met or missed."""
    largest, lines = timings.get(100_000), []
    if largest is not None:
        lines.append(f"  100,000 managers in {largest.seconds:.1f} s: "
                     f"{'meets' if largest.seconds < TARGET_SECONDS else 'MISSES'} the target of {TARGET_SECONDS} s")
        lines.append(f"  peak memory {largest.peak_mib:,.0f} MiB: "
                     f"{'meets' if largest.peak_mib < TARGET_MIB else 'MISSES'} the target of 2 GiB")
    if largest is not None and 10_000 in timings:
        growth = largest.planning / timings[10_000].planning
        whole = largest.seconds / timings[10_000].seconds
        lines.append(f"  10,000 → 100,000: ×{growth:.1f} reading, solving and writing (×{whole:.1f} with start-up): "
                     f"{'meets' if growth <= TARGET_GROWTH else 'MISSES'} the target of ×{TARGET_GROWTH}")
    return lines


def bench_database(name: str, url_for: Callable[[], str | None], sizes: list[int], year: int, seed: int,
                   folder: Path, profile: Path | None) -> None:
    """Every size in a fresh database, then publish and plan again at the largest."""
    timings: dict[int, Timing] = {}
    runs: list[Timing] = []
    print(f"{name}:")
    for managers in sizes:
        url = url_for()
        if url is None:
            print("  skipped: no server reachable.")
            return
        migrate(url)
        company = build(url, managers, year, seed)
        print(f"  {managers:,} managers: {company['people']:,} people, {company['sites']} sites, "
              f"{company['slots'].get('warehouse', 0):,} warehouse weeks and "
              f"{company['slots'].get('customer_service', 0):,} customer-service days, "
              f"{company['blackouts']:,} blackouts (built in {company['seconds']} s)")
        timings[managers] = time_plan(url, year, folder, f"plan {managers:,}", profile=profile)
        print(describe(timings[managers]), flush=True)
        print(unplaced_reasons(timings[managers]))
        runs.append(timings[managers])
        if managers == max(sizes):
            published = time_plan(url, year, folder, f"plan --publish {managers:,}", publish=True, profile=profile)
            print(describe(published), flush=True)
            again = time_plan(url, year, folder, f"re-plan {managers:,}", profile=profile)
            print(describe(again), flush=True)
            runs.extend([published, again])
            assigned = again.figures["customer_service"] + again.figures["warehouse"]
            kept_all = again.figures["kept"] == assigned and again.figures["moved"] == again.figures["placed"] == 0
            print(f"  re-plan kept {again.figures['kept']:,} of {assigned:,} published shifts: "
                  f"{'everything kept' if kept_all else 'NOT everything kept'}")
    for line in [*verdicts(timings), *table(runs)]:
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(size) for size in SIZES),
                        help="managers per company, comma-separated (default: %(default)s)")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default: both; PostgreSQL when reachable)")
    parser.add_argument("--year", type=int, default=utc_today().year + 1, help="a future year (default: next)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed builds the same companies")
    parser.add_argument("--profile", type=Path, metavar="FOLDER",
                        help="profile every plan run with cProfile and keep the files in FOLDER")
    parser.add_argument("--child-build", nargs=4, metavar=("URL", "MANAGERS", "YEAR", "SEED"), help=argparse.SUPPRESS)
    parser.add_argument("--child-plan", nargs=2, metavar=("RECORD", "PROFILE"), help=argparse.SUPPRESS)
    parser.add_argument("flask_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_build:
        url, managers, year, seed = args.child_build
        build_child(url, int(managers), int(year), int(seed))
        return
    if args.child_plan:
        record, profile = args.child_plan
        plan_child(record, profile or None, args.flask_args)
        return

    sizes = sorted(int(size) for size in args.sizes.split(","))
    databases = {name.strip().lower() for name in args.databases.split(",")}
    print(f"Planning {args.year} for companies of {', '.join(f'{size:,}' for size in sizes)} managers "
          f"(load average {', '.join(f'{load:.2f}' for load in os.getloadavg())}).")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        args.profile = args.profile.resolve()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if "sqlite" in databases:
            def sqlite_url() -> str:
                database = folder / "bench.sqlite3"
                for path in folder.glob("bench.sqlite3*"):
                    path.unlink()
                return f"sqlite:///{database}"

            bench_database("SQLite", sqlite_url, sizes, args.year, args.seed, folder, args.profile)
        if "postgresql" in databases:
            server = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
            used: list[str] = []

            def postgresql_url() -> str | None:
                url = fresh_postgresql(server)
                if url:
                    used.append(url)
                return url

            try:
                bench_database("PostgreSQL", postgresql_url, sizes, args.year, args.seed, folder, args.profile)
            finally:
                if used:
                    drop_postgresql(used[-1])
    print(f"Load average at the end: {', '.join(f'{load:.2f}' for load in os.getloadavg())}.")


if __name__ == "__main__":
    main()
