"""The figures of Insights: where the pain is, and how the open problems age against their due dates.

For process owners, managers (the executives) and admins, over the whole company:

- a Pareto chart of pain (``rotation.problems.pain``) by process area — the
  top-level areas, or each area on its own — and by kind, open problems by
  default or all of them. A problem's kind is the most common kind among its
  observations. Duplicates are left out: their observations count in the
  problem they were merged into.
- ageing: the open problems per area that are overdue, due within a week, or
  due later, and the longest overdue ones with their owners.

A handful of queries whatever the number of problems: the problems with their
owners, the process map, the kinds of their observations, and the pain parts
(two queries per 900 problems).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from rotation.accounts.models import User
from rotation.extensions import db
from rotation.observations.models import DRAFT, KINDS, Observation
from rotation.problems.models import CLOSED, DUPLICATE, STATUS_LABELS, Problem
from rotation.problems.pain import pain_of
from rotation.process_map.models import ProcessArea
from rotation.process_map.tree import SEPARATOR

OPEN, ALL = "open", "all"
TOP, EACH = "top", "each"
SOON_DAYS = 7          # "due soon": within a week
OLDEST_OVERDUE = 10    # the longest overdue problems listed
PAIN_BATCH = 900       # problems per pain query (SQLite's old limit on bound values is 999)

NO_KIND = "none"
KIND_SHORT = {"contact": "Customer contact", "waste": "Waste", "defect": "Quality defect", "safety": "Safety",
              "blocked": "Computer says no", "good_practice": "Good practice", NO_KIND: "No observations"}

# The Pareto chart's coordinate system; the browser scales it to the width it has (viewBox).
WIDTH = 400
LABEL_WIDTH = 136
VALUE_WIDTH = 58
AXIS_TOP = 22
ROW = 26
BAR = 16
LABEL_CHARACTERS = 16
MAX_BARS = 10          # more groups than this: the smallest are drawn as one "others" bar
PERCENT_TICKS = (0, 25, 50, 75, 100)
LABELLED_TICKS = (0, 50, 100)  # labels at every tick would crowd each other on a phone
VITAL_FEW = 80         # the Pareto line: the few groups that carry most of the pain


# --- The numbers -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProblemFacts:
    """What the page needs to know about one problem."""

    id: int
    title: str
    area_id: int
    status: str
    severity: int
    safety: bool
    due_on: date
    owner: str | None

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Group:
    """One bar of a Pareto chart: the pain of the problems of one area or one kind."""

    key: str
    name: str           # in full, e.g. "Customer service › Refunds"
    short: str          # what fits beside the bar
    problems: int
    pain: float
    share: float        # per cent of all the chart's pain
    cumulative: float   # per cent of all the chart's pain, this bar and every bigger one

    @property
    def pain_text(self) -> str:
        return number(self.pain)


@dataclass(frozen=True)
class Ageing:
    """Open problems of one area by how their due dates stand."""

    key: str
    name: str
    overdue: int
    soon: int
    later: int

    @property
    def total(self) -> int:
        return self.overdue + self.soon + self.later


@dataclass(frozen=True)
class Overdue:
    problem: ProblemFacts
    area: str
    days: int


def number(value: float) -> str:
    """A pain score as people read it: ``12,345.6``, or ``120`` when it is whole."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


class AreaTree:
    """The process map in memory (one query): each area's path and its top-level area."""

    def __init__(self) -> None:
        rows = db.session.execute(sa.select(ProcessArea.id, ProcessArea.parent_id, ProcessArea.name)).all()
        self._by_id = {row.id: row for row in rows}
        self._chains: dict[int, list[int]] = {}

    def _chain(self, area_id: int) -> list[int]:
        """The area's id and those above it, top-level first."""
        if area_id not in self._chains:
            chain, seen, current = [], set(), area_id
            while current is not None and current in self._by_id and current not in seen:
                seen.add(current)
                chain.append(current)
                current = self._by_id[current].parent_id
            self._chains[area_id] = chain[::-1] or [area_id]
        return self._chains[area_id]

    def name(self, area_id: int) -> str:
        row = self._by_id.get(area_id)
        return row.name if row else f"Area {area_id}"

    def path(self, area_id: int) -> str:
        return SEPARATOR.join(self.name(each) for each in self._chain(area_id))

    def top(self, area_id: int) -> int:
        return self._chain(area_id)[0]


def load_problems() -> list[ProblemFacts]:
    """Every problem except duplicates (their observations live on in the one they were merged into)."""
    rows = db.session.execute(
        sa.select(Problem.id, Problem.title, Problem.area_id, Problem.status, Problem.severity, Problem.safety,
                  Problem.due_on, User.display_name, User.email)
        .outerjoin(User, User.id == Problem.owner_id)
        .where(Problem.status != DUPLICATE)
        .order_by(Problem.id)).all()
    return [ProblemFacts(id=row.id, title=row.title, area_id=row.area_id, status=row.status, severity=row.severity,
                        safety=row.safety, due_on=row.due_on, owner=row.display_name or row.email)
            for row in rows]


def pain_scores(problems: list[ProblemFacts]) -> dict[int, float]:
    """Each problem's pain score, computed in batches."""
    scores: dict[int, float] = {}
    for start in range(0, len(problems), PAIN_BATCH):
        scores.update({problem_id: pain.score
                       for problem_id, pain in pain_of(problems[start:start + PAIN_BATCH]).items()})
    return scores


