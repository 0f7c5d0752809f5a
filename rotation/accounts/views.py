from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from rotation.accounts import links, services, sign_ins
from rotation.accounts.forms import (
    ROLE_MEANINGS,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewAccountForm,
    RolesForm,
    SetPasswordForm,
)
from rotation.accounts.models import RoleGrant, User
from rotation.extensions import db
from rotation.navigation import menu_entry
from rotation.outbox.models import SET_PASSWORD
from rotation.pagination import paginate, search_text
from rotation.people.models import Person
from rotation.people.signals import person_page
from rotation.refusals import FieldRefusal, Refusal, all_or_nothing
from rotation.roles import ADMIN, HR, LABELS, ROLES
from rotation.security import public, roles_required, signed_in

bp = Blueprint("accounts", __name__)
menu_entry("Accounts", "accounts.account_list", {ADMIN}, position=190)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site; never another host (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = services.sign_in(form.email.data or "", form.password.data or "", request.remote_addr or "")
        if attempt.wait:
            seconds = max(1, math.ceil(attempt.wait.total_seconds()))
            form.form_errors.append(attempt.message.format(seconds=f"{seconds:,}"))
            status = 429
        elif attempt.user is None:
            form.form_errors.append("That e-mail and password do not match an account.")
        else:
            sign_ins.sign_in(attempt.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("accounts/login.html", form=form,
                           clear_device=session.pop(CLEAR_DEVICE, False)), status


@bp.post("/logout")
@signed_in
def logout():
    sign_ins.end(current_user.sign_in_id, sign_ins.SIGNED_OUT)
    return _signed_out("You are signed out.")


# Signing out also removes what the app kept on the device for use without signal (its service worker, the
# pages and drafts it stored): the next person to use this browser finds nothing of the last one.
CLEAR_THE_DEVICE = ("Clear-Site-Data", '"cache", "storage"')
# Marks the log-in page shown right after signing out (session key).
CLEAR_DEVICE = "clear_device"


def _signed_out(message: str):
    """This browser forgets the account (its sign-in already ended) and shows the log-in page, which clears the
    device itself too (app.js) for a browser that ignores Clear-Site-Data."""
    logout_user()
    session[CLEAR_DEVICE] = True
    flash(message, "info")
    response = redirect(url_for("accounts.login"))
    response.headers.set(*CLEAR_THE_DEVICE)
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm(current_user.email)
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                services.change_password(current_user, form.current.data or "", form.new.data or "")
        except FieldRefusal as refusal:
            form.show_refusal(refusal)
        else:
            ended = sign_ins.end_all(current_user.id, sign_ins.PASSWORD_CHANGED, keep=current_user.sign_in_id)
            flash("Your password is changed." + (
                f" {_devices(ended).capitalize()} signed out." if ended else ""), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/change_password.html", form=form)


FORGOT_TAKES = 0.25  # seconds: every answer to the forgotten-password form, at least
FORGOT_ANSWER = ("If that address has an account or is in the roster, a link to set a password is on its way. "
                 "Check your inbox in a few minutes.")


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a link by e-mail. The answer is the same whether or not the address is known."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        started = time.perf_counter()
        try:
            with all_or_nothing():
                links.request_password_link(form.email.data or "")
        except FieldRefusal as refusal:
            form.show_refusal(refusal)
        else:
            # Known or not, the answer takes the same time: its timing must not tell which addresses exist. The
            # link is committed here, inside the measured time, rather than after the answer is made.
            db.session.commit()
            time.sleep(max(0.0, FORGOT_TAKES - (time.perf_counter() - started)))
            flash(FORGOT_ANSWER, "info")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
def password_link(token: str):
    """Choose a password through an e-mailed link; then signed in and on the home page."""
    usable = links.usable_link(token)
    if usable is None:
        response = make_response(render_template("accounts/link_unusable.html"), 404)
    else:
        form = SetPasswordForm(usable.link.email)
        if form.validate_on_submit():
            try:
                with all_or_nothing():
                    user = links.use_link(usable, form.new.data or "")
            except FieldRefusal as refusal:
                form.show_refusal(refusal)
            else:
                sign_ins.end_all(user.id, sign_ins.PASSWORD_SET_BY_LINK)
                sign_ins.sign_in(user)
                flash("Your password is set and you are signed in. Welcome to Rotation.", "success")
                return redirect(url_for("home.index"))
        response = make_response(render_template("accounts/set_password.html", form=form, usable=usable))
    # The address holds the link's secret: keep it out of caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/accounts")
@roles_required(ADMIN)
def account_list():
    role = request.args.get("role", "")
    query = search_text()
    statement = sa.select(User).order_by(User.email)
    if role in ROLES:
        statement = statement.where(User.role_grants.any(RoleGrant.role == role))
    if query:
        statement = statement.where(User.email.contains(query.lower(), autoescape=True))
    page = paginate(statement, per_page=50)
    signed_in_on = sign_ins.counts([user.id for user in page.items])
    return render_template("accounts/list.html", page=page, role=role, query=query, roles=ROLES,
                           signed_in_on=signed_in_on)


def _devices(count: int) -> str:
    return "one other device" if count == 1 else f"{count:,} other devices"


@bp.get("/account")
@signed_in
def account():
    """The person's account: their roles, their password, and every device signed in, each to sign out."""
    return render_template("accounts/account.html", sign_ins=sign_ins.current(current_user.id),
                           this_one=current_user.sign_in_id)


@bp.post("/account/sign-ins/<int:sign_in_id>/end")
@signed_in
def end_sign_in(sign_in_id: int):
    if sign_in_id == current_user.sign_in_id:
        return logout()
    if not sign_ins.end(sign_in_id, sign_ins.SIGNED_OUT_ELSEWHERE, user_id=current_user.id):
        abort(404)
    flash("That device is signed out.", "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sign-ins/end-others")
@signed_in
def end_other_sign_ins():
    ended = sign_ins.end_all(current_user.id, sign_ins.SIGNED_OUT_ELSEWHERE, keep=current_user.sign_in_id)
    flash(f"{_devices(ended).capitalize()} signed out." if ended else "No other device was signed in.",
          "success")
    return redirect(url_for("accounts.account"))


@bp.post("/account/sign-ins/end-all")
@signed_in
def end_every_sign_in():
    sign_ins.end_all(current_user.id, sign_ins.SIGNED_OUT)
    return _signed_out("You are signed out everywhere.")


@bp.post("/accounts/<int:user_id>/sign-out")
@roles_required(ADMIN)
def sign_account_out(user_id: int):
    """An administrator ends every sign-in of an account (their own included, when they ask for it)."""
    user = db.get_or_404(User, user_id)
    ended = sign_ins.end_all(user.id, sign_ins.ENDED_BY_ADMIN)
    if user.id == current_user.id:
        return _signed_out("You are signed out everywhere.")
    flash(f"{user.email} is signed out on {ended:,} device{'s' if ended != 1 else ''}.", "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.account_list"))


@bp.post("/accounts/<int:user_id>/disable")
@roles_required(ADMIN)
def disable_account(user_id: int):
    """First a page saying what disabling does; the account is disabled only when that page's button is pressed."""
    user = db.get_or_404(User, user_id)
    back = _safe_next(request.form.get("next")) or url_for("accounts.account_list")
    asked = request.form.get("confirmed") == "yes"
    if not asked and user.id != current_user.id:
        return render_template("accounts/confirm_disable.html", user=user, back=back,
                               devices=sign_ins.counts([user.id]).get(user.id, 0))
    try:
        with all_or_nothing():
            services.disable_account(user, by=current_user)
    except FieldRefusal as refusal:
        flash(refusal.message, "error")
    else:
        flash(f"{user.email} is disabled and signed out everywhere; it cannot sign in until enabled again.",
              "success")
    return redirect(back)


@bp.post("/accounts/<int:user_id>/enable")
@roles_required(ADMIN)
def enable_account(user_id: int):
    user = db.get_or_404(User, user_id)
    services.enable_account(user)
    flash(f"{user.email} can sign in again.", "success")
    return redirect(_safe_next(request.form.get("next")) or url_for("accounts.account_list"))


@bp.route("/accounts/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def new_account():
    """An administrator makes an account without a password; the person is e-mailed a link to choose one.
    ``?role=owner`` ticks a role at first; ``?next=`` is where to go once it is made (a page of this site)."""
    role = request.args.get("role", "")
    form = NewAccountForm(data={"roles": [role]} if request.method == "GET" and role in ROLES else None)
    back = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                user = links.create_account_with_link(form.email.data or "", form.roles.data or [], form.name.data)
        except Refusal as refusal:
            form.show_refusal(refusal)
        else:
            flash(f"Account created for {user.email}; the link to set a password is on its way (it works once, "
                  f"{links.LIFETIME_WORDS[SET_PASSWORD]}).", "success")
            return redirect(back or url_for("accounts.account_detail", user_id=user.id))
    return render_template("accounts/new.html", form=form, meanings=ROLE_MEANINGS, back=back,
                           lifetime=links.LIFETIME_WORDS[SET_PASSWORD])


@bp.get("/accounts/<int:user_id>")
@roles_required(ADMIN)
def account_detail(user_id: int):
    """One account for an administrator: its roles to change, its password link, its sign-ins, disabling it."""
    user = db.get_or_404(User, user_id)
    return _account_page(user, RolesForm(formdata=None, data={"roles": _granted(user)}))


@bp.post("/accounts/<int:user_id>/roles")
@roles_required(ADMIN)
def save_roles(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RolesForm()
    if form.validate_on_submit():
        try:
            with all_or_nothing():
                services.change_roles(user, form.roles.data or [], by=current_user)
        except FieldRefusal as refusal:
            form.show_refusal(refusal)
        else:
            held = ", ".join(LABELS[role] for role in user.roles) or "no role"
            flash(f"Saved: {user.email} now holds {held}. It takes effect on their next page; they stay signed in.",
                  "success")
            return redirect(url_for("accounts.account_detail", user_id=user.id))
    return _account_page(user, form)


@bp.post("/accounts/<int:user_id>/password-link")
@roles_required(ADMIN)
def account_password_link(user_id: int):
    """An administrator's button: e-mail the account a new link to set a password."""
    user = db.get_or_404(User, user_id)
    try:
        with all_or_nothing():
            links.send_link_to_account(user)
    except FieldRefusal as refusal:
        flash(refusal.message, "warning")
    else:
        flash(f"A link to set a password is on its way to {user.email}; it works once, "
              f"{links.LIFETIME_WORDS[SET_PASSWORD]}. Older links for the address stop working.", "success")
    return redirect(url_for("accounts.account_detail", user_id=user.id))


def _granted(user: User) -> list[str]:
    """The roles given to the account itself, without the manager role the rotation gives."""
    return sorted((grant.role for grant in user.role_grants), key=ROLES.index)


def _account_page(user: User, form: RolesForm):
    return render_template(
        "accounts/detail.html", user=user, form=form, meanings=ROLE_MEANINGS, in_rotation=user.in_rotation,
        is_self=user.id == current_user.id, devices=sign_ins.counts([user.id]).get(user.id, 0),
        link=links.live_link(user.email), lifetime=links.LIFETIME_WORDS[SET_PASSWORD])


@bp.post("/people/<int:person_id>/password-link")
@roles_required(HR)
def person_password_link(person_id: int):
    """HR's button: e-mail the person a link to set a password (their first one, or a new one)."""
    person = db.session.get(Person, person_id)
    if person is None:
        abort(404)
    try:
        with all_or_nothing():
            links.send_link_to_person(person)
    except FieldRefusal as refusal:
        flash(refusal.message, "warning")
    else:
        flash(f"A link to set a password is queued for {person.email}; it works once, "
              f"{links.LIFETIME_WORDS[SET_PASSWORD]}. Older links for the address stop working.", "success")
    return redirect(url_for("people.person_detail", person_id=person.id))


@person_page.connect
def _account_of(person: Person) -> dict:
    """On HR's page of a person: the log-in account with their address, if any."""
    return {"account": db.session.scalar(sa.select(User).where(User.email == person.email))}
