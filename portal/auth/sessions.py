"""Signed-in sessions: each is a row (`UserSession`) named by the cookie, so that signing
out ends it on the server; and the rules applied to every request: the idle timeout, the
absolute lifetime and the forced password change."""
from __future__ import annotations

import secrets
import time
from datetime import timedelta

from flask import Flask, current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_, delete, select
from sqlalchemy.orm import Session

from portal.auth.models import User, UserSession
from portal.clock import utcnow
from portal.web import is_public_request

# Endpoints a user who must change their password may still reach.
_ALLOWED_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "static", "health.healthz"}


def begin(db_session: Session, user: User, id_token: str | None = None) -> None:
    """Signs `user` in on a fresh cookie session backed by a new row (the caller commits);
    a single sign-on session keeps the provider's `id_token` there for its sign-out.
    Rows of the user's sessions past the absolute lifetime are cleared on the way."""
    days = current_app.config["SESSION_MAX_DAYS"]
    expired = and_(UserSession.user_id == user.id,
                   UserSession.created_at < utcnow() - timedelta(days=days))
    # Deleting sessions moves the data version (portal.pagecache); a sign-in with nothing
    # to clear leaves the kept pages warm.
    if db_session.scalar(select(UserSession.id).where(expired).limit(1)) is not None:
        db_session.execute(delete(UserSession).where(expired))
    sid = secrets.token_urlsafe(32)
    db_session.add(UserSession(id=sid, user_id=user.id, id_token=id_token))
    session.clear()
    login_user(user)
    session.permanent = True
    now = int(time.time())
    session.update(sid=sid, started=now, seen=now)
    if id_token:
        session["sso"] = True


def end(db_session: Session) -> str | None:
    """Signs the current session out, on the server too (the caller commits). Returns the
    ID token the session began with when it came through single sign-on."""
    sid = session.get("sid")
    id_token = None
    if sid:
        id_token = db_session.execute(delete(UserSession).where(UserSession.id == sid)
                                      .returning(UserSession.id_token)).scalar()
    logout_user()
    session.clear()
    return id_token


def session_rules_pass(session) -> bool:
    """The session rules every signed-in request is held to (idle timeout, absolute
    lifetime), in the application's settings: the normal path and the page cache's hit
    path both ask here."""
    config = current_app.config
    return touch_session(session, config["SESSION_IDLE_HOURS"], config["SESSION_MAX_DAYS"])


def touch_session(session, idle_hours: float, max_days: float | None = None) -> bool:
    """Stamps the session as seen now (once a minute, so the cookie is not rewritten on
    every request); False when it has been idle longer than `idle_hours`, or began more
    than `max_days` ago."""
    now = int(time.time())
    last_seen = session.get("seen")
    if last_seen is not None and now - int(last_seen) > int(idle_hours * 3600):
        return False
    started = session.get("started")
    if max_days is not None and started is not None and now - int(started) > max_days * 86400:
        return False
    if last_seen is None or now - int(last_seen) >= 60:
        session["seen"] = now
    return True


def _enforce(app: Flask):
    def enforce_session_rules():
        if is_public_request() or not current_user.is_authenticated:
            return None
        if not session_rules_pass(session):
            logout_user()
            session.clear()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.must_change_password and request.endpoint not in _ALLOWED_BEFORE_CHANGE:
            return redirect(url_for("auth.change_password"))
        return None

    return enforce_session_rules


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a static file's response neither sets
    the cookie nor says `Vary: Cookie`: it is the same file for everyone, and a shared
    cache would otherwise keep a copy per visitor. (Flask-Login reads the session after
    every request, and Flask marks any read of it.)"""

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static":
            return
        super().save_session(app, session, response)


def init_sessions(app: Flask) -> None:
    app.session_interface = CookieSessions()
    app.before_request(_enforce(app))
