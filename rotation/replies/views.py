"""HR's page of what came back to the organizer mailbox: answers to invitations, proposals, bounces."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from sqlalchemy.orm import joinedload

from rotation.assignments.models import Assignment
from rotation.extensions import db
from rotation.pagination import paginate
from rotation.replies.mailbox import ImapSettings
from rotation.replies.models import REPLY_KIND_LABELS, CalendarReply
from rotation.roles import ADMIN, HR
from rotation.security import roles_required
from rotation.sites.models import Slot

bp = Blueprint("replies", __name__, url_prefix="/outbox/replies")


@bp.get("/")
@roles_required(HR, ADMIN)
def reply_list():
    """Newest first, by kind; not matched ones are those HR may need to look at."""
    kind = request.args.get("kind", "")
    shown = kind if kind in REPLY_KIND_LABELS else None
    statement = (sa.select(CalendarReply)
                 .options(joinedload(CalendarReply.assignment).joinedload(Assignment.person),
                          joinedload(CalendarReply.assignment).joinedload(Assignment.slot).joinedload(Slot.site))
                 .order_by(CalendarReply.id.desc()))
    if shown:
        statement = statement.where(CalendarReply.kind == shown)
    counts: dict[str, int] = dict(db.session.execute(
        sa.select(CalendarReply.kind, sa.func.count()).group_by(CalendarReply.kind)).tuples().all())
    page = paginate(statement, per_page=50)
    settings = ImapSettings.from_config(current_app.config)
    return render_template("replies/list.html", page=page, kind=kind, kinds=REPLY_KIND_LABELS, counts=counts,
                           mailbox=settings)
