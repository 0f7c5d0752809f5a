"""``make bench-import``: generate a 100,000-person roster and import it.

Each import runs in a fresh process so its peak memory is its own. Runs on
SQLite, and on PostgreSQL when one is reachable (``TEST_DATABASE_URL`` or the
local server). Target on a 2-core machine: under 30 s and under 1 GiB each.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SITES = [
    ("HEL-CC", "contact_center", "Europe/Helsinki", "Nordics", "09:00", "17:00"),
    ("AMS-CC", "contact_center", "Europe/Amsterdam", "Benelux", "09:00", "17:00"),
    ("AUS-CC", "contact_center", "America/Chicago", "Americas", "08:00", "17:00"),
    ("SYD-CC", "contact_center", "Australia/Sydney", "APAC", "09:00", "17:30"),
    ("TMP-WH", "warehouse", "Europe/Helsinki", "Nordics", "", ""),
    ("RTM-WH", "warehouse", "Europe/Amsterdam", "Benelux", "", ""),
    ("RNO-WH", "warehouse", "America/Los_Angeles", "Americas", "", ""),
]
DEPARTMENTS = ["Operations", "Customer Service", "Finance", "Technology", "Marketing", "People", "Logistics",
               "Sales", "Legal", "Procurement"]


def write_files(folder: Path, people: int, seed: int = 1) -> tuple[Path, Path]:
    """A sites file and a roster of ``people`` in a deep hierarchy (spans of 3–8)."""
    rng = random.Random(seed)
    sites = folder / "sites.csv"
    with sites.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "kind", "timezone", "region", "seats", "shift_start", "shift_end"])
        for code, kind, zone, region, start, end in SITES:
            writer.writerow([code, f"Site {code}", kind, zone, region, 40, start, end])
    roster = folder / "people.csv"
    with roster.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["employee_id", "full_name", "email", "department", "manager_id", "home_site", "in_rotation"])
        managers = ["E0000001"]
        writer.writerow(["E0000001", "Chief Executive", "ceo@bench.example", "Executive", "", "HEL-CC", ""])
        number, queue = 1, [("E0000001", "Executive")]
        while number < people:
            manager, department = queue.pop(0)
            for _ in range(rng.randint(3, 8)):
                if number >= people:
                    break
                number += 1
                employee = f"E{number:07d}"
                dept = rng.choice(DEPARTMENTS) if department == "Executive" else department
                writer.writerow([employee, f"Person {number}", f"person{number}@bench.example", dept, manager,
                                 rng.choice(SITES)[0], "yes" if rng.random() < 0.01 else ""])
                queue.append((employee, dept))
                managers.append(employee)
    return sites, roster


def child(url: str, kind: str, file: str) -> None:
    """Import one file into ``url`` and print seconds and peak memory as JSON."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from rotation import create_app
    from rotation.extensions import db
    from rotation.imports.plan import apply
    from rotation.imports.registry import make_plan

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        plan = make_plan(kind, Path(file).read_bytes())
        if plan.problems:
            raise SystemExit(f"{file}: {plan.problems[0]}")
        apply(plan)
        db.session.commit()
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_mib": round(peak), "summary": plan.summary()}))


PAGES = ["/people", "/people?q=person9999", "/people?in_rotation=yes", "/people?page=1000",
         "/people?in_rotation=no&q=finance"]


def pages_child(url: str) -> None:
    """Time HR's people pages on the imported roster (best of three, milliseconds)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from rotation import create_app
    from rotation.accounts.services import save_user
    from rotation.extensions import db

    app = create_app({"WTF_CSRF_ENABLED": False})
    with app.app_context():
        save_user("hr@bench.example", ["hr"], "bench password 1")
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "hr@bench.example", "password": "bench password 1"})
    timings = {}
    for page in PAGES:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            response = client.get(page)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, page
            best = min(best, elapsed)
        timings[page] = round(best)
    print(json.dumps(timings))


def run_child(url: str, kind: str, file: Path | None) -> dict:
    args = ["--child-pages", url] if kind == "pages" else ["--child", url, kind, str(file)]
    result = subprocess.run([sys.executable, "-m", "tests.benchmarks.bench_import", *args],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr.strip().splitlines()[-1] if result.stderr else "the import failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def migrate(url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench")
    subprocess.run([sys.executable, "-m", "flask", "--app", "rotation", "db", "upgrade"], env=env, check=True,
                   capture_output=True)


def postgresql_url() -> str | None:
    import sqlalchemy as sa

    server = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    url = sa.make_url(server).set(database="rotation_bench")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text('DROP DATABASE IF EXISTS "rotation_bench" WITH (FORCE)'))
            connection.execute(sa.text('CREATE DATABASE "rotation_bench"'))
    except sa.exc.OperationalError:
        return None
    finally:
        admin.dispose()
    return url.render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("URL", "KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--child-pages", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.child_pages:
        pages_child(args.child_pages)
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        started = time.perf_counter()
        sites, roster = write_files(folder, args.people)
        print(f"Generated {args.people:,} people in {time.perf_counter() - started:.1f} s.")
        targets: list[tuple[str, str | None]] = [("SQLite", f"sqlite:///{folder / 'bench.sqlite3'}")]
        pg = postgresql_url()
        targets.append(("PostgreSQL", pg))
        for name, url in targets:
            if url is None:
                print(f"{name}: skipped, no server reachable.")
                continue
            migrate(url)
            run_child(url, "sites", sites)
            first = run_child(url, "people", roster)
            again = run_child(url, "people", roster)
            verdict = "meets" if first["seconds"] < 30 and first["peak_mib"] < 1024 else "MISSES"
            print(f"{name}: first import {first['seconds']} s, peak {first['peak_mib']} MiB ({first['summary']}); "
                  f"re-import {again['seconds']} s, peak {again['peak_mib']} MiB ({again['summary']}); "
                  f"{verdict} the target of 30 s and 1 GiB.")
            pages = run_child(url, "pages", None)
            print(f"{name}: people pages at {args.people:,} people (ms, best of 3): "
                  + ", ".join(f"{page} {ms}" for page, ms in pages.items()))
        if pg:
            import sqlalchemy as sa

            admin = sa.create_engine(sa.make_url(pg).set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(sa.text('DROP DATABASE IF EXISTS "rotation_bench" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
