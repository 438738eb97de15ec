"""The readiness formula on hand-made cases, and its aggregate queries."""
from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.program.models import Criterion
from portal.program.readiness import (
    DUE_SOON_DAYS,
    HealthRule,
    WorkstreamFigures,
    explanation,
    program_readiness,
    short_explanation,
    workstream_figures,
)
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


def test_done_when_everything_is_finished():
    assert ws(items_total=2, items_done=2, criteria_done_weight=1,
              criteria_total_weight=1).health == "done"


# The health rule: 2 days of grace, amber from 10 % of the open items late (the defaults).

def test_one_of_one_open_a_day_late_is_green():
    """The issue's case: a single item one day late no longer turns a workstream red."""
    f = ws(items_total=1, items_open=1, items_overdue=1, items_late=0, oldest_overdue_days=1)
    assert f.health == "green" and not f.disagrees
    assert f.health_reason == "1 overdue, none beyond the 2 days of grace"


def test_the_grace_period_boundary():
    rule = HealthRule()
    assert (rule.grace_days, rule.min_share) == (2, 10)
    assert not rule.is_late(TODAY - timedelta(days=2), TODAY)
    assert rule.is_late(TODAY - timedelta(days=3), TODAY)
    assert not rule.is_late(None, TODAY)
    assert HealthRule(grace_days=0).is_late(TODAY - timedelta(days=1), TODAY)
    assert not HealthRule(grace_days=0).is_late(TODAY, TODAY)


def test_the_minimum_share_boundary():
    rule = HealthRule()
    assert rule.health(items_open=10, items_late=1, oldest_late_days=3) == "amber"  # 10 %
    assert rule.health(items_open=11, items_late=1, oldest_late_days=3) == "green"  # 9 %
    assert HealthRule(min_share=0).health(100, 1, 3) == "amber"
    assert HealthRule(min_share=100).health(2, 1, 3) == "green"
    assert rule.health(items_open=0, items_late=0, oldest_late_days=0) == "green"


def test_red_by_share_needs_half_and_at_least_two():
    rule = HealthRule()
    assert rule.health(items_open=4, items_late=2, oldest_late_days=3) == "red"
    assert rule.health(items_open=5, items_late=2, oldest_late_days=3) == "amber"  # 40 %
    assert rule.health(items_open=2, items_late=1, oldest_late_days=3) == "amber"  # only one
    assert rule.health(items_open=1, items_late=1, oldest_late_days=8) == "amber"


def test_red_by_age_a_week_beyond_the_grace_period():
    rule = HealthRule()
    assert rule.serious_days == 9
    assert rule.health(items_open=10, items_late=1, oldest_late_days=9) == "red"
    assert rule.health(items_open=10, items_late=1, oldest_late_days=8) == "amber"
    assert HealthRule(grace_days=5).health(10, 1, 11) == "amber"
    assert HealthRule(grace_days=5).health(10, 1, 12) == "red"
    # Below the minimum share an item that old still shows, as amber.
    assert rule.health(items_open=30, items_late=1, oldest_late_days=9) == "amber"
    assert rule.health(items_open=30, items_late=1, oldest_late_days=8) == "green"


def test_figures_carry_the_rule_they_were_computed_under():
    strict = HealthRule(grace_days=0, min_share=0)
    f = ws(items_total=10, items_open=10, items_overdue=1, items_late=1, oldest_overdue_days=1,
           rule=strict)
    assert f.health == "amber" and f.oldest_late_days == 1
    assert f.health_reason == "1 of 10 open items late, the oldest 1 day past its date"
    assert ws(items_total=10, items_open=10, items_overdue=1, items_late=0,
              oldest_overdue_days=1).oldest_late_days == 0


