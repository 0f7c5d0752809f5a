"""Observations: filing one from a shift (draft, evidence, submit), reading one, "me too", my observations,
and the observations in the areas an owner owns."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from rotation.assignments.models import Assignment
from rotation.assignments.queries import shift_of
from rotation.assignments.signals import shift_page
from rotation.db import utcnow
from rotation.exports import download
from rotation.extensions import db
from rotation.forms import Form
from rotation.navigation import menu_entry
from rotation.observations import queries, services, signals
from rotation.observations.access import can_edit, can_triage, can_view, person_of
from rotation.observations.evidence import EvidenceProblem, store
from rotation.observations.evidence import delete as delete_evidence
from rotation.observations.export import COLUMNS, export_rows
from rotation.observations.forms import EvidenceForm, ObservationForm, SecondForm, WindowForm, form_data_of
from rotation.observations.models import (
    CAUSES,
    DRAFT,
    FREQUENCIES,
    SEVERITIES,
    STATUS_LABELS,
    SUBMITTED,
    WASTES,
    Evidence,
    Observation,
    Second,
)
from rotation.observations.signals import ProblemLink
from rotation.outbox.texts import when_text
from rotation.pagination import paginate
from rotation.people.models import Person
from rotation.process_map.tree import area_paths, owned_area_ids
from rotation.refusals import Refusal, all_or_nothing
from rotation.roles import ADMIN, HR, MANAGER, OWNER
from rotation.security import roles_required, signed_in
from rotation.signals import answers

bp = Blueprint("observations", __name__, url_prefix="/observations")
menu_entry("Observations", "observations.index", {MANAGER, OWNER, ADMIN}, position=130)

# Photos from a phone are large: an upload of several may carry up to this much (each file is limited on its own).
UPLOAD_LIMIT = 110 * 1024 * 1024


def allow_photo_uploads() -> None:
    """Before anything reads the form (the CSRF check does): let photo uploads be larger than other requests."""
    if request.endpoint in ("observations.add_evidence", "observations.add_second"):
        request.max_content_length = UPLOAD_LIMIT


def _now() -> datetime:
    return utcnow()


def _me() -> Person:
    person = person_of(current_user)
    if person is None:
        abort(404)
    return person


def _load(observation_id: int) -> Observation:
    observation = queries.observation_with_shift(observation_id)
    if observation is None:
        abort(404)
    return observation


# --- My observations and an owner's areas -----------------------------------------------------------------

@bp.get("/")
@signed_in
def index():
    """The author's observations (drafts first) and "me too"s, with what became of each."""
    person = person_of(current_user)
    page = seconds = None
    shifts = []
    if person is not None:
        page = paginate(queries.authored_by(person), per_page=25)
        seconds = queries.seconds_by(person, most=25)
        shifts = services.open_shifts(person, _now())
    return render_template("observations/index.html", person=person, page=page, seconds=seconds,
                           shifts=[(shift, when_text(shift)) for shift in shifts], paths=area_paths(),
                           owner=current_user.has_any_role({OWNER, ADMIN}))


@bp.get("/areas")
@roles_required(OWNER, ADMIN)
def in_my_areas():
    """Submitted observations in the areas the owner owns (and below): andon first, then newest."""
    areas = owned_area_ids(current_user.id)
    page = paginate(queries.in_areas(areas), per_page=25)
    seconded = queries.seconds_counted([observation.id for observation in page.items])
    return render_template("observations/areas.html", page=page, paths=area_paths(), seconded=seconded,
                           owns_any=bool(areas), severities=SEVERITIES)


@bp.get("/areas/export.csv")
@roles_required(OWNER, ADMIN)
def export_in_my_areas():
    """What "Observations in my areas" lists, on every page, as ``observations export --owner`` writes it."""
    return download(COLUMNS, export_rows(owned_area_ids(current_user.id)), "observations.csv")


# --- Filing -------------------------------------------------------------------------------------------------

