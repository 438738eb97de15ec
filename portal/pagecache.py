"""A cache of rendered read pages, per session, invalidated by a data version.

Why: the read pages (dashboard, action list, workstreams, POC board, summary) take tens of
milliseconds to compute at 20,000 items, and they are read far more often than the data
under them changes. Every database transaction that writes bumps one counter
(`data_version`), in the same transaction, as its last statement before COMMIT. A page is
answered from memory when everything it was rendered from is unchanged:

- the data version, read at the start of the request (so a cached page is never older
  than its key: data committed meanwhile can only make it newer), by each worker at most
  every PORTAL_PAGE_CACHE_LAG_SECONDS, and at once when the session has written since;
- the local date in the program's zone (overdue, due soon and days left depend on it),
  from the zone the worker read last, so a hit needs no statement for it;
- the session: user, session version, CSRF token (the page's forms carry tokens signed for
  this session), so nothing one person sees is ever served to another;
- the request: path and query, the htmx headers (fragment or whole page) and
  Accept-Encoding (the body is kept as sent, compressed).

Bookkeeping leaves the version alone: a model says which of its writes change no kept page
(`__page_neutral__`, see `changes_pages`): sign-ins and their security log, the
scheduler's run records, the outbox. A page opts in with `@cached_page`.

Pages with a flash message waiting are neither served from nor stored in the cache. The
cache lives in each worker process (several gunicorn workers each keep their own, all
keyed by the shared counter) and holds at most PORTAL_PAGE_CACHE_ENTRIES pages for at most
PORTAL_PAGE_CACHE_SECONDS. PORTAL_PAGE_CACHE=off turns it off.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Integer, event, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.auth.sessions import session_rules_pass
from portal.clock import local_today
from portal.config import SKIP_CHECKOUT_PING
from portal.extensions import db
from portal.observability import PAGE_CACHE
from portal.program.clock import last_read_zone

# Per-request headers the cached copy must not carry to another request.
_NOT_KEPT = {"set-cookie", "content-length", "x-request-id"}
_IGNORED_SESSION_KEYS = {"seen", "_flashes", "version_written"}
# A page larger than this (as sent) is not kept: a few of them would crowd out the rest.
MAX_BODY_BYTES = 512 * 1024
_CHANGED = "portal.data_changed"
_PENDING = "portal.version_pending"  # the version this transaction bumped to, until COMMIT
_WRITTEN = "portal.version_written"  # the highest version this session committed


class DataVersion(db.Model):
    """One row: a number every writing transaction increments before it commits."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def cached_page(view):
    """Marks a read view whose page may be kept: its content is a function of the data, the
    date, the user and the URL, and of nothing a bookkeeping write changes."""
    view.cached_page = True
    return view


# --- the counter ----------------------------------------------------------------------------

_VERSION_QUERY = select(DataVersion.n).where(DataVersion.id == 1)


def current_version(session: Session) -> int:
    """The committed data version (0 before the first write). Core, not ORM, and a
    statement built once: it runs on every request of a cached page."""
    return session.connection().execute(_VERSION_QUERY).scalar() or 0


def bump_version(connection) -> int:
    """Increments the counter inside the caller's transaction (creating its row at first);
    returns the new version."""
    increment = (update(DataVersion).where(DataVersion.id == 1)
                 .values(n=DataVersion.n + 1).returning(DataVersion.n))
    version = connection.execute(increment).scalar()
    if version is not None:
        return version
    dialect_insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(dialect_insert(DataVersion).values(id=1, n=0).on_conflict_do_nothing())
    return connection.execute(increment).scalar_one()


def changes_pages(obj, change: str) -> bool:
    """Whether writing `obj` (`change`: insert, update or delete) can change a kept page.

    A model declares what of it is bookkeeping in `__page_neutral__`: True for every write,
    or a set of the changes ("insert", "delete") and of the columns whose updates alone
    leave pages as they were; a model with a `page_neutral(change)` method decides per row.
    Everything else changes pages."""
    decide = getattr(obj, "page_neutral", None)
    if decide is not None:
        return not decide(change)
    rule = getattr(type(obj), "__page_neutral__", ())
    if rule is True or change in rule:
        return False
    if change != "update":
        return True
    state = inspect(obj)
    return any(attr.key not in rule for attr in state.attrs if attr.history.has_changes())


