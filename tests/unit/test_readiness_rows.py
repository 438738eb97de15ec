"""figures_from_rows: the in-memory twin of workstream_figures, for figures of past days."""
from datetime import date, timedelta

from portal.extensions import db
from portal.program.models import Criterion
from portal.program.readiness import (
    CriterionRow,
    HealthRule,
    ItemRow,
    figures_from_rows,
    program_readiness,
    workstream_figures,
)
from tests.factories import make_item, make_program, make_workstream

TODAY = date(2026, 1, 10)


def test_rows_give_the_same_figures_as_the_aggregate_queries(app):
    program = make_program()
    w = make_workstream(program, name="Integrations", rag="green")
    other = make_workstream(program, name="Hiring", gating=False, rag="amber")
    empty = make_workstream(program, name="Empty")
    db.session.add_all([Criterion(workstream=w, text="a", weight=2, done=True),
                        Criterion(workstream=w, text="b", weight=1),
                        Criterion(workstream=other, text="c", weight=4)])
    rows = [
        (w.id, "open", TODAY - timedelta(days=8)),
        (w.id, "in_progress", TODAY + timedelta(days=3)),
        (w.id, "proposed", TODAY),
        (w.id, "done", TODAY - timedelta(days=1)),
        (w.id, "cancelled", TODAY - timedelta(days=20)),
        (w.id, "open", None),
        (other.id, "open", TODAY - timedelta(days=2)),
        (other.id, "in_progress", TODAY - timedelta(days=3)),
        (other.id, "open", TODAY + timedelta(days=30)),
        (None, "open", TODAY - timedelta(days=3)),
    ]
    for ws_id, status, due in rows:
        make_item(workstream_id=ws_id, status=status, due_date=due)
    db.session.commit()

    # The program's rule (2 days of grace: the item 2 days overdue is not late, the one 3
    # days overdue is) and two others that move the boundary.
    for rule, late in [(HealthRule.of(program), {w.id: 1, other.id: 1}),
                       (HealthRule(grace_days=0, min_share=50), {w.id: 1, other.id: 2}),
                       (HealthRule(grace_days=8, min_share=0), {w.id: 0, other.id: 0})]:
        from_sql = workstream_figures(db.session, program.id, TODAY, rule=rule)
        from_rows = figures_from_rows(
            [(f.workstream_id, f.name, f.gating, f.rag) for f in from_sql],
            [ItemRow(ws_id, status, due) for ws_id, status, due in rows],
            [CriterionRow(w.id, 2, True), CriterionRow(w.id, 1, False),
             CriterionRow(other.id, 4, False)],
            TODAY, rule=rule,
        )
        assert from_rows == from_sql
        assert {f.workstream_id: f.items_late for f in from_sql if f.items_total} == late
        assert {f.rule for f in from_sql} == {rule}
        assert [f.health for f in from_rows] == [f.health for f in from_sql]
        assert program_readiness(from_rows) == program_readiness(from_sql)
    assert next(f for f in from_rows if f.workstream_id == empty.id).items_total == 0


def test_rows_for_unknown_workstreams_are_ignored():
    figures = figures_from_rows([(1, "A", True, "green")],
                                [ItemRow(2, "open", TODAY), ItemRow(1, "done")],
                                [CriterionRow(3, 1, True)], TODAY, rule=HealthRule())
    assert figures[0].items_total == 1 and figures[0].items_done == 1
    assert figures[0].criteria_total_weight == 0
