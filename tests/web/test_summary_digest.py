"""The weekly executive digest: due on Monday 08:00 local, once per week, what changed."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.reminders.models import OutboxMessage
from portal.summary.digest import is_due, queue_weekly_digest, weekly_changes
from portal.summary.jobs import weekly_digest_job
from tests.factories import make_item, make_program, make_user, make_workstream

MONDAY = date(2026, 1, 19)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def setup_week():
    program = make_program(target_date=MONDAY + timedelta(days=40),
                           created_at=utc(MONDAY - timedelta(days=30), 9))
    ws = make_workstream(program, name="Compliance", rag="red")
    make_item("Sign the DPA", workstream_id=ws.id, status="done",
              due_date=MONDAY - timedelta(days=3), created_date=MONDAY - timedelta(days=20),
              done_date=MONDAY - timedelta(days=2))
    make_item("Engage the SOC2 auditor", workstream_id=ws.id, status="open",
              due_date=MONDAY - timedelta(days=2), created_date=MONDAY - timedelta(days=20))
    make_item("Long overdue", workstream_id=ws.id, status="open",
              due_date=MONDAY - timedelta(days=3), created_date=MONDAY - timedelta(days=25))
    scaler = Hyperscaler(name="GCP", rank=1)
    poc = Poc(customer=Customer(name="Sigma"), hyperscaler=scaler, position=1, stage="running")
    db.session.add_all([scaler, poc])
    db.session.flush()
    db.session.add_all([
        AuditEvent(entity_type="workstream", entity_id=ws.id, action="status",
                   before={"rag": "green"}, after={"rag": "red"},
                   created_at=utc(MONDAY - timedelta(days=3), 10)),
        AuditEvent(entity_type="poc", entity_id=poc.id, action="update",
                   before={"stage": "scheduled"}, after={"stage": "running"},
                   created_at=utc(MONDAY - timedelta(days=1), 10)),
    ])
    db.session.commit()
    return program


def test_is_due_on_monday_from_eight_local():
    assert is_due(utc(MONDAY, 8), "UTC")
    assert is_due(utc(MONDAY, 15, 45), "UTC")
    assert not is_due(utc(MONDAY, 7, 59), "UTC")
    assert not is_due(utc(MONDAY + timedelta(days=1), 8), "UTC")
    # 07:00 UTC is 08:00 in Berlin (winter); 08:00 UTC on Monday is Monday 00:00 in LA.
    assert is_due(utc(MONDAY, 7), "Europe/Berlin")
    assert not is_due(utc(MONDAY, 8), "America/Los_Angeles")
    assert is_due(utc(MONDAY, 16), "America/Los_Angeles")
    assert is_due(utc(MONDAY, 8), "Not/AZone")


def test_weekly_changes(app):
    setup_week()
    changes = weekly_changes(db.session, MONDAY)
    assert changes["week"] == "2026-W04"
    assert [(r["workstream"], r["before"], r["after"]) for r in changes["rag_changes"]] == \
        [("Compliance", "green", "red")]
    assert [i["title"] for i in changes["done"]] == ["Sign the DPA"]
    assert [i["title"] for i in changes["newly_overdue"]] == ["Long overdue",
                                                              "Engage the SOC2 auditor"]
    assert [(p["customer"], p["before"], p["after"]) for p in changes["poc_changes"]] == \
        [("Sigma", "scheduled", "running")]


def test_digest_is_queued_once_per_week_for_each_executive(app):
    setup_week()
    first = make_user("executive")
    second = make_user("executive")
    make_user("lead")
    make_user("executive").active = False
    assert queue_weekly_digest(db.session, app.config, utc(MONDAY, 7)) == 0
    assert queue_weekly_digest(db.session, app.config, utc(MONDAY, 8)) == 2
    db.session.commit()
    assert queue_weekly_digest(db.session, app.config, utc(MONDAY, 9)) == 0
    db.session.commit()
    messages = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.recipient for m in messages] == [first.email, second.email]
    assert all(m.idempotency_key.startswith("weekly:") and ":2026-W04:" in m.idempotency_key
               for m in messages)
    # No SMTP server configured: the mail stays in the outbox, logged.
    assert {m.state for m in messages} == {"logged"}
    message = messages[0]
    assert "Off track" in message.subject
    assert "Compliance: green -> red" in message.text_body
    assert "Sign the DPA" in message.text_body and "Engage the SOC2 auditor" in message.text_body
    assert "Sigma on GCP: Scheduled -> Running" in message.text_body
    assert "http://portal.test/summary" in message.text_body
    assert "Compliance" in message.html_body and "Off track" in message.html_body
    # The next week gets its own digest.
    assert queue_weekly_digest(db.session, app.config, utc(MONDAY + timedelta(days=7), 8)) == 2


def test_job_runs_with_a_given_now(app):
    setup_week()
    make_user("executive")
    assert weekly_digest_job(app, utc(MONDAY, 8, 15)) == 1
    assert weekly_digest_job(app, utc(MONDAY, 8, 30)) == 0
    assert db.session.query(OutboxMessage).count() == 1


def test_snapshot_job(app):
    from portal.summary.jobs import snapshot_job
    from portal.summary.models import Snapshot

    setup_week()
    assert snapshot_job(app, utc(MONDAY, 23, 50)) == 2
    assert snapshot_job(app, utc(MONDAY, 23, 55)) == 2
    assert db.session.query(Snapshot).filter_by(taken_on=MONDAY).count() == 2
