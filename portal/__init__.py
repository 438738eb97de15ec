"""The Readiness Portal: create_app() builds the Flask application."""
from __future__ import annotations

import logging
import os
from datetime import timedelta
from functools import cache
from importlib import import_module

from flask import Flask
from sqlalchemy import bindparam, select

from portal.config import Config, end_reads_with_commit, ping_on_checkout, tune_sqlite
from portal.extensions import csrf, db, htmx, limiter, login_manager, migrate
from portal.numbers import BoundedIntConverter
from portal.proxy import TrustedProxyFix

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def create_app(overrides: dict | None = None) -> Flask:
    """Config -> extensions -> blueprints -> commands -> jobs."""
    root = PROJECT_ROOT
    app = Flask(
        __name__,
        instance_path=os.environ.get("PORTAL_INSTANCE_PATH", os.path.join(root, "instance")),
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )
    app.config.from_object(Config(app.instance_path, overrides))
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["FORWARDED_ALLOW_IPS"],
                                   app.config["PORTAL_PROXY_HOPS"])
    app.permanent_session_lifetime = timedelta(hours=app.config["SESSION_IDLE_HOURS"])
    app.url_map.converters["int"] = BoundedIntConverter
    _init_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    _register_commands(app)
    _start_jobs(app)
    return app


def _init_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _init_extensions(app: Flask) -> None:
    import portal.models  # noqa: F401  (complete metadata before anything uses it)
    from portal.auth.sessions import init_sessions
    from portal.web import init_web

    db.init_app(app)
    with app.app_context():
        ping_on_checkout(db.engine)
        tune_sqlite(db.engine)
    end_reads_with_commit(app, db.session)
    migrate.init_app(app, db, directory=os.path.join(PROJECT_ROOT, "migrations"),
                     render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.user_loader(_load_user)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    import_module("portal.auth.oidc").init_oidc(app)
    init_web(app)
    import_module("portal.observability").init_observability(app)
    init_sessions(app)
    import_module("portal.program.clock").init_program_clock(app)
    import_module("portal.pagecache").init_page_cache(app)  # after the login and session rules
    _init_templates(app)


@cache
def _user_statement():
    """`_load_user`'s statement, built once: every request runs it."""
    from portal.auth.models import User, UserSession

    return select(User).where(
        User.id == bindparam("user_id"),
        select(UserSession.id).where(UserSession.id == bindparam("sid"),
                                     UserSession.user_id == User.id).exists())


def _load_user(user_id: str):
    """Session id is "<user id>:<session version>", and the cookie names its session's row:
    a bumped version (password change, deactivation, "sign out everywhere") or a deleted
    row (sign-out) ends the session. One statement."""
    from flask import session

    ident, _, version = user_id.partition(":")
    sid = session.get("sid")
    if not ident.isdigit() or not version.isdigit() or not isinstance(sid, str):
        return None
    user = db.session.scalar(_user_statement(), {"user_id": int(ident), "sid": sid})
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _init_templates(app: Flask) -> None:
    from portal import templating

    templating.init_templates(app)


def _register_blueprints(app: Flask) -> None:
    from portal.blueprints import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from portal.cli import register_commands

    register_commands(app)


def _start_jobs(app: Flask) -> None:
    """The scheduler runs in the web process only when PORTAL_SCHEDULER=on (make run)."""
    if not app.config["PORTAL_SCHEDULER"] or app.testing:
        return
    # Under the debug reloader only the serving child process starts it.
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return
    from portal.jobs import start_background_scheduler

    start_background_scheduler(app)
