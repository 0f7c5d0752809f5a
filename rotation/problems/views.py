"""Triage and problems: an owner's queue of submitted observations, making a problem of one (or linking it to
one, or declining it), the list of problems by pain, and a problem's page with its details, status, audit trail,
merging and verification by later shifts.

Everyone signed in reads problems; only the owners of a problem's area (or an area above it) and admins triage
and change them. The services write the audit trail and tell the subscribers; a request commits once.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rotation.accounts.models import User
from rotation.db import utc_today
from rotation.navigation import menu_entry
from rotation.observations.access import can_triage
from rotation.observations.models import DRAFT, KIND_LABELS, SEVERITIES, SUBMITTED, Observation
from rotation.observations.queries import observation_with_shift, seconds_counted
from rotation.observations.services import area_owners
from rotation.pagination import paginate, paginate_sequence
from rotation.problems import queries, services
from rotation.problems.forms import (
    SETTABLE_STATUSES,
    ActionForm,
    CreateProblemForm,
    DeclineForm,
    LinkForm,
    MergeForm,
    ProblemForm,
    StatusForm,
    choice_values,
    chosen_id,
    problem_data,
)
from rotation.problems.models import COUNTERMEASURES, DUPLICATE, FIX_IN_PLACE, VERIFYING, Problem
from rotation.problems.pain import pain_of
from rotation.process_map.tree import area_paths, owned_area_ids
from rotation.refusals import Refusal, all_or_nothing
from rotation.roles import ADMIN, OWNER
from rotation.security import roles_required, signed_in

bp = Blueprint("problems", __name__, url_prefix="/problems")
menu_entry("Triage", "problems.triage", {OWNER, ADMIN}, position=140)
menu_entry("Problems", "problems.problem_list", position=150)

QUEUE_PAGE = 25
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


# --- The triage queue -------------------------------------------------------------------------------------------

def _scope() -> set[int] | None:
    """The areas the signed-in account triages in; None for an admin, who triages everywhere."""
    return None if current_user.has_role(ADMIN) else owned_area_ids(current_user.id)


@bp.get("/triage")
@roles_required(OWNER, ADMIN)
def triage():
    """Submitted observations waiting for triage in the areas the account owns and below (admins: all):
    andon first, then the oldest. A fixed number of queries whatever the queue's length."""
    scope = _scope()
    page = paginate(queries.triage_queue(scope), per_page=QUEUE_PAGE)
    seconded = seconds_counted([observation.id for observation in page.items])
    return render_template("problems/triage.html", page=page, paths=area_paths(), seconded=seconded,
                           owns_any=scope is None or bool(scope))


@bp.get("/triage/<int:observation_id>")
@roles_required(OWNER, ADMIN)
def triage_observation(observation_id: int):
    """One observation and the three things an owner can do with it."""
    observation = _triageable(observation_id)
    return _triage_page(observation)


@bp.post("/triage/<int:observation_id>/problem")
@roles_required(OWNER, ADMIN)
def create_problem(observation_id: int):
    observation = _triageable(observation_id)
    form = CreateProblemForm()
    _create_choices(form, observation)
    if form.validate():
        done = _triage_action(form, lambda: services.create_from(observation, current_user, **form.values()),
                              lambda problem: f"Made the problem “{problem.title}” of “{observation.title}”.")
        if done:
            return done
    return _triage_page(_triageable(observation_id), create_form=form)


@bp.post("/triage/<int:observation_id>/link")
@roles_required(OWNER, ADMIN)
def link_problem(observation_id: int):
    observation = _triageable(observation_id)
    form = LinkForm()
    _link_choices(form, observation)
    if form.validate():
        problem = queries.problem(form.problem_id.data) if form.problem_id.data is not None else None

        def link() -> Problem:
            if problem is None:
                raise Refusal({"problem_id": "Choose the problem from the list."})
            services.link(observation, problem, current_user)
            return problem

        done = _triage_action(form, link,
                              lambda linked: f"Linked “{observation.title}” to the problem “{linked.title}”.")
        if done:
            return done
    return _triage_page(_triageable(observation_id), link_form=form)


@bp.post("/triage/<int:observation_id>/decline")
@roles_required(OWNER, ADMIN)
def decline(observation_id: int):
    observation = _triageable(observation_id)
    form = DeclineForm()
    if form.validate():
        author = observation.author.full_name
        reason = form.reason.data or ""
        done = _triage_action(form, lambda: services.decline_observation(observation, current_user, reason),
                              lambda _: f"Declined “{observation.title}”. {author} is told why.")
        if done:
            return done
    return _triage_page(_triageable(observation_id), decline_form=form)


def _triage_action(form, action, success):
    """Run one triage ``action``: back to the queue with ``success(result)`` when it worked, or with the
    refusal when it was about the observation as a whole; None (the messages beside the form's fields) else."""
    try:
        with all_or_nothing():
            result = action()
    except Refusal as error:
        if _about_the_observation(error):
            return redirect(url_for("problems.triage"))
        form.show_refusal(error)
        return None
    flash(success(result), "success")
    return redirect(url_for("problems.triage"))


