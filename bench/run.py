"""`make bench`: the portal's main pages at 20,000 and at 200 action items, under gunicorn
with the production settings, driven by wrk at a fixed concurrency after a warm-up, beside
a hello-world Flask app served the same way as the ceiling and a bare 50-row page as the
floor (bench/floor.py). Also times a reminder run with
2,000 points due and reads the workers' peak memory. Writes bench/results/<date>-<db>.md
and .json. The targets of issue 9 are checked by reading the table (bench/README.md).

Environment: BENCH_DATABASE_URL (a PostgreSQL database the bench may empty) adds a
PostgreSQL run; BENCH_DURATION / BENCH_WARMUP (seconds, default 10 / 5),
BENCH_CONCURRENCY (8), BENCH_ITEMS (20000), BENCH_SMALL_ITEMS (200), BENCH_ONLY (sqlite or
postgresql), BENCH_LABEL (added to the result file names, e.g. "before").
"""
from __future__ import annotations

import gzip
import http.cookiejar
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
RESULTS = BENCH / "results"
VENV_BIN = Path(sys.executable).parent
GUNICORN = str(VENV_BIN / "gunicorn")
FLASK = str(VENV_BIN / "flask")
SECRET = "bench-secret-key-not-for-production"
LOGIN = ("lead@example.com", "readiness-demo-2026")
SEARCH_WORD = "SOC2"
# One user agent for the login client and wrk, as one browser would send: the session's
# identifier (Flask-Login's session protection) hashes it, and a different one on every
# request would make the portal rewrite the session cookie each time.
USER_AGENT = "portal-bench"

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "5"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
ITEMS = int(os.environ.get("BENCH_ITEMS", "20000"))
SMALL = int(os.environ.get("BENCH_SMALL_ITEMS", "200"))
REMINDER_POINTS = 2000

TARGET_RATIO = 0.15  # cached, issue 9
TARGET_RENDERED_RATIO = 0.04  # rendered, issue 18
TARGET_P50_GROWTH = 1.3
TARGET_ACTIONS_BYTES = 60 * 1024
TARGET_JS_BYTES = 30 * 1024
TARGET_REMINDER_SECONDS = 10.0


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"PROMETHEUS_MULTIPROC_DIR", "WERKZEUG_RUN_MAIN"}}
    env.update({
        "PORTAL_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
        "PORTAL_INSTANCE_PATH": str(WORK / "instance"), "PORTAL_SCHEDULER": "off",
        "FLASK_APP": "app.py", "PYTHONPATH": str(ROOT),
        # No worker recycling during the run: the peak memory read at the end is then
        # the peak of the whole run, and no restart lands inside a measurement.
        "GUNICORN_MAX_REQUESTS": "0",
    })
    env.pop("MAIL_SERVER", None)
    return env


def run(cmd: list[str], env: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# --- databases ----------------------------------------------------------------------------

def prepare_database(kind: str, items: int) -> str:
    """An empty, migrated database seeded with `items` action items; returns its URL."""
    if kind == "sqlite":
        path = WORK / f"scale-{items}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = os.environ["BENCH_DATABASE_URL"]
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    env = base_env(url)
    run([FLASK, "db", "upgrade"], env)
    started = time.perf_counter()
    out = run([FLASK, "--app", "bench.scale", "dev", "seed-scale", "--action-items", str(items)],
              env).stdout.strip()
    log(f"{kind}: seeded {items} items in {time.perf_counter() - started:.1f} s ({out[:80]}...)")
    if kind == "sqlite":
        from sqlalchemy import create_engine

        from portal.config import refresh_statistics

        # Statistics taken, as the scheduler's `planner-statistics` job leaves them some
        # hours after a load (SQLite gathers none by itself).
        engine = create_engine(url)
        refresh_statistics(engine)
        engine.dispose()
    if kind == "postgresql":
        from sqlalchemy import create_engine, text

        # Settled, as a database is some minutes after a bulk load: dead rows (the item
        # tally's, folded at the end of the seed) vacuumed and statistics taken, so neither
        # autovacuum's work nor a table of dead rows lands in the measurements.
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("VACUUM ANALYZE"))
        engine.dispose()
    return url