def test_the_words_state_the_rules_numbers():
    words = " ".join(explanation(HealthRule(grace_days=5, min_share=25)))
    assert "more than 5 days past its due date" in words
    assert "at least 25 % of its open items are late" in words
    assert "12 days or more past its date" in words and "at least 50 %" in words
    assert "60 % the weighted share of its exit criteria" in words
    short = short_explanation(HealthRule(grace_days=0, min_share=15))
    assert "as soon as it is past its due date" in short
    assert "15% of the open items are late or one is 7 days past its date" in short
    one = short_explanation(HealthRule(grace_days=1, min_share=10))
    assert "more than 1 day past its due date" in one and "one is 8 days past" in one


def test_green_owner_with_late_items_is_flagged():
    f = ws(rag="green", items_total=3, items_open=3, items_overdue=1, items_late=1,
           oldest_overdue_days=3)
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
    result = program_readiness([ws("A", items_total=1, items_open=1),
                                ws("Side", gating=False, rag="red")])
    assert result.rag == "green" and len(result.gating) == 1


def test_a_program_with_nothing_tracked_is_not_on_track():
    """New gating workstreams with no items and no criteria are not "on track"; a red
    report among them still shows."""
    result = program_readiness([ws("A"), ws("B"), ws("Side", gating=False, items_total=3)])
    assert result.rag == "amber" and result.reason.startswith("Nothing is tracked yet")
    assert program_readiness([ws("A"), ws("B", rag="red")]).rag == "red"
    assert program_readiness([ws("A"), ws("B", criteria_total_weight=1)]).rag == "green"


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
        figures = workstream_figures(db.session, program_id, TODAY, rule=HealthRule())
    assert len(statements) == 3
    by_name = {f.name: f for f in figures}
    f = by_name["Integrations"]
    assert (f.items_total, f.items_done, f.items_open, f.items_overdue, f.items_due_soon) == \
        (3, 1, 2, 1, 1)
    assert (f.criteria_done_weight, f.criteria_total_weight) == (2, 3)
    # One of two open items late, 8 days past its date: amber (one late item is not half
    # "and at least two"; 8 days is short of a week beyond the grace period).
    assert f.oldest_overdue_days == 8 and f.items_late == 1 and f.health == "amber"
    assert by_name["Hiring"].items_total == 0 and by_name["Hiring"].gating is False
    assert [x.name for x in figures] == ["Integrations", "Hiring"]


def test_item_counts_agree_with_counting_the_rows(app):
    """The grouped counts (by status over every item, by date over the open items due by
    the end of the window) against a count of the rows one by one, around every edge: due
    today, at the window's last day and the day after, at the grace period's edge, no date."""
    import random

    from portal.vocab import ACTION_STATUSES, OPEN_STATUSES

    rng = random.Random(18)
    program = make_program()
    workstreams = [make_workstream(program, name=f"W{n}") for n in range(3)]
    rule = HealthRule(grace_days=3)
    offsets = [None, -30, -4, -3, -2, -1, 0, 1, DUE_SOON_DAYS, DUE_SOON_DAYS + 1, 40]
    rows = [(rng.choice(workstreams).id, rng.choice(ACTION_STATUSES), rng.choice(offsets))
            for _ in range(300)]
    for workstream_id, status, offset in rows:
        make_item(workstream_id=workstream_id, status=status,
                  due_date=None if offset is None else TODAY + timedelta(days=offset))
    program_id = program.id
    db.session.commit()

    figures = {f.workstream_id: f for f in
               workstream_figures(db.session, program_id, TODAY, rule=rule)}
    for w in workstreams:
        mine = [(s, o) for wid, s, o in rows if wid == w.id and s != "cancelled"]
        open_ = [o for s, o in mine if s in OPEN_STATUSES]
        dated = [o for o in open_ if o is not None]
        f = figures[w.id]
        assert (f.items_total, f.items_done, f.items_open) == (
            len(mine), sum(s == "done" for s, _ in mine), len(open_))
        assert (f.items_overdue, f.items_late, f.items_due_soon) == (
            sum(o < 0 for o in dated), sum(o < -3 for o in dated),
            sum(0 <= o <= DUE_SOON_DAYS for o in dated))
        assert f.oldest_overdue_days == (-min(o for o in dated if o < 0)
                                         if any(o < 0 for o in dated) else 0)