def _mark_flush(session: Session, _flush_context) -> None:
    if (any(changes_pages(o, "insert") for o in session.new)
            or any(changes_pages(o, "delete") for o in session.deleted)
            or any(session.is_modified(o) and changes_pages(o, "update")
                   for o in session.dirty)):
        session.info[_CHANGED] = True


def _mark_statement(state) -> None:
    """An INSERT, UPDATE or DELETE statement run through the session: it changes pages
    unless its model's writes of that kind are all bookkeeping (`__page_neutral__`)."""
    change = ("insert" if state.is_insert else "update" if state.is_update
              else "delete" if state.is_delete else None)
    if change is None:
        return
    mapper = state.bind_mapper
    rule = getattr(mapper.class_, "__page_neutral__", ()) if mapper is not None else ()
    if not (rule is True or change in rule):
        state.session.info[_CHANGED] = True


def _bump_before_commit(session: Session) -> None:
    # Flush first, so the counter is the last row this transaction writes: its lock is then
    # held only for the COMMIT, and no transaction waits for another while holding it.
    session.flush()
    if session.info.pop(_CHANGED, False):
        session.info[_PENDING] = bump_version(session.connection())


def _note_committed(session: Session) -> None:
    version = session.info.pop(_PENDING, None)
    if version is not None:
        session.info[_WRITTEN] = max(version, session.info.get(_WRITTEN, 0))


def _forget_changes(session: Session, *_args) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_PENDING, None)


def track_writes(session_class: type[Session]) -> None:
    """Every session of `session_class` bumps the data version when it commits a write."""
    if event.contains(session_class, "before_commit", _bump_before_commit):
        return
    event.listen(session_class, "after_flush", _mark_flush)
    event.listen(session_class, "do_orm_execute", _mark_statement)
    event.listen(session_class, "before_commit", _bump_before_commit)
    event.listen(session_class, "after_commit", _note_committed)
    event.listen(session_class, "after_rollback", _forget_changes)


# --- the cache ------------------------------------------------------------------------------

