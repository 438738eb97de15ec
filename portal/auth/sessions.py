"""Session rules applied to every request: the idle timeout and the forced password change."""
from __future__ import annotations

import time

from flask import Flask, redirect, request, session, url_for
from flask_login import current_user, logout_user

from portal.web import is_public_request

# Endpoints a user who must change their password may still reach.
_ALLOWED_BEFORE_CHANGE = {"auth.change_password", "auth.logout", "static", "health.healthz"}


def _enforce(app: Flask):
    def enforce_session_rules():
        if is_public_request() or not current_user.is_authenticated:
            return None
        now = int(time.time())
        idle_limit = int(app.config["SESSION_IDLE_HOURS"] * 3600)
        last_seen = session.get("seen")
        if last_seen is not None and now - int(last_seen) > idle_limit:
            logout_user()
            session.clear()
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if last_seen is None or now - int(last_seen) >= 60:
            session["seen"] = now  # refreshed once a minute, not on every request
        if current_user.must_change_password and request.endpoint not in _ALLOWED_BEFORE_CHANGE:
            return redirect(url_for("auth.change_password"))
        return None

    return enforce_session_rules


def init_sessions(app: Flask) -> None:
    app.before_request(_enforce(app))