@bp.get("/new")
@signed_in
def new():
    """Choose the shift to file about (the invitation's link names it); starting makes a draft."""
    person = _me()
    now = _now()
    uid = request.args.get("assignment", "")
    named = queries.shift_with_uid(uid) if uid else None
    problem = services.filing_problem(named, person, now) if uid else None
    shifts = services.open_shifts(person, now)
    return render_template("observations/new.html", shifts=[(shift, when_text(shift)) for shift in shifts],
                           named=named if named is not None and named.person_id == person.id else None,
                           problem=problem)


# A phone's key for an observation begun without signal (offline_form.js): letters, digits and dashes.
DEVICE_KEY = re.compile(r"[A-Za-z0-9-]{8,64}")


@bp.post("/new")
@signed_in
def start():
    person = _me()
    assignment = queries.shift_with_uid(request.form.get("assignment", ""))
    key = request.form.get("device_key", "")
    try:
        with all_or_nothing():
            observation = services.start_draft(assignment, person, _now(),
                                               device_key=key if DEVICE_KEY.fullmatch(key) else None)
    except Refusal as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("observations.new"))
    return redirect(url_for("observations.edit", observation_id=observation.id))


@bp.get("/offline/<uid>")
@signed_in
def offline_form(uid: str):
    """The three answers and photos for a shift, kept on the phone to be filled in without signal: the phone
    files them (a draft, then its answers, photos and submission) when the network returns."""
    assignment = shift_of(_me(), uid)  # the person's own, with its slot and site
    if assignment is None:
        abort(404)
    window = services.window_of(assignment, assignment.slot)
    form = ObservationForm(formdata=None)
    form.area_id.choices = {"": "Choose a process area", **area_paths(active_only=True)}  # type: ignore[dict-item]  # the stubs predate WTForms 3.3's {value: label} choices
    now = _now()
    return render_template("observations/offline_form.html", form=form, shift=assignment, window=window,
                           closed=now > window.closes, opens_later=now < window.opens, when=when_text(assignment))


@bp.route("/<int:observation_id>/edit", methods=["GET", "POST"])
@signed_in
def edit(observation_id: int):
    """The form: "Save draft" keeps what is typed; "Submit" checks that everything is there."""
    observation = _load(observation_id)
    if not can_edit(current_user, observation):
        abort(403 if can_view(current_user, observation) else 404)
    form = _form(observation)
    if request.method == "POST" and form.validate():
        action = request.form.get("action", "save")
        try:
            with all_or_nothing():
                services.save(observation, form.values(), _now())
                andon = services.submit(observation, _now()) \
                    if action == "submit" and observation.status == DRAFT else None
            if andon is not None:
                area = area_paths().get(observation.area_id, "the area") if observation.area_id is not None \
                    else "the area"
                flash("Submitted. The owners of " + area +
                      (" were alerted at once (andon)." if andon else " will triage it; you will hear what "
                                                                     "becomes of it."), "success")
                return redirect(url_for("observations.detail", observation_id=observation.id))
        except Refusal as refusal:
            observation = _load(observation_id)
            form.show_refusal(refusal)
        else:
            flash("Saved." if observation.status != DRAFT else "Draft saved. Submit it when it is complete.",
                  "success")
            return redirect(url_for("observations.edit", observation_id=observation.id))
    elif request.method == "GET" and request.args.get("check") and observation.status == DRAFT:
        # Opened from "needs a look" (a submission the phone sent in the background was refused): what is
        # missing, beside each field, as pressing Submit here would say.
        problems = services.completeness_problems(observation)
        if problems:
            form.show_refusal(Refusal(problems))
    return _edit_page(observation, form)


@bp.post("/<int:observation_id>/autosave")
@signed_in
def autosave(observation_id: int):
    """The form's background save of a draft: JSON with the time saved, or the problems by field."""
    observation = _load(observation_id)
    if not can_edit(current_user, observation) or observation.status != DRAFT:
        return jsonify({"saved": False, "message": "This draft can no longer be changed here."}), 409
    form = _form(observation)
    if not form.validate():
        return jsonify({"saved": False, "message": "Some answers need a look before they can be saved.",
                        "errors": dict(form.errors)}), 422
    try:
        with all_or_nothing():
            services.save(observation, form.values(), _now())
    except Refusal as refusal:
        return jsonify({"saved": False, "message": refusal.message}), 422
    return jsonify({"saved": True, "at": f"{observation.updated_at:%H:%M} UTC"})


