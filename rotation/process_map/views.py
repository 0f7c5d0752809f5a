"""The process map: everyone reads the tree; administrators add, change, retire and delete areas and
choose their owners."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3

from rotation.extensions import db
from rotation.navigation import IMPROVEMENT, menu_entry
from rotation.process_map import services
from rotation.process_map.forms import TOP, AreaForm, OwnerForm
from rotation.process_map.models import ProcessArea
from rotation.process_map.tree import area_paths, load_tree, subtree_ids, walk
from rotation.refusals import FieldRefusal, all_or_nothing
from rotation.roles import ADMIN
from rotation.security import roles_required, signed_in

bp = Blueprint("process_map", __name__, url_prefix="/process-map")
menu_entry("Process map", "process_map.index", position=170, group=IMPROVEMENT)


@bp.get("/")
@signed_in
def index():
    is_admin = current_user.has_role(ADMIN)
    tree = load_tree(include_retired=is_admin)
    nodes = list(walk(tree))
    return render_template("process_map/index.html", tree=tree, is_admin=is_admin,
                           area_count=sum(1 for node in nodes if node.offered),
                           retired_count=sum(1 for node in nodes if not node.area.is_active))


@bp.route("/areas/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_area():
    form = AreaForm(data={"parent": request.args.get("parent", TOP)} if request.method == "GET" else None)
    form.parent.choices = _parent_choices(None)
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                area = services.add_area(form.name.data or "", form.parent_id, form.description.data)
        except FieldRefusal as problem:
            form.show_refusal(problem)
        else:
            flash(f"Added {_path(area)}. Add its owners below.", "success")
            return redirect(url_for("process_map.area", area_id=area.id))
    return render_template("process_map/new.html", form=form)


@bp.route("/areas/<int:area_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def area(area_id: int):
    """The area's own page: its details, owners, and whether it is offered, retired or deleted."""
    area = _load(area_id)
    form = AreaForm(data={"name": area.name, "parent": str(area.parent_id or TOP),
                          "description": area.description or ""} if request.method == "GET" else None)
    form.parent.choices = _parent_choices(area)
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                services.change_area(area, form.name.data or "", form.parent_id, form.description.data)
        except FieldRefusal as problem:
            form.show_refusal(problem)
        else:
            flash(f"Saved {_path(area)}.", "success")
            return redirect(url_for("process_map.area", area_id=area.id))
    return _area_page(area, area_form=form)


@bp.post("/areas/<int:area_id>/owners")
@roles_required(ADMIN)
def add_owner(area_id: int):
    area = _load(area_id)
    form = OwnerForm()
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                user = services.add_owner(area, form.user_id)
        except FieldRefusal as problem:
            form.show_refusal(problem)
        else:
            flash(f"{user.name} now owns {_path(area)}.", "success")
            return redirect(url_for("process_map.area", area_id=area.id, _anchor="owners"))
    return _area_page(area, owner_form=form)


@bp.post("/areas/<int:area_id>/owners/<int:user_id>/remove")
@roles_required(ADMIN)
def remove_owner(area_id: int, user_id: int):
    area = _load(area_id)
    try:
        with all_or_nothing():
            user = services.remove_owner(area, user_id)
    except FieldRefusal as problem:
        flash(problem.message, "warning")
    else:
        flash(f"{user.name} no longer owns {_path(area)}.", "success")
        if services.nearest_owned(area) is None:
            flash(f"Nobody owns {area.name} or an area above it now, so nobody is alerted about what is "
                  "observed there. Add an owner.", "warning")
    return redirect(url_for("process_map.area", area_id=area.id, _anchor="owners"))


@bp.post("/areas/<int:area_id>/retire")
@roles_required(ADMIN)
def retire(area_id: int):
    area = _load(area_id)
    if area.is_active:
        services.retire_area(area)
        below = len(subtree_ids([area.id])) - 1
        also = "" if not below else (" and neither is the area below it" if below == 1
                                     else f" and neither are the {below} areas below it")
        flash(f"Retired {_path(area)}. It is no longer offered for new observations{also}; its observations and "
              "owners are kept.", "success")
    return redirect(url_for("process_map.area", area_id=area.id))


@bp.post("/areas/<int:area_id>/reactivate")
@roles_required(ADMIN)
def reactivate(area_id: int):
    area = _load(area_id)
    if not area.is_active:
        services.reactivate_area(area)
        flash(f"Reactivated {_path(area)}. It is offered for new observations again.", "success")
    return redirect(url_for("process_map.area", area_id=area.id))


@bp.post("/areas/<int:area_id>/delete")
@roles_required(ADMIN)
def delete(area_id: int):
    """First a page asking to confirm; the area goes only when that page's button is pressed."""
    area = _load(area_id)
    reason = services.why_not_deletable(area)
    if reason:
        flash(reason, "warning")
        return redirect(url_for("process_map.area", area_id=area.id))
    path = _path(area)
    if request.form.get("confirmed") != "yes":
        return render_template("process_map/confirm_delete.html", area=area, path=path)
    services.delete_area(area)
    flash(f"Deleted {path}.", "success")
    return redirect(url_for("process_map.index"))


def _area_page(area: ProcessArea, area_form: AreaForm | None = None, owner_form: OwnerForm | None = None):
    """The area page; the form that was not sent shows the area as it is."""
    if area_form is None:
        area_form = AreaForm(formdata=None, data={"name": area.name, "parent": str(area.parent_id or TOP),
                                                  "description": area.description or ""})
        area_form.parent.choices = _parent_choices(area)
    owner_form = owner_form or OwnerForm(formdata=None)
    candidates = services.owner_candidates(area)
    owner_form.user.choices = [SelectChoice("", "Choose an account")] + [
        SelectChoice(str(user.id), user.name if user.name == user.email else f"{user.name} ({user.email})")
        for user in candidates]
    owners = services.area_owners(area)
    return render_template(
        "process_map/area.html", area=area, path=_path(area), form=area_form, owner_form=owner_form,
        owners=owners, candidates=candidates,
        owned_through=None if owners else services.nearest_owned(area),
        not_deletable=services.why_not_deletable(area),
        under_retired=area.is_active and area.id not in area_paths(active_only=True),
    )


def _parent_choices(area: ProcessArea | None) -> list[SelectChoice]:
    """The top of the map and every area, minus ``area`` itself and the areas below it."""
    excluded = subtree_ids([area.id]) if area is not None else set()
    retired = set(db.session.scalars(sa.select(ProcessArea.id).where(ProcessArea.is_active.is_(False))))
    return [SelectChoice(TOP, "The top of the map")] + [
        SelectChoice(str(area_id), path + (" (retired)" if area_id in retired else ""))
        for area_id, path in area_paths().items() if area_id not in excluded]


def _path(area: ProcessArea) -> str:
    return area_paths().get(area.id, area.name)


def _load(area_id: int) -> ProcessArea:
    area = db.session.get(ProcessArea, area_id)
    if area is None:
        abort(404)
    return area
