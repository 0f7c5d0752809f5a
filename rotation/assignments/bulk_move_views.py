"""HR moves several assignments at once from the Assignments list: ticked there, then the days and the site to
move them to, a page listing where each goes and who is e-mailed, then all or nothing."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from rotation.assignments.bulk_move import MOVE_LIMIT, PlannedMove, move_many, plan_moves
from rotation.assignments.bulk_views import chosen_assignments
from rotation.assignments.finder import ANY_SITE, MAX_DAYS, Search
from rotation.assignments.forms import BulkMoveForm
from rotation.assignments.models import DRAFT
from rotation.assignments.shift_time import ShiftTime, slot_when
from rotation.assignments.views import bp
from rotation.extensions import db
from rotation.refusals import Refusal, all_or_nothing
from rotation.roles import HR
from rotation.security import roles_required
from rotation.sites.models import Site, Slot


@bp.get("/move-several")
@roles_required(HR)
def bulk_move_confirm():
    """The ticked assignments and the search for their new slots; once days are given, where each would go."""
    ids = _ids(request.args.getlist("assignment"))
    if not ids:
        flash("Tick the assignments to move first.", "error")
        return redirect(url_for("assignments.assignment_list", year=request.args.get("year") or None))
    chosen = chosen_assignments(ids, MOVE_LIMIT)
    search, errors = _search(chosen)
    planned = plan_moves(chosen[:MOVE_LIMIT], search) if search is not None and not errors else []
    return _page(chosen, planned, search, errors, BulkMoveForm(formdata=None))


@bp.post("/move-several")
@roles_required(HR)
def bulk_move():
    """Make the confirmed moves in one transaction: every one of them, or none."""
    form = BulkMoveForm()
    pairs = _pairs(form.move.data or []) if form.validate_on_submit() else {}
    if not pairs:
        flash("Nothing was moved: choose at least one assignment and the days to move it to.", "error")
        return redirect(url_for("assignments.assignment_list"))
    chosen = {assignment.id: assignment for assignment in chosen_assignments(list(pairs), MOVE_LIMIT)}
    slots = {slot.id: slot for slot in db.session.scalars(
        sa.select(Slot).options(joinedload(Slot.site)).where(Slot.id.in_(set(pairs.values()))))}
    if set(chosen) != set(pairs) or set(slots) != set(pairs.values()):
        flash("Nothing was moved: some of the assignments or slots are no longer there. Choose again.", "error")
        return redirect(url_for("assignments.assignment_list"))
    moves = [(chosen[assignment_id], slots[slot_id]) for assignment_id, slot_id in pairs.items()]
    told = [assignment for assignment, _ in moves if assignment.status != DRAFT]
    try:
        with all_or_nothing():
            move_many(moves, current_user.id)
    except Refusal as refusal:
        flash(f"Nothing was moved: {len(refusal.reasons)} of the {len(moves)} moves break a rule once the others "
              "are made. Each is named below; choose other days or leave it out.", "error")
        planned = [PlannedMove(assignment, None, refusal.reasons.get(str(assignment.id)) or
                               "Not moved, as another move was refused.") for assignment, _ in moves]
        return _page([assignment for assignment, _ in moves], planned, None, {}, form)
    where = "; ".join(f"{assignment.person.full_name} to {slot.site.code}, {slot_when(slot, slot.site)}"
                      for assignment, slot in moves)
    sent = (f" Updated invitations go to {len(told)} of them." if told else " They are drafts, so nobody was told.")
    flash(f"Moved {len(moves)} {'shift' if len(moves) == 1 else 'shifts'}: {where}.{sent}", "success")
    return redirect(url_for("assignments.assignment_list", year=moves[0][0].year))


def _ids(values: list[str]) -> list[int]:
    return sorted({int(value) for value in values if value.isdigit() and len(value) < 12})


def _pairs(values: list[str]) -> dict[int, int]:
    """``assignment:slot`` values as {assignment id: slot id}; a malformed value is left out."""
    pairs = {}
    for value in values:
        head, _, tail = value.partition(":")
        if head.isdigit() and tail.isdigit() and len(head) < 12 and len(tail) < 12:
            pairs[int(head)] = int(tail)
    return pairs


def _search(chosen: list) -> tuple[Search | None, dict[str, str]]:
    """The days and the site asked for, or None before any are; problems beside their fields."""
    arguments = request.args
    if not arguments.get("start") and not arguments.get("end"):
        return None, {}
    errors: dict[str, str] = {}
    start, end = _day(arguments.get("start"), "start", errors), _day(arguments.get("end"), "end", errors)
    if start and end and end < start:
        errors["end"] = "The last day comes before the first; swap them."
    elif start and end and (end - start).days > MAX_DAYS:
        errors["end"] = f"Choose at most {MAX_DAYS} days."
    site = (arguments.get("site") or ANY_SITE).strip()
    if site != ANY_SITE and db.session.scalar(sa.select(Site.id).where(Site.code == site)) is None:
        errors["site"] = f"There is no site with the code {site}."
    if errors or start is None or end is None:
        return None, errors
    return Search(start, end, "" if site == ANY_SITE else site), errors


def _day(value: str | None, name: str, errors: dict[str, str]) -> date | None:
    words = {"start": "the first day", "end": "the last day"}[name]
    if not value:
        errors[name] = f"Choose {words}."
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"Give {words} as a date, like 2027-03-01."
        return None


def _page(chosen: list, planned: list[PlannedMove], search: Search | None, errors: dict[str, str],
          form: BulkMoveForm) -> str:
    sites = [tuple(row) for row in db.session.execute(sa.select(Site.code, Site.name).order_by(Site.code))]
    lines = [(move, ShiftTime.of(move.assignment.slot, move.assignment.slot.site),
              slot_when(move.to.slot, move.to.site) if move.to else None) for move in planned]
    ready = [move for move in planned if move.to is not None]
    return render_template("assignments/bulk_move.html", chosen=chosen[:MOVE_LIMIT], lines=lines, ready=ready,
                           search=search, errors=errors, form=form, sites=sites, any_site=ANY_SITE,
                           too_many=len(chosen) > MOVE_LIMIT, limit=MOVE_LIMIT, args=request.args,
                           year=chosen[0].year if chosen else None, all_ready=len(ready) == len(planned),
                           when_of=lambda assignment: ShiftTime.of(assignment.slot, assignment.slot.site))
