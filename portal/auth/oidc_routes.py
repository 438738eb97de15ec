"""Single sign-on pages: off to the provider, back from it, and back from its sign-out."""
from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.auth import oidc, security, sessions
from portal.auth.permissions import public
from portal.auth.routes import home_for
from portal.extensions import db, limiter
from portal.web import render, safe_return

bp = Blueprint("oidc", __name__, url_prefix="/auth/oidc")

NEXT_KEY = "sso_next"


def _settings() -> oidc.Settings:
    settings = oidc.settings_of(current_app)
    if settings is None:
        abort(404)
    return settings


def _refused(error: oidc.SignInError):
    """Logs the failed sign-in in the security log and answers with a page that says why."""
    db.session.rollback()
    security.log(db.session, error.kind, user=error.user, email=error.email,
                 address=request.remote_addr, detail=error.detail)
    db.session.commit()
    return render("auth/sso_refused.html", error=error, settings=oidc.settings_of(current_app),
                  status=error.status)


def _failed_callback(response) -> bool:
    return response.status_code >= 400


def _callback_throttled(_limit) -> None:
    security.log(db.session, "sign_in_throttled", address=request.remote_addr,
                 detail="too many failed single sign-on answers from this address")
    db.session.commit()


@bp.get("/login")
@public
def login():
    """Off to the provider's sign-in page; `next` (a same-site path) is kept for the return."""
    settings = _settings()
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    target = request.args.get("next")
    session[NEXT_KEY] = safe_return(target, url_for("dashboard.index")) if target else None
    redirect_uri = current_app.config["PORTAL_BASE_URL"] + oidc.CALLBACK_PATH
    try:
        return oidc.authorize_redirect(oidc.client_of(current_app), settings, redirect_uri)
    except oidc.SignInError as error:
        return _refused(error)


@bp.get("/callback")
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_LIMIT"],
               deduct_when=_failed_callback, on_breach=_callback_throttled)
@public
def callback():
    """The provider's answer: the person is signed in with the role their groups give, or
    told why not (and the security log says so too)."""
    settings = _settings()
    target = session.pop(NEXT_KEY, None)
    try:
        identity, id_token = oidc.finish(oidc.client_of(current_app), settings)
        for attempt in range(2):
            try:
                user = oidc.sign_in(db.session, settings, identity, request.remote_addr)
                sessions.begin(db.session, user, id_token=id_token)
                db.session.commit()
                break
            except IntegrityError:
                # The same person's first sign-in, twice at once: the other one made the
                # login; this one finds it.
                db.session.rollback()
                if attempt:
                    raise
    except oidc.SignInError as error:
        return _refused(error)
    return redirect(target or home_for(user), code=303)


@bp.get("/signed-out")
@public
def signed_out():
    """Where the provider's sign-out returns to."""
    expected = session.pop(oidc.SIGN_OUT_STATE_KEY, None)
    session.pop(oidc.SIGN_OUT_URL_KEY, None)
    state = request.args.get("state", "")
    if expected and hmac.compare_digest(expected.encode(), state.encode()):
        flash("You are signed out of the identity provider too.", "success")
    return redirect(url_for("auth.login"), code=303)
