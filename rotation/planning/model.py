"""What the planning engine reads and returns: plain dataclasses, no database.

The caller (a service with a database session) loads the year's people, slots,
blackouts and published assignments into a ``PlanRequest``, calls
``rotation.planning.engine.plan_year`` and writes the ``PlanResult`` back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

CUSTOMER_SERVICE = "customer_service"
WAREHOUSE = "warehouse"
SLOT_KINDS = (CUSTOMER_SERVICE, WAREHOUSE)
KIND_LABELS = {CUSTOMER_SERVICE: "customer-service day", WAREHOUSE: "warehouse week"}
DEFAULT_DEPARTMENT_SHARE = Fraction(1, 5)

# Where a shift is for a person, and what that costs: at their home site, in their home site's
# region, anywhere else.
HOME, REGION, ANYWHERE = 0, 1, 2
TIER_COSTS = (0, 1_000, 2_000)
# The k-th of a slot's n seats costs floor(LOAD_SCALE × (k − 1) / n), and likewise the k-th of the n
# seats of that kind in an ISO week: filling slots and weeks evenly is cheaper than filling some first,
# and the two together stay below one step of TIER_COSTS.
LOAD_SCALE = 100


@dataclass(frozen=True)
class DateRange:
    """The first and last day of a blackout, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"A blackout ends ({self.end}) before it starts ({self.start}).")

    def overlaps(self, first_day: date, last_day: date) -> bool:
        """True when any day from ``first_day`` to ``last_day`` (inclusive) is in the range."""
        return self.start <= last_day and first_day <= self.end


@dataclass(frozen=True)
class PlanPerson:
    """Someone active and in the rotation, as the plan sees them."""

    id: int
    employee_id: str
    department: str
    home_site_id: int | None = None
    # The region of the home site; sites of one region are "near" each other.
    region: str | None = None


@dataclass(frozen=True)
class PlanSlot:
    """One bookable shift: a customer-service day or a Monday–Friday warehouse week."""

    id: int
    site_id: int
    region: str | None
    kind: str
    first_day: date
    last_day: date
    seats: int


@dataclass(frozen=True)
class PublishedAssignment:
    """An assignment already published to the person, which the plan keeps when it still fits."""

    person_id: int
    kind: str
    slot_id: int
    uid: str


@dataclass
class PlanRequest:
    """Everything one year's plan depends on.

    ``person_blackouts`` and ``site_blackouts`` are keyed by person id and site
    id. A site's blackout closes the site's slots and also blocks the people
    whose home site it is. Slots before ``not_before`` are closed to new
    placements; the published assignments in them are kept unchanged.
    ``department_sizes`` gives n, the number of rotation
    members of each department, for the weekly cap ``max(1, floor(share × n))``;
    a department missing from it counts the people passed in.
    """

    year: int
    people: list[PlanPerson]
    slots: list[PlanSlot]
    person_blackouts: dict[int, list[DateRange]] = field(default_factory=dict)
    site_blackouts: dict[int, list[DateRange]] = field(default_factory=dict)
    company_blackouts: list[DateRange] = field(default_factory=list)
    department_sizes: dict[str, int] = field(default_factory=dict)
    published: list[PublishedAssignment] = field(default_factory=list)
    department_share: Fraction = DEFAULT_DEPARTMENT_SHARE
    # Slots starting before this day are history: nobody is placed in them or moved out of them, and a
    # published assignment in one is kept as it is, whatever blackouts, seats or caps say now.
    not_before: date | None = None


@dataclass(frozen=True)
class PlannedAssignment:
    """A person in a slot. ``kept`` assignments carry their published ``uid``;
    ``replaces_uid`` names the published assignment of the same kind that this one moves."""

    person_id: int
    kind: str
    slot_id: int
    kept: bool = False
    uid: str | None = None
    replaces_uid: str | None = None


@dataclass(frozen=True)
class UnplacedPerson:
    """Someone the plan could not give a shift of ``kind``, and why, in words HR can act on."""

    person_id: int
    employee_id: str
    kind: str
    reason: str


@dataclass(frozen=True)
class StageReport:
    """How one kind of shift was planned: its cost, the flow's lower bound and the solver rounds."""

    kind: str
    objective: int
    lower_bound: int
    placed: int
    unplaced: int
    rounds: int


@dataclass
class PlanResult:
    """The year's plan.

    ``kept`` counts published assignments kept as they were, ``moved`` published
    assignments that no longer fit (their person is placed again or reported
    unplaced), ``new`` placements for people who had none of that kind.
    ``objective`` is the plan's cost in the engine's units (README.md beside this
    file), every unplaced shift counting ``unplaced_cost``. ``lower_bound`` is the
    sum of the stages' bounds: no plan keeping the same published assignments has
    cheaper warehouse weeks, and none with these warehouse weeks has cheaper
    customer-service days.
    """

    assignments: list[PlannedAssignment]
    unplaced: list[UnplacedPerson]
    kept: int
    moved: int
    new: int
    objective: int
    lower_bound: int
    unplaced_cost: int
    stages: list[StageReport]

    def assigned(self, kind: str) -> int:
        """How many people have a shift of ``kind``."""
        return sum(1 for assignment in self.assignments if assignment.kind == kind)
