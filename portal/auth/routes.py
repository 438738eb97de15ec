"""Sign in and out, passwords (one's own, by invitation or reset link), and the admin's
user pages."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.audit.log import Actor
from portal.auth import mail, oidc, security, sessions, tokens, users
from portal.auth.forms import (
    ChoosePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    UserCreateForm,
    UserEditForm,
    UserPersonForm,
)
from portal.auth.models import User
from portal.auth.permissions import permission_required, public
from portal.clock import utcnow
from portal.extensions import db, limiter
from portal.numbers import page_number
from portal.people.models import Person
from portal.reminders import outbox
from portal.vocab import SECURITY_EVENTS
from portal.web import render, safe_return

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)


def home_for(user) -> str:
    return url_for("summary.index") if user.role == "executive" else url_for("dashboard.index")


def _login_account_key() -> str:
    return "login-account:" + users.normalise_email(request.form.get("email", ""))[:254]


def _login_failed(response) -> bool:
    return response.status_code == 401


def _account_throttled(_limit) -> None:
    """The per-account limit tripped: logged, and the login's owner told by mail (at most
    once an hour) that sign-ins are paused, in case it was not them."""
    email = request.form.get("email", "")
    user = users.find_by_email(db.session, email)
    security.log(db.session, "sign_in_throttled", user=user, email=email,
                 address=request.remote_addr, detail="too many failed sign-ins to this login")
    if user is not None and user.active:
        mail.queue_lockout_notice(db.session, current_app.config, user, request.remote_addr,
                                  utcnow())
    db.session.commit()


def _address_throttled(_limit) -> None:
    security.log(db.session, "sign_in_throttled", email=request.form.get("email"),
                 address=request.remote_addr, detail="too many failed sign-ins from this address")
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"], key_func=_login_account_key,
               methods=["POST"], deduct_when=_login_failed, on_breach=_account_throttled)
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_LIMIT"], methods=["POST"],
               deduct_when=_login_failed, on_breach=_address_throttled)
@public
def login():
    """The sign-in page: the single sign-on button first when it is configured, and the
    password form as PORTAL_PASSWORD_LOGIN allows. The session is cleared and renewed on
    success. Failed attempts are throttled per account and per address, and logged."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    error = None
    status = 200
    mode = oidc.password_login_mode(current_app.config)
    page = {"settings": oidc.settings_of(current_app), "password_mode": mode,
            "sign_out_url": session.pop(oidc.SIGN_OUT_URL_KEY, None)}
    if request.method == "POST" and mode == "off":
        return render("auth/login.html", form=form, status=403, **page,
                      error="Password sign-in is turned off: use single sign-on.")
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data, form.password.data,
                                  request.remote_addr,
                                  roles=("admin",) if mode == "admins" else None)
        if user is None:
            db.session.commit()
        else:
            next_url = request.args.get("next")
            sessions.begin(db.session, user)
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("auth.change_password"), code=303)
            return redirect(safe_return(next_url, url_for("dashboard.index")) if next_url
                            else home_for(user), code=303)
        error = "That email and password do not match an active account."
        status = 401
    elif request.method == "POST":
        status = 422
    return render("auth/login.html", form=form, error=error, status=status, **page)


def _reset_account_key() -> str:
    return "reset-account:" + users.normalise_email(request.form.get("email", ""))[:254]


def send_after_response(response, message_ids: list[int]):
    """Sends freshly committed outbox mails once the response has gone out, so that how
    long the page takes tells nothing about the mail (or whether there was one)."""
    if not message_ids:
        return response
    app = current_app._get_current_object()

    def send():
        with app.app_context():
            try:
                outbox.send_now(db.session, app.config, message_ids, utcnow())
            except Exception:  # the scheduler retries it once its lease is over
                log.exception("sending mails %s after the response failed", message_ids)
            finally:
                db.session.remove()

    response.call_on_close(send)
    return response


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_ACCOUNT_LIMIT"], key_func=_reset_account_key,
               methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_ADDRESS_LIMIT"], methods=["POST"])
