"""The built data, kept between runs: a SQLite file under ``.bench/`` and the PostgreSQL database
``rotation_pages_bench``, each with a note of what was built. Rebuilt when missing, when asked, or when its
schema cannot be brought to the migrations' head with ``db upgrade``."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from rotation.db import utc_today
from tests.benchmarks import bench_plan

REPOSITORY = Path(__file__).resolve().parents[3]
FOLDER = REPOSITORY / ".bench"
PG_DATABASE = "rotation_pages_bench"
SECRET_KEY = "rotation-pages-bench"  # fixed, so a session cookie stays good across runs and servers
# Raise when the recipe of the built data changes: kept data of an older recipe is built again.
RECIPE = 2
MODULE = "tests.benchmarks.bench_pages"


@dataclass(frozen=True)
class Store:
    """Where one database's data is kept."""

    name: str          # SQLite or PostgreSQL
    url: str
    managers: int
    admin_url: str | None = None  # PostgreSQL: the server's maintenance database

    @property
    def slug(self) -> str:
        return f"{self.name.lower()}-{self.managers}"

    @property
    def note(self) -> Path:
        return FOLDER / f"pages-{self.slug}.json"

    @property
    def evidence(self) -> Path:
        return FOLDER / f"evidence-{self.slug}"

    @property
    def environment(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "SECRET_KEY": SECRET_KEY, "ROTATION_EVIDENCE_DIR": str(self.evidence)}

    @property
    def sqlite_file(self) -> Path:
        database = sa.make_url(self.url).database
        assert database, self.url
        return Path(database)

    def exists(self) -> bool:
        if self.admin_url is None:
            return self.sqlite_file.is_file()
        database = sa.make_url(self.url).database
        engine = sa.create_engine(self.admin_url)
        try:
            with engine.connect() as connection:
                return bool(connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                              {"name": database}))
        finally:
            engine.dispose()

    def create_empty(self) -> None:
        shutil.rmtree(self.evidence, ignore_errors=True)
        self.note.unlink(missing_ok=True)
        if self.admin_url is None:
            for path in FOLDER.glob(self.sqlite_file.name + "*"):
                path.unlink()
            return
        database = sa.make_url(self.url).database
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
        finally:
            engine.dispose()


def sqlite_store(managers: int) -> Store:
    return Store("SQLite", f"sqlite:///{FOLDER / f'pages-{managers}.sqlite3'}", managers)


def postgresql_store(managers: int) -> Store | None:
    """The kept PostgreSQL database, when a server answers (``TEST_DATABASE_URL`` or the local one)."""
    server = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    admin = sa.make_url(server).set(database="postgres")
    engine = sa.create_engine(admin)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()
    name = PG_DATABASE if managers == 100_000 else f"{PG_DATABASE}_{managers}"
    return Store("PostgreSQL", admin.set(database=name).render_as_string(hide_password=False), managers,
                 admin.render_as_string(hide_password=False))


def heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(REPOSITORY / "migrations"))
    return set(ScriptDirectory.from_config(config).get_heads())


def revision(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return set(connection.scalars(sa.text("SELECT version_num FROM alembic_version")))
    except sa.exc.SQLAlchemyError:
        return set()
    finally:
        engine.dispose()


def flask(store: Store, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, **store.environment)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "rotation", *args], env=env, cwd=REPOSITORY,
                          capture_output=True, text=True)


def child(store: Store, *args: str) -> dict:
    """Run one step of the build in a process of its own; its last line of output is JSON."""
    result = subprocess.run([sys.executable, "-m", MODULE, *args], env=dict(os.environ, **store.environment),
                            cwd=REPOSITORY, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{store.name}: {' '.join(args[:1])} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def ready(store: Store, seed: int, rebuild: bool) -> dict:
    """The kept data's note (log-ins, samples, figures), building or upgrading the data first when needed."""
    FOLDER.mkdir(exist_ok=True)
    note = json.loads(store.note.read_text()) if store.note.is_file() else None
    fits = (note is not None and note.get("complete") and note.get("recipe") == RECIPE
            and note.get("seed") == seed and note.get("year") == utc_today().year)
    if rebuild or not fits or not store.exists():
        why = ("--rebuild" if rebuild else "no data kept" if note is None or not store.exists()
               else "kept data is of another recipe, seed or year")
        print(f"  building the data ({why}); this takes minutes at 100,000 managers", flush=True)
        return build(store, seed)
    assert note is not None
    wanted, kept = heads(), revision(store.url)
    if wanted != kept:
        print(f"  the schema moved on ({', '.join(sorted(kept)) or 'none'} → {', '.join(sorted(wanted))}): "
              "db upgrade on the kept data", flush=True)
        upgrade = flask(store, "db", "upgrade")
        if upgrade.returncode != 0:
            print(f"  db upgrade failed, building again:\n{upgrade.stderr[-1500:]}", flush=True)
            return build(store, seed)
        bench_plan.settle(sa.create_engine(store.url))
    print(f"  reusing the data built {note['built_at']} in {note['build_seconds']:.0f} s", flush=True)
    return note


def build(store: Store, seed: int) -> dict:
    """The company (bench-plan's), this year, log-ins and the process map; next year planned and published
    by the real command; then the year of use."""
    started = time.perf_counter()
    steps: dict[str, float] = {}
    this_year = utc_today().year

    def step(name: str) -> None:
        steps[name] = round(time.perf_counter() - started - sum(steps.values()), 1)
        print(f"    {name}: {steps[name]:.1f} s", flush=True)

    store.create_empty()
    store.evidence.mkdir(parents=True, exist_ok=True)
    migrated = flask(store, "db", "upgrade")
    if migrated.returncode != 0:
        raise SystemExit(f"{store.name}: db upgrade failed:\n{migrated.stderr[-3000:]}")
    step("migrate")
    company = bench_plan.build(store.url, store.managers, this_year + 1, seed)
    step(f"company of {store.managers:,} managers ({company['people']:,} people, next year's slots)")
    prepared = child(store, "--child-prepare", store.url, str(this_year), str(seed))
    step("this year's slots and blackouts, names, log-ins, accounts, process map")
    planned = flask(store, "plan", "--year", str(this_year + 1), "--publish")
    (FOLDER / f"plan-{store.slug}.log").write_text(planned.stdout + planned.stderr)
    if planned.returncode != 0:
        raise SystemExit(f"{store.name}: flask plan --year {this_year + 1} --publish failed:\n"
                         f"{planned.stderr[-3000:]}")
    step(f"flask --app rotation plan --year {this_year + 1} --publish")
    used = child(store, "--child-usage", store.url, str(seed), str(store.evidence), json.dumps(prepared["logins"]))
    step("the year of use")
    note = {"complete": True, "recipe": RECIPE, "seed": seed, "year": this_year, "managers": store.managers,
            "built_at": time.strftime("%Y-%m-%d %H:%M"), "build_seconds": round(time.perf_counter() - started, 1),
            "steps": steps, "logins": prepared["logins"], "samples": used["samples"], "figures": used["figures"]}
    store.note.write_text(json.dumps(note, indent=2))
    print(f"  built in {note['build_seconds']:.0f} s: " + ", ".join(
        f"{count:,} {table}" for table, count in used["figures"].items()), flush=True)
    return note
