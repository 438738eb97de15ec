"""seed-scale (bench/scale.py): deterministic, the sizes asked for, a fifth overdue, gapless
POC positions, and it refuses a database that already holds data; its command is in the
benchmark's `dev` group, which the portal's own commands do not have."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench.scale import ScaleError, dev_cli, seed_scale
from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.demo import DEMO_LOGINS, DEMO_PASSWORD
from portal.extensions import db
from portal.people.models import Person
from portal.pocs.models import Hyperscaler, Poc
from portal.program.models import Program, Workstream
from portal.summary.models import Snapshot
from portal.vocab import OPEN_STATUSES

TODAY = date(2026, 3, 2)
SIZES = {"action_items": 400, "people": 40, "workstreams": 6, "customers": 30}


def _fingerprint(session) -> list[tuple]:
    """Every item's and POC's content, without timestamps of the insert itself."""
    items = session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.owner_id, ActionItem.workstream_id,
               ActionItem.status, ActionItem.priority, ActionItem.due_date, ActionItem.tags,
               ActionItem.meeting_id).order_by(ActionItem.id)).all()
    pocs = session.execute(select(Poc.customer_id, Poc.hyperscaler_id, Poc.position, Poc.stage)
                           .order_by(Poc.id)).all()
    people = session.execute(select(Person.name, Person.email, Person.timezone)
                             .order_by(Person.id)).all()
    return [tuple(row) for row in items + pocs + people]


@pytest.fixture
def scaled(app):
    result = seed_scale(db.session, seed=7, today=TODAY, **SIZES)
    db.session.commit()
    return result


def test_counts_are_the_sizes_asked_for(scaled):
    session = db.session
    assert session.scalar(select(func.count()).select_from(ActionItem)) == 400
    # the 40 asked for, and the admin login's own person (every login is a person)
    assert session.scalar(select(func.count()).select_from(Person)) == 41
    assert session.scalar(select(func.count()).select_from(Workstream)) == 6
    assert session.scalar(select(func.count()).select_from(Program)) == 1
    assert scaled.counts["action_items"] == 400 and scaled.counts["customers"] == 30
    assert {h for h in session.scalars(select(Hyperscaler.name))} == {"GCP", "Azure", "AWS"}
    assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 400
    # Some people lack an email, some are teams.
    assert session.scalar(select(func.count()).where(Person.email.is_(None))) >= 1
    assert session.scalar(select(func.count()).where(Person.kind == "team")) >= 1


def test_a_fifth_of_the_items_is_overdue(scaled):
    overdue = db.session.scalar(
        select(func.count()).select_from(ActionItem)
        .where(ActionItem.status.in_(OPEN_STATUSES), ActionItem.due_date < TODAY))
    assert 0.18 * 400 <= overdue <= 0.22 * 400


def test_due_dates_spread_over_a_year_around_today(scaled):
    first, last = db.session.execute(
        select(func.min(ActionItem.due_date), func.max(ActionItem.due_date))).one()
    assert (TODAY - first).days > 120 and (last - TODAY).days > 120
    assert (last - first).days <= 370


def test_owners_are_skewed(scaled):
    counts = db.session.execute(
        select(ActionItem.owner_id, func.count()).where(ActionItem.owner_id.is_not(None))
        .group_by(ActionItem.owner_id).order_by(func.count().desc())).all()
    busiest = counts[0][1]
    median = counts[len(counts) // 2][1]
    assert busiest >= 4 * median


def test_poc_positions_are_gapless_per_hyperscaler(scaled):
    positions = defaultdict(list)
    for scaler, position in db.session.execute(select(Poc.hyperscaler_id, Poc.position)):
        positions[scaler].append(position)
    assert positions
    for values in positions.values():
        assert sorted(values) == list(range(1, len(values) + 1))


def test_twelve_weeks_of_snapshots_for_the_program_and_each_workstream(scaled):
    program_weeks = db.session.scalar(
        select(func.count(func.distinct(Snapshot.taken_on))).where(Snapshot.scope == "program"))
    assert program_weeks == 12
    ws_ids = db.session.scalars(select(Workstream.id)).all()
    scopes = set(db.session.scalars(select(Snapshot.scope)))
    assert scopes == {"program"} | {f"workstream:{i}" for i in ws_ids}


def test_demo_logins_sign_in(scaled, client):
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_LOGINS)
    email = DEMO_LOGINS[1][0]
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code in (302, 303)
    assert "/login" not in response.headers["Location"]


@pytest.mark.committed  # drops and builds the schema
def test_same_seed_same_data_other_seed_other_data(app_factory):
    fingerprints = []
    for seed in (3, 3, 4):
        application = app_factory()
        with application.app_context():
            db.drop_all()
            db.create_all()
            seed_scale(db.session, seed=seed, today=TODAY, **SIZES)
            db.session.commit()
            fingerprints.append(_fingerprint(db.session))
            db.session.remove()
    assert fingerprints[0] == fingerprints[1]
    assert fingerprints[0] != fingerprints[2]


def test_refuses_a_database_that_holds_data(scaled):
    with pytest.raises(ScaleError, match="not empty"):
        seed_scale(db.session, seed=1, today=TODAY, **SIZES)


def test_cli_refuses_a_non_empty_database_with_a_clear_message(scaled, app, monkeypatch):
    # As bench.scale.create_app does, for this test only: the app is shared.
    monkeypatch.setitem(app.cli.commands, "dev", dev_cli)
    result = app.test_cli_runner().invoke(args=["dev", "seed-scale", "--action-items", "10"])
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_cli_fills_an_empty_database(app, monkeypatch):
    monkeypatch.setitem(app.cli.commands, "dev", dev_cli)
    result = app.test_cli_runner().invoke(args=[
        "dev", "seed-scale", "--action-items", "30", "--people", "10", "--workstreams", "2",
        "--customers", "3"])
    assert result.exit_code == 0, result.output
    assert "30 action items" in result.output
    assert db.session.scalar(select(func.count()).select_from(ActionItem)) == 30


def test_the_portal_has_no_seed_scale_command(app):
    """A deployment's `flask` (app.py, the package alone) cannot fill its database with
    benchmark data."""
    assert "seed-scale" not in app.cli.commands
    assert "dev" not in app.cli.commands


@pytest.mark.committed  # its own database, through the real command line
def test_the_bench_command_line_seeds_a_migrated_database(tmp_path):
    """What `make bench` runs: `flask --app bench.scale dev seed-scale` from the root."""
    root = Path(__file__).resolve().parents[2]
    flask = str(Path(sys.executable).parent / "flask")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.db'}",
           "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"), "PORTAL_SCHEDULER": "off",
           "FLASK_APP": "app.py"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    subprocess.run([flask, "db", "upgrade"], cwd=root, env=env, check=True,
                   capture_output=True, timeout=300)
    portal = subprocess.run([flask, "seed-scale"], cwd=root, env=env, capture_output=True,
                            text=True, timeout=300)
    assert portal.returncode != 0 and "No such command" in portal.stderr
    bench = subprocess.run(
        [flask, "--app", "bench.scale", "dev", "seed-scale", "--action-items", "20",
         "--people", "10", "--workstreams", "2", "--customers", "2"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert bench.returncode == 0, bench.stderr
    assert "20 action items" in bench.stdout
