"""News: the signed-in person's notifications, newest first, and marking them read."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from rotation.notifications import services
from rotation.pagination import paginate
from rotation.people.models import active_person
from rotation.roles import MANAGER
from rotation.security import signed_in

bp = Blueprint("notifications", __name__, url_prefix="/news")


@bp.get("/")
@signed_in
def index():
    """The person's notifications, 30 a page; the unread ones stand out until "Mark all read"."""
    person = active_person(current_user.email)
    page = paginate(services.recent(person.id), per_page=30) if person is not None else None
    return render_template("notifications/index.html", person=person, page=page)


@bp.post("/read")
@signed_in
def mark_read():
    person = active_person(current_user.email)
    if person is not None:
        count = services.mark_all_read(person.id)
        flash(f"Marked {count} notification{'s' if count != 1 else ''} read." if count else "Nothing was unread.",
              "success")
    return redirect(url_for("notifications.index"))


@bp.app_template_global()
def unread_news() -> int:
    """How many unread notifications the signed-in person has (0 for accounts outside the rotation)."""
    if not current_user.is_authenticated or not current_user.has_role(MANAGER):
        return 0
    known = current_user.unread_news  # read with the account in the request's first query, when it was
    return known if known is not None else services.unread_count_for_email(current_user.email)
