"""Session rules applied to every request: the idle timeout and the forced password change."""
from __future__ import annotations

import time

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user, logout_user

from portal.web import is_public_request

# Endpoints a user who must change their password may still reach.
_ALLOWED_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "static", "health.healthz"}


def touch_session(session, idle_hours: float) -> bool:
    """Stamps the session as seen now (once a minute, so the cookie is not rewritten on
    every request); False when it has been idle longer than `idle_hours`."""
    now = int(time.time())
    last_seen = session.get("seen")
    if last_seen is not None and now - int(last_seen) > int(idle_hours * 3600):
        return False
    if last_seen is None or now - int(last_seen) >= 60:
        session["seen"] = now
    return True


def _enforce(app: Flask):
    def enforce_session_rules():
        if is_public_request() or not current_user.is_authenticated:
            return None
        if not touch_session(session, app.config["SESSION_IDLE_HOURS"]):
            logout_user()
            session.clear()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.must_change_password and request.endpoint not in _ALLOWED_BEFORE_CHANGE:
            return redirect(url_for("auth.change_password"))
        return None

    return enforce_session_rules


def init_sessions(app: Flask) -> None:
    app.before_request(_enforce(app))