@public
def forgot_password():
    """Asks for a reset link by mail. The answer is the same whether or not the address
    has a login; requests are throttled per address and per account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        message = mail.request_reset(db.session, current_app.config, form.email.data,
                                     request.remote_addr, utcnow())
        db.session.commit()
        response = render("auth/forgot.html", form=form, sent=True)
        return send_after_response(response, [message.id] if message else [])
    status = 422 if request.method == "POST" else 200
    return render("auth/forgot.html", form=form, sent=False, status=status)


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
def choose_password(token: str):
    """The page an invitation or reset link opens: choose a password, and be signed in."""
    try:
        link = tokens.read_token(db.session, current_app.config["SECRET_KEY"], token, utcnow())
    except tokens.TokenError as error:
        return render("auth/link_invalid.html", status=error.status, reason=str(error))
    form = ChoosePasswordForm()
    form.password_owner = (link.user.email, link.user.name)
    if form.validate_on_submit():
        if link.user.check_password(form.password.data):
            form.password.errors.append("That is your current password; choose a new one.")
        else:
            users.choose_password(db.session, link.user, link.purpose, form.password.data,
                                  request.remote_addr)
            sessions.begin(db.session, link.user)
            db.session.commit()
            flash("Welcome! Your password is set." if link.purpose == "invite"
                  else "Your new password is set.", "success")
            return redirect(home_for(link.user), code=303)
    status = 422 if request.method == "POST" else 200
    return render("auth/choose_password.html", form=form, link=link, status=status)


@bp.post("/logout")
@login_required
def logout():
    """Ends this session, on the server too: a copy of its cookie no longer works."""
    security.log(db.session, "sign_out", user=current_user, address=request.remote_addr)
    id_token = sessions.end(db.session)
    db.session.commit()
    flash("You are signed out.", "success")
    oidc.offer_sign_out(current_app, id_token)
    return redirect(url_for("auth.login"), code=303)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """Ends every session of the current user, on every device, this one included."""
    user = current_user._get_current_object()
    id_token = sessions.end(db.session)
    users.end_all_sessions(db.session, user)
    security.log(db.session, "sign_out_everywhere", user=user, address=request.remote_addr)
    db.session.commit()
    flash("You are signed out everywhere. Sign in again on the devices you use.", "success")
    oidc.offer_sign_out(current_app, id_token)
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other session ends, this one goes on."""
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    form.password_owner = (user.email, user.name)
    if form.validate_on_submit():
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append("That is not your current password.")
        elif user.check_password(form.password.data):
            form.password.errors.append("That is your current password; choose a new one.")
        else:
            users.set_password(db.session, Actor.for_user(user), user, form.password.data,
                               must_change=False, address=request.remote_addr)
            sessions.begin(db.session, user)
            db.session.commit()
            flash("Your password is changed; your other sessions are signed out.", "success")
            return redirect(home_for(user), code=303)
    status = 422 if request.method == "POST" else 200
    return render("auth/password.html", form=form, status=status)


def _users_page(form: UserCreateForm | None = None, status: int = 200):
    all_users = db.session.scalars(
        select(User).options(joinedload(User.person))
        .order_by(User.active.desc(), User.name)).all()
    unlinked = db.session.scalars(
        select(Person).where(~select(User.id).where(User.person_id == Person.id).exists())
        .order_by(Person.name)).all()
    link_form = UserPersonForm(formdata=None)
    return render("admin/users.html", users=all_users, form=form or UserCreateForm(),
                  link_form=link_form, unlinked=unlinked, status=status)


@bp.get("/admin/users")
@permission_required("manage_users")
def user_list():
    """Every login with the person it acts as; a new login, by password or invitation."""
    return _users_page()


@bp.post("/admin/users")
@permission_required("manage_users")
def user_create():
    """A new login for a person (found by email or name, or added). Without an initial
    password the person is invited by mail to choose one."""
    form = UserCreateForm()
    if form.validate_on_submit():
        actor = Actor.for_user(current_user)
        now = utcnow()
        try:
            user = users.create_user(
                db.session, actor, email=form.email.data, name=form.name.data,
                role=form.role.data, password=form.password.data or None,
                must_change_password=bool(form.password.data),
            )
            message = None
            if not form.password.data:
                person = db.session.get(Person, user.person_id)
                user = users.invite(db.session, actor, person, user.role, now)
                message, _url = mail.queue_password_mail(db.session, current_app.config, user,
                                                         "invite", now, inviter=current_user.name)
        except users.UserError as error:
            db.session.rollback()
            form.email.errors.append(str(error))
        else:
            db.session.commit()
            if message is None:
                flash(f"Login created for {user.email}; they choose a password at first "
                      "sign-in.", "success")
            else:
                flash(mail.invitation_outcome(user, message.id), "success")
            return redirect(url_for("auth.user_list"), code=303)
    return _users_page(form, status=422)


@bp.post("/admin/users/person")
@permission_required("manage_users")
def user_link_person():
    """Makes a login act as another person (one without a login)."""
    form = UserPersonForm()
    if not form.validate_on_submit():
        abort(422)
    user = _user_or_404(form.user_id.data)
    try:
        users.link_person(db.session, Actor.for_user(current_user), user, form.person_id.data)
    except users.UserError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("auth.user_list"), code=303)
    db.session.commit()
    flash(f"{user.email} now acts as {user.person.name}.", "success")
    return redirect(url_for("auth.user_list"), code=303)


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
    form.password_owner = (user.email, user.name)
    if not form.validate_on_submit():
        flash("; ".join(form.password.errors) or "Enter a new password.", "error")
        return redirect(url_for("auth.user_list"), code=303)
    users.set_password(db.session, Actor.for_user(current_user), user, form.password.data,
                       must_change=True, kind="password_reset_by_admin",
                       address=request.remote_addr)
    db.session.commit()
    flash(f"Password of {user.email} reset; they must change it at next sign-in.", "success")
    return redirect(url_for("auth.user_list"), code=303)


@bp.get("/admin/security")
@permission_required("manage_users")
def security_log():
    """The security log: sign-ins, failures and refusals, throttling, single sign-on links and
    provider errors, sign-outs, password changes."""
    kind = request.args.get("kind", "")
    if kind not in SECURITY_EVENTS:
        kind = ""
    result = security.events(db.session, kind or None, page_number(request.args.get("page")))
    return render("admin/security.html", page=result, kind=kind, kinds=SECURITY_EVENTS,
                  page_url=lambda n: url_for("auth.security_log", kind=kind or None, page=n))
