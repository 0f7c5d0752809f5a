"""Triage and problems: an owner's queue of submitted observations, making a problem of one (or linking it to
one, or declining it), the list of problems by pain, and a problem's page with its details, status, audit trail,
merging and verification by later shifts.

Everyone signed in reads problems; only the owners of a problem's area (or an area above it) and admins triage
and change them. The services write the audit trail and tell the subscribers; a request commits once.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rotation.accounts.models import RoleGrant, User
from rotation.navigation import menu_entry
from rotation.roles import ADMIN, OWNER
from rotation.assignments.models import Assignment
from rotation.db import utc_today
from rotation.observations.models import Evidence
from rotation.extensions import db
from rotation.observations.models import DRAFT, KIND_LABELS, SEVERITIES, SUBMITTED, Observation, Second
from rotation.observations.services import area_owners
from rotation.pagination import paginate, paginate_sequence
from rotation.people.models import Person
from rotation.problems import services
from rotation.observations.access import can_triage
from rotation.problems.forms import (
    SETTABLE_STATUSES, ActionForm, CreateProblemForm, DeclineForm, LinkForm, MergeForm, ProblemForm, StatusForm,
    chosen_id, problem_data,
)
from rotation.problems.models import (
    CLOSED, COUNTERMEASURES, DUPLICATE, FIX_IN_PLACE, STATUS_LABELS, VERIFYING, Problem, ProblemEvent,
    VerificationRequest,
)
from rotation.problems.pain import pain_of
from rotation.process_map.models import ProcessArea
from rotation.process_map.tree import area_paths, owned_area_ids, subtree_ids
from rotation.refusals import FieldProblems, all_or_nothing
from rotation.security import roles_required, signed_in
from rotation.sites.models import Slot

bp = Blueprint("problems", __name__, url_prefix="/problems")
menu_entry("Triage", "problems.triage", {OWNER, ADMIN}, position=140)
menu_entry("Problems", "problems.problem_list", position=150)

QUEUE_PAGE = 25
LIST_PAGE = 25
# Problems offered to link an observation to or merge into: those near it in the process map, then the rest.
NEAR_CHOICES = 200
OTHER_CHOICES = 50
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
    statement = (sa.select(Observation).where(Observation.status == SUBMITTED)
                 .options(joinedload(Observation.author),
                          joinedload(Observation.assignment).joinedload(Assignment.slot).joinedload(Slot.site))
                 .order_by(Observation.andon.desc(), Observation.submitted_at, Observation.id))
    if scope is not None:
        statement = statement.where(Observation.area_id.in_(scope))
    page = paginate(statement, per_page=QUEUE_PAGE)
    seconded = _seconds_of([observation.id for observation in page.items])
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
        problem = db.session.get(Problem, form.problem_id.data)

        def link() -> None:
            if problem is None:
                raise FieldProblems({"problem_id": "Choose the problem from the list."})
            services.link(observation, problem, current_user)

        done = _triage_action(form, link, lambda _: f"Linked “{observation.title}” to the problem “{problem.title}”.")
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
        done = _triage_action(form, lambda: services.decline_observation(observation, current_user, form.reason.data),
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
    except FieldProblems as error:
        if _about_the_observation(error):
            return redirect(url_for("problems.triage"))
        form.show_refusal(error)
        return None
    flash(success(result), "success")
    return redirect(url_for("problems.triage"))


def _about_the_observation(error: FieldProblems) -> bool:
    """A refusal about the observation as a whole (someone triaged it meanwhile): said on the queue."""
    if set(error.problems) != {None}:
        return False
    flash(error.problems[None], "error")
    return True


def _triageable(observation_id: int) -> Observation:
    """The observation, when the signed-in account may triage it (403 otherwise, 404 when there is none)."""
    observation = db.session.scalar(
        sa.select(Observation).where(Observation.id == observation_id)
        .options(joinedload(Observation.author),
                 joinedload(Observation.assignment).joinedload(Assignment.slot).joinedload(Slot.site)))
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
        "seconds": _seconds_of([observation.id]).get(observation.id, 0),
        "evidence": db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)
                                      .where(Evidence.observation_id == observation.id)) or 0,
    }
    return render_template(
        "problems/triage_observation.html", observation=observation, path=area_paths().get(observation.area_id, ""),
        create_form=create_form, link_form=link_form, decline_form=decline_form, counts=counts,
        waiting=observation.status == SUBMITTED, query=request.args.get("q", "").strip()[:100],
        severities=SEVERITIES, problem=db.session.get(Problem, observation.problem_id)
        if observation.problem_id else None)


def _create_choices(form: CreateProblemForm, observation: Observation) -> None:
    form.area_id.choices = _area_choices(observation.area_id)
    owners = area_owners(observation.area_id)
    if not owners:  # nobody owns the area: whoever triages it (an admin) owns the problem for now
        owners = [current_user]
    form.owner_id.choices = [(owner.id, _user_label(owner)) for owner in owners]


def _default_owner(form: CreateProblemForm) -> int | None:
    """The acting owner when they own the area or one above it, else the nearest owner."""
    offered = [value for value, _ in form.owner_id.choices]
    return current_user.id if current_user.id in offered else (offered[0] if offered else None)


def _link_choices(form: LinkForm, observation: Observation) -> None:
    query = request.args.get("q", "").strip()[:100] if request.method == "GET" else ""
    form.problem_id.choices = _problem_choices(observation.area_id, query=query)


# --- The list of problems ---------------------------------------------------------------------------------------

@bp.get("/")
@signed_in
def problem_list():
    """Problems, most painful first (severity 5 and safety always first), with filters.

    The order is by pain across every matching problem, so the pain of all of them is computed (two grouped
    queries) and sorted here before the page is cut; that is quick up to a few thousand problems. Only the
    page's problems are then loaded in full.
    """
    group = request.args.get("status", "open")
    group = group if group in STATUS_GROUPS else "open"
    area_id = chosen_id(request.args.get("area"))
    paths = area_paths()
    area_id = area_id if area_id in paths else None
    mine = request.args.get("mine") == "1"

    statement = sa.select(Problem.id, Problem.severity, Problem.safety)
    if group == "open":
        statement = statement.where(Problem.status.not_in(CLOSED))
    elif group == "closed":
        statement = statement.where(Problem.status.in_(CLOSED))
    if area_id is not None:
        statement = statement.where(Problem.area_id.in_(subtree_ids([area_id])))
    if mine:
        owned = owned_area_ids(current_user.id)
        statement = statement.where(sa.or_(Problem.owner_id == current_user.id, Problem.area_id.in_(owned)))
    rows = db.session.execute(statement).all()
    pains = pain_of(rows)
    ordered = [row.id for row in sorted(rows, key=lambda row: (pains[row.id].sort_key, row.id))]

    page = paginate_sequence(ordered, per_page=LIST_PAGE)
    shown = page.items
    loaded = {problem.id: problem for problem in db.session.scalars(
        sa.select(Problem).where(Problem.id.in_(shown))
        .options(joinedload(Problem.area), joinedload(Problem.owner)))} if shown else {}
    page.items = [loaded[problem_id] for problem_id in shown]
    return render_template("problems/list.html", page=page, pains=pains, paths=paths, group=group, groups=STATUS_GROUPS,
                           area_id=area_id, mine=mine, observations=_observations_of(shown), today=utc_today())


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
        except FieldProblems as error:
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
        except FieldProblems as error:
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
        except FieldProblems as error:
            flash(error.message, "error")
        else:
            asked = db.session.execute(
                sa.select(Person.full_name, Slot.first_day).join(Assignment, Assignment.person_id == Person.id)
                .join(Slot, Slot.id == Assignment.slot_id).where(Assignment.id.in_([shift.id for shift in shifts]))
                .order_by(Slot.first_day, Person.full_name)).all()
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
    form.survivor_id.choices = _problem_choices(problem.area_id, exclude_id=problem.id)
    if form.validate():
        survivor = _load(form.survivor_id.data)
        if not can_triage(current_user, survivor.area_id):
            form.survivor_id.errors = [*form.survivor_id.errors, "You can merge only into a problem in an area you "
                                                                 "own; ask its owner to merge it."]
            return _problem_page(_load(problem_id), merge_form=form)
        if form.confirm.data != "yes":
            pains = pain_of([problem, survivor])
            counts = _observations_of([problem.id, survivor.id])
            return render_template("problems/confirm_merge.html", problem=problem, survivor=survivor, form=form,
                                   pains=pains, counts=counts, paths=area_paths())
        try:
            with all_or_nothing():
                services.merge(problem, survivor, current_user)
        except FieldProblems as error:
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


def _about_the_problem(error: FieldProblems) -> bool:
    """A refusal about the problem as a whole (it was merged meanwhile): said at the top of its page."""
    if set(error.problems) != {None}:
        return False
    flash(error.problems[None], "error")
    return True


def _load(problem_id: int | None) -> Problem:
    problem = db.session.scalar(
        sa.select(Problem).where(Problem.id == problem_id)
        .options(joinedload(Problem.area), joinedload(Problem.owner))) if problem_id is not None else None
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
    observations = list(db.session.scalars(
        sa.select(Observation).where(Observation.problem_id == problem.id)
        .options(joinedload(Observation.author),
                 joinedload(Observation.assignment).joinedload(Assignment.slot).joinedload(Slot.site))
        .order_by(Observation.andon.desc(), Observation.submitted_at, Observation.id)))
    ids = [observation.id for observation in observations]
    seconds = _seconds_of(ids)
    evidence = dict(db.session.execute(
        sa.select(Evidence.observation_id, sa.func.count()).where(Evidence.observation_id.in_(ids))
        .group_by(Evidence.observation_id)).all()) if ids else {}
    events = list(db.session.scalars(sa.select(ProblemEvent).where(ProblemEvent.problem_id == problem.id)
                                     .order_by(ProblemEvent.at.desc(), ProblemEvent.id.desc())))
    actors = _names_of({event.actor for event in events})
    survivor = db.session.get(Problem, problem.duplicate_of_id) if problem.duplicate_of_id else None
    merged_in = list(db.session.execute(sa.select(Problem.id, Problem.title)
                                        .where(Problem.duplicate_of_id == problem.id).order_by(Problem.id)))
    asked = db.session.execute(
        sa.select(Person.full_name, Slot.first_day, VerificationRequest.answered_by_observation_id)
        .join(Assignment, Assignment.id == VerificationRequest.assignment_id)
        .join(Person, Person.id == Assignment.person_id).join(Slot, Slot.id == Assignment.slot_id)
        .where(VerificationRequest.problem_id == problem.id).order_by(Slot.first_day, Person.full_name)).all()

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
            merge_form.survivor_id.choices = _problem_choices(problem.area_id, exclude_id=problem.id)
    return render_template(
        "problems/detail.html", problem=problem, pain=pain, path=area_paths().get(problem.area_id, ""),
        observations=observations, seconds=seconds, evidence=evidence, events=events, actors=actors,
        event_labels=EVENT_LABELS, survivor=survivor, merged_in=merged_in, asked=asked, changeable=changeable,
        edit_form=edit_form, status_form=status_form, merge_form=merge_form, action_form=ActionForm(formdata=None),
        can_verify=problem.status in (FIX_IN_PLACE, VERIFYING), countermeasures=COUNTERMEASURES,
        severities=SEVERITIES, kinds=KIND_LABELS, today=utc_today(), is_duplicate=problem.status == DUPLICATE)


def _detail_choices(form: ProblemForm, problem: Problem) -> None:
    form.area_id.choices = _area_choices(problem.area_id)
    owners: list[User] = [*area_owners(problem.area_id)]
    # Any process owner may be given the problem, the owners of its area first.
    others = db.session.scalars(sa.select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                .where(RoleGrant.role == OWNER, User.is_enabled.is_(True)).order_by(User.email))
    owners += [user for user in others if user not in owners]
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

def _seconds_of(observation_ids: list[int]) -> dict[int, int]:
    """How many "me too"s each observation has, in one query."""
    if not observation_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Second.observation_id, sa.func.count()).where(Second.observation_id.in_(observation_ids))
        .group_by(Second.observation_id)).all())


def _observations_of(problem_ids: list[int]) -> dict[int, int]:
    """How many observations are linked to each problem, in one query."""
    if not problem_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Observation.problem_id, sa.func.count()).where(Observation.problem_id.in_(problem_ids))
        .group_by(Observation.problem_id)).all())


def _area_choices(current_area_id: int | None) -> list[tuple[int, str]]:
    """The areas the account may file a problem in: active ones it triages in (admins: all), and the current one."""
    scope = _scope()
    paths = area_paths(active_only=True)
    choices = [(area_id, path) for area_id, path in paths.items() if scope is None or area_id in scope]
    if current_area_id is not None and all(area_id != current_area_id for area_id, _ in choices):
        choices.insert(0, (current_area_id, area_paths().get(current_area_id, "(retired area)")))
    return choices


def _problem_choices(area_id: int | None, *, exclude_id: int | None = None,
                     query: str = "") -> dict[str, list[tuple[int, str]]]:
    """Open problems to choose from, as option groups: those in the area's part of the process map (the area,
    the areas above it and below it) first, then others; each group most painful first. ``query`` narrows both
    to titles containing it."""
    parents = dict(db.session.execute(sa.select(ProcessArea.id, ProcessArea.parent_id)).all())
    near: set[int] = set()
    if area_id is not None:
        near = subtree_ids([area_id])
        above = parents.get(area_id)
        while above is not None and above not in near:
            near.add(above)
            above = parents.get(above)
    base = sa.select(Problem.id, Problem.title, Problem.severity, Problem.safety, Problem.area_id, Problem.status) \
        .where(Problem.status.not_in(CLOSED))
    if exclude_id is not None:
        base = base.where(Problem.id != exclude_id)
    if query:
        escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        base = base.where(Problem.title.ilike(f"%{escaped}%", escape="\\"))
    close = db.session.execute(base.where(Problem.area_id.in_(near)).order_by(Problem.updated_at.desc())
                               .limit(NEAR_CHOICES)).all() if near else []
    rest = db.session.execute((base.where(Problem.area_id.not_in(near)) if near else base)
                              .order_by(Problem.updated_at.desc()).limit(OTHER_CHOICES)).all()
    pains = pain_of([*close, *rest])
    paths = area_paths()

    def options(rows) -> list[tuple[int, str]]:
        ranked = sorted(rows, key=lambda row: (pains[row.id].sort_key, row.id))
        return [(row.id, f"{row.title} — {paths.get(row.area_id, '')} ({STATUS_LABELS[row.status]}, "
                         f"pain {pains[row.id].score:g})") for row in ranked]

    groups = {}
    if close:
        groups["In this part of the process map"] = options(close)
    if rest:
        groups["Elsewhere" if close else "Open problems"] = options(rest)
    return groups


def _names_of(emails: set[str]) -> dict[str, str]:
    """Accounts' names by their address, for the audit trail."""
    emails = {email for email in emails if email and email != "system"}
    if not emails:
        return {}
    return {email: display_name or email for email, display_name in db.session.execute(
        sa.select(User.email, User.display_name).where(User.email.in_(emails))).all()}


def _user_label(user) -> str:
    return user.name if user.name == user.email else f"{user.name} ({user.email})"


def _and(words) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