def database_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version()")).scalar()
    engine.dispose()
    return version.split(" on ")[0]


# --- servers ----------------------------------------------------------------------------

class Server:
    """A gunicorn master over the repository's gunicorn.conf.py, on a free loopback port."""

    def __init__(self, app_spec: str, env: dict, name: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env, PORTAL_BIND=f"127.0.0.1:{self.port}",
                        PORTAL_BASE_URL=f"http://127.0.0.1:{self.port}")
        self.log_path = WORK / f"{name}.log"
        self.app_spec = app_spec
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), self.app_spec], cwd=ROOT,
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                probe = "/" if self.app_spec.startswith("bench.") else "/healthz"
                with urllib.request.urlopen(self.url + probe, timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer in 60 s; see {self.log_path}")

    def workers(self) -> list[int]:
        children = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                text = status.read_text()
            except OSError:
                continue
            match = re.search(r"^PPid:\s+(\d+)$", text, re.M)
            if match and int(match.group(1)) == self.process.pid:
                children.append(int(status.parent.name))
        return children

    def peak_rss_mb(self) -> list[float]:
        """VmHWM of each worker: the most memory it ever had resident."""
        peaks = []
        for pid in self.workers():
            try:
                text = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmHWM:\s+(\d+) kB$", text, re.M)
            if match:
                peaks.append(int(match.group(1)) / 1024)
        return sorted(peaks)

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()


# --- a logged-in client -------------------------------------------------------------------

class Client:
    """urllib with a cookie jar: GET the login form, POST it with its CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str, gzip_ok: bool = False) -> tuple[int, bytes, dict]:
        request = urllib.request.Request(self.base + path)
        if gzip_ok:
            request.add_header("Accept-Encoding", "gzip")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), dict(error.headers)

    def login(self, email: str, password: str) -> None:
        status, body, _ = self.get("/login")
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', body)
        if status != 200 or not match:
            raise RuntimeError(f"no login form (status {status})")
        data = urllib.parse.urlencode({"csrf_token": match.group(1).decode(), "email": email,
                                       "password": password}).encode()
        request = urllib.request.Request(self.base + "/login", data=data, method="POST")
        with self.opener.open(request, timeout=60) as response:
            if "/login" in response.url:
                raise RuntimeError("login failed")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


# --- wrk ----------------------------------------------------------------------------------

def wrk(url: str, cookie: str | None, seconds: int) -> dict:
    cmd = ["wrk", f"-t{min(2, CONCURRENCY)}", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency",
           "--timeout", "10s", "-s", str(BENCH / "report.lua"), "-H", "Accept-Encoding: gzip",
           "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60)
    match = re.search(r"^BENCH_JSON (.*)$", result.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk said:\n{result.stdout}\n{result.stderr}")
    data = json.loads(match.group(1))
    data["wrk_bytes"] = data.pop("bytes")
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    for key in ("p50", "p95", "p99", "max"):
        data[key] = data[key] / 1000.0  # ms
    return data


def drive(url: str, cookie: str | None) -> dict:
    wrk(url, cookie, WARMUP)
    return wrk(url, cookie, DURATION)


# --- SQL statements per request, in process ----------------------------------------------

def sql_counts(database_url: str, paths: list[str]) -> dict[str, tuple[int, int]]:
    """Each page requested through the test client, counting the statements the SQLAlchemy
    engine runs: once rendered (page cache off, after a warm-up) and once answered from the
    page cache (after a request that fills it)."""
    os.environ["PORTAL_INSTANCE_PATH"] = str(WORK / "instance")
    from sqlalchemy import event

    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "PORTAL_SCHEDULER": False, "PORTAL_ACCESS_LOG": False,
                      # A hit's most: the data version read (within the lag it is none).
                      "PORTAL_PAGE_CACHE_LAG_SECONDS": 0})
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|PRAGMA)", statement, re.I):
            statements.append(statement)

    def counted(client, path: str) -> int | None:
        client.get(path)
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        status = client.get(path).status_code
        event.remove(db.engine, "before_cursor_execute", count)
        return len(statements) if status == 200 else None

    counts: dict[str, tuple[int, int]] = {}
    with app.app_context():
        client = app.test_client()
        client.post("/login", data={"email": LOGIN[0], "password": LOGIN[1]})
        for path in paths:
            app.config["PORTAL_PAGE_CACHE"] = False
            rendered = counted(client, path)
            app.config["PORTAL_PAGE_CACHE"] = True
            counts[path] = (rendered, counted(client, path))
        db.session.remove()
        db.engine.dispose()
    return counts


def reminder_run(database_url: str) -> dict:
    """2,000 reminder points due among the items, sent to a loopback SMTP server."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    from sqlalchemy import create_engine, text

    today = date.today()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        # Every open item far from due, then 2,000 of them owned by plain, reachable people
        # due in two days: exactly one "before:2" point each.
        conn.execute(text("UPDATE action_item SET due_date = :far WHERE status IN "
                          "('proposed', 'open', 'in_progress')"), {"far": today + timedelta(60)})
        ids = [row[0] for row in conn.execute(text(
            "SELECT a.id FROM action_item a JOIN person p ON p.id = a.owner_id "
            "WHERE a.status IN ('open', 'in_progress') AND p.kind = 'person' "
            "AND p.email IS NOT NULL AND NOT p.weekdays_only AND NOT p.overdue_only "
            "AND p.pause_from IS NULL ORDER BY a.id LIMIT :n"), {"n": REMINDER_POINTS})]
        conn.execute(text("UPDATE action_item SET due_date = :soon WHERE id IN "
                          f"({','.join(str(i) for i in ids)})"), {"soon": today + timedelta(2)})
    received: list[int] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(len(envelope.content))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = base_env(database_url)
        env.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port)})
        now = datetime.combine(today, datetime.min.time()).replace(hour=18, tzinfo=UTC)
        started = time.perf_counter()
        result = run([FLASK, "reminders", "run", "--now", now.isoformat()], env)
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    with engine.connect() as conn:
        points = conn.execute(text("SELECT count(*) FROM reminder_point")).scalar()
        states = dict(conn.execute(text(
            "SELECT state, count(*) FROM outbox_message GROUP BY state")).all())
    engine.dispose()
    return {"seconds": seconds, "items_due": len(ids), "points": points,
            "mails_received": len(received), "outbox": states,
            "summary": result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""}


