"""The production shape on one machine: two portal instances (gunicorn) on two loopback
ports and two `flask scheduler` processes over one PostgreSQL database. A change made
through one instance is seen through the other, and every reminder reaches a loopback SMTP
server exactly once although two schedulers run. PostgreSQL only; it makes and drops its
own database, so it never collides with the shared test database."""
from __future__ import annotations

import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import date, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
OWNERS = 6
ITEMS_PER_OWNER = 3
LEAD = ("lead.multi@example.com", "multi-instance-password")

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgresql"),
                       reason="PostgreSQL not configured (set TEST_DATABASE_URL)"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def own_database():
    """A database of this test's own, dropped afterwards."""
    name = f"portal_multi_{os.getpid()}"
    admin_url = make_url(TEST_DATABASE_URL).set(database="postgres")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def seed(url: str, tmp_path) -> list[int]:
    """A lead login and OWNERS people, each with items due in two days: one reminder point
    per item, one digest per owner. Returns the item ids."""
    from portal import create_app
    from portal.actions.models import ActionItem
    from portal.audit.log import Actor
    from portal.auth import users
    from portal.extensions import db
    from portal.people.models import Person

    os.environ["PORTAL_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "seed", "TESTING": True})
    due = date.today() + timedelta(days=2)
    with app.app_context():
        users.create_user(db.session, Actor(via="cli"), email=LEAD[0], name="Lead",
                          role="lead", password=LEAD[1])
        ids = []
        for n in range(OWNERS):
            person = Person(name=f"Owner {n}", name_key=f"owner {n}", timezone="UTC",
                            send_hour=0, email=f"owner{n}@example.com")
            db.session.add(person)
            db.session.flush()
            for k in range(ITEMS_PER_OWNER):
                item = ActionItem(title=f"Item {n}.{k}", title_key=f"item {n}.{k}",
                                  owner_id=person.id, status="open", due_date=due)
                db.session.add(item)
                db.session.flush()
                ids.append(item.id)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return ids


class Browser:
    """A logged-in client of one instance; the cookie can be shared with another."""

    def __init__(self, base: str, jar: CookieJar | None = None):
        self.base = base
        self.jar = jar or CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str):
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.status, response.read().decode(), response.url

    def post(self, path: str, data: dict):
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base + path, data=body, method="POST")
        with self.opener.open(request, timeout=20) as response:
            return response.status, response.read().decode(), response.url

    def csrf(self, path: str) -> str:
        _, html, _ = self.get(path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)


def _wait_for_more_ticks(url: str, ticks: int, timeout: float = 60) -> None:
    """Waits until the reminder job has recorded `ticks` more runs (either scheduler)."""
    engine = create_engine(url)
    query = text("SELECT value FROM setting WHERE key = 'scheduler.last_run.reminders'")
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while len(seen) <= ticks:
            assert time.monotonic() < deadline, "the schedulers stopped ticking"
            with engine.connect() as conn:
                seen.add(str(conn.execute(query).scalar()))
            time.sleep(0.2)
    finally:
        engine.dispose()


def wait_for(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer in time")


def test_two_instances_and_two_schedulers_over_one_postgresql(own_database, tmp_path):
    from aiosmtpd.controller import Controller

    url = own_database
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update({"DATABASE_URL": url, "PORTAL_ENV": "production",
                "SECRET_KEY": "multi-instance-secret", "PORTAL_INSTANCE_PATH":
                str(tmp_path / "instance"), "PYTHONPATH": str(ROOT), "FLASK_APP": "app.py",
                "WEB_CONCURRENCY": "1", "PORTAL_SCHEDULER": "off"})
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    item_ids = seed(url, tmp_path)

    received: list[tuple[str, ...]] = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            received.append(tuple(envelope.rcpt_tos))
            return "250 OK"

    smtp_port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    processes: list[subprocess.Popen] = []
    logs = []

    def start(cmd, extra, name):
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
        logs.append(log)
        processes.append(subprocess.Popen(cmd, cwd=ROOT, env={**env, **extra}, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True))

    try:
        ports = [free_port(), free_port()]
        for n, port in enumerate(ports):
            start([str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "app:app"],
                  {"PORTAL_BIND": f"127.0.0.1:{port}",
                   "PORTAL_BASE_URL": f"http://127.0.0.1:{port}"}, f"web{n}")
        for n in range(2):
            start([str(BIN / "flask"), "scheduler"],
                  {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
                   "PORTAL_SCHEDULER_INTERVAL_SECONDS": "2"}, f"scheduler{n}")
        deadline = time.monotonic() + 60
        for port in ports:
            wait_for(f"http://127.0.0.1:{port}/healthz", deadline)

        # A change through instance A ...
        a = Browser(f"http://127.0.0.1:{ports[0]}")
        status, _, landed = a.post("/login", {"csrf_token": a.csrf("/login"),
                                              "email": LEAD[0], "password": LEAD[1]})
        assert status == 200 and "/login" not in landed
        item = item_ids[0]
        status, _, _ = a.post(f"/actions/{item}/status",
                              {"csrf_token": a.csrf(f"/actions/{item}"), "status": "in_progress",
                               "version": "1"})
        assert status == 200
        # ... is seen through instance B (with the same session: any instance serves it).
        b = Browser(f"http://127.0.0.1:{ports[1]}", a.jar)
        status, body, _ = b.get("/actions/export.csv")
        assert status == 200
        rows = {row["id"]: row for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff")))}
        assert rows[str(item)]["status"] == "in_progress"
        assert rows[str(item_ids[1])]["status"] == "open"

        # Every owner's digest arrives, once, although two schedulers tick every 2 s.
        expected = {f"owner{n}@example.com" for n in range(OWNERS)}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if expected <= {r for rcpts in received for r in rcpts}:
                break
            time.sleep(0.5)
        _wait_for_more_ticks(url, ticks=4)  # ticks after delivery: nothing may go out again
        counts = Counter(r for rcpts in received for r in rcpts if r in expected)
        assert counts == Counter({address: 1 for address in expected}), counts
        engine = create_engine(url)
        with engine.connect() as conn:
            points = conn.execute(text("SELECT count(*), count(message_id) "
                                       "FROM reminder_point")).one()
            last_runs = conn.execute(text("SELECT count(*) FROM setting WHERE key LIKE "
                                          "'scheduler.last_run.%'")).scalar()
        engine.dispose()
        assert points == (OWNERS * ITEMS_PER_OWNER, OWNERS * ITEMS_PER_OWNER)
        assert last_runs >= 1
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        controller.stop()
        for log in logs:
            log.close()
