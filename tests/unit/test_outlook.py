"""The program's outlook (portal/summary/outlook.py) on the living demo: the program's and
each gating workstream's forecast, the workstreams the date hangs on, computed once per
day and data version."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.demo import rebase_offset, seed_demo
from portal.extensions import db
from portal.program.models import Program
from portal.summary.forecast import HISTORY, THIN
from portal.summary.outlook import outlook

TODAY = date(2026, 12, 1)


def test_the_living_demo_hangs_on_integrations(app, query_counter):
    seed_demo(db.session, offset_days=rebase_offset(TODAY), living=True, today=TODAY)
    db.session.commit()
    program = db.session.scalar(select(Program))
    result = outlook(db.session, program, TODAY, 8)
    assert result.program.basis == HISTORY and result.program.p85 is not None
    by_name = {w.name: w.forecast for w in result.workstreams}
    assert by_name["Integrations"].basis == HISTORY
    assert by_name["Compliance"].basis == THIN  # two items done: no number
    assert [w.name for w in result.holding_up] == ["Integrations"]
    # the program is ready when its last gating workstream is: never sooner, never likelier
    for w in result.workstreams:
        if w.forecast.basis == HISTORY:
            assert result.program.p85 >= w.forecast.p85
            assert result.program.probability_ready <= w.forecast.probability_ready
    data = result.as_json()
    assert data["basis"] == "history" and data["p85_date"] == result.program.p85.isoformat()
    assert {w["name"]: w["late"] for w in data["workstreams"]}["Integrations"] is True
    with query_counter() as statements:
        again = outlook(db.session, program, TODAY, 8)
    assert again is result and len(statements) == 1  # the data version only
    program.description = "Changed"
    db.session.commit()
    assert outlook(db.session, program, TODAY, 8) is not result  # a write: computed anew
