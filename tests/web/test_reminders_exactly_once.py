"""Exactly once: two `flask reminders run` processes started at the same moment against the
same database (SQLite and PostgreSQL) deliver every point once."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.reminders.models import OutboxMessage, ReminderPoint
from tests.factories import make_item, make_person, make_workstream
from tests.web.test_reminders_smtp import running_smtp_server

# Other processes read what the test committed.
pytestmark = pytest.mark.committed

smtp_fixture = pytest.fixture(running_smtp_server, name="smtp_server")

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
NOW = "2026-03-04T09:00:00Z"
TODAY = datetime(2026, 3, 4).date()


def _env(app, server, tmp_path) -> dict:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PORTAL_INSTANCE_PATH": str(tmp_path / "cli-instance"),
        "SECRET_KEY": "test-secret-key",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(server.port),
        "PORTAL_BASE_URL": "http://portal.test",
        "PORTAL_SCHEDULER": "off",
        "FLASK_APP": "app.py",
    })
    env.pop("PORTAL_ENV", None)
    return env


def _start(env, *args):
    return subprocess.Popen([FLASK, "reminders", "run", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _data():
    people = [make_person(f"Racer {i}") for i in range(12)]
    ws = make_workstream(lead_id=people[0].id)
    expected = 0
    for i, person in enumerate(people):
        for offset in (-9, -1, 0, 2, 6):
            make_item(f"Item {i} {offset}", owner_id=person.id, workstream_id=ws.id,
                      due_date=TODAY + timedelta(days=offset))
            expected += 1
    db.session.commit()
    return people, expected + 11  # the -9 items of the 11 others escalate to the lead


def test_two_processes_at_once_deliver_every_point_once(app, smtp_server, tmp_path):
    people, points = _data()
    env = _env(app, smtp_server, tmp_path)
    first, second = _start(env, "--now", NOW), _start(env, "--now", NOW)
    outputs = [proc.communicate(timeout=120) for proc in (first, second)]
    for proc, (out, err) in zip((first, second), outputs, strict=True):
        assert proc.returncode == 0, err
        assert "points planned:" in out
    smtp_server.wait_for(len(people))
    recipients = Counter(m["To"] for m in smtp_server.messages)
    assert recipients == Counter({p.email: 1 for p in people})
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderPoint)) == points
    states = db.session.scalars(sa.select(OutboxMessage.state)).all()
    assert states == ["sent"] * len(people)
    # Together the two runs planned every point once and sent every message once.
    planned = sum(int(out.split("points planned: ")[1].split(",")[0]) for out, _ in outputs)
    sent = sum(int(out.split("messages sent: ")[1].split(",")[0]) for out, _ in outputs)
    assert (planned, sent) == (points, len(people))

    # A second run at the same --now sends nothing.
    again = subprocess.run([FLASK, "reminders", "run", "--now", NOW], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert "points planned: 0, messages sent: 0" in again.stdout
    assert len(smtp_server.messages) == len(people)


def test_dry_run_process_prints_and_writes_nothing(app, smtp_server, tmp_path):
    _data()
    env = _env(app, smtp_server, tmp_path)
    out = subprocess.run([FLASK, "reminders", "run", "--now", NOW, "--dry-run"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "would send digest:" in out.stdout and "nothing written" in out.stdout
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert smtp_server.messages == []
    bad = subprocess.run([FLASK, "reminders", "run", "--now", "yesterday"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr
