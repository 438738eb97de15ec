"""Request logs as JSON lines, `/metrics` in the Prometheus text format, compressed responses.

Every request gets an id (an incoming `X-Request-ID` when it looks sane, else a new one),
echoed in the response header and written with the user, route, status and duration as one
JSON line on the `portal.request` logger.

Metrics use `prometheus_client`. Under gunicorn with several workers each worker is its own
process, so counters must be shared through files: set `PROMETHEUS_MULTIPROC_DIR` to an
empty directory before the workers start (gunicorn.conf.py does this when it is unset).
Without it, each process counts for itself (fine for `flask run` and tests). The outbox
states and the scheduler's last runs are read from the database at each scrape.

`/metrics` answers the addresses in `PORTAL_METRICS_ALLOW` (default loopback) and logged-in
admins; everyone else gets 404, so its existence is not advertised. A request relayed by a
proxy (with `X-Forwarded-For`) is judged by the proxy's client address too.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask_login import current_user
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from portal.auth.permissions import can, public
from portal.clock import utcnow
from portal.extensions import db
from portal.proxy import address_in, networks

log = logging.getLogger("portal.request")
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
UNMATCHED_ROUTE = "<unmatched>"

REQUESTS = Counter(
    "portal_http_requests_total", "HTTP requests answered, by route, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "portal_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAGE_CACHE = Counter(
    "portal_page_cache_requests_total",
    "Requests for a cacheable page (portal/pagecache.py), by result: hit or miss.", ["result"],
)

bp = Blueprint("observability", __name__)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: the record's `fields` plus time, level and message."""

    def format(self, record: logging.LogRecord) -> str:
        data = {"ts": datetime.fromtimestamp(record.created).astimezone().isoformat(
            timespec="milliseconds"), "level": record.levelname.lower(), "msg": record.getMessage()}
        data.update(getattr(record, "fields", {}))
        return json.dumps(data, separators=(",", ":"), default=str)


def request_id() -> str | None:
    """The current request's id (for other logs that want to carry it)."""
    return g.get("request_id")


def _start_request() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def _user_id() -> int | None:
    """The logged-in user's id; static files and cached pages (which know it without the
    user) don't load the user just for the log."""
    if g.get("known_user_id") is not None:
        return g.known_user_id
    user = g.get("_login_user")
    if user is None and request.endpoint != "static" and request.cookies:
        try:
            user = current_user._get_current_object()
        except SQLAlchemyError:
            db.session.rollback()
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.id


