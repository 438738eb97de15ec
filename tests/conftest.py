"""Fixtures in the shape of the Flask tutorial: app, client, auth, factories.

Every test that takes `app` runs on SQLite and again on PostgreSQL when
TEST_DATABASE_URL names one. Under CI=true a missing PostgreSQL, Chromium or Node.js is
an error, not a skip.

The schema is built once per test session on each database. A test then runs inside one
transaction that is rolled back when it ends: the portal's own commits release savepoints
within it, so every test starts from empty tables at no cost. A test that needs real
commits (other threads, other processes, other connections, the migrations) says so with
`@pytest.mark.committed`: it gets a fresh SQLite file, or the shared PostgreSQL schema
emptied after it.

The `app` fixture's application is built once per database and reset for each test (its
settings, page cache and remembered forecasts): building one compiles every URL rule again,
which cost more than most tests. An application a test builds itself (`app_factory()`)
and a committing test's are built fresh. Passwords are hashed at a low scrypt cost
(`portal.auth.models.HASH_METHOD`): at the real cost a test that creates logins spends
its time hashing.
"""
from __future__ import annotations

import os
import re
import shutil
from contextlib import contextmanager

import pytest
from flask import g
from sqlalchemy import create_engine, event, text

import portal.auth.models
import portal.models  # noqa: F401  (the complete metadata, for the schema)
from portal import create_app
from portal.extensions import db, limiter

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_PASSWORD = "correct-horse-battery"


def unavailable(message: str) -> None:
    """Something a test needs is not on this machine: a skip here, a failure under CI=true,
    where everything must run."""
    if IN_CI:
        pytest.fail(f"CI=true but {message}")
    pytest.skip(message)


def pytest_configure(config):
    portal.auth.models.HASH_METHOD = "scrypt:1024:8:1"
    if IN_CI and not TEST_DATABASE_URL:
        raise pytest.UsageError("CI=true but TEST_DATABASE_URL is not set: PostgreSQL is required.")
    if IN_CI and not shutil.which(CHROMIUM):
        raise pytest.UsageError(f"CI=true but {CHROMIUM} is missing: Chromium is required.")
    if IN_CI and not (shutil.which("node") and shutil.which("npm")):
        raise pytest.UsageError("CI=true but Node.js or npm is missing: the OpenID provider of "
                                "the single sign-on tests needs them.")


def _create_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.metadata.create_all(conn)
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_url():
    """The PostgreSQL test database, with a fresh schema for the run."""
    if not TEST_DATABASE_URL:
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    _create_schema(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def sqlite_schema_url(tmp_path_factory):
    """One SQLite file with the schema, shared by the tests that roll back."""
    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'test.db'}"
    _create_schema(url)
    return url


def pytest_collection_modifyitems(config, items):
    """A test marked postgres_only runs with the PostgreSQL database alone (its SQLite
    variant is not collected, rather than skipped from inside the test)."""
    items[:] = [item for item in items
                if not (item.get_closest_marker("postgres_only")
                        and getattr(item, "callspec", None)
                        and item.callspec.params.get("database_url") == "sqlite")]


def _commits(request) -> bool:
    return request.node.get_closest_marker("committed") is not None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A database URL for each backend. A committing test gets a SQLite file of its own
    (the schema created by `app_factory`); the PostgreSQL schema is shared and emptied
    after a committing test."""
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    if _commits(request):
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("sqlite_schema_url")


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
        db.create_all()  # a migration test may have left other tables
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


class _OneTransaction:
    """Every session of the portal's, in every app of one test, works in savepoints of one
    connection whose transaction is rolled back at the end of the test."""

    def __init__(self, engine, monkeypatch):
        self.connection = connection = engine.connect()
        if engine.dialect.name == "sqlite":
            # pysqlite begins transactions itself, after which SAVEPOINT and RELEASE would
            # commit; the test's connection begins its own (and gives the pool back a
            # connection as it found it, `end`).
            self.isolation_level = connection.connection.driver_connection.isolation_level
            connection.connection.driver_connection.isolation_level = None
        self.transaction = connection.begin()
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN")
        session_class = db.session.session_factory.class_

        def get_bind(session, *args, **kwargs):
            return connection

        def session_connection(session, bind_arguments=None, execution_options=None):
            # The test's connection keeps its transaction: no isolation level of its own.
            return original(session, bind_arguments)

        original = session_class.connection
        monkeypatch.setattr(session_class, "get_bind", get_bind, raising=False)
        monkeypatch.setattr(session_class, "connection", session_connection, raising=False)
        monkeypatch.setitem(db.session.session_factory.kw, "join_transaction_mode",
                            "create_savepoint")

    def end(self) -> None:
        db.session.remove()
        self.transaction.rollback()
        if self.connection.dialect.name == "sqlite":
            self.connection.connection.driver_connection.isolation_level = self.isolation_level
        if self.connection.dialect.name == "postgresql":
            sequences = self.connection.execute(text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars()
            restart = ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences)
            if restart:
                self.connection.execute(text(f"SELECT {restart}"))
                self.connection.commit()
        self.connection.close()


class _KeptApp:
    """An application built once for a database and reset before each test that uses it."""

    def __init__(self, application):
        self.app = application
        self.config = dict(application.config)

    def reset(self):
        self.app.config.clear()
        self.app.config.update(self.config)
        self.app.extensions["page_cache"].clear()
        for remembered in ("outlooks", "program_zone"):
            self.app.extensions.pop(remembered, None)
        # The limiter is one object for every app: an app of another test may have turned
        # it on. Initialising it again for this app's settings turns it off, as a new app's
        # creation would.
        limiter.init_app(self.app)
        return self.app


@pytest.fixture(scope="session")
def kept_apps():
    """The applications that tests without settings of their own share, by database."""
    kept: dict[str, _KeptApp] = {}
    yield kept
    for entry in kept.values():
        with entry.app.app_context():
            db.engine.dispose()


@pytest.fixture
def app_factory(request, database_url, tmp_path, monkeypatch, kept_apps, tmp_path_factory):
    """Builds apps over this test's database. They share one rolled-back transaction, or,
    for a committing test, commit for real into tables emptied afterwards.
    `app_factory(_kept=True)` is the database's kept app instead (the `app` fixture's)."""
    apps = []
    committed = _commits(request)
    joined: list[_OneTransaction] = []

    def build(overrides, kept):
        if not kept or committed:
            return make_app(database_url, tmp_path, **overrides)
        if database_url not in kept_apps:
            kept_apps[database_url] = _KeptApp(
                make_app(database_url, tmp_path_factory.mktemp("kept")))
        return kept_apps[database_url].reset()

    def factory(_kept=False, **overrides):
        application = build(overrides, _kept)
        with application.app_context():
            if committed:
                db.create_all()
            elif not joined:
                joined.append(_OneTransaction(db.engine, monkeypatch))
        apps.append(application)
        return application

    yield factory
    for application in apps:
        with application.app_context():
            db.session.remove()
    if joined:
        with apps[0].app_context():
            joined[0].end()
    elif apps and database_url.startswith("postgresql"):
        _truncate_all(apps[0])
    kept = {entry.app for entry in kept_apps.values()}
    for application in apps:
        if application not in kept:
            with application.app_context():
                db.engine.dispose()


@pytest.fixture
def app(app_factory):
    application = app_factory(_kept=True)
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