@bp.post("/<int:observation_id>/evidence")
@signed_in
def add_evidence(observation_id: int):
    """Photos and files for one's observation: a redirect back to the form, or JSON for the form's background
    upload (``Accept: application/json``): the files added, or the problem beside the photo field."""
    observation = _load(observation_id)
    if not can_edit(current_user, observation):
        abort(404)
    as_json = _wants_json()
    form = EvidenceForm()
    problem = None
    uploads = []
    if not form.validate():
        problem = "The upload could not be read; try again."
    else:
        uploads = [upload for upload in (form.files.data or []) if upload and upload.filename]
        if not uploads:
            problem = "Choose a photo or file first."
    added: list[Evidence] = []
    if problem is None:
        try:
            with all_or_nothing():
                for upload in uploads:
                    added.append(store(upload, observation_id=observation.id, uploaded_by_id=observation.author_id))
        except EvidenceProblem as refused:
            problem = f"{refused} None of the files were added." if len(uploads) > 1 else str(refused)
            added = []
    message = f"Added {len(added)} file{'s' if len(added) != 1 else ''}."
    if as_json:
        if problem is not None:
            return jsonify({"added": [], "message": problem}), 422
        return jsonify({"message": message, "added": [_evidence_json(observation, item) for item in added]})
    if problem is not None:
        flash(problem, "error")
    else:
        flash(message, "success")
    return redirect(url_for("observations.edit", observation_id=observation.id) + "#evidence")


def _evidence_json(observation: Observation, item: Evidence) -> dict:
    return {"id": item.id, "filename": item.filename, "photo": item.content_type.startswith("image/"),
            "url": url_for("evidence.download", evidence_id=item.id), "kb": round(item.size_bytes / 1024),
            "remove_url": url_for("observations.remove_evidence", observation_id=observation.id,
                                  evidence_id=item.id)}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/<int:observation_id>/evidence/<int:evidence_id>/delete")
@signed_in
def remove_evidence(observation_id: int, evidence_id: int):
    observation = _load(observation_id)
    evidence = db.session.get(Evidence, evidence_id)
    if not can_edit(current_user, observation) or evidence is None or evidence.observation_id != observation.id \
            or evidence.second_id is not None:
        abort(404)
    delete_evidence(evidence)
    flash(f"Removed {evidence.filename}.", "success")
    return redirect(url_for("observations.edit", observation_id=observation.id) + "#evidence")


@bp.post("/<int:observation_id>/delete")
@signed_in
def delete(observation_id: int):
    observation = _load(observation_id)
    if not can_edit(current_user, observation):
        abort(404)
    try:
        with all_or_nothing():
            services.delete_draft(observation)
    except Refusal as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("observations.detail", observation_id=observation_id))
    flash("Draft deleted.", "success")
    return redirect(url_for("observations.index"))


# --- Reading, and "me too" -------------------------------------------------------------------------------------

@bp.get("/<int:observation_id>")
@signed_in
def detail(observation_id: int):
    observation = _load(observation_id)
    if not can_view(current_user, observation):
        abort(404)
    return _detail_page(observation, SecondForm(formdata=None))


@bp.post("/<int:observation_id>/second")
@signed_in
def add_second(observation_id: int):
    """"Me too" from the observation's page (a shift chosen, a note, photos), or, as JSON, from the form of
    one's own draft (``draft``): the draft becomes the "me too" and the answer says how to take it back."""
    observation = _load(observation_id)
    person = person_of(current_user)
    if person is None or observation.status == DRAFT or observation.author_id == person.id:
        abort(404)
    if request.form.get("draft"):
        return _second_instead_of_draft(observation, person)
    form = SecondForm()
    shifts = services.open_shifts(person, _now())
    form.assignment_id.choices = {shift.id: f"{shift.kind_label} at {shift.slot.site.name}"  # type: ignore[misc]  # the stubs predate WTForms 3.3's {value: label} choices
                                  for shift in shifts}
    if form.validate():
        assignment = next((shift for shift in shifts if shift.id == form.assignment_id.data), None)
        try:
            with all_or_nothing():
                seconded = services.second(observation, person, assignment, form.note.data, _now())
                for upload in [upload for upload in (form.files.data or []) if upload and upload.filename]:
                    store(upload, observation_id=observation.id, uploaded_by_id=person.id, second_id=seconded.id)
        except EvidenceProblem as problem:
            form.files.errors = [*form.files.errors, f"{problem} Your “me too” was not saved either."]
        except Refusal as refusal:
            form.assignment_id.errors = [*form.assignment_id.errors, *refusal.reasons.values()]
        else:
            flash("Thank you: your “me too” is added. The owners see how many saw it.", "success")
            return redirect(url_for("observations.detail", observation_id=observation.id))
    observation = _load(observation_id)
    return _detail_page(observation, form), 200


