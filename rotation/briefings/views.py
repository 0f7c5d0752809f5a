"""A shift's briefing page, for the leader who will work it (and HR): read before going, printable."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from rotation.assignments.models import ANNOUNCED, Assignment
from rotation.briefings import queries
from rotation.observations.access import can_view
from rotation.outbox.signals import reminder_problems
from rotation.outbox.texts import WAREHOUSE_BRING, WHAT_TO_BRING, when_text
from rotation.people.models import active_person
from rotation.roles import ADMIN, HR
from rotation.security import signed_in

bp = Blueprint("briefings", __name__, url_prefix="/my/shifts")


def is_own(user, shift: Assignment) -> bool:
    """Whether the shift is the signed-in person's own, announced to them."""
    person = active_person(user.email)
    return person is not None and person.id == shift.person_id and shift.status in ANNOUNCED


def may_read(user, shift: Assignment, own: bool) -> bool:
    """The shift's own person, once it is announced; HR and admins, always. Nobody else."""
    return own or user.has_role(HR) or user.has_role(ADMIN)


@bp.get("/<uid>/briefing")
@signed_in
def briefing(uid: str):
    """The site, when, what to check, the open problems there and what the last leaders saw."""
    shift = queries.shift_with_uid(uid)
    if shift is None:
        abort(404)
    own = is_own(current_user, shift)
    if not may_read(current_user, shift, own):
        abort(403)
    site = shift.slot.site
    observations = queries.recent_observations(site.id)
    checks = queries.checks_for(shift.id)
    return render_template(
        "briefings/briefing.html", shift=shift, own=own, site=site, when=when_text(shift),
        bring=WHAT_TO_BRING.get(shift.kind, WAREHOUSE_BRING), checks=checks,
        problems=queries.open_problems(site.id, shift.kind, checks), observations=observations,
        readable={observation.id for observation in observations if can_view(current_user, observation)})


@reminder_problems.connect
def _reminder_problems(_sender, shifts: set[tuple[int, str]]) -> dict[tuple[int, str], list[str]]:
    return queries.top_problems_for(shifts)
