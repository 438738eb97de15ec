"""The pace the forecast reads (portal/summary/pace.py): per working day, items of the
gating workstreams added and closed, and the open ones, as of a day; on both databases,
in a fixed number of statements."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from portal.extensions import db
from portal.summary.pace import PROGRAM, pace
from tests.factories import make_item, make_program, make_workstream

DAY = date(2026, 12, 1)  # a Tuesday


def setup_program():
    program = make_program(target_date=date(2027, 3, 31))
    gating = make_workstream(program, name="Integrations", gating=True)
    other = make_workstream(program, name="Nice to have", gating=False)
    old = DAY - timedelta(days=30)
    for n in range(6):  # added a month ago, three done since, one cancelled
        make_item(f"Wire {n}", workstream_id=gating.id, created_date=old,
                  status="done" if n < 3 else "cancelled" if n == 3 else "open",
                  done_date=DAY - timedelta(days=n + 1) if n < 3 else None,
                  cancelled_date=DAY - timedelta(days=7) if n == 3 else None)
    make_item("Added today", workstream_id=gating.id, created_date=DAY, status="open")
    make_item("Added tomorrow", workstream_id=gating.id, created_date=DAY + timedelta(days=1))
    make_item("Not gating", workstream_id=other.id, created_date=old, status="open")
    make_item("Imported", workstream_id=gating.id, status="open",
              created_at=datetime(2026, 11, 20, 15, 0))
    db.session.commit()
    return program, gating


def test_history_and_remaining(app, query_counter):
    program, gating = setup_program()
    program_id, gating_id = program.id, gating.id
    with query_counter() as statements:
        result = pace(db.session, program_id, DAY)
    assert len(statements) == 4
    history, remaining = result[PROGRAM]
    assert remaining == 4  # two old ones open, one added today, the imported one
    assert result[gating_id][1] == 4 and set(result) == {PROGRAM, gating_id}
    by_day = {h.day: h for h in history}
    assert all(h.day.weekday() < 5 for h in history)
    # the window starts the day after the first items: they are the backlog, not arrivals
    assert history[0].day == DAY - timedelta(days=29)
    assert by_day[DAY].added == 1
    assert by_day[DAY - timedelta(days=1)].done == 3  # Monday, with the weekend's two
    assert sum(h.done for h in history) == 4  # three done, one cancelled
    assert sum(h.added for h in history) == 1 + 1  # today's and the imported one


def test_as_of_a_past_day_reads_only_what_had_happened(app):
    program, gating = setup_program()
    history, remaining = pace(db.session, program.id, DAY - timedelta(days=10))[PROGRAM]
    # the six month-old ones (none closed yet) and the one imported 11 days before DAY
    assert remaining == 7
    assert sum(h.done for h in history) == 0
    assert history[-1].day <= DAY - timedelta(days=10)