def _second_instead_of_draft(observation: Observation, person: Person):
    form = Form()  # the CSRF token only
    draft = queries.observation_with_shift(_whole_number(request.form.get("draft")))
    if not form.validate() or draft is None or not can_edit(current_user, draft):
        return jsonify({"seconded": False, "message": "The page has expired; reload it and try again."}), 400
    try:
        with all_or_nothing():
            seconded = services.second_instead(observation, draft, person, _now())
    except Refusal as refusal:
        return jsonify({"seconded": False, "message": refusal.message}), 422
    count = len(queries.seconds_of(observation))
    return jsonify({
        "seconded": True,
        "message": f"You said “me too” to “{observation.title}”: {count} "
                   f"{'person' if count == 1 else 'people'} saw it besides its author. Your draft became your "
                   "“me too”, with what you typed as its note.",
        "take_back_url": url_for("observations.take_back", second_id=seconded.id),
    })


@bp.post("/seconds/<int:second_id>/take-back")
@signed_in
def take_back(second_id: int):
    """Take back one's "me too". From a draft's form (JSON, with its answers), the draft comes back as it was;
    from the observation's page, the "me too" and its photos are simply gone."""
    seconded = db.session.get(Second, second_id)
    person = person_of(current_user)
    if seconded is None or person is None or seconded.person_id != person.id:
        abort(404)
    observation_id = seconded.observation_id
    as_json = _wants_json()
    restore = None
    if as_json and request.form.get("restore"):
        answers_form = ObservationForm()
        paths = area_paths(active_only=True)
        answers_form.area_id.choices = {"": "", **paths}  # type: ignore[dict-item]  # the stubs predate WTForms 3.3's {value: label} choices
        answers_form.area_ids = frozenset(paths)
        answers_form.verifies_problem_id.choices = []
        valid = answers_form.validate()
        restore = answers_form.values() if valid else {"what_happened": seconded.note or ""}
        restore["verifies_problem_id"], restore["verdict"] = None, None
    elif not Form().validate():
        abort(400)
    try:
        with all_or_nothing():
            draft = services.take_back(seconded, person, _now(), restore=restore)
    except Refusal as refusal:
        if as_json:
            return jsonify({"taken_back": False, "message": refusal.message}), 422
        flash(refusal.message, "error")
        return redirect(url_for("observations.detail", observation_id=observation_id))
    if as_json:
        answer: dict = {"taken_back": True, "message": "Taken back: your “me too” is gone."}
        if draft is not None:
            answer.update(message="Taken back: your draft is here again, as you left it.", draft=draft.id,
                          edit_url=url_for("observations.edit", observation_id=draft.id),
                          autosave_url=url_for("observations.autosave", observation_id=draft.id),
                          evidence_url=url_for("observations.add_evidence", observation_id=draft.id))
        return jsonify(answer)
    flash("Taken back: your “me too” is gone.", "success")
    return redirect(url_for("observations.detail", observation_id=observation_id))


def _whole_number(value: str | None) -> int:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else 0


