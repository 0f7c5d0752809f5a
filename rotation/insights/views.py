"""Insights: the page that shows where the pain is and how the open problems age (``figures``), for process
owners, managers (the executives) and admins."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from rotation.db import utc_today
from rotation.insights.figures import (
    ALL,
    EACH,
    KIND_SHORT,
    NO_KIND,
    OPEN,
    SOON_DAYS,
    TOP,
    VITAL_FEW,
    AreaTree,
    ageing,
    load_problems,
    number,
    oldest_overdue,
    pain_scores,
    pareto_chart,
    pareto_groups,
    problem_kinds,
)
from rotation.navigation import IMPROVEMENT, menu_entry
from rotation.observations.models import KIND_LABELS
from rotation.roles import ADMIN, MANAGER, OWNER
from rotation.security import roles_required

bp = Blueprint("insights", __name__, url_prefix="/insights")
menu_entry("Insights", "insights.pareto", {OWNER, ADMIN, MANAGER}, position=160, group=IMPROVEMENT)


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    value = request.args.get(name, "")
    return value if value in allowed else allowed[0]


def _area_grouping(tree: AreaTree, areas: str):
    """How problems group by area: their key, full name and short name, by top-level area or each area."""
    if areas == TOP:
        return (lambda problem: str(tree.top(problem.area_id)),
                lambda problem: tree.name(tree.top(problem.area_id)),
                lambda problem: tree.name(tree.top(problem.area_id)))
    return (lambda problem: str(problem.area_id),
            lambda problem: tree.path(problem.area_id),
            lambda problem: tree.name(problem.area_id))


@bp.get("/")
@roles_required(OWNER, ADMIN, MANAGER)
def pareto():
    """Where the pain is, by area and by kind, and how the open problems age."""
    shown = _choice("problems", (OPEN, ALL))
    areas = _choice("areas", (TOP, EACH))
    today = utc_today()
    tree = AreaTree()
    problems = load_problems()
    counted = [problem for problem in problems if shown == ALL or problem.is_open]
    scores = pain_scores(counted)
    kinds = problem_kinds() if counted else {}

    area_key, area_name, area_short = _area_grouping(tree, areas)
    by_area = pareto_groups([(area_key(problem), area_name(problem), area_short(problem), scores.get(problem.id, 0.0))
                             for problem in counted])
    by_kind = pareto_groups([(kind, KIND_LABELS.get(kind, KIND_SHORT[NO_KIND]), KIND_SHORT.get(kind, kind),
                              scores.get(problem.id, 0.0))
                             for problem in counted for kind in [kinds.get(problem.id, NO_KIND)]])
    return render_template(
        "insights/pareto.html", shown=shown, areas=areas, today=today,
        by_area=by_area, area_chart=pareto_chart(by_area), by_kind=by_kind, kind_chart=pareto_chart(by_kind),
        total_pain=number(sum(group.pain for group in by_area)), counted=len(counted),
        ageing=ageing(problems, area_key, area_name, today),
        overdue=oldest_overdue(problems, tree, today), soon_days=SOON_DAYS, vital_few=VITAL_FEW)
