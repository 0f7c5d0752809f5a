"""``sites.csv``: code, name, kind, timezone, region, seats, shift_start, shift_end.

Optional beyond the contract's columns: ``address``, ``host_name`` and ``host_email`` (who welcomes
visiting managers), shown in invitations.
"""
from __future__ import annotations

import re
import zoneinfo
from datetime import time
from functools import lru_cache

import sqlalchemy as sa

from rotation.email_addresses import NotAnEmailAddress, canonical_email
from rotation.extensions import db
from rotation.imports.csvfile import ImportIssue, Invalid, Row, parse_hhmm, parse_positive_int, read_table
from rotation.imports.plan import Change, ImportPlan
from rotation.imports.registry import ImportKind, register_import_kind
from rotation.sites.models import CONTACT_CENTER, SITE_KINDS, Site

_CODE = re.compile(r"^[A-Za-z0-9._-]+$")
REQUIRED = ("code", "name", "kind", "timezone", "seats")
FIELDS = ("name", "kind", "timezone", "region", "seats", "shift_start", "shift_end", "address", "host_name",
          "host_email")
# What a site's new slots are made from; its slots already made keep theirs.
SLOT_FIELDS = ("kind", "timezone", "seats", "shift_start", "shift_end")


def _shown(value: object) -> str:
    if value is None or value == "":
        return "none"
    return f"{value:%H:%M}" if isinstance(value, time) else str(value)


@lru_cache(maxsize=1)
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def plan_sites_import(content: bytes) -> ImportPlan:
    """Validate a whole sites file and work out what importing it would change."""
    plan = ImportPlan("sites")
    table = read_table(content, REQUIRED)
    plan.problems.extend(table.problems)
    if table.problems:
        return plan

    existing = {site.code: site for site in db.session.scalars(sa.select(Site))}
    seen: dict[str, int] = {}
    wanted: list[tuple[dict, Change]] = []
    for row in table.rows:
        problems: list[ImportIssue] = []

        def problem(column: str, message: str, *, row: Row = row, problems: list[ImportIssue] = problems) -> None:
            problems.append(ImportIssue(row.line, column, row[column], message))

        for column in REQUIRED:
            if not row[column]:
                problem(column, f"A value is required in {column}.")
        code = row["code"]
        if code and len(code) > 32:
            problem("code", "A site code has at most 32 characters.")
        elif code and not _CODE.match(code):
            problem("code", "A site code uses only letters, digits, '-', '_' and '.'.")
        if code in seen:
            problem("code", f"The site code is used twice: already on line {seen[code]}.")
        elif code:
            seen[code] = row.line
        kind = row["kind"].lower()
        if kind and kind not in SITE_KINDS:
            problem("kind", "Unknown kind: use contact_center or warehouse.")
        if row["timezone"] and row["timezone"] not in known_time_zones():
            problem("timezone", "Unknown time zone: use an IANA name such as Europe/Helsinki.")
        seats = None
        if row["seats"]:
            try:
                seats = parse_positive_int(row["seats"])
            except Invalid as error:
                problem("seats", f"Seats: {error}")
        hours = {}
        for column in ("shift_start", "shift_end"):
            if row[column]:
                try:
                    hours[column] = parse_hhmm(row[column])
                except Invalid as error:
                    problem(column, str(error))
            elif kind == CONTACT_CENTER:
                problem(column, f"A contact centre needs {column} (local HH:MM).")
        if len(hours) == 2 and hours["shift_end"] <= hours["shift_start"]:
            problem("shift_end", f"The shift ends before it starts ({row['shift_start']}).")
        if len(row["name"]) > 200:
            problem("name", "A site name has at most 200 characters.")
        for column, longest in (("address", 300), ("host_name", 200)):
            if len(row[column]) > longest:
                problem(column, f"{column} has at most {longest} characters.")
        host_email = None
        if row["host_email"]:
            try:
                host_email = canonical_email(row["host_email"])
            except NotAnEmailAddress:
                problem("host_email", "Not a valid e-mail address.")
        plan.problems.extend(problems)
        if problems:
            continue
        values = {
            "code": code, "name": row["name"], "kind": kind, "timezone": row["timezone"],
            "region": row["region"] or None, "seats": seats,
            "shift_start": hours.get("shift_start") if kind == CONTACT_CENTER else None,
            "shift_end": hours.get("shift_end") if kind == CONTACT_CENTER else None,
            "address": row["address"] or None, "host_name": row["host_name"] or None, "host_email": host_email,
        }
        current = existing.get(code)
        if current is None:
            change = Change(code, row["name"], row.line)
            plan.added.append(change)
            wanted.append((values, change))
            continue
        changed = [name for name in FIELDS if getattr(current, name) != values[name]]
        if changed:
            notes = [f"{name.replace('_', ' ')}: {_shown(getattr(current, name))} → {_shown(values[name])}"
                     for name in changed]
            if any(name in SLOT_FIELDS for name in changed):
                notes.append("slots already made keep their seats and hours: no shift is moved or cancelled")
            plan.updated.append(Change(code, row["name"], row.line, changed, notes))
            wanted.append((values, plan.updated[-1]))
        else:
            plan.unchanged += 1

    def write() -> None:
        for values, _change in wanted:
            site = existing.get(values["code"])
            if site is None:
                db.session.add(Site(**values))
            else:
                for name in FIELDS:
                    setattr(site, name, values[name])
        db.session.flush()

    plan.write = write
    return plan


register_import_kind(ImportKind("sites", "Sites", "code, name, kind, timezone, region, seats, shift_start, shift_end",
                     plan_sites_import, position=1))