# --- pages --------------------------------------------------------------------------------

def pages(database_url: str) -> list[tuple[str, str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        # The workstream with the most items: the heaviest detail page.
        ws = conn.execute(text(
            "SELECT workstream_id FROM action_item WHERE workstream_id IS NOT NULL "
            "GROUP BY workstream_id ORDER BY count(*) DESC, workstream_id LIMIT 1")).scalar()
    engine.dispose()
    return [
        ("dashboard", "/"),
        ("actions open by due", "/actions?status=open&sort=due"),
        ("actions search", f"/actions?q={SEARCH_WORD}"),
        ("workstream", f"/workstreams/{ws or 1}"),
        ("pocs", "/pocs"),
        ("summary", "/summary"),
        ("summary.json", "/summary.json"),
    ]


# The two ways a page is answered: rendered (the page cache off: what the first view after
# a change costs, and every new filter, page or user) and from the page cache.
MODES = (("rendered", "off"), ("cached", "on"))


def measure_phase(kind: str, items: int) -> dict:
    """Seed, serve, log in, drive every page rendered and cached and the hello-world app;
    read peak memory."""
    url = prepare_database(kind, items)
    env = base_env(url)
    phase = {"items": items, "pages": {}, "database": database_version(url)}
    with Server("bench.hello:app", env, f"hello-{kind}-{items}") as hello:
        log(f"{kind}/{items}: hello-world")
        phase["hello"] = drive(hello.url + "/", None)
    with Server("bench.floor:app", env, f"floor-{kind}-{items}") as floor:
        log(f"{kind}/{items}: the floor (50 rows, Core and Jinja alone)")
        phase["floor"] = drive(floor.url + "/", None)
    page_list = pages(url)
    for mode, cache in MODES:
        with Server("app:app", dict(env, PORTAL_PAGE_CACHE=cache),
                    f"portal-{kind}-{items}-{mode}") as server:
            phase["workers"] = len(server.workers())
            client = Client(server.url)
            client.login(*LOGIN)
            scripts: set[str] = set()
            for name, path in page_list:
                entry = phase["pages"].setdefault(name, {"path": path})
                if not describe_page(client, path, entry):
                    log(f"{kind}/{items}: {path} answered {entry['status']}: skipped")
                    continue
                scripts.update(entry["scripts"])
                log(f"{kind}/{items}: {path} ({mode})")
                # The cookie as a browser holds it after the page: wrk cannot store the one
                # the portal sends back (the idle-timeout stamp moves once a minute).
                entry[mode] = drive(server.url + path, client.cookie_header())
            phase["scripts"] = static_files(client, scripts)
            phase[f"peak_rss_mb_{mode}"] = server.peak_rss_mb()
    counts = sql_counts(url, [p for _, p in page_list])
    for name, path in page_list:
        phase["pages"][name]["sql"], phase["pages"][name]["sql_cached"] = counts[path]
    if items == ITEMS:
        log(f"{kind}/{items}: reminder run with {REMINDER_POINTS} points due")
        phase["reminders"] = reminder_run(url)
    return phase


def describe_page(client: Client, path: str, entry: dict) -> bool:
    """Fetches `path` once plain and once compressed; notes its size and scripts in `entry`.
    False when it does not answer 200."""
    status, raw, _ = client.get(path)
    entry["status"] = status
    if status != 200:
        entry["missing"] = True
        return False
    _, packed, headers = client.get(path, gzip_ok=True)
    entry["bytes"] = len(raw)
    entry["bytes_compressed"] = len(packed)
    entry["content_encoding"] = headers.get("Content-Encoding", "")
    entry["table_rows"] = len(re.findall(rb"<tr[\s>]", raw))
    entry["scripts"] = [s.decode() for s in re.findall(rb'<script[^>]+src="([^"]+)"', raw)]
    return True


def static_files(client: Client, scripts: set[str]) -> dict:
    """Each script the pages load: size raw, gzip (as served), brotli; its cache header."""
    files = {}
    for src in sorted(scripts):
        status, raw, _ = client.get(src)
        _, served, headers = client.get(src, gzip_ok=True)
        try:
            import brotli

            br = len(brotli.compress(raw, quality=11))
        except ImportError:
            br = None
        files[src] = {"status": status, "bytes": len(raw), "gzip_served": len(served),
                      "gzip_9": len(gzip.compress(raw, 9)), "brotli_11": br,
                      "encoding": headers.get("Content-Encoding", ""),
                      "cache_control": headers.get("Cache-Control", "")}
    return files


# --- the report ---------------------------------------------------------------------------

def machine() -> dict:
    meminfo = Path("/proc/meminfo").read_text()
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    gunicorn_version = subprocess.run([GUNICORN, "--version"], capture_output=True,
                                      text=True).stdout.strip()
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) / 1048576, 1),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "python": platform.python_version(), "kernel": platform.release(),
        "sqlite": sqlite3.sqlite_version, "wrk": wrk_version.split("\n")[0].strip(),
        "gunicorn": gunicorn_version,
        "load_before": Path("/proc/loadavg").read_text().split()[:3],
    }