class PageCache:
    """A bounded, thread-safe LRU of (status, headers, body) with an age limit."""

    def __init__(self, entries: int, seconds: float):
        self.entries = entries
        self.seconds = seconds
        self._pages: OrderedDict[str, tuple[float, list, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        # (when, what): the data version this worker read last.
        self.version: tuple[float, int] = (float("-inf"), 0)

    def get(self, key: str) -> tuple[list, bytes] | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if time.monotonic() - page[0] > self.seconds:
                del self._pages[key]
                return None
            self._pages.move_to_end(key)
            return page[1], page[2]

    def put(self, key: str, headers: list, body: bytes) -> None:
        with self._lock:
            self._pages[key] = (time.monotonic(), headers, body)
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
        self.version = (float("-inf"), 0)


def _data_version() -> int:
    """The data version the request's key holds.

    A worker reads it at most once every PORTAL_PAGE_CACHE_LAG_SECONDS (a quarter second by
    default): under load most hits then need no database at all, and another person's
    change shows at most that much later. One's own changes show at once: a request that
    commits a write puts the version it made in its session, and a worker whose last reading
    is older reads again."""
    cache = current_app.extensions["page_cache"]
    read_at, version = cache.version
    if (time.monotonic() - read_at < current_app.config["PORTAL_PAGE_CACHE_LAG_SECONDS"]
            and version >= session.get("version_written", 0)):
        return version
    started = time.monotonic()
    version = _read_version()
    cache.version = (started, version)
    return version


def _read_version() -> int:
    """The data version, as a cached page's request's first statement.

    The request only reads (on a hit no view runs, so it cannot write), so it reads in
    autocommit: no BEGIN and ROLLBACK round trips, and under READ COMMITTED each statement
    reads its own snapshot with or without a transaction around them. Its connection is
    not pinged on checkout; this statement is the ping. When the database has dropped the
    connection (a restart), it fails, SQLAlchemy invalidates the pool, and it is retried
    once on a new connection: with autocommit there is no transaction to lose (the read-only
    transparent reconnect of SQLAlchemy's FAQ)."""
    if db.session().in_transaction():  # a test's session, shared with its requests
        return current_version(db.session)
    try:
        return _read_version_unpinged()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        db.session.rollback()  # lets the dropped connection go
        return _read_version_unpinged()


def _read_version_unpinged() -> int:
    token = SKIP_CHECKOUT_PING.set(True)
    try:
        connection = db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    finally:
        SKIP_CHECKOUT_PING.reset(token)
    return connection.execute(_VERSION_QUERY).scalar() or 0


def _page_key() -> str | None:
    """The request's cache key, or None when this request must go the whole way."""
    view = current_app.view_functions.get(request.endpoint)
    if (request.method != "GET" or not getattr(view, "cached_page", False)
            or not current_app.config["PORTAL_PAGE_CACHE"]):
        return None
    if "_flashes" in session or "_user_id" not in session:
        return None
    if not session_rules_pass(session):
        return None  # idle too long: the session rules sign the user out
    if "csrf_token" not in session:
        generate_csrf()  # what rendering would do first: the key then holds the session's token
    parts = [
        request.full_path,
        request.headers.get("Accept-Encoding", ""),
        repr(sorted((k, v) for k, v in request.headers.items() if k.lower().startswith("hx-"))),
        repr(sorted((k, str(v)) for k, v in session.items() if k not in _IGNORED_SESSION_KEYS)),
        str(_data_version()),
        local_today(last_read_zone(current_app)).isoformat(),
    ]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _serve_cached():
    """before_request, right after the request clock and before the user is loaded: a hit
    answers here with one statement at most, the data version.

    Why the user need not be loaded: a page is kept only when its request went the whole
    way (login gate, user loader, session rules) and answered 200, and its key holds the
    session's user id and session version and the data version. Whatever would turn that
    session away since (user deactivated, password changed, sessions ended) is a committed
    write, which moves the data version and so the key (within the lag, see
    `_data_version`). The idle timeout depends on the clock, not on data: `session_rules_pass`
    applies it here as on the normal path."""
    key = _page_key()
    g.page_cache_key, g.page_cache_hit = key, False
    if key is None:
        return None
    page = current_app.extensions["page_cache"].get(key)
    PAGE_CACHE.labels(result="miss" if page is None else "hit").inc()
    if page is None:
        return None
    g.page_cache_hit = True
    g.known_user_id = int(session["_user_id"].partition(":")[0])
    headers, body = page
    return Response(body, status=200, headers=headers)


def _remember_own_write(response: Response) -> Response:
    """after_request: a request that committed a write tells its session the version it
    made, so that person's next page is never older than their own change."""
    if db.session.registry.has():
        version = db.session().info.pop(_WRITTEN, None)
        if version is not None and "_user_id" in session:
            session["version_written"] = version
    return response


def _keep_page(response: Response) -> Response:
    """after_request, last of all (the body is compressed by then): keeps a fresh 200."""
    key = g.get("page_cache_key")
    if (key is None or g.get("page_cache_hit") or response.status_code != 200
            or response.direct_passthrough or response.is_streamed
            or response.headers.getlist("Set-Cookie")
            or (response.content_length or 0) > MAX_BODY_BYTES):
        return response
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _NOT_KEPT]
    current_app.extensions["page_cache"].put(key, headers, response.get_data())
    return response


def init_page_cache(app: Flask) -> None:
    """Tracks writes; serves and keeps the read pages while PORTAL_PAGE_CACHE is on."""
    track_writes(db.session.session_factory.class_)
    app.extensions["page_cache"] = PageCache(app.config["PORTAL_PAGE_CACHE_ENTRIES"],
                                             app.config["PORTAL_PAGE_CACHE_SECONDS"])
    before = app.before_request_funcs.setdefault(None, [])
    # Second, after the request clock (observability's, first of all), before the login gate
    # and everything else that would load the user.
    before.insert(min(1, len(before)), _serve_cached)
    app.after_request(_remember_own_write)
    # after_request functions run last-registered first: at the front of the list this one
    # runs after all the others, compression and security headers included.
    app.after_request_funcs.setdefault(None, []).insert(0, _keep_page)
