"""gunicorn settings for production: `gunicorn app:app` from the repository root reads this.

Everything comes from the environment:
  PORTAL_BIND            address to listen on (default 127.0.0.1:$PORT, PORT default 8000);
                         behind a reverse proxy keep it on loopback or a unix socket
  WEB_CONCURRENCY        worker processes (default 2 x cores + 1, at most 8)
  GUNICORN_TIMEOUT       seconds before a silent worker is killed and replaced (default 30)
  PROMETHEUS_MULTIPROC_DIR  where the workers share their /metrics counters; when unset,
                         a fresh directory under the system temp dir is made per start

The scheduler never runs here (PORTAL_SCHEDULER is forced off): run exactly one
`flask scheduler` process beside the web workers.
"""
from __future__ import annotations

import gc
import os
import shutil
import tempfile

_cores = os.cpu_count() or 1

bind = os.environ.get("PORTAL_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cores + 1, 8))
worker_class = "sync"
# Each worker imports the app itself: no database connections shared across a fork.
preload_app = False
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# A worker is replaced after this many requests, so slow leaks stay bounded.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# The portal writes one JSON line per request itself (portal/observability.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the reverse proxy on this host (the portal reads the same
# variable for the client address, portal/proxy.py).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "readiness-portal"
# gunicorn's control socket is one path per user by default; several portals (or the
# benchmark's two servers) on one host would fight over it. Signals do the same job.
control_socket_disable = True

# Never start the scheduler inside the web workers.
raw_env = ["PORTAL_SCHEDULER=off"]

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")
    _made_metrics_dir = True
else:
    _made_metrics_dir = False


def on_starting(server):
    """A clean metrics directory per start: counters from a previous run must not linger.
    Warns when several workers would each keep their own login throttle."""
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    if workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "RATELIMIT_STORAGE_URI is memory://: each of the %d workers counts failed "
            "sign-ins on its own. Set it to redis://... so the limits hold across workers.",
            workers)
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def post_worker_init(worker):
    """Move everything the app loaded at start (modules, templates, mappers: some 150,000
    objects) out of the garbage collector's sight. Otherwise every full collection walks
    them all again, about 100 ms each, several times a minute under load: measured, 4 to 6
    ms of every rendered page. What a request allocates is still collected as before."""
    gc.collect()
    gc.freeze()


def child_exit(server, worker):
    """Tell prometheus_client a worker is gone (its gauges leave the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
