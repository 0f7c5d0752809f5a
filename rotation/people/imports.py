"""``people.csv``: the HR roster. Validates the whole file, then writes in bulk."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import url_for

from rotation.db import utc_today
from rotation.extensions import db
from rotation.imports.csvfile import ImportIssue, Row, read_table
from rotation.imports.plan import Change, Consequence, ImportPlan
from rotation.imports.registry import ImportKind, register_import_kind
from rotation.people.models import INVITED_BY_EMAIL, Person
from rotation.people.signals import LeaverShift, invited_already, leavers_shifts, roster_changed
from rotation.signals import answers
from rotation.sites.models import Site

REQUIRED = ("employee_id", "full_name", "email", "department")
IN_ROTATION = {"": None, "yes": True, "no": False}
LIMITS = {"employee_id": 64, "full_name": 200, "email": 254, "department": 120}
# The common shape of an address; anything else goes to the full validator.
_PLAIN_EMAIL = re.compile(r"^[a-z0-9._%+'-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


@dataclass
class Wanted:
    """A valid row of the file, as it should end up in the roster."""

    line: int
    employee_id: str
    full_name: str
    email: str
    department: str
    manager: str | None  # an employee id
    home_site_id: int | None
    override: bool | None


def plan_people_import(content: bytes, deactivate_missing: bool = False) -> ImportPlan:
    """Validate a whole roster file and work out what importing it would change."""
    plan = ImportPlan("people")
    table = read_table(content, REQUIRED)
    plan.problems.extend(table.problems)
    if table.problems:
        return plan

    sites = dict(db.session.execute(sa.select(Site.code, Site.id)).tuples().all())
    current = {
        row.employee_id: row
        for row in db.session.execute(sa.select(
            Person.id, Person.employee_id, Person.full_name, Person.email, Person.department,
            Person.manager_id, Person.home_site_id, Person.in_rotation_override, Person.is_active))
    }
    employee_of_id = {row.id: employee_id for employee_id, row in current.items()}
    owner_of_email = {row.email: employee_id for employee_id, row in current.items()}

    wanted: dict[str, Wanted] = {}
    emails: dict[str, Wanted] = {}
    for row in table.rows:
        problems, person = _read_row(row, sites)
        if person is not None:
            first = wanted.get(person.employee_id)
            if first is not None:
                problems.append(ImportIssue(row.line, "employee_id", person.employee_id,
                                        f"The employee id is used twice: already on line {first.line}."))
            other = emails.get(person.email)
            if other is not None:
                problems.append(ImportIssue(row.line, "email", row["email"],
                                        f"The e-mail address is used twice (ignoring case): already on line "
                                        f"{other.line} for {other.employee_id}."))
        plan.problems.extend(problems)
        if person is not None and not problems:
            wanted[person.employee_id] = person
            emails[person.email] = person
        elif person is not None:
            wanted.setdefault(person.employee_id, person)
            emails.setdefault(person.email, person)

    for person in wanted.values():
        owner = owner_of_email.get(person.email)
        if owner is not None and owner != person.employee_id and owner not in wanted:
            plan.problems.append(ImportIssue(person.line, "email", person.email,
                                         f"The e-mail address already belongs to {owner} in the roster."))
        if person.manager and person.manager not in wanted and person.manager not in current:
            plan.problems.append(ImportIssue(person.line, "manager_id", person.manager,
                                         "This manager id is found neither in the file nor in the roster."))
    plan.problems.extend(_reporting_cycles(wanted, current, employee_of_id))
    if plan.problems:
        plan.problems.sort(key=lambda p: (p.line or 0))
        return plan

    for person in wanted.values():
        known = current.get(person.employee_id)
        if known is None:
            plan.added.append(Change(person.employee_id, person.full_name, person.line))
            continue
        manager_now = employee_of_id.get(known.manager_id) if known.manager_id else None
        changed = [name for name, before, after in (
            ("full_name", known.full_name, person.full_name),
            ("email", known.email, person.email),
            ("department", known.department, person.department),
            ("manager_id", manager_now, person.manager),
            ("home_site", known.home_site_id, person.home_site_id),
            ("in_rotation", known.in_rotation_override, person.override),
            ("active", known.is_active, True),
        ) if before != after]
        if changed:
            plan.updated.append(Change(person.employee_id, person.full_name, person.line, changed))
        else:
            plan.unchanged += 1
    if deactivate_missing:
        plan.deactivated = [Change(employee_id, row.full_name)
                            for employee_id, row in current.items() if row.is_active and employee_id not in wanted]
    _explain(plan, wanted, current, employee_of_id, {code_id: code for code, code_id in sites.items()})

    def write() -> None:
        _write(plan, wanted, current)

    plan.write = write
    return plan


def _explain(plan: ImportPlan, wanted: dict[str, Wanted], current: dict, employee_of_id: dict[int, str],
             site_codes: dict[int, str]) -> None:
    """Say what the import means for each person, before HR confirms it: who joins or leaves the rotation and
    why, what changes for whom, the leavers' shifts it cancels, who would report to a leaver, the e-mails.

    A few passes over dicts and sets keyed by employee id, so 100,000 people take a moment, not a minute."""
    leaving = {change.key for change in plan.deactivated}
    managers_before = {employee_id: employee_of_id[row.manager_id]
                       for employee_id, row in current.items() if row.manager_id}
    managers_after = managers_before | {employee_id: person.manager for employee_id, person in wanted.items()}
    overrides = {employee_id: row.in_rotation_override for employee_id, row in current.items()} | {
        employee_id: person.override for employee_id, person in wanted.items()}
    active_before = {employee_id for employee_id, row in current.items() if row.is_active}
    active = (active_before - leaving) | wanted.keys()
    reports_before = Counter(managers_before[e] for e in active_before if e in managers_before)
    reports_after = Counter(manager for e in active if (manager := managers_after.get(e)) is not None)
    in_before = {e for e in active_before if overrides[e] or (overrides[e] is None and reports_before[e])}
    in_after = {e for e in active if overrides[e] or (overrides[e] is None and reports_after[e])}

    def full_name(employee_id: str) -> str:
        person = wanted.get(employee_id)
        return person.full_name if person is not None else current[employee_id].full_name

    def name_of(employee_id: str | None) -> str:
        return "nobody" if employee_id is None else f"{full_name(employee_id)} ({employee_id})"

    def why(employee_id: str) -> str:
        """Why they are in the rotation after the import, or not."""
        override = overrides[employee_id]
        if override is not None:
            return "HR's file says " + ("yes" if override else "no")
        reports = reports_after[employee_id]
        if reports:
            return f"{reports} {'person reports' if reports == 1 else 'people report'} to them"
        return "nobody active reports to them"

    for change in plan.added:
        joins = change.key in in_after
        change.notes.append(f"{'joins the rotation' if joins else 'not in the rotation'}: {why(change.key)}")

    site = {None: "none"} | site_codes
    for change in plan.updated:
        known, person = current[change.key], wanted[change.key]
        befores = {"full_name": known.full_name, "email": known.email, "department": known.department,
                   "manager_id": name_of(managers_before.get(change.key)), "home_site": site[known.home_site_id],
                   "in_rotation": _word(known.in_rotation_override)}
        afters = {"full_name": person.full_name, "email": person.email, "department": person.department,
                  "manager_id": name_of(person.manager), "home_site": site[person.home_site_id],
                  "in_rotation": _word(person.override)}
        for name in change.fields:
            if name == "active":
                change.notes.append("returns: was deactivated")
            else:
                change.notes.append(f"{FIELD_WORDS[name]}: {befores[name]} → {afters[name]}")

    rotation_changes = [
        Change(employee_id, full_name(employee_id), notes=[
            f"joins the rotation: {why(employee_id)}" if employee_id in in_after else
            f"leaves the rotation: {why(employee_id)}; their shifts still to come are withdrawn when the plan "
            "runs again"])
        for employee_id in sorted((in_before ^ in_after) & active & current.keys())]
    by_id = {row.id: employee_id for employee_id, row in current.items()}
    shifts: list[LeaverShift] = []
    if leaving:
        for answer in answers(leavers_shifts, [current[employee_id].id for employee_id in leaving],
                              today=utc_today()):
            shifts += answer
    site_names: dict[int, str] = {}
    by_email: set[int] = set()  # leavers with shifts whose calendar news goes by e-mail
    if shifts:
        site_names = dict(db.session.execute(sa.select(Site.id, Site.name)).tuples().all())
        with_shifts = sorted({shift.person_id for shift in shifts})
        for start in range(0, len(with_shifts), 1000):
            by_email.update(db.session.scalars(sa.select(Person.id).where(
                Person.id.in_(with_shifts[start:start + 1000]), Person.calendar_delivery.in_(INVITED_BY_EMAIL))))

    def emailed(shift: LeaverShift) -> bool:
        return shift.announced and shift.person_id in by_email

    shift_count: dict[int, int] = {}
    for shift in shifts:
        shift_count[shift.person_id] = shift_count.get(shift.person_id, 0) + 1
    for change in plan.deactivated:
        count = shift_count.get(current[change.key].id, 0)
        change.notes += [f"{count} shift{'s' if count != 1 else ''} still to come withdrawn" if count
                         else "no shift still to come", "signed out everywhere; their calendar link stops"]
    cancelled = []
    for shift in shifts:
        employee_id = by_id[shift.person_id]
        what = ("cancelled; a cancellation e-mail goes to them" if emailed(shift) else
                "cancelled; they chose the calendar feed, so no e-mail" if shift.announced else
                "a draft, taken out of the plan; nobody is told")
        cancelled.append(Change(employee_id, current[employee_id].full_name,
                                notes=[f"{shift.first_day:%a %d %b %Y}", site_names[shift.site_id], what]))
    orphans = [Change(employee_id, full_name(employee_id),
                      notes=[f"reports to {name_of(managers_after[employee_id])}, who leaves"])
               for employee_id in sorted(e for e in active if managers_after.get(e) in leaving)] if leaving else []

    skipped: set[str] = set()
    for answer in answers(invited_already, None):
        skipped |= answer

    def email_of(employee_id: str) -> str:
        person = wanted.get(employee_id)
        return person.email if person is not None else current[employee_id].email

    invited = sorted((e for e in in_after if email_of(e) not in skipped),
                     key=lambda e: (wanted[e].line if e in wanted else 0, e))
    emails = [Change(employee_id, full_name(employee_id),
                     notes=[f"to {email_of(employee_id)}: a link to set their password (works for 7 days)"])
              for employee_id in invited]
    emails += [Change(by_id[shift.person_id], current[by_id[shift.person_id]].full_name,
                      notes=[f"to {current[by_id[shift.person_id]].email}: the cancellation of their shift on "
                             f"{shift.first_day:%a %d %b %Y} at {site_names[shift.site_id]}"])
               for shift in shifts if emailed(shift)]
    plan.consequences = [
        Consequence("rotation", "Would join or leave the rotation", "Joined or left the rotation", rotation_changes),
        Consequence("cancelled", "Leavers' shifts that would be withdrawn", "Leavers' shifts withdrawn", cancelled),
        Consequence("reporting_to_leavers", "Would report to someone who leaves", "Report to someone who left",
                    orphans),
        Consequence("emails", "E-mails that would go out", "E-mails queued", emails),
    ]


FIELD_WORDS = {"full_name": "name", "email": "e-mail", "department": "department", "manager_id": "manager",
               "home_site": "home site", "in_rotation": "in the rotation (HR's word)"}


def _word(override: bool | None) -> str:
    return "by the rule" if override is None else ("yes" if override else "no")


def _read_row(row: Row, sites: dict[str, int]) -> tuple[list[ImportIssue], Wanted | None]:
    problems: list[ImportIssue] = []

    def problem(column: str, message: str, value: str | None = None) -> None:
        problems.append(ImportIssue(row.line, column, row[column] if value is None else value, message))

    for column in REQUIRED:
        if not row[column]:
            problem(column, f"A value is required in {column}.")
        elif len(row[column]) > LIMITS[column]:
            problem(column, f"At most {LIMITS[column]} characters.")
    email = row["email"].lower()
    if email and not _PLAIN_EMAIL.match(email):
        try:
            email = validate_email(row["email"], check_deliverability=False).normalized.lower()
        except EmailNotValidError as error:
            problem("email", f"Not a valid e-mail address: {error}")
    home_site_id = None
    if row["home_site"]:
        home_site_id = sites.get(row["home_site"])
        if home_site_id is None:
            problem("home_site", "Unknown home site: no site has this code (import sites.csv first).")
    in_rotation = row["in_rotation"].lower()
    if in_rotation not in IN_ROTATION:
        problem("in_rotation", "Unknown value: use yes, no, or leave it empty for the default rule.")
    if row["manager_id"] and row["manager_id"] == row["employee_id"]:
        problem("manager_id", "A person cannot be their own line manager.")
    if not row["employee_id"] or not email:
        return problems, None
    return problems, Wanted(
        line=row.line, employee_id=row["employee_id"], full_name=row["full_name"], email=email,
        department=row["department"], manager=row["manager_id"] or None, home_site_id=home_site_id,
        override=IN_ROTATION.get(in_rotation),
    )


def _reporting_cycles(wanted: dict[str, Wanted], current: dict, employee_of_id: dict[int, str]) -> list[ImportIssue]:
    """Each loop in the reporting lines as they would be after the import, reported once."""
    def manager_of(employee_id: str) -> str | None:
        person = wanted.get(employee_id)
        if person is not None:
            return person.manager
        row = current.get(employee_id)
        return employee_of_id.get(row.manager_id) if row is not None and row.manager_id else None

    problems = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in wanted:
        path: list[str] = []
        node: str | None = start
        while node is not None and state.get(node) is None:
            state[node] = 1
            path.append(node)
            node = manager_of(node)
        if node is not None and state.get(node) == 1:
            loop = path[path.index(node):]
            if len(loop) > 1:  # a person managing themself is reported on their row
                first = min((wanted[e] for e in loop if e in wanted), key=lambda p: p.line)
                chain = " → ".join(loop[loop.index(first.employee_id):] + loop[:loop.index(first.employee_id)]
                                   + [first.employee_id])
                problems.append(ImportIssue(
                    first.line, "manager_id", first.manager,
                    f"Reporting cycle: {chain}. Line managers must lead up to someone who has none."))
        for visited in path:
            state[visited] = 2
    return problems


def _write(plan: ImportPlan, wanted: dict[str, Wanted], current: dict) -> None:
    # Addresses may move between people in one file; park the changing ones on a
    # unique placeholder first so no row briefly holds another's address.
    moving = [{"id": current[c.key].id, "email": f"~{current[c.key].id}"}
              for c in plan.updated if current[c.key].email != wanted[c.key].email]
    for batch in _batches(moving):
        db.session.execute(sa.update(Person), batch)
    # New people are inserted managers first, level by level, so each row can
    # carry its manager's id at once instead of needing an update afterwards.
    ids = {employee_id: row.id for employee_id, row in current.items()}
    for level in _levels([wanted[change.key] for change in plan.added]):
        for batch in _batches(level):
            rows = [
                {"employee_id": p.employee_id, "full_name": p.full_name, "email": p.email,
                 "department": p.department, "manager_id": ids[p.manager] if p.manager else None,
                 "home_site_id": p.home_site_id, "in_rotation_override": p.override, "is_active": True}
                for p in batch
            ]
            # A plain many-row INSERT, then the new ids by employee ID: with RETURNING in the rows' order SQLite
            # would insert one row per statement.
            db.session.execute(sa.insert(Person), rows)
            ids.update(db.session.execute(sa.select(Person.employee_id, Person.id).where(
                Person.employee_id.in_([p.employee_id for p in batch]))).tuples().all())
    updates = [
        {"id": ids[p.employee_id], "full_name": p.full_name, "email": p.email, "department": p.department,
         "manager_id": ids[p.manager] if p.manager else None, "home_site_id": p.home_site_id,
         "in_rotation_override": p.override, "is_active": True}
        for p in (wanted[change.key] for change in plan.updated)
    ]
    leavers = [current[c.key].id for c in plan.deactivated]
    updates += [{"id": person_id, "is_active": False} for person_id in leavers]
    for batch in _batches(updates):
        db.session.execute(sa.update(Person), batch)
    # A leaver's shifts still to come are withdrawn at once (what has started stays on record), their calendar
    # link stops and their devices are signed out; whoever is now in the rotation without an account gets a
    # link to set a password. Each area above the roster does its part.
    roster_changed.send(leavers, today=utc_today())


def _levels(people: list[Wanted]) -> list[list[Wanted]]:
    """``people`` grouped so that everyone's manager is in an earlier group or not among them."""
    by_id = {p.employee_id: p for p in people}
    depth: dict[str, int] = {}
    for person in people:
        chain = []
        node: Wanted | None = person
        while node is not None and node.employee_id not in depth:
            chain.append(node)
            node = by_id.get(node.manager) if node.manager else None
        base = depth[node.employee_id] + 1 if node is not None else 0
        for offset, member in enumerate(reversed(chain)):
            depth[member.employee_id] = base + offset
    levels: dict[int, list[Wanted]] = {}
    for person in people:
        levels.setdefault(depth[person.employee_id], []).append(person)
    return [levels[d] for d in sorted(levels)]


def _batches(rows: list, size: int = 5000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def people_links(employee_ids: list[str]) -> dict[str, str]:
    """The page of each of these people, by employee id (a query per thousand; for the import's result page)."""
    links = {}
    for start in range(0, len(employee_ids), 1000):
        links.update({employee_id: url_for("people.person_detail", person_id=person_id)
                      for employee_id, person_id in db.session.execute(
                          sa.select(Person.employee_id, Person.id)
                          .where(Person.employee_id.in_(employee_ids[start:start + 1000])))})
    return links


register_import_kind(ImportKind("people", "People (the roster)",
                     "employee_id, full_name, email, department, manager_id, home_site, in_rotation",
                     plan_people_import, can_deactivate=True, position=2, links=people_links))
