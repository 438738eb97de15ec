"""The program's time zone decides its days: pages, the page cache, the scheduler's jobs and
the reminders all count them there; PORTAL_TIMEZONE only without a program."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import g
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from portal.extensions import db
from portal.program.clock import last_read_zone, program_today, program_zone, zone_of
from portal.reminders import outbox
from portal.summary.digest import queue_weekly_digest
from portal.summary.jobs import snapshot_job
from portal.summary.models import Snapshot
from tests.factories import make_item, make_person, make_program, make_user, make_workstream

MONDAY = date(2026, 1, 19)


def forget():
    g.pop("program_zone", None)


def test_without_a_program_the_setting_is_the_zone(app):
    app.config["PORTAL_TIMEZONE"] = "America/Chicago"
    forget()
    assert program_zone() == "America/Chicago"
    make_program(timezone="Asia/Tokyo")
    db.session.commit()
    forget()
    assert program_zone() == "Asia/Tokyo" == last_read_zone(app)
    # 15:30 UTC on the 18th is already the 19th in Tokyo.
    assert program_today(datetime(2026, 1, 18, 15, 30)) == MONDAY


def test_the_zone_is_read_once_per_context(app, query_counter):
    make_program(timezone="Europe/Berlin")
    db.session.commit()
    forget()
    with query_counter() as statements:
        for _ in range(3):
            program_today()
    assert len(statements) == 1
    assert zone_of(db.session, "UTC") == "Europe/Berlin"


def test_the_snapshot_job_takes_the_programs_day(app):
    """23:50 UTC on Monday is Tuesday in Tokyo: the snapshot is Tuesday's."""
    program = make_program(timezone="Asia/Tokyo", target_date=MONDAY + timedelta(days=30))
    make_workstream(program, name="Compliance")
    db.session.commit()
    assert snapshot_job(app, datetime(2026, 1, 19, 23, 50)) == 2
    days = set(db.session.scalars(select(Snapshot.taken_on)))
    assert days == {MONDAY + timedelta(days=1)}


def test_the_weekly_digest_is_due_at_eight_in_the_programs_zone(app):
    program = make_program(timezone="America/Los_Angeles",
                           target_date=MONDAY + timedelta(days=30))
    make_workstream(program, name="Compliance")
    make_user("executive")
    db.session.commit()
    # 08:00 UTC is midnight in Los Angeles: not yet; 16:00 UTC is 08:00 there.
    assert queue_weekly_digest(db.session, app.config, datetime(2026, 1, 19, 8, 0)) == 0
    assert queue_weekly_digest(db.session, app.config, datetime(2026, 1, 19, 16, 0)) == 1


def test_reminders_reach_people_without_a_zone_in_the_programs(app):
    """At 09:00 UTC it is 01:00 in Los Angeles, before anyone's send hour there."""
    wednesday = datetime(2026, 3, 4, 9, 0)
    program = make_program(timezone="America/Los_Angeles")
    ws = make_workstream(program, name="Integrations")
    ana = make_person("Ana Owner")  # no zone of her own
    make_item("Register offer", owner_id=ana.id, workstream_id=ws.id,
              due_date=wednesday.date())
    db.session.commit()
    config = dict(app.config, MAIL_SERVER=None)
    assert outbox.run(db.session, config, wednesday).planned == 0
    assert outbox.run(db.session, config, wednesday + timedelta(hours=8)).planned == 1


def test_an_existing_program_keeps_the_zone_its_days_were_counted_in(app):
    """Upgrading a database with a program gives it PORTAL_TIMEZONE; downgrading drops
    the columns again."""
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade(revision="0001")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO program (name, target_date, description, created_at) "
                          "VALUES ('Old', '2026-06-30', '', '2025-01-01 00:00:00')"))
    app.config["PORTAL_TIMEZONE"] = "Europe/Paris"
    upgrade()
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT timezone, version FROM program")).one()
    assert tuple(row) == ("Europe/Paris", 1)
    downgrade(revision="0001")
    assert "timezone" not in {c["name"] for c in inspect(db.engine).get_columns("program")}
    upgrade()
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.create_all()  # leave the schema as the other tests expect it
