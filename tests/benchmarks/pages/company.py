"""The company around ``bench-plan``'s roster: this year's blackouts and slots, names people really have,
the log-ins, an account for most managers, and the process map with its owners.

Runs in a child process after ``bench_plan.build`` wrote the company and before the plan is published,
so the invitations go to the addresses and names set here.
"""
from __future__ import annotations

import json
import os
import random
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from tests.benchmarks.bench_plan import blackouts
from tests.benchmarks.pages.rows import execute, insert

PASSWORD = "frontline-bench"
EMAIL_DOMAIN = "bench.example"
# Many first names and a long tail of surnames, a few of them common: searching for "Smith" finds about 1.5 %.
FIRST_NAMES = ("Anna", "Ben", "Carla", "David", "Elif", "Femi", "Greta", "Hugo", "Ines", "Jonas", "Kaisa", "Liam",
               "Maria", "Noah", "Olli", "Priya", "Quentin", "Rosa", "Sami", "Tuula", "Umar", "Vera", "Wei", "Xenia",
               "Yusuf", "Zofia", "Aino", "Bruno", "Chloe", "Dmitri", "Emma", "Farah", "Goran", "Hanna", "Ivan",
               "Julia", "Kenji", "Lena", "Marco", "Nadia", "Oskar", "Paula", "Rafael", "Sofia", "Tomas", "Ulla",
               "Viktor", "Wilma", "Yara", "Zain")
COMMON_SURNAMES = (("Smith", 15), ("Virtanen", 12), ("Garcia", 12), ("Jansen", 10), ("Nguyen", 10),
                   ("Müller", 9), ("Rossi", 8), ("Kowalski", 8), ("Andersson", 7), ("Silva", 7))
SURNAME_STEMS = ("Berg", "Lind", "Holm", "Strand", "Dahl", "Sand", "Kallio", "Mäki", "Niemi", "Laine", "Moreau",
                 "Dubois", "Ferrari", "Romano", "Novak", "Horvat", "Costa", "Santos", "Okafor", "Mensah", "Tanaka",
                 "Sato", "Kim", "Park", "Patel", "Shah", "Cohen", "Levi", "Brown", "Wilson")
SURNAME_ENDINGS = ("", "ström", "gren", "berg", "son", "ova", "ez", "i", "o", "a", "er", "man")
COMMON_SURNAME = "Smith"


@dataclass(frozen=True)
class Login:
    role: str          # what the benchmark calls them: hr, admin, owner, manager, ceo
    email: str
    roles: list[str]   # the account's roles (everyone in the rotation is a manager besides)
    person_id: int
    name: str


def surnames() -> tuple[list[str], list[float]]:
    """Every surname with its weight: the common ones take about 10 % of the company together."""
    tail = [stem + ending for stem in SURNAME_STEMS for ending in SURNAME_ENDINGS]
    names = [name for name, _ in COMMON_SURNAMES] + tail
    weights = [weight / 10 for _, weight in COMMON_SURNAMES] + [9.0 / len(tail) * 10] * len(tail)
    return names, weights


def full_names(rng: random.Random, count: int) -> list[str]:
    names, weights = surnames()
    last = rng.choices(names, weights=weights, k=count)
    return [f"{rng.choice(FIRST_NAMES)} {surname}" for surname in last]


def subtree_sizes(people: list[tuple[int, int | None]]) -> tuple[dict[int, int], dict[int, int]]:
    """Everyone's organisation size (themself and everyone below) and depth (the chief executive is 0)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for person_id, manager_id in people:
        children[manager_id].append(person_id)
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    order, stack = [], [(root, 0) for root in children[None]]
    while stack:
        person_id, level = stack.pop()
        depth[person_id] = level
        order.append(person_id)
        stack.extend((child, level + 1) for child in children[person_id])
    for person_id in reversed(order):
        size[person_id] = 1 + sum(size[child] for child in children[person_id])
    return size, depth


def choose_logins(rng: random.Random, people: list[tuple[int, int | None]], rotation: set[int],
                  names: dict[int, str]) -> list[Login]:
    """The chief executive (the root), a manager in the middle with about 3 % of the company below them,
    and three people outside the rotation for HR, the administrator and the process owner."""
    from rotation.roles import ADMIN, HR, MANAGER, OWNER

    size, depth = subtree_sizes(people)
    root = next(person_id for person_id, manager_id in people if manager_id is None)
    total = len(people)
    middle = min((person_id for person_id in rotation if 2 <= depth.get(person_id, 0) <= 4),
                 key=lambda person_id: (abs(size[person_id] - 0.03 * total), person_id))
    outside = sorted(person_id for person_id, _ in people if person_id not in rotation and size[person_id] == 1)
    hr, admin, owner = rng.sample(outside, 3)
    chosen = [("hr", hr, [HR]), ("admin", admin, [ADMIN]), ("owner", owner, [OWNER]),
              ("manager", middle, [MANAGER]), ("ceo", root, [MANAGER, OWNER])]
    return [Login(role, f"{role}@{EMAIL_DOMAIN}", roles, person_id, names[person_id])
            for role, person_id, roles in chosen]


def rename(engine: sa.Engine, names: dict[int, str]) -> None:
    """Give everyone a name from ``names`` (person id → full name) in one pass."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("CREATE TEMP TABLE bench_name (id integer PRIMARY KEY, full_name text) ON COMMIT DROP")
            with cursor.copy("COPY bench_name (id, full_name) FROM STDIN") as copy:
                for row in names.items():
                    copy.write_row(row)
            cursor.execute("UPDATE person SET full_name = bench_name.full_name FROM bench_name "
                           "WHERE bench_name.id = person.id")
        else:
            cursor.executemany("UPDATE person SET full_name = ? WHERE id = ?",
                               [(name, person_id) for person_id, name in names.items()])
        raw.commit()
    finally:
        raw.close()