def fmt(value, digits=1, suffix=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{suffix}"
    return f"{value:,}{suffix}"


def _growth(large: dict | None, small: dict | None) -> float | None:
    """p50 at the large size over p50 at the small one."""
    return large["p50"] / small["p50"] if large and small and small.get("p50") else None


def verdict(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def report(kind: str, result: dict) -> str:
    big, small = result["phases"][str(ITEMS)], result["phases"].get(str(SMALL))
    hello = big["hello"]["rps"]
    m = result["machine"]
    lines = [
        f"# Benchmark {result['date']} — {kind}" + (f" ({result['label']})" if result["label"]
                                                   else ""),
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB, Python {m['python']}, "
        f"{big['database']}, {m['gunicorn']}, {m['wrk']}. Load average before: "
        f"{' '.join(m['load_before'])}; after: {' '.join(result['load_after'])}. "
        f"gunicorn workers: {big.get('workers')}; wrk: {CONCURRENCY} connections, "
        f"{WARMUP} s warm-up then {DURATION} s per page and mode, `Accept-Encoding: gzip`. "
        f"Page cache when on: {result['page_cache']}.",
        "",
        f"## {ITEMS:,} action items",
        "",
        f"hello-world ceiling: {fmt(hello, 0)} req/s, p50 {fmt(big['hello']['p50'], 2)} ms, "
        f"p99 {fmt(big['hello']['p99'], 2)} ms.",
        "",
        f"Floor (bench/floor.py: 50 rows read with Core and rendered by Jinja, nothing else): "
        f"{fmt(big['floor']['rps'], 0)} req/s, {fmt(big['floor']['rps'] / hello, 3)} × hello, "
        f"p50 {fmt(big['floor']['p50'], 2)} ms. The least a rendered page costs on this stack.",
        "",
        "Rendered: the page cache off, every request renders. Cached: the page cache on, "
        "wrk repeats one request, so nearly every one is a hit.",
        "",
        f"| page | rendered req/s | × hello | p50 ms | p99 ms | p50 at {SMALL} | p50 growth "
        f"| cached req/s | × hello | p50 ms | p50 growth | bytes (gzip) | SQL render/cached "
        f"| rendered ≥ {TARGET_RENDERED_RATIO:.0%} | growth ≤ {TARGET_P50_GROWTH} "
        f"| cached ≥ {TARGET_RATIO:.0%} |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | --- | --- | --- |",
    ]
    for name, entry in big["pages"].items():
        if entry.get("missing"):
            lines.append(f"| `{entry['path']}` | HTTP {entry['status']} "
                         "| | | | | | | | | | | | – | – | – |")
            continue
        other = (small or {}).get("pages", {}).get(name, {})
        rendered, cached = entry.get("rendered", {}), entry.get("cached", {})
        ratio = rendered["rps"] / hello if hello and rendered else None
        cached_ratio = cached["rps"] / hello if hello and cached else None
        growth = _growth(rendered, other.get("rendered"))
        cached_growth = _growth(cached, other.get("cached"))
        lines.append(
            f"| `{entry['path']}` | {fmt(rendered.get('rps'), 0)} | {fmt(ratio, 3)} "
            f"| {fmt(rendered.get('p50'), 1)} | {fmt(rendered.get('p99'), 1)} "
            f"| {fmt((other.get('rendered') or {}).get('p50'), 1)} | {fmt(growth, 2)} "
            f"| {fmt(cached.get('rps'), 0)} | {fmt(cached_ratio, 3)} "
            f"| {fmt(cached.get('p50'), 2)} | {fmt(cached_growth, 2)} "
            f"| {fmt(entry['bytes'])} ({fmt(entry['bytes_compressed'])}) "
            f"| {fmt(entry.get('sql'))} / {fmt(entry.get('sql_cached'))} "
            f"| {verdict(ratio >= TARGET_RENDERED_RATIO if ratio else None)} "
            f"| {verdict(growth <= TARGET_P50_GROWTH if growth else None)} "
            f"| {verdict(cached_ratio >= TARGET_RATIO if cached_ratio else None)} |")
        for mode in ("rendered", "cached"):
            result_of = entry.get(mode, {})
            if result_of.get("non_2xx_3xx") or result_of.get("socket_errors"):
                lines.append(f"|  ↳ {mode}: {result_of['non_2xx_3xx']} non-2xx/3xx, "
                             f"{result_of['socket_errors']} socket errors "
                             "| | | | | | | | | | | | | | | |")
    if small:
        ceiling = fmt(small["hello"]["rps"], 0)
        lines += ["", f"At {SMALL} items the hello-world ceiling was {ceiling} req/s."]
    actions = big["pages"].get("actions open by due", {})
    scripts = big.get("scripts", {})
    js_gzip = sum(f["gzip_served"] for f in scripts.values())
    js_br = sum(f["brotli_11"] or 0 for f in scripts.values())
    immutable = all("immutable" in f["cache_control"] for f in scripts.values()) if scripts \
        else None
    lines += [
        "",
        "## Other targets",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
    ]
    if actions.get("bytes"):
        rows = actions.get("table_rows", 0)
        lines.append(f"| action list with 50 rows < 60 KB HTML | {fmt(actions['bytes'])} bytes, "
                     f"{rows} `<tr>` | {verdict(actions['bytes'] < TARGET_ACTIONS_BYTES)} |")
    else:
        lines.append("| action list with 50 rows < 60 KB HTML | page not built yet | – |")
    encodings = {e.get("content_encoding") for e in big["pages"].values() if e.get("bytes")}
    names = ", ".join(sorted(encodings)) or "–"
    lines.append(f"| responses compressed | Content-Encoding: {names} "
                 f"| {verdict(encodings == {'gzip'} if encodings else None)} |")
    lines.append(f"| static files fingerprinted, long cache | {len(scripts)} scripts, "
                 f"`?v=<hash>` + immutable: {immutable} | {verdict(immutable)} |")
    lines.append(f"| all JavaScript < 30 KB compressed | {fmt(js_gzip)} bytes gzip as served, "
                 f"{fmt(js_br)} bytes brotli-11 | {verdict(js_gzip < TARGET_JS_BYTES)} (gzip) |")
    per_page = {entry["path"]: sum(scripts[src]["gzip_served"] for src in entry["scripts"]
                                   if src in scripts)
                for entry in big["pages"].values() if entry.get("scripts")}
    if per_page:
        heaviest = max(per_page, key=per_page.get)
        lines.append(f"| (per page) JavaScript one page loads < 30 KB compressed | heaviest "
                     f"`{heaviest}`: {fmt(per_page[heaviest])} bytes gzip; "
                     + ", ".join(f"`{p}` {fmt(v)}" for p, v in per_page.items())
                     + f" | {verdict(per_page[heaviest] < TARGET_JS_BYTES)} |")
    rem = big.get("reminders")
    if rem:
        lines.append(
            f"| reminder run < 10 s | {fmt(rem['seconds'], 2)} s: {rem['points']} points, "
            f"{rem['mails_received']} mails received; {rem['summary']} "
            f"| {verdict(rem['seconds'] < TARGET_REMINDER_SECONDS)} |")
    for mode, _ in MODES:
        peaks = ", ".join(fmt(v, 0) for v in big.get(f"peak_rss_mb_{mode}", []))
        lines.append(f"| peak RSS of the web workers ({mode}) | {peaks} MB "
                     "(VmHWM per worker) | – |")
    if scripts:
        lines += ["", "Scripts the pages load:", "", "| file | bytes | gzip served | gzip -9 "
                  "| brotli 11 | Cache-Control |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        for src, f in scripts.items():
            lines.append(f"| `{src}` | {fmt(f['bytes'])} | {fmt(f['gzip_served'])} "
                         f"| {fmt(f['gzip_9'])} | {fmt(f['brotli_11'])} | {f['cache_control']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk (make bench does it)", file=sys.stderr)
        return 2
    WORK.mkdir(exist_ok=True)
    (WORK / "instance").mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
    if os.environ.get("BENCH_ONLY"):
        kinds = [k for k in kinds if k == os.environ["BENCH_ONLY"]]
    label = os.environ.get("BENCH_LABEL", "")
    info = machine()
    started = time.perf_counter()
    for kind in kinds:
        result = {"date": date.today().isoformat(), "label": label, "machine": info,
                  "page_cache": f"data version read at most every "
                  f"{os.environ.get('PORTAL_PAGE_CACHE_LAG_SECONDS', '0.25')} s",
                  "settings": {"duration": DURATION, "warmup": WARMUP,
                               "concurrency": CONCURRENCY}, "phases": {}}
        for items in (ITEMS, SMALL):
            result["phases"][str(items)] = measure_phase(kind, items)
        result["load_after"] = Path("/proc/loadavg").read_text().split()[:3]
        name = f"{result['date']}-{kind}" + (f"-{label}" if label else "")
        text = report(kind, result)
        (RESULTS / f"{name}.md").write_text(text)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
        print(text)
        log(f"wrote bench/results/{name}.md and .json")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
