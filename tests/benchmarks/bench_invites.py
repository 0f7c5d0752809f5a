"""``make bench-invites``: send 10,000 queued invitations to a local SMTP server, beside a bare smtplib loop.

A fresh database gets two sites (a contact centre and a warehouse, with address
and host), next year's slots from ``generate_slots``, 5,000 people in the
rotation and, by bulk insert, their 10,000 published assignments (a
customer-service day and a warehouse week each) with one queued invitation
apiece, just as publishing leaves them.

The yardstick: before anything is sent, the outbox's own composing turns those
10,000 messages into the bytes Rotation would send (nothing is recorded), and
a bare ``smtplib`` loop in a process of its own sends these ready-made bytes
over one connection to a fresh aiosmtpd server; its time runs from connecting
to saying goodbye. Then the real command, ``flask --app rotation invites
send``, runs in a process of its own against another fresh server of the same
kind: its time is the whole command, start-up included. Then the bare loop
runs once more. Each server counts what it accepts, in a process of its own.
The rate is messages accepted per second; the ratio is the command's rate over
the mean of the bare loop's two (the machine's speed drifts between runs).

Runs on SQLite, and on PostgreSQL when a server is reachable
(``TEST_DATABASE_URL`` or the local one). Target on a 2-core machine: the
command at least 0.8 times the bare loop's rate on both. ``--profile FILE``
keeps a cProfile of the send and prints where the time went.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import pstats
import resource
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa

from rotation.db import utc_today

MODULE = "tests.benchmarks.bench_invites"
PG_DATABASE = "rotation_invites_bench"
TARGET_RATIO = 0.8
HOST = "127.0.0.1"
ORGANIZER = "rotation@bench.example"


# --- The SMTP server, in its own process -------------------------------------------------------------

class _Counter:
    """Accepts every message and counts the messages and their bytes."""

    def __init__(self) -> None:
        self.messages = 0
        self.octets = 0

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.octets += len(envelope.original_content)
        return "250 2.0.0 OK: queued"


def serve(port: int) -> None:
    """Run the counting server until SIGTERM, then print its counts as JSON."""
    from aiosmtpd.controller import Controller

    counter = _Counter()
    controller = Controller(counter, hostname=HOST, port=port)
    controller.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print("ready", flush=True)
    stopping.wait()
    controller.stop()
    print(json.dumps({"messages": counter.messages, "octets": counter.octets,
                      "server_cpu": time.process_time()}), flush=True)


def start_server() -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", MODULE, "--serve", str(port)], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None  # stdout=PIPE
    if server.stdout.readline().strip() != "ready":
        raise SystemExit("The SMTP server did not start.")
    return server, port


def stop_server(server: subprocess.Popen) -> dict:
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    return json.loads(output.strip().splitlines()[-1])


# --- The queued invitations ---------------------------------------------------------------------------

def build(url: str, messages: int, year: int) -> None:
    """Migrate ``url`` and write the sites, slots, people, assignments and queued invitations."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from rotation import create_app
    from rotation.assignments.models import PUBLISHED, Assignment, new_uid
    from rotation.extensions import db
    from rotation.outbox.models import INVITATION, QUEUED, OutboxMessage
    from rotation.people.models import Person
    from rotation.sites.models import Site, Slot
    from rotation.sites.slots import generate_slots

    app = create_app()
    with app.app_context():
        upgrade()
        hel = Site(code="HEL-CC", name="Helsinki contact centre", kind="contact_center", timezone="Europe/Helsinki",
                   region="Nordics", seats=50, shift_start=clock(9), shift_end=clock(17),
                   address="Mannerheimintie 1, 00100 Helsinki", host_name="Hanna Host",
                   host_email="hanna@bench.example")
        tmp = Site(code="TMP-WH", name="Tampere warehouse", kind="warehouse", timezone="Europe/Helsinki",
                   region="Nordics", seats=200, address="Varastokatu 5, 33100 Tampere", host_name="Ville Varasto")
        db.session.add_all([hel, tmp])
        db.session.flush()
        generate_slots(year)
        days = db.session.scalars(sa.select(Slot.id).where(Slot.site_id == hel.id).order_by(Slot.first_day)).all()
        weeks = db.session.scalars(sa.select(Slot.id).where(Slot.site_id == tmp.id).order_by(Slot.first_day)).all()
        people = messages // 2
        db.session.execute(sa.insert(Person), [
            {"employee_id": f"E{n:06d}", "full_name": f"Person, Number {n}", "email": f"person{n}@bench.example",
             "department": f"Department {n % 40}", "in_rotation_override": True, "is_active": True}
            for n in range(people)])
        person_ids = db.session.scalars(sa.select(Person.id).order_by(Person.id)).all()
        rows = []
        for n, person_id in enumerate(person_ids):
            rows.append({"uid": new_uid(), "person_id": person_id, "slot_id": days[n % len(days)], "year": year,
                         "kind": "customer_service", "status": PUBLISHED, "sequence": 0})
            rows.append({"uid": new_uid(), "person_id": person_id, "slot_id": weeks[n % len(weeks)], "year": year,
                         "kind": "warehouse", "status": PUBLISHED, "sequence": 0})
        db.session.execute(sa.insert(Assignment), rows)
        queued = sa.select(
            sa.literal(INVITATION), Person.email, Person.full_name, Assignment.id, Assignment.sequence,
            sa.literal(QUEUED), sa.literal(0)).join(Person, Person.id == Assignment.person_id).order_by(Assignment.id)
        db.session.execute(sa.insert(OutboxMessage).from_select(
            ["purpose", "recipient", "recipient_name", "assignment_id", "sequence", "status", "attempts"], queued))
        db.session.commit()
        db.engine.dispose()


