"""Settings from the environment: one class, read once at start-up."""
from __future__ import annotations

import logging
import os
import secrets
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

# True while a caller checks out a connection whose first statement is its own ping: a read
# in autocommit that retries once on a dropped connection (portal.pagecache).
SKIP_CHECKOUT_PING: ContextVar[bool] = ContextVar("portal_skip_checkout_ping", default=False)


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path, production: bool) -> str:
    """SECRET_KEY from the environment; in development, generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise RuntimeError("SECRET_KEY must be set in production (PORTAL_ENV=production).")
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Config:
    """Every setting the portal reads, with defaults that work on one machine."""

    def __init__(self, instance_path: str | Path, overrides: dict | None = None):
        instance = Path(instance_path)
        env = os.environ.get("PORTAL_ENV", "development").lower()
        self.PORTAL_ENV = env
        production = env == "production"
        self.SECRET_KEY = _secret_key(instance, production)
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'portal.db'}"
        )
        # Connections are pinged on checkout by `ping_on_checkout`, not pool_pre_ping.
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        self.PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        self.PORTAL_TIMEZONE = os.environ.get("PORTAL_TIMEZONE", "UTC")
        self.PORTAL_SCHEDULER = _flag("PORTAL_SCHEDULER")
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
        self.MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
        self.MAIL_USE_TLS = _flag("MAIL_USE_TLS")
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get(
            "MAIL_DEFAULT_SENDER", "Readiness Portal <portal@localhost>"
        )
        # Shared by every worker and host in production (redis://...); memory:// counts
        # per process, which is right only for one process (make run).
        self.RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "portal")
        # The reverse proxies whose X-Forwarded-For and -Proto are believed (portal/proxy.py).
        self.FORWARDED_ALLOW_IPS = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
        self.PORTAL_PROXY_HOPS = int(os.environ.get("PORTAL_PROXY_HOPS", "1"))
        self.LOGIN_ACCOUNT_LIMIT = os.environ.get("PORTAL_LOGIN_ACCOUNT_LIMIT", "10 per 15 minutes")
        self.LOGIN_ADDRESS_LIMIT = os.environ.get("PORTAL_LOGIN_ADDRESS_LIMIT", "50 per 15 minutes")
        # "Forgot your password?": mails per account, and requests per address.
        self.RESET_ACCOUNT_LIMIT = os.environ.get("PORTAL_RESET_ACCOUNT_LIMIT", "3 per hour")
        self.RESET_ADDRESS_LIMIT = os.environ.get("PORTAL_RESET_ADDRESS_LIMIT", "10 per hour")
        self.SESSION_IDLE_HOURS = float(os.environ.get("PORTAL_SESSION_IDLE_HOURS", "8"))
        # The forecast reads this many weeks of the team's pace (6 to 12).
        self.PORTAL_FORECAST_WEEKS = min(12, max(6, int(os.environ.get("PORTAL_FORECAST_WEEKS",
                                                                       "8"))))
        self.SESSION_MAX_DAYS = float(os.environ.get("PORTAL_SESSION_MAX_DAYS", "7"))
        self.PORTAL_PAGE_CACHE = _flag("PORTAL_PAGE_CACHE", default=True)
        self.PORTAL_PAGE_CACHE_ENTRIES = int(os.environ.get("PORTAL_PAGE_CACHE_ENTRIES", "256"))
        self.PORTAL_PAGE_CACHE_SECONDS = float(os.environ.get("PORTAL_PAGE_CACHE_SECONDS", "600"))
        self.PORTAL_PAGE_CACHE_LAG_SECONDS = float(
            os.environ.get("PORTAL_PAGE_CACHE_LAG_SECONDS", "0.25"))
        # Single sign-on with an OpenID Connect provider (portal/auth/oidc.py reads and checks
        # these at start-up); SSO is on when the issuer, client id and secret are set.
        self.OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").strip()
        self.OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "").strip()
        self.OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
        self.OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
        self.OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "Sign in with single sign-on")
        self.OIDC_ALLOWED_DOMAINS = os.environ.get("OIDC_ALLOWED_DOMAINS", "")
        self.OIDC_ROLES_CLAIM = os.environ.get("OIDC_ROLES_CLAIM", "groups")
        self.OIDC_ROLE_MAP = os.environ.get("OIDC_ROLE_MAP", "")
        # Unset: new people in no mapped group become owners; set but empty: they are refused.
        self.OIDC_DEFAULT_ROLE = os.environ.get("OIDC_DEFAULT_ROLE", "owner")
        self.OIDC_TIMEOUT_SECONDS = float(os.environ.get("OIDC_TIMEOUT_SECONDS", "10"))
        # on: the password form too; off: SSO only; admins: SSO, and passwords for admins only.
        self.PORTAL_PASSWORD_LOGIN = os.environ.get("PORTAL_PASSWORD_LOGIN", "on").strip().lower()
        self.MAX_CONTENT_LENGTH = 4 * 1024 * 1024
        secure = self.PORTAL_BASE_URL.startswith("https://")
        # The cookie is re-sent when the session changes (its "seen" time moves once a
        # minute, see auth/sessions.py), not on every response.
        self.SESSION_REFRESH_EACH_REQUEST = False
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = secure
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.WTF_CSRF_HEADERS = ["X-CSRFToken"]
        self.TESTING = False
        for key, value in (overrides or {}).items():
            setattr(self, key, value)


def ping_on_checkout(engine: Engine) -> None:
    """What pool_pre_ping does: a pooled connection the database dropped (a restart, a
    failover) is replaced before anyone uses it. Except under SKIP_CHECKOUT_PING, where the
    caller's first statement is the ping: a cached page is then one round trip, not two."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, _record, _proxy):
        if SKIP_CHECKOUT_PING.get():
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError(str(error)) from error  # the pool reconnects
            raise


