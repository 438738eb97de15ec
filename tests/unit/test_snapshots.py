"""Snapshots: idempotent per day; backfill rebuilds past days from the audit log."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.summary.history import History
from portal.summary.models import Snapshot
from portal.summary.snapshots import backfill, take_snapshot
from tests.factories import make_item, make_program, make_workstream

TODAY = date(2026, 1, 20)


def at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()) + timedelta(hours=12)


def setup_history():
    """One gating workstream; an item done on day -5, one moved from due -2 to +10 today,
    the workstream turned red on day -3 (audit events)."""
    program = make_program(created_at=at(TODAY - timedelta(days=10)))
    ws = make_workstream(program, name="Compliance", rag="red")
    done = make_item(workstream_id=ws.id, status="done", due_date=TODAY - timedelta(days=6),
                     created_date=TODAY - timedelta(days=10),
                     done_date=TODAY - timedelta(days=5))
    moved = make_item(workstream_id=ws.id, status="open", due_date=TODAY + timedelta(days=10),
                      created_date=TODAY - timedelta(days=10))
    make_item(workstream_id=ws.id, status="open", created_date=TODAY - timedelta(days=1))
    db.session.add_all([
        AuditEvent(entity_type="action_item", entity_id=moved.id, action="update",
                   before={"due_date": (TODAY - timedelta(days=2)).isoformat()},
                   after={"due_date": (TODAY + timedelta(days=10)).isoformat()},
                   created_at=at(TODAY)),
        AuditEvent(entity_type="workstream", entity_id=ws.id, action="status",
                   before={"rag": "amber"}, after={"rag": "red"},
                   created_at=at(TODAY - timedelta(days=3))),
    ])
    db.session.commit()
    return program, ws, done, moved


def program_rows():
    return {s.taken_on: s for s in db.session.scalars(
        select(Snapshot).where(Snapshot.scope == "program").order_by(Snapshot.taken_on))}


def test_take_snapshot_is_idempotent_per_day(app):
    _program, ws, _done, moved = setup_history()
    assert take_snapshot(db.session, TODAY) == 2
    db.session.commit()
    assert take_snapshot(db.session, TODAY) == 2
    db.session.commit()
    rows = db.session.scalars(select(Snapshot).where(Snapshot.taken_on == TODAY)).all()
    assert sorted(r.scope for r in rows) == ["program", f"workstream:{ws.id}"]
    # A change during the day replaces that day's figures instead of adding rows.
    db.session.get(ActionItem, moved.id).status = "done"
    db.session.commit()
    take_snapshot(db.session, TODAY)
    db.session.commit()
    program = program_rows()[TODAY]
    assert db.session.query(Snapshot).count() == 2
    assert (program.open_items, program.done_items) == (1, 2)
    assert program.figures["workstreams"][0]["name"] == "Compliance"


def test_history_rebuilds_a_past_day_from_the_audit_log(app):
    program, ws, done, moved = setup_history()
    history = History.load(db.session, program.id)
    day = TODAY - timedelta(days=4)  # before the red status and before the due-date move
    items = {i.id: i for i in history.items_on(day)}
    assert set(items) == {done.id, moved.id}  # the third item did not exist yet
    assert items[done.id].status == "done"
    assert items[moved.id].due_date == TODAY - timedelta(days=2)
    assert history.rags_on(day) == {ws.id: "amber"}
    before_done = {i.id: i for i in history.items_on(TODAY - timedelta(days=6))}
    assert before_done[done.id].status == "open"
    figures = history.figures_on(TODAY - timedelta(days=1))
    assert figures[0].rag == "red"
    # On day -1 the moved item was still due on day -2: overdue.
    assert figures[0].items_overdue == 1


def test_backfill_fills_missing_days_and_keeps_taken_ones(app):
    setup_history()
    take_snapshot(db.session, TODAY - timedelta(days=3), TODAY)
    kept = program_rows()[TODAY - timedelta(days=3)]
    kept.open_items = 99  # a snapshot taken on the day stands
    db.session.commit()
    days = backfill(db.session, TODAY)
    db.session.commit()
    assert days[0] == TODAY - timedelta(days=10) and days[-1] == TODAY - timedelta(days=1)
    assert TODAY - timedelta(days=3) not in days and len(days) == 9
    rows = program_rows()
    assert rows[TODAY - timedelta(days=3)].open_items == 99
    assert rows[TODAY - timedelta(days=6)].open_items == 2  # the done item was still open
    assert rows[TODAY - timedelta(days=4)].done_items == 1
    assert rows[TODAY - timedelta(days=1)].overdue_items == 1
    assert rows[TODAY - timedelta(days=4)].rag == "amber"
    assert rows[TODAY - timedelta(days=2)].rag == "red"
    assert backfill(db.session, TODAY) == []  # nothing left to do
    assert len(backfill(db.session, TODAY, overwrite=True)) == 10
    db.session.commit()
    assert program_rows()[TODAY - timedelta(days=3)].open_items != 99


def test_snapshot_commands(app):
    setup_history()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["snapshots", "take"])
    assert result.exit_code == 0 and "rows" in result.output
    result = runner.invoke(args=["snapshots", "take", "--date", "2999-01-01"])
    assert result.exit_code != 0 and "future" in result.output
    result = runner.invoke(args=["snapshots", "take", "--date", "nonsense"])
    assert result.exit_code != 0 and "not a date" in result.output
    result = runner.invoke(args=["snapshots", "backfill"])
    assert result.exit_code == 0 and "Backfilled" in result.output
    assert runner.invoke(args=["snapshots", "backfill"]).output.startswith("Nothing")


def test_no_program_no_snapshot(app):
    assert take_snapshot(db.session, TODAY) == 0
    assert backfill(db.session, TODAY) == []