@bp.post("/window/<int:assignment_id>")
@roles_required(HR)
def extend_window(assignment_id: int):
    """HR lets the person file observations about one shift for longer."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    form = WindowForm()
    if form.validate() and form.until.data is not None:  # InputRequired: a date whenever it validates
        services.extend_window(assignment, form.until.data, current_user.email)
        flash(f"Observations about this shift may now be filed until {form.until.data.isoformat()}.", "success")
    else:
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
    return redirect(url_for("assignments.assignment_detail", assignment_id=assignment_id))


# --- Page helpers ----------------------------------------------------------------------------------------------

def _form(observation: Observation) -> ObservationForm:
    form = ObservationForm() if request.method == "POST" else ObservationForm(data=form_data_of(observation))
    paths = area_paths(active_only=True)
    if observation.area_id is not None and observation.area_id not in paths:
        paths = {observation.area_id: area_paths().get(observation.area_id, "(retired area)"), **paths}
    form.area_id.choices = {"": "Choose a process area", **paths}  # type: ignore[dict-item]  # the stubs predate WTForms 3.3's {value: label} choices
    form.area_ids = frozenset(paths)
    checks = services.verification_choices(observation.assignment_id)
    if observation.verifies_problem_id is not None and observation.verifies_problem_id not in checks:
        chosen = _problem_link(observation.verifies_problem_id)
        checks = {observation.verifies_problem_id: chosen.title if chosen else "(a problem)", **checks}
    form.verifies_problem_id.choices = {"": "No", **checks}  # type: ignore[dict-item]  # the stubs predate WTForms 3.3's {value: label} choices
    return form


def _edit_page(observation: Observation, form: ObservationForm) -> str:
    evidence = queries.evidence_of(observation, own_only=True)
    window = services.window_of(observation.assignment, observation.assignment.slot)
    return render_template("observations/edit.html", observation=observation, form=form,
                           evidence_form=EvidenceForm(formdata=None), evidence=evidence, window=window,
                           when=when_text(observation.assignment))


def _detail_page(observation: Observation, second_form: SecondForm) -> str:
    person = person_of(current_user)
    evidence = queries.evidence_of(observation, own_only=False)
    seconds = queries.seconds_of(observation)
    can_second = False
    if person is not None and person.id != observation.author_id and observation.status != DRAFT \
            and all(second.person_id != person.id for second, _ in seconds):
        shifts = services.open_shifts(person, _now())
        if shifts:
            can_second = True
            if not second_form.assignment_id.choices:
                second_form.assignment_id.choices = {
                    shift.id: f"{shift.kind_label} at {shift.slot.site.name}, {shift.slot.first_day.isoformat()}"  # type: ignore[misc]  # the stubs predate WTForms 3.3's {value: label} choices
                    for shift in shifts}
    problem = _problem_link(observation.problem_id) if observation.problem_id else None
    mine = next((second for second, _ in seconds if person is not None and second.person_id == person.id), None)
    return render_template(
        "observations/detail.html", my_second=mine, observation=observation, evidence=evidence, seconds=seconds,
        problem=problem,
        may_triage=observation.status == SUBMITTED and can_triage(current_user, observation.area_id),
        path=area_paths().get(observation.area_id, "") if observation.area_id is not None else "",
        editable=can_edit(current_user, observation),
        can_second=can_second, second_form=second_form, wastes=WASTES, frequencies=FREQUENCIES, causes=CAUSES,
        severities=SEVERITIES, statuses=STATUS_LABELS, when=when_text(observation.assignment))


def _problem_link(problem_id: int) -> ProblemLink | None:
    """The problem with this id as a link, asked of the problems layer; None when there is none."""
    return next(iter(answers(signals.problem_link, problem_id)), None)


@bp.app_template_global("observations_open_for")
def observations_open_for(assignment: Assignment) -> bool:
    """Whether the shift's person may file observations about it now (a shift card offers the button then).
    Only a shift past its usual window asks whether HR extended it (one query)."""
    now = _now()
    if assignment.status not in services.FILEABLE or now < assignment.slot.starts_at:
        return False
    if now <= assignment.slot.ends_at + timedelta(days=current_app.config["ROTATION_OBSERVATION_DAYS"]):
        return True
    return services.window_of(assignment, assignment.slot).is_open(now)


@shift_page.connect
def _shift_page(assignment: Assignment) -> dict:
    """On HR's page of a shift: when its person may file observations, and the form to extend that window."""
    window = services.window_of(assignment, assignment.slot) if assignment.status in services.FILEABLE else None
    return {"observation_window": window, "window_form": WindowForm(formdata=None)}