def tune_sqlite(engine: Engine) -> None:
    """WAL mode, a busy timeout and foreign keys for every SQLite connection."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


# Rows SQLite's ANALYZE reads per index: enough for the planner, and its cost stays the same
# however large the tables grow.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_statistics(engine: Engine) -> bool:
    """Statistics for SQLite's query planner, which gathers none by itself: without them it
    guesses, and reads a search's matches from the table's wide rows instead of the narrow
    index made for them. ANALYZE, sampled (`SQLITE_ANALYSIS_LIMIT`), on its own connection;
    it takes a tenth of a second at 20,000 items. PostgreSQL's autovacuum keeps its own
    statistics, so there it does nothing. Returns whether it ran."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.begin() as connection:
        connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")
    return True


def end_reads_with_commit(app, session) -> None:
    """A request that wrote nothing ends its transaction with COMMIT, not with the ROLLBACK
    the session's close would send. psycopg forgets a connection's prepared statements on
    every ROLLBACK, so on PostgreSQL each request planned all its statements again (1-4 ms
    for each of the dashboard's); after a COMMIT they stay prepared and their plans are
    reused. A request that flushed anything, holds unflushed changes or failed still rolls
    back. `session` is the application's scoped session."""

    @event.listens_for(session, "after_flush")
    def _wrote(flushed, _context):
        flushed.info["wrote"] = True

    @event.listens_for(session, "after_transaction_end")
    def _ended(ended, transaction):
        if transaction.parent is None:
            ended.info.pop("wrote", None)

    @app.teardown_appcontext
    def _commit_reads(error):
        if error is not None or not session.registry.has():
            return
        current = session()
        if (current.in_transaction() and not current.info.get("wrote")
                and not (current.new or current.dirty or current.deleted)):
            # Nothing changed, so nothing needs reloading: objects still in use after the
            # context (a test's, a command's) keep their values, as after a rollback.
            current.expire_on_commit = False
            try:
                current.commit()
            except SQLAlchemyError:  # the session's removal, next, rolls back and closes
                logging.getLogger(__name__).warning("ending a read transaction failed",
                                                    exc_info=True)
