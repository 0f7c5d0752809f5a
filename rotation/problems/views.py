"""A problem's pages: the list of problems by pain, and a problem's page with its details, status, audit trail,
merging and verification by later shifts. Triage is ``triage_views``.

Everyone signed in reads problems; only the owners of a problem's area (or an area above it) and admins triage
and change them. The services write the audit trail and tell the subscribers; a request commits once.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rotation.accounts.models import User
from rotation.db import utc_today
from rotation.exports import download
from rotation.observations.access import can_triage
from rotation.observations.models import KIND_LABELS, SEVERITIES
from rotation.observations.services import area_owners
from rotation.pagination import paginate_sequence
from rotation.problems import queries, services
from rotation.problems.blueprint import area_choices, bp, user_label
from rotation.problems.export import COLUMNS, ProblemFilter, export_rows
from rotation.problems.forms import (
    SETTABLE_STATUSES,
    ActionForm,
    MergeForm,
    ProblemForm,
    StatusForm,
    chosen_id,
    problem_data,
)
from rotation.problems.models import COUNTERMEASURES, DUPLICATE, FIX_IN_PLACE, VERIFYING, Problem
from rotation.problems.pain import pain_of
from rotation.process_map.tree import area_paths
from rotation.refusals import Refusal, all_or_nothing
from rotation.security import signed_in

LIST_PAGE = 25
STATUS_GROUPS = {"open": "Open", "closed": "Closed", "all": "All"}
# How the audit trail names what changed.
EVENT_LABELS = {
    "created": "Created", "observation linked": "Observation linked", "merged": "Merged in", "status": "Status",
    "note": "Note", "verification asked": "Later shifts asked to verify", "title": "Title", "area_id": "Process area",
    "owner_id": "Owner", "severity": "Severity", "root_cause": "Root cause", "countermeasure": "Countermeasure",
    "countermeasure_type": "Kind of countermeasure", "verification_metric": "Verification metric",
    "verification_baseline": "Baseline", "verification_target": "Target", "verify_by": "Verify by",
    "ticket_links": "Tickets elsewhere",
}


# --- The list of problems ---------------------------------------------------------------------------------------

@bp.get("/")
@signed_in
def problem_list():
    """Problems, most painful first (severity 5 and safety always first), with filters.

    The order is by pain across every matching problem (``queries.problem_ids_by_pain``); only the page's
    problems are then loaded in full.
    """
    group, area_id, mine, paths = _list_filters()
    ordered, pains = queries.problem_ids_by_pain(group, area_id, current_user.id if mine else None)
    page = paginate_sequence(ordered, per_page=LIST_PAGE)
    shown = page.items
    loaded = queries.problems_by_id(shown)
    page.items = [loaded[problem_id] for problem_id in shown]
    return render_template("problems/list.html", page=page, pains=pains, paths=paths, group=group, groups=STATUS_GROUPS,
                           area_id=area_id, mine=mine, observations=queries.observations_of(shown), today=utc_today())


@bp.get("/export.csv")
@signed_in
def export():
    """Every problem the list's filters select, on every page, as ``problems export`` writes them (by id)."""
    group, area_id, mine, _paths = _list_filters()
    filters = ProblemFilter(status=group, area_id=area_id, owner_id=current_user.id if mine else None)
    return download(COLUMNS, export_rows(filters), "problems.csv")


def _list_filters() -> tuple[str, int | None, bool, dict[int, str]]:
    """The list's filters as the address gives them: the status group (open without one), an area that exists,
    only mine; and every area's path."""
    group = request.args.get("status", "open")
    group = group if group in STATUS_GROUPS else "open"
    area_id = chosen_id(request.args.get("area"))
    paths = area_paths()
    area_id = area_id if area_id in paths else None
    return group, area_id, request.args.get("mine") == "1", paths


# --- A problem's page -------------------------------------------------------------------------------------------

@bp.get("/<int:problem_id>")
@signed_in
def problem_detail(problem_id: int):
    return _problem_page(_load(problem_id))


@bp.post("/<int:problem_id>/edit")
@signed_in
def edit(problem_id: int):
    problem = _changeable(problem_id)
    if problem.status == DUPLICATE:
        return _merged_already(problem)
    form = ProblemForm()
    _detail_choices(form, problem)
    if form.validate():
        try:
            with all_or_nothing():
                changed = services.update_details(problem, form.values(), current_user)
        except Refusal as error:
            if _about_the_problem(error):
                return redirect(url_for("problems.problem_detail", problem_id=problem_id))
            form.show_refusal(error)
        else:
            flash("Saved: " + ", ".join(EVENT_LABELS.get(name, name).lower() for name in changed) + "."
                  if changed else "Nothing had changed.", "success")
            return redirect(url_for("problems.problem_detail", problem_id=problem_id))
    return _problem_page(_load(problem_id), edit_form=form)


@bp.post("/<int:problem_id>/status")
@signed_in
def change_status(problem_id: int):
    problem = _changeable(problem_id)
    if problem.status == DUPLICATE:
        return _merged_already(problem)
    form = StatusForm()
    form.status.choices = _status_choices(problem)
    if form.validate():
        try:
            with all_or_nothing():
                services.change_status(problem, form.status.data, current_user, note=form.note.data)
        except Refusal as error:
            if _about_the_problem(error):
                return redirect(url_for("problems.problem_detail", problem_id=problem_id))
            form.show_refusal(error)
        else:
            flash(f"The problem is now {problem.status_label.lower()}. Everyone following it is told.", "success")
            return redirect(url_for("problems.problem_detail", problem_id=problem_id))
    return _problem_page(_load(problem_id), status_form=form)


