"""Generated companies for the plan's acceptance tests: the CSV files HR imports, and what they mean.

``make_company(seed, year)`` builds a company the way an HR system describes one
(docs/contracts.md, "CSV files"): a chief executive with an empty ``manager_id``;
departments of varied sizes under them, one with reporting lines at least six
levels deep; ``in_rotation`` overrides both ways; people who have left (listed in
a first roster, absent from the next); contact centres and warehouses in time
zones east and west of UTC with regions; and blackouts of all three kinds
(person, site, whole company).

The same ``Company`` answers, without asking the app, who is active and in the
rotation, each department's weekly cap and which blackouts apply to whom, so a
checker can judge an exported plan from the generated input alone.
"""
from __future__ import annotations

import csv
import io
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta

CONTACT_CENTER = "contact_center"
WAREHOUSE = "warehouse"
EXECUTIVE = "Executive"
DEPARTMENTS = ("Operations", "Customer Care", "Logistics", "Finance", "Technology", "Sales", "Legal", "People")
# Managers in a line below the head of the largest department, the last with a report of their own: with the
# head at level 1, that line reaches level 8.
SPINE = 6

SITES_HEADER = ("code", "name", "kind", "timezone", "region", "seats", "shift_start", "shift_end")
PEOPLE_HEADER = ("employee_id", "full_name", "email", "department", "manager_id", "home_site", "in_rotation")
BLACKOUTS_HEADER = ("employee_id", "site", "start", "end", "reason")

FIRST_NAMES = ("Aino", "Mika", "Sofía", "Jürgen", "Haruto", "Aroha", "Chloé", "Mateo", "Ngaio", "Yuki",
               "Olivia", "Liam", "Zoë", "Björn", "Amara", "Kenji", "Søren", "Priya", "Tomás", "Élodie")
LAST_NAMES = ("Virtanen", "Satō", "Núñez", "O'Brien", "Müller", "Ngata", "Esposito, Jr.", "Kowalski",
              "Tanaka", "Järvinen", "García", "Smith", "Takahashi", "Parata", "Lefèvre", "Nakamura")


@dataclass(frozen=True)
class SiteRow:
    """One line of ``sites.csv``."""

    code: str
    name: str
    kind: str
    timezone: str
    region: str
    seats: int
    shift_start: time | None = None
    shift_end: time | None = None

    def csv_values(self) -> tuple[str, ...]:
        hours = [f"{moment:%H:%M}" if moment else "" for moment in (self.shift_start, self.shift_end)]
        return (self.code, self.name, self.kind, self.timezone, self.region, str(self.seats), *hours)


@dataclass(frozen=True)
class PersonRow:
    """One line of ``people.csv``; ``manager_id`` and ``home_site`` are empty strings when not given."""

    employee_id: str
    full_name: str
    email: str
    department: str
    manager_id: str
    home_site: str
    in_rotation: str  # "yes", "no" or "" (the default rule)

    def csv_values(self) -> tuple[str, ...]:
        return (self.employee_id, self.full_name, self.email, self.department, self.manager_id, self.home_site,
                self.in_rotation)


@dataclass(frozen=True)
class BlackoutRow:
    """One line of ``blackouts.csv``: a person's (``employee_id``), a site's (``site``) or the company's."""

    start: date
    end: date
    employee_id: str = ""
    site: str = ""
    reason: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def csv_values(self) -> tuple[str, ...]:
        return (self.employee_id, self.site, self.start.isoformat(), self.end.isoformat(), self.reason)


