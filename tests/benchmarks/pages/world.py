"""What the year of use is written around: people, sites, slots, the published plan, the log-ins."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa


@dataclass(frozen=True)
class PersonRow:
    id: int
    name: str
    email: str
    manager_id: int | None
    employee_id: str


@dataclass(frozen=True)
class SlotRow:
    id: int
    site_code: str
    kind: str
    first_day: date
    starts_at: datetime
    ends_at: datetime
    seats: int


@dataclass
class Shift:
    """An assignment as the year of use sees it."""

    id: int
    uid: str
    person_id: int
    slot: SlotRow
    status: str
    year: int
    sequence: int = 0
    attendance_by: str | None = None
    attendance_at: datetime | None = None

    @property
    def kind(self) -> str:
        return self.slot.kind


@dataclass
class World:
    now: datetime
    this_year: int
    people: dict[int, PersonRow]
    rotation: list[int]
    slots: dict[int, SlotRow]
    logins: dict[str, dict]                      # role → Login as a dict (company.Login)
    users: dict[str, int]                        # role → account id
    next_shifts: list[Shift]                     # next year's, as the plan published them
    this_shifts: list[Shift] = field(default_factory=list)
    areas: dict[str, int] = field(default_factory=dict)       # path → area id (active areas)
    area_owner: dict[int, str] = field(default_factory=dict)  # area id → the owning log-in's role

    def person(self, role: str) -> int:
        return self.logins[role]["person_id"]

    def slots_of(self, year: int, kind: str) -> list[SlotRow]:
        return sorted((slot for slot in self.slots.values() if slot.first_day.year == year and slot.kind == kind),
                      key=lambda slot: (slot.starts_at, slot.id))

    def owner_email(self, area_id: int) -> str:
        return self.logins[self.area_owner[area_id]]["email"]


def load_world(now: datetime, logins: list[dict]) -> World:
    """Read what the company, the plan and the process map hold (inside an app context)."""
    from rotation.accounts.models import User
    from rotation.assignments.models import Assignment
    from rotation.extensions import db
    from rotation.people.models import Person, in_rotation_clause
    from rotation.process_map.models import AreaOwner
    from rotation.process_map.tree import area_paths, subtree_ids
    from rotation.sites.models import Site, Slot

    people = {row.id: PersonRow(row.id, row.full_name, row.email, row.manager_id, row.employee_id)
              for row in db.session.execute(sa.select(Person.id, Person.full_name, Person.email, Person.manager_id,
                                                      Person.employee_id))}
    rotation = sorted(db.session.scalars(sa.select(Person.id).where(in_rotation_clause())))
    slots = {row.id: SlotRow(row.id, row.code, row.kind, row.first_day, row.starts_at, row.ends_at, row.seats)
             for row in db.session.execute(
                 sa.select(Slot.id, Site.code, Slot.kind, Slot.first_day, Slot.starts_at, Slot.ends_at, Slot.seats)
                 .join(Site, Site.id == Slot.site_id))}
    by_role = {login["role"]: login for login in logins}
    users = {role: db.session.execute(sa.select(User.id).where(User.email == login["email"])).scalar_one()
             for role, login in by_role.items()}
    next_shifts = [Shift(row.id, row.uid, row.person_id, slots[row.slot_id], row.status, row.year, row.sequence)
                   for row in db.session.execute(
                       sa.select(Assignment.id, Assignment.uid, Assignment.person_id, Assignment.slot_id,
                                 Assignment.status, Assignment.year, Assignment.sequence)
                       .where(Assignment.year == now.year + 1).order_by(Assignment.id))]
    world = World(now=now, this_year=now.year, people=people, rotation=rotation, slots=slots, logins=by_role,
                  users=users, next_shifts=next_shifts)
    world.areas = {path: area_id for area_id, path in area_paths(active_only=True).items()}
    role_of_user = {user_id: role for role, user_id in users.items()}
    for area_id, user_id in db.session.execute(sa.select(AreaOwner.area_id, AreaOwner.user_id)):
        for below in subtree_ids([area_id]):
            world.area_owner.setdefault(below, role_of_user.get(user_id, "owner"))
    return world
