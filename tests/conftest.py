"""Fixtures in the shape of the Flask tutorial: app, client, auth, factories.

Every test that takes `app` runs on SQLite and again on PostgreSQL when
TEST_DATABASE_URL names one. Under CI=true a missing PostgreSQL, Chromium or Node.js is
an error, not a skip.
"""
from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager

import pytest
from flask import g
from sqlalchemy import create_engine, event, text

from portal import create_app
from portal.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_PASSWORD = "correct-horse-battery"


def pytest_configure(config):
    if IN_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: PostgreSQL is required.")
    if IN_CI and not shutil.which(CHROMIUM):
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: Chromium is required.")
    if IN_CI and not (shutil.which("node") and shutil.which("npm")):
        raise pytest.UsageError("CI=true but Node.js or npm is missing: the OpenID provider of "
                                "the single sign-on tests needs them.")


def _reset_postgres(url: str) -> None:
    """Fresh schema for the run: drop everything, then create the models' tables."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    _reset_postgres(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A database URL for each backend; the PostgreSQL one is shared and truncated after use."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def make_app(database_url: str, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "PORTAL_BASE_URL": "http://portal.test",
        "MAIL_SERVER": None,
        "PORTAL_SCHEDULER": False,
        # Every request reads the data version: tests see each other's writes at once
        # (tests/web/test_page_cache.py covers the lag).
        "PORTAL_PAGE_CACHE_LAG_SECONDS": 0,
    }
    config.update(overrides)
    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp_path / "instance")
    application = create_app(config)
    # Tests hold an app context open, which requests then share: forget the user that
    # Flask-Login cached in `g`, so each request loads its own client's user.
    def forget_cached_user():
        g.pop("_login_user", None)

    application.before_request_funcs.setdefault(None, []).insert(0, forget_cached_user)
    return application


def _truncate_all(app) -> None:
    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app_factory(database_url, tmp_path):
    """Builds apps over this test's database (tables created if missing, emptied afterwards)."""
    apps = []

    def factory(**overrides):
        application = make_app(database_url, tmp_path, **overrides)
        with application.app_context():
            db.create_all()
        apps.append(application)
        return application

    yield factory
    for application in apps:
        with application.app_context():
            db.session.remove()
    if apps and database_url.startswith("postgresql"):
        _truncate_all(apps[0])
    for application in apps:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def app(app_factory):
    application = app_factory()
    with application.app_context():
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    return db.session


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = TEST_PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def demo(app):
    """The demo program, loaded through the same code as `flask seed-demo`."""
    from portal.demo import seed_demo

    result = seed_demo(db.session)
    db.session.commit()
    return result


@contextmanager
def count_queries(engine):
    """Counts the SQL statements run inside the block (savepoints and pragmas left out)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def query_counter(app):
    """Counts what rendering a page costs: the page cache is off, so every request renders
    (tests/web/test_page_cache.py counts what a cached page costs)."""
    app.config["PORTAL_PAGE_CACHE"] = False
    return lambda: count_queries(db.engine)
