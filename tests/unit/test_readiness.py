"""The readiness formula on hand-made cases, and its aggregate queries."""
from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.program.models import Criterion
from portal.program.readiness import WorkstreamFigures, program_readiness, workstream_figures
from tests.factories import make_item, make_program, make_workstream

TODAY = date(2026, 1, 10)


def ws(name="W", gating=True, rag="green", **figures):
    return WorkstreamFigures(workstream_id=hash(name) % 1000, name=name, gating=gating, rag=rag,
                             **figures)


def test_readiness_mixes_criteria_and_items():
    f = ws(criteria_done_weight=1, criteria_total_weight=2, items_total=4, items_done=1,
           items_open=3)
    assert f.readiness == pytest.approx(0.6 * 0.5 + 0.4 * 0.25)


def test_no_criteria_uses_items_alone_and_no_items_uses_criteria_alone():
    assert ws(items_total=4, items_done=3, items_open=1).readiness == 0.75
    assert ws(criteria_done_weight=3, criteria_total_weight=4).readiness == 0.75


def test_nothing_at_all_is_zero_and_green():
    f = ws()
    assert f.readiness == 0.0 and f.health == "green" and f.weight == 1


def test_health_from_overdue_items():
    assert ws(items_total=10, items_open=10, items_overdue=1, oldest_overdue_days=2).health \
        == "amber"
    assert ws(items_total=10, items_open=10, items_overdue=1, oldest_overdue_days=7).health \
        == "red"
    assert ws(items_total=4, items_open=4, items_overdue=2, oldest_overdue_days=1).health == "red"
    assert ws(items_total=2, items_done=2, criteria_done_weight=1,
              criteria_total_weight=1).health == "done"


def test_green_owner_with_overdue_items_is_flagged():
    f = ws(rag="green", items_total=3, items_open=3, items_overdue=1, oldest_overdue_days=1)
    assert f.disagrees and f.effective_rag == "amber"
    assert not ws(rag="red").disagrees


def test_all_green_program():
    result = program_readiness([ws("A", items_total=2, items_done=2, items_open=0,
                                   criteria_total_weight=1),
                                ws("B", items_total=2, items_done=1, items_open=1)])
    assert result.rag == "green"
    assert result.reason == "All 2 gating workstreams are on track."
    assert result.score == pytest.approx((0.6 * 0 + 0.4 * 1) * 3 / 5 + 0.5 * 2 / 5)


def test_one_red_gating_workstream_is_never_hidden_by_a_good_average():
    good = [ws(f"G{i}", items_total=50, items_done=50, criteria_done_weight=5,
               criteria_total_weight=5) for i in range(4)]
    red = ws("Compliance", rag="red", items_total=1, items_open=1)
    result = program_readiness(good + [red])
    assert result.score > 0.95
    assert result.rag == "red"
    assert result.reason == "1 of 5 gating workstreams is red: Compliance."


def test_non_gating_workstreams_do_not_count():
    result = program_readiness([ws("A"), ws("Side", gating=False, rag="red")])
    assert result.rag == "green" and len(result.gating) == 1


def test_no_gating_workstreams():
    result = program_readiness([])
    assert result.score == 0.0 and "No gating" in result.reason


def test_aggregate_queries_match_the_rows(app, query_counter):
    program = make_program()
    w = make_workstream(program, name="Integrations")
    make_workstream(program, name="Hiring", gating=False)
    db.session.add_all([Criterion(workstream=w, text="a", weight=2, done=True),
                        Criterion(workstream=w, text="b", weight=1)])
    make_item(workstream_id=w.id, status="open", due_date=TODAY - timedelta(days=8))
    make_item(workstream_id=w.id, status="in_progress", due_date=TODAY + timedelta(days=3))
    make_item(workstream_id=w.id, status="done", due_date=TODAY - timedelta(days=1))
    make_item(workstream_id=w.id, status="cancelled", due_date=TODAY - timedelta(days=20))
    program_id = program.id
    db.session.commit()
    with query_counter() as statements:
        figures = workstream_figures(db.session, program_id, TODAY)
    assert len(statements) == 3
    by_name = {f.name: f for f in figures}
    f = by_name["Integrations"]
    assert (f.items_total, f.items_done, f.items_open, f.items_overdue, f.items_due_soon) == \
        (3, 1, 2, 1, 1)
    assert (f.criteria_done_weight, f.criteria_total_weight) == (2, 3)
    assert f.oldest_overdue_days == 8 and f.health == "red"
    assert by_name["Hiring"].items_total == 0 and by_name["Hiring"].gating is False
    assert [x.name for x in figures] == ["Integrations", "Hiring"]