def prepare_child(url: str, this_year: int, seed: int) -> None:
    """This year's blackouts and slots, names, log-ins, accounts and the process map; print them as JSON."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench")
    from rotation import create_app
    from rotation.accounts.models import User
    from rotation.accounts.services import save_user
    from rotation.demo.process_map import load_process_map
    from rotation.extensions import db
    from rotation.people.models import Person, in_rotation_clause
    from rotation.process_map.models import AreaOwner
    from rotation.sites.models import Site
    from rotation.sites.slots import generate_slots

    rng = random.Random(seed * 7919 + 1)
    app = create_app()
    with app.app_context():
        engine = db.engine
        site_ids = list(db.session.scalars(sa.select(Site.id).order_by(Site.id)))
        rotation = sorted(db.session.scalars(sa.select(Person.id).where(in_rotation_clause())))
        insert(engine, "blackout", ("person_id", "site_id", "start", "end", "reason"),
               blackouts(rng, this_year, rotation, site_ids))
        generate_slots(this_year)
        db.session.commit()

        people = [(row.id, row.manager_id) for row in
                  db.session.execute(sa.select(Person.id, Person.manager_id).order_by(Person.id))]
        names = dict(zip((person_id for person_id, _ in people), full_names(rng, len(people)), strict=True))
        rename(engine, names)
        logins = choose_logins(rng, people, set(rotation), names)
        db.session.commit()
        for login in logins:
            execute(engine, "UPDATE person SET email = :email WHERE id = :id",
                    {"email": login.email, "id": login.person_id})
        for login in logins:
            save_user(login.email, login.roles, PASSWORD, login.name)
        db.session.commit()

        # Most managers have set their password (the same one here, so any of them can sign in); the rest
        # still have their set-password link in the outbox.
        password_hash = db.session.scalar(sa.select(User.password_hash).where(User.email == logins[0].email))
        logged = {login.person_id for login in logins}
        emails = dict(db.session.execute(sa.select(Person.id, Person.email)).tuples().all())
        with_account = [person_id for person_id in rotation if person_id not in logged and rng.random() < 0.8]
        joined = datetime(this_year - 1, 12, 1, 9, tzinfo=UTC)
        insert(engine, "user_account", ("email", "display_name", "password_hash", "is_enabled", "created_at",
                                        "password_changed_at"),
               ((emails[person_id], names[person_id], password_hash, True,
                 joined + timedelta(minutes=person_id % 50_000), joined + timedelta(days=1))
                for person_id in with_account))
        if engine.dialect.name == "postgresql":  # without fresh statistics each key check scans the table
            execute(engine, "ANALYZE user_account")
        execute(engine, "INSERT INTO role_grant (user_id, role) SELECT id, 'manager' FROM user_account "
                        f"WHERE email LIKE 'person%@{EMAIL_DOMAIN}'")

        # The demo's process map; the process owner owns customer service and policy, the chief executive
        # the warehouse.
        areas = load_process_map()
        users = {login.role: db.session.scalar(sa.select(User.id).where(User.email == login.email))
                 for login in logins}
        for path, role in (("Customer service", "owner"), ("Policy", "owner"), ("Warehouse", "ceo")):
            db.session.add(AreaOwner(area_id=areas[path].id, user_id=users[role]))
        db.session.commit()
    print(json.dumps({"logins": [asdict(login) for login in logins], "accounts": len(with_account) + len(logins)}))