# --- The yardstick: the same messages, ready-made, through a bare smtplib loop --------------------------

def capture(url: str, path: str) -> None:
    """Write the bytes the outbox would send for every due message to ``path``, made as the sender makes them
    (batch by batch, one composer for the pass); nothing is recorded."""
    os.environ.update(DATABASE_URL=url, ROTATION_MAIL_FROM=ORGANIZER)
    os.environ.setdefault("SECRET_KEY", "bench")
    from rotation import create_app
    from rotation.db import utcnow
    from rotation.extensions import db
    from rotation.outbox.compose import Composer, read_bookings
    from rotation.outbox.sender import _CLAIM, BATCH_SIZE

    app = create_app()
    ready: list[tuple[str, bytes]] = []
    with app.app_context(), db.engine.connect() as connection:
        composer = Composer()
        due = connection.execute(_CLAIM, {"now": utcnow(), "elsewhere": [], "size": 10**9}).all()
        for start in range(0, len(due), BATCH_SIZE):
            batch = due[start:start + BATCH_SIZE]
            bookings = read_bookings(batch, connection)
            ready.extend((message.recipient, composer.message_bytes(message, bookings)) for message in batch)
        connection.rollback()
    with open(path, "wb") as file:
        pickle.dump(ready, file)


def bare_loop(port: int, path: str) -> None:
    """Send the ready-made messages in ``path`` over one connection; print the seconds it took as JSON."""
    with open(path, "rb") as file:
        ready = pickle.load(file)
    started = time.perf_counter()
    connection = smtplib.SMTP(HOST, port)
    for recipient, data in ready:
        connection.sendmail(ORGANIZER, [recipient], data)
    connection.quit()
    print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


def capture_in_child(url: str, folder: str) -> str:
    """Capture the ready-made messages in a child process; the path of the file that holds them."""
    path = str(Path(folder) / "ready-made.pickle")
    subprocess.run([sys.executable, "-m", MODULE, "--capture", url, "--ready", path], check=True)
    return path