def to_csv(header: Iterable[str], rows: Iterable[tuple[str, ...]]) -> str:
    """CSV text as an HR system writes it: a header line, then one line per row, quoted where needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@dataclass
class Company:
    """A generated company: its sites, everyone who was ever on its roster, its blackouts."""

    year: int
    sites: list[SiteRow]
    people: list[PersonRow]
    blackouts: list[BlackoutRow]
    left: set[str] = field(default_factory=set)  # employee ids of people no longer on the roster

    # --- The files ---

    def sites_csv(self) -> str:
        return to_csv(SITES_HEADER, (site.csv_values() for site in self.sites))

    def people_csv(self, include_left: bool = False) -> str:
        """Today's roster; with ``include_left`` an earlier one that still lists the people who left since."""
        listed = self.people if include_left else self.active()
        return to_csv(PEOPLE_HEADER, (person.csv_values() for person in listed))

    def blackouts_csv(self, blackouts: Iterable[BlackoutRow] | None = None) -> str:
        chosen = self.blackouts if blackouts is None else blackouts
        return to_csv(BLACKOUTS_HEADER, (blackout.csv_values() for blackout in chosen))

    # --- What the files mean (docs/contracts.md), worked out without the app ---

    def person(self, employee_id: str) -> PersonRow:
        return self._people_by_id()[employee_id]

    def site(self, code: str) -> SiteRow:
        return next(site for site in self.sites if site.code == code)

    @property
    def chief(self) -> PersonRow:
        """The chief executive: the one person with an empty manager_id."""
        (chief,) = [person for person in self.people if not person.manager_id]
        return chief

    def active(self) -> list[PersonRow]:
        return [person for person in self.people if person.employee_id not in self.left]

    def active_reports(self) -> Counter[str]:
        """How many active people report to each employee id."""
        return Counter(person.manager_id for person in self.active() if person.manager_id)

    def in_rotation(self) -> set[str]:
        """Employee ids of the active people in the rotation: ``in_rotation`` when given, else exactly
        those an active person reports to."""
        reports = self.active_reports()
        return {person.employee_id for person in self.active()
                if person.in_rotation == "yes" or (person.in_rotation == "" and reports[person.employee_id] > 0)}

    def rotation_sizes(self) -> Counter[str]:
        """n per department: how many of its active people are in the rotation."""
        return Counter(self.person(employee_id).department for employee_id in self.in_rotation())

    def weekly_cap(self, department: str) -> int:
        """At most max(1, floor(0.2 × n)) of a department's n rotation members on a shift in any ISO week."""
        return max(1, self.rotation_sizes()[department] // 5)

    def depth(self) -> int:
        """Reporting levels below the chief executive on the longest line of active people (the chief's
        reports are level 1)."""
        people = self._people_by_id()

        def level(person: PersonRow) -> int:
            steps = 0
            while person.manager_id:
                person, steps = people[person.manager_id], steps + 1
            return steps

        return max(level(person) for person in self.active())

    def blackouts_for(self, employee_id: str, site_code: str) -> list[BlackoutRow]:
        """Every blackout that keeps ``employee_id`` off a shift at ``site_code``: their own, their home
        site's, that site's and the company's."""
        home = self.person(employee_id).home_site
        return [blackout for blackout in self.blackouts
                if blackout.employee_id == employee_id
                or (not blackout.employee_id and blackout.site in {home, site_code} and blackout.site)
                or (not blackout.employee_id and not blackout.site)]

    # --- Changes HR makes during the year ---

    def hire(self, seed: int, count: int) -> list[PersonRow]:
        """Add ``count`` newcomers as reports of people who had none, so each of those managers joins the
        rotation; every other newcomer is put in the rotation outright (``in_rotation`` yes)."""
        rng = random.Random(seed)
        reports = self.active_reports()
        leaves = [person for person in self.active()
                  if person.in_rotation == "" and reports[person.employee_id] == 0]
        newcomers = []
        for number, manager in enumerate(rng.sample(leaves, count)):
            employee_id = f"N{len(self.people) + 1:04d}"
            newcomers.append(_person(rng, employee_id, manager.department, manager.employee_id,
                                     manager.home_site, "yes" if number % 2 else ""))
            self.people.append(newcomers[-1])
        return newcomers

    def leave(self, employee_ids: Iterable[str]) -> None:
        """These people are no longer on the roster HR exports."""
        self.left.update(employee_ids)

    def _people_by_id(self) -> dict[str, PersonRow]:
        return {person.employee_id: person for person in self.people}


def make_company(seed: int, year: int, people: int = 300, tight: bool = False) -> Company:
    """A company of about ``people`` people (leavers included) planned for ``year``.

    With ``tight`` every slot has one seat and a company blackout keeps all but the
    last weeks before the year-end break closed, so there are fewer seats than
    people in the rotation and the plan must report some of them unplaced.
    """
    rng = random.Random(seed)
    sites = _sites(rng, tight)
    roster = _roster(rng, people, sites)
    company = Company(year=year, sites=sites, people=roster, blackouts=[])
    company.left = _leavers(rng, company)
    company.blackouts = _blackouts(rng, company, tight)
    return company


# --- Sites ---


def _sites(rng: random.Random, tight: bool) -> list[SiteRow]:
    """Contact centres and warehouses east (Auckland, Tokyo, Helsinki) and west (Los Angeles, Chicago) of UTC.

    Los Angeles answers customers in the late shift, which ends after midnight UTC.
    """
    def seats(low: int, high: int) -> int:
        return 1 if tight else rng.randint(low, high)

    return [
        SiteRow("AKL-CC", "Auckland contact centre", CONTACT_CENTER, "Pacific/Auckland", "APAC", seats(1, 2),
                time(8, 0), time(16, 0)),
        SiteRow("TYO-CC", "Tokyo contact centre", CONTACT_CENTER, "Asia/Tokyo", "APAC", seats(1, 2),
                time(9, 0), time(17, 30)),
        SiteRow("HEL-CC", "Helsinki contact centre", CONTACT_CENTER, "Europe/Helsinki", "Nordics", seats(1, 3),
                time(8, 0), time(16, 0)),
        SiteRow("LAX-CC", "Los Angeles contact centre", CONTACT_CENTER, "America/Los_Angeles", "Americas",
                seats(1, 2), time(15, 0), time(23, 0)),
        SiteRow("CHI-CC", "Chicago contact centre", CONTACT_CENTER, "America/Chicago", "Americas", seats(1, 2),
                time(8, 0), time(17, 0)),
        SiteRow("AKL-WH", "Auckland warehouse", WAREHOUSE, "Pacific/Auckland", "APAC", seats(2, 3)),
        SiteRow("VNT-WH", "Vantaa warehouse", WAREHOUSE, "Europe/Helsinki", "Nordics", seats(3, 4)),
        SiteRow("CHI-WH", "Joliet warehouse", WAREHOUSE, "America/Chicago", "Americas", seats(3, 4)),
    ]


# --- The roster ---


def _person(rng: random.Random, employee_id: str, department: str, manager_id: str, home_site: str,
            in_rotation: str = "") -> PersonRow:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = "".join(char for char in unicodedata.normalize("NFKD", f"{first}.{last.split(',')[0]}")
                    if char.isascii() and (char.isalnum() or char == "."))
    # Some HR systems keep the address as typed; the app compares addresses without regard to case.
    email = f"{local}.{employee_id}@example.com"
    return PersonRow(employee_id, f"{first} {last}", email if rng.random() < 0.3 else email.lower(), department,
                     manager_id, home_site, in_rotation)


def _department_sizes(rng: random.Random, total: int) -> dict[str, int]:
    """Five to seven departments, from most of the company down to a head with one report."""
    names = rng.sample(DEPARTMENTS, rng.randint(5, 7))
    weights = sorted((rng.random() ** 2 + 0.05 for _ in names), reverse=True)
    sizes = [max(3, int(total * weight / sum(weights))) for weight in weights]
    sizes[-1] = 2
    sizes[0] += total - sum(sizes)
    return dict(zip(names, sizes, strict=True))


def _roster(rng: random.Random, size: int, sites: list[SiteRow]) -> list[PersonRow]:
    """The chief executive, two executive staff, and the departments' reporting trees under the chief."""
    codes = [site.code for site in sites]

    def home() -> str:
        return "" if rng.random() < 0.1 else rng.choice(codes)

    chief = _person(rng, "E0001", EXECUTIVE, "", rng.choice(codes))
    roster = [chief,
              _person(rng, "E0002", EXECUTIVE, chief.employee_id, home(), "yes"),
              _person(rng, "E0003", EXECUTIVE, chief.employee_id, home())]
    sizes = _department_sizes(rng, size - len(roster))
    for number, (department, members) in enumerate(sizes.items()):
        roster.extend(_department(rng, department, members, chief.employee_id, len(roster) + 1, home,
                                  deep=number == 0))
    return _with_overrides(rng, roster)


def _department(rng: random.Random, department: str, size: int, chief_id: str, first_number: int,
                home: Callable[[], str], deep: bool) -> list[PersonRow]:
    """A department of ``size`` people under a head who reports to the chief executive.

    New people mostly join an existing team (someone who already manages), sometimes
    start a new one under anyone; the ``deep`` department first gets a line of
    ``SPINE`` managers below its head.
    """
    numbers = iter(range(first_number, first_number + size))
    head = _person(rng, f"E{next(numbers):04d}", department, chief_id, home())
    members = [head]
    managers: list[str] = []
    for _ in range(SPINE + 1 if deep else 0):
        members.append(_person(rng, f"E{next(numbers):04d}", department, members[-1].employee_id, home()))
        managers.append(members[-2].employee_id)
    for number in numbers:
        manager = rng.choice(managers) if managers and rng.random() < 0.55 else rng.choice(members).employee_id
        if manager not in managers:
            managers.append(manager)
        members.append(_person(rng, f"E{number:04d}", department, manager, home()))
    return members


def _with_overrides(rng: random.Random, roster: list[PersonRow]) -> list[PersonRow]:
    """Some people without reports put in the rotation (yes), some managers taken out (no) or put in."""
    managers = {person.manager_id for person in roster}
    changed = []
    for person in roster:
        override = person.in_rotation
        if person.manager_id and not override:
            roll = rng.random()
            if person.employee_id not in managers and roll < 0.07:
                override = "yes"
            elif person.employee_id in managers and roll < 0.06:
                override = "no"
            elif person.employee_id in managers and roll < 0.1:
                override = "yes"
        changed.append(replace(person, in_rotation=override))
    return changed


def _leavers(rng: random.Random, company: Company) -> set[str]:
    """People listed in the first roster and gone from the next: every report of one manager (who then
    drops out of the rotation), someone HR had put in the rotation, and a few others without reports."""
    reports: dict[str, list[PersonRow]] = {}
    for person in company.people:
        reports.setdefault(person.manager_id, []).append(person)
    heads = {person.employee_id for person in reports[company.chief.employee_id]}
    small_teams = [manager for manager, team in reports.items()
                   if manager and manager not in heads and manager != company.chief.employee_id
                   and company.person(manager).in_rotation == ""
                   and all(member.employee_id not in reports for member in team)]
    left = {member.employee_id for member in reports[rng.choice(small_teams)]}
    without_reports = [person for person in company.people
                       if person.employee_id not in reports and person.employee_id not in left
                       and person.manager_id != company.chief.employee_id]
    left.add(rng.choice([person for person in without_reports if person.in_rotation == "yes"]).employee_id)
    left.update(person.employee_id for person in rng.sample(without_reports, max(2, len(company.people) // 40)))
    return left


# --- Blackouts ---


def _blackouts(rng: random.Random, company: Company, tight: bool) -> list[BlackoutRow]:
    """The company's year-end breaks (one reaching into the year from the last), a public holiday, a
    stocktake and a refurbishment at two sites, and people's own leave: the chief executive's two weeks,
    someone's whole year, and one to three periods for about one person in seven."""
    year = company.year
    first = date(year, 1, 1)
    blackouts = [
        BlackoutRow(date(year - 1, 12, 28), date(year, 1, 1), reason="New Year"),
        BlackoutRow(date(year, 12, 21), date(year, 12, 31), reason="Year-end holidays"),
        _weekday_blackout(rng, year, "Public holiday"),
    ]
    if tight:
        blackouts.append(BlackoutRow(first, date(year, 10, 31), reason="Season closed to visitors"))
    for site, reason, longest in zip(rng.sample(company.sites, 2), ("Stocktake", "Refurbishment"), (3, 13),
                                     strict=True):
        start = first + timedelta(days=rng.randint(20, 330))
        blackouts.append(BlackoutRow(start, start + timedelta(days=rng.randint(0, longest)), site=site.code,
                                     reason=reason))
    chief = company.chief.employee_id
    start = first + timedelta(days=rng.randint(120, 200))
    blackouts.append(BlackoutRow(start, start + timedelta(days=13), employee_id=chief, reason="Board travel"))
    whole_year = rng.choice([person for person in company.active()
                             if person.in_rotation == "yes" and person.manager_id != chief])
    blackouts.append(BlackoutRow(first, date(year, 12, 31), employee_id=whole_year.employee_id,
                                 reason="Parental leave"))
    for person in company.people:
        if person.employee_id in {chief, whole_year.employee_id} or rng.random() >= 0.15:
            continue
        for _ in range(rng.randint(1, 3)):
            start = first + timedelta(days=rng.randint(-5, 360))
            blackouts.append(BlackoutRow(start, start + timedelta(days=rng.choice([0, 1, 2, 4, 9, 20])),
                                         employee_id=person.employee_id, reason="Leave"))
    return _distinct(blackouts)


def _weekday_blackout(rng: random.Random, year: int, reason: str) -> BlackoutRow:
    day = date(year, 3, 1) + timedelta(days=rng.randint(0, 200))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return BlackoutRow(day, day, reason=reason)


def _distinct(blackouts: list[BlackoutRow]) -> list[BlackoutRow]:
    """One row per person, site and dates: the import refuses the same blackout twice in a file."""
    seen: dict[tuple, BlackoutRow] = {}
    for blackout in blackouts:
        seen.setdefault((blackout.employee_id, blackout.site, blackout.start, blackout.end), blackout)
    return list(seen.values())