@bp.post("/<int:problem_id>/verify")
@signed_in
def ask_to_verify(problem_id: int):
    """Ask the next planned shifts where it was seen to check the fix; say who was asked."""
    problem = _changeable(problem_id)
    form = ActionForm()
    if form.validate():
        try:
            with all_or_nothing():
                shifts = services.request_verification(problem, current_user)
        except Refusal as error:
            flash(error.message, "error")
        else:
            asked = queries.verifiers([shift.id for shift in shifts])
            flash("Asked " + _and(f"{name} ({day.isoformat()})" for name, day in asked) +
                  " to check the fix on their shift. The problem is now being verified.", "success")
    return redirect(url_for("problems.problem_detail", problem_id=problem_id))


@bp.post("/<int:problem_id>/merge")
@signed_in
def merge(problem_id: int):
    """"This is the same problem as …": first a page to confirm, then the merge; then the problem that stays."""
    problem = _changeable(problem_id)
    if problem.status == DUPLICATE:
        return _merged_already(problem)
    form = MergeForm()
    form.survivor_id.choices = queries.problem_choices(problem.area_id, exclude_id=problem.id)
    if form.validate():
        survivor = _load(form.survivor_id.data)
        if not can_triage(current_user, survivor.area_id):
            form.survivor_id.errors = [*form.survivor_id.errors, "You can merge only into a problem in an area you "
                                                                 "own; ask its owner to merge it."]
            return _problem_page(_load(problem_id), merge_form=form)
        if form.confirm.data != "yes":
            pains = pain_of([problem, survivor])
            counts = queries.observations_of([problem.id, survivor.id])
            return render_template("problems/confirm_merge.html", problem=problem, survivor=survivor, form=form,
                                   pains=pains, counts=counts, paths=area_paths())
        try:
            with all_or_nothing():
                services.merge(problem, survivor, current_user)
        except Refusal as error:
            if _about_the_problem(error):
                return redirect(url_for("problems.problem_detail", problem_id=problem_id))
            form.show_refusal(error)
        else:
            flash(f"Merged “{problem.title}” into this problem, with its observations, “me too”s and evidence. "
                  "Everyone following either one is told.", "success")
            return redirect(url_for("problems.problem_detail", problem_id=survivor.id))
    return _problem_page(_load(problem_id), merge_form=form)


def _merged_already(problem: Problem):
    flash("This problem was merged into another and does not change any more; change the one it was merged into.",
          "error")
    return redirect(url_for("problems.problem_detail", problem_id=problem.id))


def _about_the_problem(error: Refusal) -> bool:
    """A refusal about the problem as a whole (it was merged meanwhile): said at the top of its page."""
    if set(error.reasons) != {None}:
        return False
    flash(error.reasons[None], "error")
    return True


def _load(problem_id: int | None) -> Problem:
    problem = queries.problem(problem_id) if problem_id is not None else None
    if problem is None:
        abort(404)
    return problem


def _changeable(problem_id: int) -> Problem:
    """The problem, when the signed-in account may change it: an owner of its area or above, or an admin."""
    problem = _load(problem_id)
    if not can_triage(current_user, problem.area_id):
        abort(403)
    return problem


def _problem_page(problem: Problem, edit_form: ProblemForm | None = None, status_form: StatusForm | None = None,
                  merge_form: MergeForm | None = None):
    pain = pain_of([problem])[problem.id]
    facts = queries.problem_facts(problem)

    changeable = can_triage(current_user, problem.area_id)
    if changeable:
        if edit_form is None:
            edit_form = ProblemForm(formdata=None, data=problem_data(problem))
            _detail_choices(edit_form, problem)
        if status_form is None:
            status_form = StatusForm(formdata=None)
            status_form.status.choices = _status_choices(problem)
        if merge_form is None:
            merge_form = MergeForm(formdata=None)
            merge_form.survivor_id.choices = queries.problem_choices(problem.area_id, exclude_id=problem.id)
    return render_template(
        "problems/detail.html", problem=problem, pain=pain, path=area_paths().get(problem.area_id, ""),
        observations=facts.observations, seconds=facts.seconds, evidence=facts.evidence, events=facts.events,
        actors=facts.actors, event_labels=EVENT_LABELS, survivor=facts.survivor, merged_in=facts.merged_in,
        asked=facts.asked, changeable=changeable,
        edit_form=edit_form, status_form=status_form, merge_form=merge_form, action_form=ActionForm(formdata=None),
        can_verify=problem.status in (FIX_IN_PLACE, VERIFYING), countermeasures=COUNTERMEASURES,
        severities=SEVERITIES, kinds=KIND_LABELS, today=utc_today(), is_duplicate=problem.status == DUPLICATE)


def _detail_choices(form: ProblemForm, problem: Problem) -> None:
    form.area_id.choices = area_choices(problem.area_id)
    owners: list[User] = [*area_owners(problem.area_id)]
    # Any process owner may be given the problem, the owners of its area first.
    owners += [user for user in queries.process_owners() if user not in owners]
    if problem.owner is not None and problem.owner not in owners:
        owners.append(problem.owner)
    form.owner_id.choices = ([] if problem.owner_id is not None else [("", "Nobody yet")]) + [
        (owner.id, user_label(owner)) for owner in owners]


def _status_choices(problem: Problem) -> list[tuple[str, str]]:
    if problem.status == DUPLICATE:
        return []
    return [("", "Choose the new status")] + [(status, label) for status, label in SETTABLE_STATUSES.items()
                                              if status != problem.status]


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