def bench_bare(path: str) -> dict:
    """Time the bare loop on the ready-made messages in ``path``, in a child process, against a fresh server."""
    server, port = start_server()
    before = _children_cpu()
    result = subprocess.run([sys.executable, "-m", MODULE, "--bare", str(port), "--ready", path],
                            capture_output=True, text=True)
    cpu = _children_cpu() - before
    received = stop_server(server)
    if result.returncode != 0:
        raise SystemExit(f"The bare loop failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return {**json.loads(result.stdout.strip().splitlines()[-1]), **received, "cpu": cpu}


# --- One run ------------------------------------------------------------------------------------------

def bench(url: str, messages: int, year: int, profile: str | None, folder: str) -> dict:
    """Build the outbox and capture its messages; time the bare loop, ``invites send``, and the bare loop again.

    Each runs in a child process against a fresh server. The machine's speed
    drifts from minute to minute, so the yardstick is the bare loop's mean
    rate from just before and just after the command.
    """
    subprocess.run([sys.executable, "-m", MODULE, "--build", url, "--messages", str(messages), "--year", str(year)],
                   check=True)
    ready = capture_in_child(url, folder)
    bare = bench_bare(ready)
    server, port = start_server()
    environment = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench", "ROTATION_SMTP_HOST": HOST,
                   "ROTATION_SMTP_PORT": str(port), "ROTATION_MAIL_FROM": ORGANIZER,
                   "ROTATION_SMTP_SECURITY": "none"}
    command = [sys.executable, *(["-m", "cProfile", "-o", profile] if profile else []),
               "-m", "flask", "--app", "rotation", "invites", "send"]
    started, before = time.perf_counter(), _children_cpu()
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - started, _children_cpu() - before
    received = stop_server(server)
    if result.returncode != 0:
        raise SystemExit(f"invites send failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return {"seconds": seconds, "cpu": cpu, "report": result.stdout.strip().splitlines()[-1], **received,
            "bare": [bare, bench_bare(ready)]}


def _children_cpu() -> float:
    """Processor seconds used by the child processes that have ended so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fresh_postgresql(server: str) -> str | None:
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


def report(name: str, messages: int, outcome: dict) -> bool:
    rate = outcome["messages"] / outcome["seconds"]
    bare_rates = [bare["messages"] / bare["seconds"] for bare in outcome["bare"]]
    yardstick = sum(bare_rates) / len(bare_rates)
    ratio = rate / yardstick
    met = all(bare["messages"] == messages for bare in outcome["bare"]) and outcome["messages"] == messages \
        and ratio >= TARGET_RATIO
    print(f"{name}: {outcome['messages']:,} of {messages:,} messages accepted "
          f"({outcome['octets'] / outcome['messages'] / 1024:.1f} KiB each).\n"
          f"  invites send: {outcome['seconds']:.1f} s, {rate:,.0f} messages a second, start-up included "
          f"(command: {outcome['report']}); processor per message: {_per(outcome['cpu'], outcome)} the command, "
          f"{_per(outcome['server_cpu'], outcome)} the server")
    for when, bare, bare_rate in zip(("before", "after"), outcome["bare"], bare_rates, strict=True):
        print(f"  bare smtplib loop {when}, the same {bare['messages']:,} ready-made messages over one connection: "
              f"{bare['seconds']:.1f} s, {bare_rate:,.0f} messages a second; processor per message: "
              f"{_per(bare['cpu'], bare)} the loop (start-up included), {_per(bare['server_cpu'], bare)} the server")
    print(f"  ratio {ratio:.2f} to the bare loop's mean {yardstick:,.0f} a second "
          f"({'meets' if met else 'MISSES'} the target of {TARGET_RATIO})")
    return met


def _per(seconds: float, outcome: dict) -> str:
    return f"{seconds / outcome['messages'] * 1000:.2f} ms"


def print_profile(path: str) -> None:
    print(f"Where the time went (cProfile, {path}), by cumulative time:")
    pstats.Stats(path).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--year", type=int, default=utc_today().year + 1)
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="comma-separated: sqlite, postgresql (default: both; PostgreSQL when reachable)")
    parser.add_argument("--profile", help="keep a cProfile of the (last) send in this file and summarise it")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--capture", help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve)
    if args.build:
        return build(args.build, args.messages, args.year)
    if args.capture:
        return capture(args.capture, args.ready)
    if args.bare:
        return bare_loop(args.bare, args.ready)

    databases = args.databases.split(",")
    all_met = True
    with tempfile.TemporaryDirectory(prefix="bench-invites-") as folder:
        if "sqlite" in databases:
            url = f"sqlite:///{Path(folder) / 'invites.sqlite3'}"
            all_met &= report("SQLite", args.messages, bench(url, args.messages, args.year, args.profile, folder))
        if "postgresql" in databases:
            server = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
            pg_url = fresh_postgresql(server)
            if pg_url is None:
                print("PostgreSQL: not reachable, skipped.")
            else:
                try:
                    all_met &= report("PostgreSQL", args.messages,
                                      bench(pg_url, args.messages, args.year, args.profile, folder))
                finally:
                    drop_postgresql(pg_url)
    if args.profile:
        print_profile(args.profile)
    sys.exit(0 if all_met else 1)


if __name__ == "__main__":
    main()
