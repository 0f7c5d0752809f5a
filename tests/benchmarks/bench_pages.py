"""``make bench-pages``: every page each role reaches, at enterprise scale, under a real load generator.

The data is ``bench-plan``'s company of 100,000 managers (434,000 people, bulk-inserted by its builder)
with this year's and next year's slots and blackouts, next year planned and published by the real
command (``flask --app rotation plan --year Y --publish``, which queues about 200,000 invitations), and
a year of use written by bulk insert: this year's shifts (worked, missed, waiting for their attendance,
still to come), 55,000 observations from past shifts (drafts, submitted, triaged, declined) with "me
too"s and evidence, 5,000 problems in every status with their audit trail, change requests in every
status, News, calendar feeds, the process map with its owners, accounts for most managers and an outbox
with every status. Log-ins: HR, an administrator, a process owner, a manager in the middle of the
hierarchy and the chief executive (password ``frontline-bench``). The data is kept (``.bench/`` for
SQLite, the database ``rotation_pages_bench`` on PostgreSQL) and built again only when missing, asked
(``--rebuild``) or when its schema cannot be upgraded; the run prints how to serve it yourself.

The app is served by ``gunicorn -w 2 wsgi:app``, and a bare Flask "hello" page is served the same way in
the same run as the yardstick. Each page is first checked to answer 200 (the feed's poll 304) for its
role, then loaded with wrk: one client for the latency percentiles (p50/p95/p99) and sixteen clients
(``wrk -t2 -c16``) for requests per second, compared with the bare page. At the end the workers' peak
memory (VmHWM) is read. Targets (issue 13), on the 2-core machine: one client p95 ≤ 100 ms and p99 ≤
200 ms on every page; sixteen clients ≥ 0.3 × bare for the pages managers open every day (home, My
rotation, the observation form and list, News, the calendar page), ≥ 0.1 × bare for every other page,
and ≥ 0.7 × bare for the feed's 304; each worker under 300 MiB. The table per database is Markdown,
ready for the README.

SQLite always, PostgreSQL when a server is reachable (``TEST_DATABASE_URL`` or 127.0.0.1:5432).
``--managers 2000`` builds a small company for a quick check; ``--pages /people`` drives only the pages
whose address contains that text; ``--seconds N`` sets each wrk run's length (default 10).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from tests.benchmarks.pages.cache import SECRET_KEY, Store, postgresql_store, ready, sqlite_store
from tests.benchmarks.pages.company import PASSWORD
from tests.benchmarks.pages.drive import Result, drive, pages
from tests.benchmarks.pages.serve import Server, load, require_wrk

MEMORY_MIB = 300


def how_to_use(store: Store, note: dict) -> list[str]:
    """The commands and log-ins to use the kept data by hand."""
    env = " ".join(f"{name}={value}" for name, value in store.environment.items())
    samples, year = note["samples"], note["year"] + 1
    lines = [f"  Serve it yourself: {env} .venv/bin/flask --app rotation run",
             f"  Log-ins (password {PASSWORD}): " + ", ".join(
                 f"{login['email']} ({login['role']})" for login in note["logins"]) +
             "; most managers too, as personN@bench.example",
             f"  Pages: /people?q=Smith, /assignments/{samples['next_year_assignment_id']}, "
             f"/coverage/?root={samples['manager_employee_id']}, /plan/{year}, "
             f"/observations/{samples['observation_id']}, /problems/{samples['problem_id']}, "
             f"/calendar/{samples['feed_tokens']['manager']}.ics (the manager's feed)"]
    return lines


def table(results: list[Result], bare: float) -> list[str]:
    lines = ["| page | role | requests/s, 16 clients | × bare (target) | one client p50 / p95 / p99 ms | verdict |",
             "|---|---|---|---|---|---|"]
    for result in results:
        page = result.page
        label = f"`{page.shown(result.path)}`" + (" (304)" if page.expect == 304 else "")
        if result.problem or result.skipped:
            reason = (result.skipped or "FAILED: " + (result.problem or "").splitlines()[0]).replace("|", "/")
            lines.append(f"| {label} | {page.role} | — | — (≥ {page.target}) | — | {reason} |")
            continue
        missed = result.misses(bare)
        assert result.one is not None and result.many is not None
        ratio = result.many.rate / bare
        lines.append(f"| {label} | {page.role} | {result.many.rate:,.1f} | {ratio:.3f} (≥ {page.target}) | "
                     f"{result.one.p50:.1f} / {result.one.p95:.1f} / {result.one.p99:.1f} | "
                     f"{'meets' if not missed else 'misses: ' + '; '.join(missed)} |")
    return lines


def bench_database(store: Store, seed: int, rebuild: bool, seconds: int, only: str | None, wrk: str) -> bool:
    """Build or reuse the data, measure the bare page and every page; print the table. False when a page failed."""
    print(f"\n## {store.name}, {store.managers:,} managers", flush=True)
    started = time.perf_counter()
    note = ready(store, seed, rebuild)
    for line in how_to_use(store, note):
        print(line)
    figures = note["figures"]
    print("  Data: " + ", ".join(f"{count:,} {table}" for table, count in figures.items()), flush=True)

    with Server("tests.benchmarks.pages.bare:app") as bare_server:
        bare_one = load(wrk, bare_server.base + "/", {}, 1, seconds)
        bare = load(wrk, bare_server.base + "/", {}, 16, seconds)
    print(f"  Bare Flask page: {bare.rate:,.0f} requests/s with 16 clients; one client p50 {bare_one.p50:.1f} ms",
          flush=True)

    chosen = [page for page in pages(note) if not only or only in page.label or only == page.role]

    def progress(result: Result) -> None:
        if result.problem:
            print(f"  FAILED {result.page.role} {result.path}: {result.problem}", flush=True)
        elif result.skipped:
            print(f"  {result.page.role} {result.page.label}: {result.skipped}", flush=True)
        else:
            assert result.one is not None and result.many is not None
            print(f"  {result.page.role:<7} {result.path}: {result.many.rate:,.1f}/s "
                  f"(×{result.many.rate / bare.rate:.3f}), one client p50/p95/p99 {result.one.p50:.0f}/"
                  f"{result.one.p95:.0f}/{result.one.p99:.0f} ms", flush=True)

    with Server("wsgi:app", store.environment) as server:
        results = drive(server, wrk, note, chosen, seconds, progress)
        peaks = server.peak_mib()
    failed = [result for result in results if result.problem]
    met = sum(1 for result in results if not result.problem and not result.skipped and not result.misses(bare.rate))
    measured = sum(1 for result in results if not result.problem and not result.skipped)
    print(f"\n### {store.name}: {store.managers:,} managers ({figures['person']:,} people), "
          f"bare Flask page {bare.rate:,.0f} requests/s\n")
    for line in table(results, bare.rate):
        print(line)
    memory = ", ".join(f"{peak:,.0f}" for peak in peaks)
    print(f"\nGunicorn workers' peak memory: {memory} MiB: "
          f"{'meets' if peaks and max(peaks) < MEMORY_MIB else 'MISSES'} the target of {MEMORY_MIB} MiB. "
          f"{met} of {measured} pages measured meet every target"
          + (f"; {len(failed)} FAILED" if failed else "") +
          f". Run took {time.perf_counter() - started:.0f} s (load average "
          f"{', '.join(f'{value:.2f}' for value in os.getloadavg())}).", flush=True)
    return not failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default: both; PostgreSQL when reachable)")
    parser.add_argument("--pages", metavar="TEXT", help="drive only the pages whose address contains TEXT, "
                                                        "or every page of the role TEXT (hr, admin, owner …)")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run (default: %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="build the data again even when it is kept")
    parser.add_argument("--managers", type=int, default=100_000, help="people in the rotation (default: 100000)")
    parser.add_argument("--seed", type=int, default=1, help="the same seed builds the same data")
    parser.add_argument("--child-prepare", nargs=3, metavar=("URL", "YEAR", "SEED"), help=argparse.SUPPRESS)
    parser.add_argument("--child-usage", nargs=4, metavar=("URL", "SEED", "EVIDENCE", "LOGINS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_prepare:
        from tests.benchmarks.pages.company import prepare_child

        url, year, seed = args.child_prepare
        prepare_child(url, int(year), int(seed))
        return
    if args.child_usage:
        from tests.benchmarks.pages.usage import usage_child

        url, seed, evidence, logins = args.child_usage
        usage_child(url, int(seed), evidence, json.loads(logins))
        return

    wrk = require_wrk()
    databases = {name.strip().lower() for name in args.databases.split(",")}
    print(f"Every page at {args.managers:,} managers; wrk runs of {args.seconds} s; SECRET_KEY {SECRET_KEY} "
          f"(load average {', '.join(f'{value:.2f}' for value in os.getloadavg())}).", flush=True)
    ok = True
    if "sqlite" in databases:
        ok &= bench_database(sqlite_store(args.managers), args.seed, args.rebuild, args.seconds, args.pages, wrk)
    if "postgresql" in databases:
        store = postgresql_store(args.managers)
        if store is None:
            print("\n## PostgreSQL: skipped, no server reachable.")
        else:
            ok &= bench_database(store, args.seed, args.rebuild, args.seconds, args.pages, wrk)
    if not ok:
        sys.exit("Some pages did not answer as they should; see FAILED above.")


if __name__ == "__main__":
    main()
