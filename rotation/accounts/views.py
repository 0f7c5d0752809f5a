from __future__ import annotations

import math
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from rotation.accounts import services
from rotation.accounts.forms import ChangePasswordForm, LoginForm
from rotation.accounts.models import RoleGrant, User
from rotation.accounts.roles import ADMIN, ROLES
from rotation.extensions import db
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
