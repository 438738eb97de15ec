"""Sign in and out, change one's password, and the admin's user pages."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from portal.audit.log import Actor
from portal.auth import users
from portal.auth.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
)
from portal.auth.models import User
from portal.auth.permissions import permission_required, public
from portal.extensions import db, limiter
from portal.web import render

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.index")


def home_for(user) -> str:
    return url_for("summary.index") if user.role == "executive" else url_for("dashboard.index")


def _login_account_key() -> str:
    return "login-account:" + users.normalise_email(request.form.get("email", ""))[:254]


def _login_failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"], key_func=_login_account_key,
               methods=["POST"], deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_LIMIT"], methods=["POST"],
               deduct_when=_login_failed)
@public
def login():
    """The sign-in form; the session is cleared and renewed on success. Failed attempts
    are throttled per account and per address, and audited."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            users.record_failed_login(db.session, form.email.data, request.remote_addr)
            db.session.commit()
        else:
            next_url = request.args.get("next")
            session.clear()
            login_user(user)
            session.permanent = True
            session["seen"] = int(time.time())
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"), code=303)
            return redirect(_safe_next(next_url) if next_url else home_for(user), code=303)
        error = "That email and password do not match an active account."
        status = 401
    elif request.method == "POST":
        status = 422
    return render("auth/login.html", form=form, error=error, status=status)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "success")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions end."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        else:
            users.set_password(
                db.session, Actor.for_user(current_user), current_user, form.password.data,
                must_change=False,
            )
            db.session.commit()
            login_user(current_user._get_current_object())  # follow the new session version
            flash("Your password is changed.", "success")
            return redirect(home_for(current_user), code=303)
    status = 422 if request.method == "POST" else 200
    return render("auth/password.html", form=form, status=status)


@bp.get("/admin/users")
@permission_required("manage_users")
def user_list():
    all_users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render("admin/users.html", users=all_users, form=UserCreateForm())


@bp.post("/admin/users")
@permission_required("manage_users")
def user_create():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(
                db.session, Actor.for_user(current_user), email=form.email.data,
                name=form.name.data, role=form.role.data, password=form.password.data,
                must_change_password=True,
            )
        except users.UserError as error:
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Login created for {user.email}; they choose a password at first sign-in.",
                  "success")
            return redirect(url_for("auth.user_list"), code=303)
    all_users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render("admin/users.html", users=all_users, form=form, status=422)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/admin/users/<int:user_id>")
@permission_required("manage_users")
def user_update(user_id: int):
    user = _user_or_404(user_id)
    form = UserEditForm()
    if not form.validate_on_submit():
        abort(422)
    try:
        users.update_user(db.session, Actor.for_user(current_user), user,
                          role=form.role.data, active=form.active.data)
    except users.UserError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("auth.user_list"), code=303)
    db.session.commit()
    flash(f"Saved {user.email}.", "success")
    return redirect(url_for("auth.user_list"), code=303)


@bp.post("/admin/users/<int:user_id>/password")
@permission_required("manage_users")
def user_reset_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        flash("; ".join(form.password.errors) or "Enter a new password.", "error")
        return redirect(url_for("auth.user_list"), code=303)
    users.set_password(db.session, Actor.for_user(current_user), user, form.password.data,
                       must_change=True)
    db.session.commit()
    flash(f"Password of {user.email} reset; they must change it at next sign-in.", "success")
    return redirect(url_for("auth.user_list"), code=303)