def problem_kinds() -> dict[int, str]:
    """Each problem's kind: the most common among its observations; on a tie, the one listed first in KINDS."""
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = db.session.execute(
        sa.select(Observation.problem_id, Observation.kind, sa.func.count())
        .where(Observation.problem_id.is_not(None), Observation.status != DRAFT, Observation.kind.is_not(None))
        .group_by(Observation.problem_id, Observation.kind))
    for problem_id, kind, count in rows:
        counts[problem_id][kind] = count
    order = {kind: index for index, kind in enumerate(KINDS)}
    return {problem_id: min(kinds, key=lambda kind: (-kinds[kind], order.get(kind, len(order))))
            for problem_id, kinds in counts.items()}


def pareto_groups(entries: list[tuple[str, str, str, float]]) -> list[Group]:
    """Pareto bars from ``(key, name, short name, pain)`` per problem: summed per key, biggest first
    (ties by name), each with its share of the total and the running (cumulative) share."""
    pains: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    names: dict[str, tuple[str, str]] = {}
    for key, name, short, pain in entries:
        pains[key] += pain
        counts[key] += 1
        names[key] = (name, short)
    total = sum(pains.values())
    groups, running = [], 0.0
    for key in sorted(pains, key=lambda key: (-pains[key], names[key][0].casefold(), key)):
        running += pains[key]
        groups.append(Group(key=key, name=names[key][0], short=names[key][1], problems=counts[key],
                            pain=round(pains[key], 1),
                            share=100 * pains[key] / total if total else 0.0,
                            cumulative=100 * running / total if total else 0.0))
    return groups


def ageing(problems: list[ProblemFacts], key_of, name_of, today: date) -> list[Ageing]:
    """Open problems per area: overdue, due within SOON_DAYS days, later. Most overdue areas first."""
    buckets: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    names: dict[str, str] = {}
    for problem in problems:
        if not problem.is_open:
            continue
        key = key_of(problem)
        names[key] = name_of(problem)
        if problem.due_on < today:
            buckets[key][0] += 1
        elif problem.due_on <= today + timedelta(days=SOON_DAYS):
            buckets[key][1] += 1
        else:
            buckets[key][2] += 1
    rows = [Ageing(key=key, name=names[key], overdue=counts[0], soon=counts[1], later=counts[2])
            for key, counts in buckets.items()]
    return sorted(rows, key=lambda row: (-row.overdue, -row.soon, -row.later, row.name.casefold()))


def oldest_overdue(problems: list[ProblemFacts], tree: AreaTree, today: date,
                   limit: int = OLDEST_OVERDUE) -> list[Overdue]:
    late = sorted((problem for problem in problems if problem.is_open and problem.due_on < today),
                  key=lambda problem: (problem.due_on, problem.id))
    return [Overdue(problem=problem, area=tree.path(problem.area_id), days=(today - problem.due_on).days)
            for problem in late[:limit]]


# --- Drawing ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartBar:
    group: Group
    label: str
    y: float
    text_y: float
    width: float
    point_x: float
    point_y: float


@dataclass(frozen=True)
class PercentTick:
    value: int
    x: float
    labelled: bool


@dataclass(frozen=True)
class ParetoChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    axis_y: float
    bottom: float
    value_x: float
    bars: list[ChartBar]
    ticks: list[PercentTick]
    vital_x: float
    line: str           # the cumulative line's points, "x,y x,y …"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARACTERS else text[:LABEL_CHARACTERS - 1].rstrip() + "…"


def lumped(groups: list[Group], most: int = MAX_BARS) -> list[Group]:
    """At most ``most`` bars: past that, the smallest groups are drawn as one bar at the end."""
    if len(groups) <= most:
        return groups
    kept, rest = groups[:most - 1], groups[most - 1:]
    name = f"{len(rest)} others"
    return [*kept, Group(key="others", name=name, short=name, problems=sum(group.problems for group in rest),
                         pain=round(sum(group.pain for group in rest), 1),
                         share=sum(group.share for group in rest), cumulative=100.0)]


def pareto_chart(groups: list[Group]) -> ParetoChart:
    """Horizontal bars, biggest first from the top; a bar's length is its share of all the pain, so the
    cumulative line (on the same 0–100 % scale) starts at the end of the first bar."""
    left, right = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    span = right - left
    bars = []
    for index, group in enumerate(lumped(groups)):
        y = AXIS_TOP + 6 + index * ROW
        bars.append(ChartBar(group=group, label=_short(group.short), y=y, text_y=round(y + BAR * 0.75, 2),
                             width=round(span * group.share / 100, 2),
                             point_x=round(left + span * group.cumulative / 100, 2), point_y=round(y + BAR / 2, 2)))
    bottom = AXIS_TOP + 6 + len(bars) * ROW
    return ParetoChart(width=WIDTH, height=bottom + 4, plot_left=left, plot_right=right, axis_y=AXIS_TOP,
                       bottom=bottom, value_x=WIDTH - 2, bars=bars,
                       ticks=[PercentTick(value, round(left + span * value / 100, 2), value in LABELLED_TICKS)
                              for value in PERCENT_TICKS],
                       vital_x=round(left + span * VITAL_FEW / 100, 2),
                       line=" ".join(f"{bar.point_x},{bar.point_y}" for bar in bars))


# --- The page --------------------------------------------------------------------------------------------------
