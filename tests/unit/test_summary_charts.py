"""Chart geometry: gaps stay gaps, axes are round, the timeline marks today."""
from datetime import date, timedelta

from portal.summary.charts import _nice_max, line_chart, timeline
from portal.summary.report import SummaryError, parse_as_of

START = date(2026, 1, 5)  # a Monday


def test_line_chart_leaves_gaps_for_missing_days():
    values = {START: 0.1, START + timedelta(days=1): 0.2, START + timedelta(days=3): 0.4,
              START + timedelta(days=6): 0.5, START + timedelta(days=7): 1.0}
    chart = line_chart(START, START + timedelta(days=13), [("R", "readiness", values)],
                       percent=True)
    series = chart.series[0]
    assert len(series.segments) == 2  # days 0-1 and 6-7
    assert len(chart.days) == 14 and len(chart.rows) == 5
    assert series.last == 1.0
    top = chart.top
    assert any(y == top for _x, y in series.dots)  # 100 % sits on the top line
    assert [label for _y, label in chart.y_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert [label for _x, label in chart.x_ticks] == ["05 Jan", ""]


def test_counts_get_a_round_axis_and_empty_charts_say_so():
    chart = line_chart(START, START + timedelta(days=6),
                       [("Open", "open", {START: 37}), ("Overdue", "overdue", {})])
    assert chart.y_ticks[-1][1] == "50"
    assert _nice_max(0) == 1 and _nice_max(101) == 200 and _nice_max(7) == 10
    empty = line_chart(START, START + timedelta(days=6), [("Open", "open", {})])
    assert not empty.has_data and empty.rows == []


def test_timeline_marks_today_between_milestones():
    t = timeline([("A", START), ("B", START + timedelta(days=100))], START + timedelta(days=50))
    a, b = t.points
    assert a.x < t.today_x < b.x and a.past is True and b.past is False
    assert a.label_y != b.label_y  # labels alternate above and below the axis


def test_parse_as_of():
    today, first = date(2026, 1, 20), date(2026, 1, 1)
    assert parse_as_of(None, today, first) is None
    assert parse_as_of("  ", today, first) is None
    assert parse_as_of("2026-01-20", today, first) is None
    assert parse_as_of("2026-01-05", today, first) == date(2026, 1, 5)
    for bad in ("2026-1-5", "yesterday", "2026-13-01", "20260105", "2026-01-05T00:00"):
        try:
            parse_as_of(bad, today, first)
        except SummaryError as error:
            assert "not a date" in str(error)
        else:
            raise AssertionError(bad)
