from __future__ import annotations

import math
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from rotation.accounts import links, services
from rotation.accounts.forms import ChangePasswordForm, ForgotPasswordForm, LoginForm, SetPasswordForm
from rotation.accounts.models import RoleGrant, User
from rotation.accounts.roles import ADMIN, ROLES
from rotation.pagination import paginate
from rotation.security import public, roles_required, signed_in

bp = Blueprint("accounts", __name__)


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
        attempt = services.sign_in(form.email.data, form.password.data, request.remote_addr or "")
        if attempt.wait:
            seconds = max(1, math.ceil(attempt.wait.total_seconds()))
            form.form_errors.append(
                f"Too many failed log-ins. Wait {seconds} seconds, then try again."
            )
            status = 429
        elif attempt.user is None:
            form.form_errors.append("That e-mail and password do not match an account.")
        else:
            login_user(attempt.user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@signed_in
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@signed_in
def change_password():
    form = ChangePasswordForm(current_user.email)
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.new.data)
        except services.AccountError as error:
            form.current.errors.append(str(error))
        else:
            flash("Your password is changed.", "success")
            return redirect(url_for("home.index"))
    return render_template("accounts/change_password.html", form=form)


FORGOT_ANSWER = ("If that address has an account or is in the roster, a link to set a password is on its way. "
                 "Check your inbox in a few minutes.")


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a link by e-mail. The answer is the same whether or not the address is known."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            links.request_password_link(form.email.data)
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
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
                user = links.use_link(usable, form.new.data)
            except services.AccountError as error:
                form.new.errors.append(str(error))
            else:
                login_user(user)
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
    query = request.args.get("q", "").strip()
    statement = sa.select(User).order_by(User.email)
    if role in ROLES:
        statement = statement.where(User.role_grants.any(RoleGrant.role == role))
    if query:
        statement = statement.where(User.email.contains(query.lower(), autoescape=True))
    page = paginate(statement, per_page=50)
    return render_template("accounts/list.html", page=page, role=role, query=query, roles=ROLES)