def _about_the_observation(error: Refusal) -> bool:
    """A refusal about the observation as a whole (someone triaged it meanwhile): said on the queue."""
    if set(error.reasons) != {None}:
        return False
    flash(error.reasons[None], "error")
    return True


def _triageable(observation_id: int) -> Observation:
    """The observation, when the signed-in account may triage it (403 otherwise, 404 when there is none)."""
    observation = observation_with_shift(observation_id)
    if observation is None or observation.status == DRAFT:
        abort(404)
    if not can_triage(current_user, observation.area_id):
        abort(403)
    return observation


def _triage_page(observation: Observation, create_form: CreateProblemForm | None = None,
                 link_form: LinkForm | None = None, decline_form: DeclineForm | None = None):
    if create_form is None:
        create_form = CreateProblemForm(formdata=None, data={
            "title": observation.title, "area_id": observation.area_id,
            "severity": str(observation.severity or ""), "owner_id": None})
        _create_choices(create_form, observation)
        create_form.owner_id.data = _default_owner(create_form)
    if link_form is None:
        link_form = LinkForm(formdata=None)
        _link_choices(link_form, observation)
    decline_form = decline_form or DeclineForm(formdata=None)
    counts = {
        "seconds": seconds_counted([observation.id]).get(observation.id, 0),
        "evidence": queries.evidence_count(observation.id),
    }
    path = area_paths().get(observation.area_id, "") if observation.area_id is not None else ""
    return render_template(
        "problems/triage_observation.html", observation=observation, path=path,
        create_form=create_form, link_form=link_form, decline_form=decline_form, counts=counts,
        waiting=observation.status == SUBMITTED, query=request.args.get("q", "").strip()[:100],
        severities=SEVERITIES, problem=queries.problem(observation.problem_id) if observation.problem_id else None)


def _create_choices(form: CreateProblemForm, observation: Observation) -> None:
    form.area_id.choices = _area_choices(observation.area_id)
    owners = area_owners(observation.area_id)
    if not owners:  # nobody owns the area: whoever triages it (an admin) owns the problem for now
        owners = [current_user]
    form.owner_id.choices = [(owner.id, _user_label(owner)) for owner in owners]


def _default_owner(form: CreateProblemForm) -> int | None:
    """The acting owner when they own the area or one above it, else the nearest owner."""
    offered = choice_values(form.owner_id)
    return current_user.id if current_user.id in offered else (offered[0] if offered else None)


def _link_choices(form: LinkForm, observation: Observation) -> None:
    query = request.args.get("q", "").strip()[:100] if request.method == "GET" else ""
    form.problem_id.choices = queries.problem_choices(observation.area_id, query=query)


# --- The list of problems ---------------------------------------------------------------------------------------

@bp.get("/")
@signed_in
def problem_list():
    """Problems, most painful first (severity 5 and safety always first), with filters.

    The order is by pain across every matching problem (``queries.problem_ids_by_pain``); only the page's
    problems are then loaded in full.
    """
    group = request.args.get("status", "open")
    group = group if group in STATUS_GROUPS else "open"
    area_id = chosen_id(request.args.get("area"))
    paths = area_paths()
    area_id = area_id if area_id in paths else None
    mine = request.args.get("mine") == "1"

    ordered, pains = queries.problem_ids_by_pain(group, area_id, current_user.id if mine else None)
    page = paginate_sequence(ordered, per_page=LIST_PAGE)
    shown = page.items
    loaded = queries.problems_by_id(shown)
    page.items = [loaded[problem_id] for problem_id in shown]
    return render_template("problems/list.html", page=page, pains=pains, paths=paths, group=group, groups=STATUS_GROUPS,
                           area_id=area_id, mine=mine, observations=queries.observations_of(shown), today=utc_today())


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
    form.area_id.choices = _area_choices(problem.area_id)
    owners: list[User] = [*area_owners(problem.area_id)]
    # Any process owner may be given the problem, the owners of its area first.
    owners += [user for user in queries.process_owners() if user not in owners]
    if problem.owner is not None and problem.owner not in owners:
        owners.append(problem.owner)
    form.owner_id.choices = ([] if problem.owner_id is not None else [("", "Nobody yet")]) + [
        (owner.id, _user_label(owner)) for owner in owners]


def _status_choices(problem: Problem) -> list[tuple[str, str]]:
    if problem.status == DUPLICATE:
        return []
    return [("", "Choose the new status")] + [(status, label) for status, label in SETTABLE_STATUSES.items()
                                              if status != problem.status]


# --- Shared helpers ---------------------------------------------------------------------------------------------

def _area_choices(current_area_id: int | None) -> list[tuple[int, str]]:
    """The areas the account may file a problem in: active ones it triages in (admins: all), and the current one."""
    scope = _scope()
    paths = area_paths(active_only=True)
    choices = [(area_id, path) for area_id, path in paths.items() if scope is None or area_id in scope]
    if current_area_id is not None and all(area_id != current_area_id for area_id, _ in choices):
        choices.insert(0, (current_area_id, area_paths().get(current_area_id, "(retired area)")))
    return choices


def _user_label(user) -> str:
    return user.name if user.name == user.email else f"{user.name} ({user.email})"


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
