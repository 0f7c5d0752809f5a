"""``blackouts.csv``: employee_id, site, start, end, reason."""
from __future__ import annotations

import sqlalchemy as sa

from rotation.blackouts.models import Blackout
from rotation.blackouts.services import MAX_REASON
from rotation.blackouts.signals import saved
from rotation.extensions import db
from rotation.imports.csvfile import ImportIssue, Invalid, Row, parse_date, read_table
from rotation.imports.plan import Change, ImportPlan
from rotation.imports.registry import ImportKind, register_import_kind
from rotation.people.models import Person
from rotation.sites.models import Site

REQUIRED = ("start", "end")


def plan_blackouts_import(content: bytes) -> ImportPlan:
    """Validate a whole blackouts file and work out what importing it would change.

    A blackout is identified by who or what it covers and its dates; importing
    one that exists only updates its reason. Writing it marks the upcoming
    assignments that the new and changed blackouts cover for re-planning.
    """
    plan = ImportPlan("blackouts")
    table = read_table(content, REQUIRED)
    plan.problems.extend(table.problems)
    if table.problems:
        return plan

    people = dict(db.session.execute(sa.select(Person.employee_id, Person.id)).tuples().all())
    sites = dict(db.session.execute(sa.select(Site.code, Site.id)).tuples().all())
    existing = {(b.person_id, b.site_id, b.start, b.end): b for b in db.session.scalars(sa.select(Blackout))}
    seen: dict[tuple, int] = {}
    writes: list[tuple[dict, Blackout | None]] = []
    for row in table.rows:
        problems: list[ImportIssue] = []

        def problem(column: str, message: str, *, row: Row = row, problems: list[ImportIssue] = problems) -> None:
            problems.append(ImportIssue(row.line, column, row[column], message))

        employee_id, site_code = row["employee_id"], row["site"]
        person_id = site_id = None
        if employee_id and site_code:
            problem("site", "Give either employee_id (a person's blackout) or site (a whole site's), not both.")
        elif employee_id:
            person_id = people.get(employee_id)
            if person_id is None:
                problem("employee_id", "No person in the roster has this employee id.")
        elif site_code:
            site_id = sites.get(site_code)
            if site_id is None:
                problem("site", "No site has this code.")
        days = {}
        for column in ("start", "end"):
            if not row[column]:
                problem(column, f"A value is required in {column}.")
                continue
            try:
                days[column] = parse_date(row[column])
            except Invalid as error:
                problem(column, str(error))
        if len(days) == 2 and days["end"] < days["start"]:
            problem("end", f"The blackout ends before it starts ({row['start']}).")
        if len(row["reason"]) > MAX_REASON:
            problem("reason", f"A reason has at most {MAX_REASON} characters.")
        if not problems:
            key = (person_id, site_id, days["start"], days["end"])
            if key in seen:
                problem("start", f"The same blackout is already on line {seen[key]}.")
            seen.setdefault(key, row.line)
        plan.problems.extend(problems)
        if problems:
            continue
        label = (f"{employee_id or site_code or 'whole company'}, {days['start']} to {days['end']}")
        current = existing.get(key)
        if current is None:
            plan.added.append(Change(label, label, row.line))
        elif current.reason != row["reason"]:
            plan.updated.append(Change(label, label, row.line, ["reason"]))
        else:
            plan.unchanged += 1
            continue
        writes.append(({"person_id": person_id, "site_id": site_id, "start": days["start"], "end": days["end"],
                        "reason": row["reason"]}, current))

    def write() -> None:
        written = []
        for values, current in writes:
            if current is None:
                current = Blackout(**values)
                db.session.add(current)
            else:
                current.reason = values["reason"]
            written.append(current)
        db.session.flush()
        saved.send([blackout.id for blackout in written])

    plan.write = write
    return plan


register_import_kind(ImportKind("blackouts", "Blackouts", "employee_id, site, start, end, reason",
                     plan_blackouts_import, position=3))
