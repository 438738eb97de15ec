"""Chart geometry: gaps stay gaps, axes are round, the timeline marks today."""
from datetime import date, timedelta

import pytest

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
    assert [label for _y, label in chart.y_ticks] == ["0", "10", "20", "30", "40"]
    for top in (0, 1, 3, 9, 101):  # whole numbers of items, never "0.2"
        labels = [label for _y, label in line_chart(
            START, START + timedelta(days=6), [("Open", "open", {START: top})]).y_ticks]
        assert all(label.isdigit() for label in labels) and int(labels[-1]) >= top, labels
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
    # Before the first day with data: the message names it, or says today is that day.
    with pytest.raises(SummaryError, match="Pick a day from 01 Jan 2026, the first day"):
        parse_as_of("2025-12-01", today, first)
    with pytest.raises(SummaryError) as refused:
        parse_as_of("2025-12-01", today, today)
    assert "Today is the first day with data." in str(refused.value)
    assert "from 20 Jan 2026" not in str(refused.value)


def _crowded(days_apart: int, count: int = 6):
    names = ["Private offers", "Marketplace listing", "Pricing approved", "Support ready",
             "Launch comms", "GA"]
    return [(names[n % len(names)], START + timedelta(days=n * days_apart)) for n in range(count)]


def _no_label_overlaps(t) -> None:
    lines: dict[float, list[tuple[float, float]]] = {}
    for p in t.points:
        if p.label_y is not None:
            lines.setdefault(p.label_y, []).append(p.label_span)
    for spans in lines.values():
        spans.sort()
        for (_, right), (left, _) in zip(spans, spans[1:], strict=False):
            assert right <= left, spans
    for p in t.points:
        if p.label_y is not None:
            left, right = p.label_span
            assert 0 <= left and right <= t.width and 0 < p.label_y < t.height


def test_timeline_labels_closer_than_their_width_do_not_share_a_line():
    """Milestones a few days apart: each label is wider than the gap to the next, so
    neighbours go to other lines (two a side) and none overlaps one on its line."""
    t = timeline(_crowded(3), START + timedelta(days=5), START + timedelta(days=15))
    assert all((p.label_width + b.label_width) / 2 > b.x - p.x
               for p, b in zip(t.points, t.points[1:], strict=False))
    _no_label_overlaps(t)
    placed = [p for p in t.points if p.label_y is not None]
    assert len({p.label_y for p in placed}) >= 3  # an outer line is in use
    assert t.height > 150 and t.axis_y > 75  # the chart grows to hold the outer lines


def test_timeline_leaves_out_labels_when_every_line_is_taken():
    t = timeline(_crowded(1, count=8), START)
    _no_label_overlaps(t)
    assert any(p.label_y is None for p in t.points)
    assert 4 <= sum(p.label_y is not None for p in t.points) < len(t.points)


def test_timeline_far_apart_labels_stay_on_the_first_lines():
    t = timeline(_crowded(40, count=4), START)
    _no_label_overlaps(t)
    assert t.height == 150 and all(p.label_y is not None for p in t.points)
