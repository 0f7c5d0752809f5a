import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from rotation.accounts.models import RoleGrant, User
from rotation.assignments.models import KIND_LABELS
from rotation.db import utc_today, utcnow
from rotation.extensions import db
from rotation.home.overview import improvement, my_roster_entry, organisation_summary, roster_overview
from rotation.my_rotation.services import my_shifts, timeline
from rotation.navigation import menu_entry
from rotation.outbox.texts import when_text
from rotation.process_map.tree import owned_area_ids
from rotation.roles import ADMIN, HR, LABELS, MANAGER, OWNER, ROLES
from rotation.security import signed_in

bp = Blueprint("home", __name__)
menu_entry("Home", "home.index", position=10)


@bp.get("/")
@signed_in
def index():
    accounts_by_role = None
    if current_user.has_role(ADMIN):
        counts = dict(db.session.execute(
            sa.select(RoleGrant.role, sa.func.count()).group_by(RoleGrant.role)
        ).tuples().all())
        accounts_by_role = [(LABELS[role], role, counts.get(role, 0)) for role in ROLES]
        accounts_by_role.append(("All accounts", "", db.session.scalars(sa.select(sa.func.count(User.id))).one()))
    roster = roster_overview(utc_today()) if current_user.has_role(HR) else None
    me = my_roster_entry(current_user.email, utc_today()) if current_user.has_role(MANAGER) else None
    next_shift = organisation = None
    if me is not None and me.person.is_active:
        next_shift = timeline(my_shifts(me.person, utc_today()), utcnow()).next
        if me.reports:  # an executive: people below them in the line-manager tree
            organisation = organisation_summary(me.person, utc_today())
    owned = owned_area_ids(current_user.id) if current_user.has_role(OWNER) else set()
    in_my_areas = improvement(utc_today(), owned, current_user.id) if owned else None
    return render_template("home/index.html", labels=LABELS, accounts_by_role=accounts_by_role, roster=roster,
                           me=me, next_shift=next_shift, when_text=when_text, organisation=organisation,
                           now=utcnow(), kind_labels=KIND_LABELS, triages=current_user.has_any_role({OWNER, ADMIN}),
                           in_my_areas=in_my_areas)
