"""Triage: an owner's queue of submitted observations in the areas they own (admins: all), and making a problem
of one, linking it to one, or declining it with a reason the author is told."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rotation.observations.access import can_triage
from rotation.observations.models import DRAFT, SEVERITIES, SUBMITTED, Observation
from rotation.observations.queries import observation_with_shift, seconds_counted
from rotation.observations.services import area_owners
from rotation.pagination import paginate
from rotation.problems import queries, services
from rotation.problems.blueprint import area_choices, bp, triage_scope, user_label
from rotation.problems.forms import (
    CreateProblemForm,
    DeclineForm,
    LinkForm,
    choice_values,
)
from rotation.problems.models import Problem
from rotation.process_map.tree import area_paths
from rotation.refusals import Refusal, all_or_nothing
from rotation.roles import ADMIN, OWNER
from rotation.security import roles_required

QUEUE_PAGE = 25


@bp.get("/triage")
@roles_required(OWNER, ADMIN)
def triage():
    """Submitted observations waiting for triage in the areas the account owns and below (admins: all):
    andon first, then the oldest. A fixed number of queries whatever the queue's length."""
    scope = triage_scope()
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
    form.area_id.choices = area_choices(observation.area_id)
    owners = area_owners(observation.area_id)
    if not owners:  # nobody owns the area: whoever triages it (an admin) owns the problem for now
        owners = [current_user]
    form.owner_id.choices = [(owner.id, user_label(owner)) for owner in owners]


def _default_owner(form: CreateProblemForm) -> int | None:
    """The acting owner when they own the area or one above it, else the nearest owner."""
    offered = choice_values(form.owner_id)
    return current_user.id if current_user.id in offered else (offered[0] if offered else None)


def _link_choices(form: LinkForm, observation: Observation) -> None:
    query = request.args.get("q", "").strip()[:100] if request.method == "GET" else ""
    form.problem_id.choices = queries.problem_choices(observation.area_id, query=query)