def _finish_request(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is None:  # a response made before our before_request ran
        return response
    duration = time.perf_counter() - started
    rid = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = rid
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
    REQUESTS.labels(route, request.method, str(response.status_code)).inc()
    LATENCY.labels(route).observe(duration)
    if current_app.config.get("PORTAL_ACCESS_LOG", True):
        log.info("request", extra={"fields": {
            "request_id": rid, "user_id": _user_id(), "method": request.method,
            "route": route, "path": request.path, "status": response.status_code,
            "duration_ms": round(duration * 1000, 2),
            "bytes": response.calculate_content_length(),
        }})
    return response


def _install_log_handler(app: Flask) -> None:
    """JSON lines to stderr, once per process; tests attach their own handlers instead."""
    log.setLevel(logging.INFO)
    log.propagate = False
    if app.testing or any(getattr(h, "portal_json", False) for h in log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.portal_json = True
    log.addHandler(handler)


# --- /metrics ---------------------------------------------------------------------------

class DatabaseCollector:
    """Gauges read at scrape time: outbox messages by state, the scheduler's last runs."""

    def __init__(self, session):
        self.session = session

    def collect(self):
        from portal.reminders.models import LAST_RUN_PREFIX, OutboxMessage, Setting
        from portal.vocab import OUTBOX_STATES

        outbox = GaugeMetricFamily("portal_outbox_messages", "Outbox messages by state.",
                                   labels=["state"])
        runs = GaugeMetricFamily("portal_scheduler_last_run_timestamp_seconds",
                                 "When each scheduled job last finished (Unix time).",
                                 labels=["job"])
        ok = GaugeMetricFamily("portal_scheduler_last_run_success",
                               "1 when the job's last run succeeded, else 0.", labels=["job"])
        up = GaugeMetricFamily("portal_database_up", "1 when the database answered the scrape.")
        try:
            counts = dict(self.session.execute(
                select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
            settings = self.session.execute(
                select(Setting.key, Setting.value).where(Setting.key.like(f"{LAST_RUN_PREFIX}%"))
            ).all()
        except SQLAlchemyError:
            self.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for state in OUTBOX_STATES:
            outbox.add_metric([state], counts.get(state, 0))
        for key, value in settings:
            job = key[len(LAST_RUN_PREFIX):]
            if isinstance(value, dict) and value.get("at"):
                at = datetime.fromisoformat(value["at"])
                runs.add_metric([job], (at - datetime(1970, 1, 1)).total_seconds())
                ok.add_metric([job], 1 if value.get("ok") else 0)
        yield from (up, outbox, runs, ok)


def render_metrics(session) -> bytes:
    """The Prometheus text: this process's (or all workers') counters plus DB gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_LocalCollector())
    registry.register(DatabaseCollector(session))
    return generate_latest(registry)


class _LocalCollector:
    """This process's request metrics (when not in multi-process mode)."""

    def collect(self):
        yield from REQUESTS.collect()
        yield from LATENCY.collect()
        yield from PAGE_CACHE.collect()


@bp.get("/metrics")
@public
def metrics():
    """Prometheus metrics, for allowed addresses and admins only (404 for everyone else)."""
    # Behind a trusted proxy remote_addr is the client the proxy saw (portal/proxy.py).
    allowed = networks(current_app.config.get("PORTAL_METRICS_ALLOW", "127.0.0.1,::1"))
    if not (address_in(request.remote_addr, allowed) or can(current_user, "manage_users")):
        abort(404)
    return Response(render_metrics(db.session), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Cache-Control": "no-store"})


# --- the scheduler's last runs ------------------------------------------------------------

def record_last_run(app: Flask, job_id: str, *, ok: bool, seconds: float) -> None:
    """Store when `job_id` last finished, as Setting `scheduler.last_run.<job id>`."""
    from portal.reminders.models import LAST_RUN_PREFIX, Setting

    with app.app_context():
        try:
            key = f"{LAST_RUN_PREFIX}{job_id}"[:100]
            value = {"at": utcnow().isoformat(timespec="seconds"), "ok": ok,
                     "seconds": round(seconds, 3)}
            setting = db.session.get(Setting, key)
            if setting is None:
                db.session.add(Setting(key=key, value=value))
            else:
                setting.value = value
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            logging.getLogger(__name__).exception("could not record the last run of %s", job_id)
        finally:
            db.session.remove()


def recorded(job_id: str, func):
    """Wraps a scheduler job (taking the app) so each run records its end in the database."""

    def run(app: Flask, *args, **kwargs):
        started = time.perf_counter()
        ok = False
        try:
            result = func(app, *args, **kwargs)
            ok = True
            return result
        finally:
            record_last_run(app, job_id, ok=ok, seconds=time.perf_counter() - started)

    run.__name__ = getattr(func, "__name__", job_id)
    run.__wrapped__ = func
    return run


# --- installation ---------------------------------------------------------------------------

def init_observability(app: Flask) -> None:
    """Request ids and JSON logs, request metrics, /metrics, compression, static fingerprints."""
    from flask_compress import Compress

    from portal.assets import init_assets

    app.config.setdefault("PORTAL_METRICS_ALLOW",
                          os.environ.get("PORTAL_METRICS_ALLOW", "127.0.0.1,::1"))
    app.config.setdefault("PORTAL_ACCESS_LOG",
                          os.environ.get("PORTAL_ACCESS_LOG", "on").lower() not in {"0", "off",
                                                                                   "false", "no"})
    _install_log_handler(app)
    # First, so the clock starts before the login gate (which may answer on its own).
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.register_blueprint(bp)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # The fastest level of each, as nginx's gzip defaults to: a page's HTML still shrinks six
    # to nine times. Brotli 4 and gzip 6 took a rendered page 0.2-1.6 ms more for a fifth to
    # a quarter fewer bytes (at 20,000 items: bench/results/2026-12-03-analysis.md).
    app.config.setdefault("COMPRESS_BR_LEVEL", 1)
    app.config.setdefault("COMPRESS_LEVEL", 1)
    app.config.setdefault("COMPRESS_MIN_SIZE", 500)
    Compress(app)
    init_assets(app)
