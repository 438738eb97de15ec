"""Geometry for the server-rendered SVG charts: pure functions from values to coordinates.

The templates draw what these return; colours come from CSS classes (summary.css), so
the charts follow the light and dark schemes and print in black and white.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from portal.clock import reading_date, short_date


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # class suffix: chart-line-<css>
    values: list[float | None]
    segments: list[str] = field(default_factory=list)  # polyline "x,y x,y" runs without gaps
    dots: list[tuple[float, float]] = field(default_factory=list)  # lone points and the last
    last: float | None = None


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    days: list[date]
    series: list[Series]
    y_ticks: list[tuple[float, str]]
    x_ticks: list[tuple[float, str]]
    marker: tuple[float, str] | None
    percent: bool

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def has_data(self) -> bool:
        return any(v is not None for s in self.series for v in s.values)

    @property
    def rows(self) -> list[tuple[date, list[float | None]]]:
        """The table behind the chart: the days with at least one value."""
        return [(day, [s.values[i] for s in self.series]) for i, day in enumerate(self.days)
                if any(s.values[i] is not None for s in self.series)]


def _nice_max(value: float) -> float:
    """A round upper bound for the y axis: 1, 2, 2.5, 5 or 10 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _count_max(value: float) -> float:
    """A round upper bound for an axis of counts, whose five ticks are then whole numbers
    (no "0.2 items")."""
    step = max(1.0, _nice_max(value / 4))
    return 4 * math.ceil(step)


@dataclass(frozen=True)
class _Plot:
    """Where a line chart's values land: day indexes to x, values to y, in SVG units."""

    left: int
    top: int
    width: float
    height: float
    span: int
    y_max: float

    def x(self, i: int) -> float:
        return round(self.left + self.width * i / self.span, 1)

    def y(self, v: float) -> float:
        return round(self.top + self.height * (1 - min(v, self.y_max) / self.y_max), 1)


def _series(name: str, css: str, values: dict[date, float], days: list[date],
            plot: _Plot) -> Series:
    """One series on the chart's days: runs of consecutive values become polylines, a
    lone value a dot, and the last value a dot too (the legend reads it), so a missing
    day stays a gap rather than an invented value."""
    row = [values.get(day) for day in days]
    segments, dots, run = [], [], []
    for i, v in enumerate(row + [None]):
        if v is not None:
            run.append((plot.x(i), plot.y(v)))
            continue
        if len(run) == 1:
            dots.append(run[0])
        elif run:
            segments.append(" ".join(f"{px},{py}" for px, py in run))
        run = []
    last_index = max((i for i, v in enumerate(row) if v is not None), default=None)
    last = None
    if last_index is not None:
        last = row[last_index]
        dots.append((plot.x(last_index), plot.y(last)))
    return Series(name, css, row, segments, sorted(set(dots)), last)


def _y_ticks(plot: _Plot, percent: bool) -> list[tuple[float, str]]:
    """Five ticks from 0 to the top of the axis, as percentages or plain numbers."""
    ticks = []
    for k in range(5):
        value = plot.y_max * k / 4
        label = f"{round(value * 100)}%" if percent else (
            f"{value:g}" if value == int(value) else f"{value:.1f}")
        ticks.append((plot.y(value), label))
    return ticks


def _x_ticks(days: list[date], plot: _Plot) -> list[tuple[float, str]]:
    """A tick at each Monday, labelled every other week to keep the axis readable."""
    mondays = [i for i, day in enumerate(days) if day.weekday() == 0]
    return [(plot.x(i), short_date(days[i]) if n % 2 == 0 else "")
            for n, i in enumerate(mondays)]


def line_chart(start: date, end: date, series: list[tuple[str, str, dict[date, float]]],
               *, percent: bool = False, marker: date | None = None, marker_label: str = "",
               width: int = 560, height: int = 230) -> LineChart:
    """A daily line chart from `start` to `end`; each series maps days to values.

    Missing days leave gaps rather than invented values. With `percent`, values are
    0..1 and the axis runs 0-100 %.
    """
    left, right, top, bottom = 44, 14, 14, 30
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    all_values = [v for _, _, values in series for v in values.values() if v is not None]
    y_max = 1.0 if percent else _count_max(max(all_values, default=0))
    plot = _Plot(left, top, width - left - right, height - top - bottom,
                 max(len(days) - 1, 1), y_max)
    built = [_series(name, css, values, days, plot) for name, css, values in series]
    mark = None
    if marker is not None and start <= marker <= end:
        mark = (plot.x((marker - start).days), marker_label)
    return LineChart(width, height, left, right, top, bottom, days, built,
                     _y_ticks(plot, percent), _x_ticks(days, plot), mark, percent)


@dataclass(frozen=True)
class TimelinePoint:
    x: float
    name: str
    day: date
    past: bool
    label_y: float | None  # None: no room for the label (the list and table still name it)
    anchor: str
    is_target: bool
    label_width: float = 0.0

    @property
    def label_span(self) -> tuple[float, float]:
        """The label's left and right edge on the x axis (name and date, whichever is
        wider), from its anchor."""
        if self.anchor == "start":
            return self.x, self.x + self.label_width
        if self.anchor == "end":
            return self.x - self.label_width, self.x
        return self.x - self.label_width / 2, self.x + self.label_width / 2


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    axis_y: float
    left: float
    right: float
    points: list[TimelinePoint]
    today_x: float | None
    today_label: str
    start: date
    end: date


# Label geometry of the timeline, in SVG units (summary.css: names 13px bold, dates 12px):
# the average advance of a character of each, the space kept between two labels on one
# line, and the distance between two lines of labels on the same side of the axis.
NAME_CHAR, DATE_CHAR, LABEL_GAP, LANE_STEP = 7.8, 6.6, 10, 32
LANES = ((-1, 0), (1, 0), (-1, 1), (1, 1))  # (side: -1 above the axis, level)


def label_width(name: str, day: date) -> float:
    """The estimated width of a milestone's label: its name over its date."""
    return max(len(name) * NAME_CHAR, len(reading_date(day)) * DATE_CHAR)


def timeline(milestones: list[tuple[str, date]], today: date, target: date | None = None,
             *, today_label: str = "Today", width: int = 600, height: int = 150) -> Timeline:
    """Milestones on a horizontal axis, today marked. Labels alternate above and below the
    axis; a label that would overlap one already on its line goes to the next line out
    (two a side), and is left out when all four are taken, so no two labels collide on
    screen or on paper."""
    margin = 60
    days = [d for _, d in milestones] + [today] + ([target] if target else [])
    start = min(days) - timedelta(days=7)
    end = max(days) + timedelta(days=7)
    span = max((end - start).days, 1)

    def x(day: date) -> float:
        return round(margin + (width - 2 * margin) * (day - start).days / span, 1)

    taken: dict[tuple[int, int], list[tuple[float, float]]] = {lane: [] for lane in LANES}
    placed = []
    for n, (name, day) in enumerate(sorted(milestones, key=lambda m: m[1])):
        px = x(day)
        wide = label_width(name, day)
        anchor = ("start" if px - wide / 2 < 0 else "end" if px + wide / 2 > width
                  else "middle")
        point = TimelinePoint(x=px, name=name, day=day, past=day < today, label_y=None,
                              anchor=anchor, is_target=target is not None and day == target,
                              label_width=wide)
        left, right = point.label_span
        order = LANES if n % 2 == 0 else tuple((-side, level) for side, level in LANES)
        lane = next((lane for lane in order
                     if all(right + LABEL_GAP <= a or b + LABEL_GAP <= left
                            for a, b in taken[lane])), None)
        if lane is not None:
            taken[lane].append((left, right))
        placed.append((point, lane))

    above = LANE_STEP if taken[(-1, 1)] else 0
    below = LANE_STEP if taken[(1, 1)] else 0
    axis_y = height / 2 + above
    points = [replace(point, label_y=None if lane is None else
                      axis_y - 34 - LANE_STEP * lane[1] if lane[0] < 0 else
                      axis_y + 40 + LANE_STEP * lane[1])
              for point, lane in placed]
    return Timeline(width, height + above + below, axis_y, margin, width - margin, points,
                    x(today), today_label, start, end)


def forecast_fan(done_by_day: dict[date, float], forecast, today: date, ready_by: date,
                 *, width: int = 1000, height: int = 240) -> LineChart:
    """Items done over time, and from today the forecast's fan: straight lines to the
    50, 85 and 95 % dates at which the open items are done; the readiness date marked.
    The chart ends a week after the later of the readiness date and the 85 % date."""
    end = max(ready_by, forecast.p85 or ready_by) + timedelta(days=7)
    start = min([*done_by_day, today]) if done_by_day else today - timedelta(days=27)
    start = max(start, today - timedelta(days=83))
    done_now = done_by_day.get(today)
    if done_now is None and done_by_day:
        done_now = done_by_day[max(done_by_day)]
    series = [("Done", "done", {d: v for d, v in done_by_day.items() if start <= d <= today})]
    if forecast.has_dates and done_now is not None:
        total = done_now + forecast.remaining
        for label, css, finish in (("50 %", "p50", forecast.p50), ("85 %", "p85", forecast.p85),
                                   ("95 %", "p95", forecast.p95)):
            if finish is None:
                continue
            span = max((finish - today).days, 1)
            series.append((f"{label} done by {finish:%d %b %Y}", css, {
                today + timedelta(days=n): done_now + forecast.remaining * min(n / span, 1)
                for n in range((min(finish, end) - today).days + 1)}))
        series.append(("All open items", "scope", {d: total for d in _days(today, end)}))
    chart = line_chart(start, end, series, marker=ready_by, marker_label="Readiness date",
                       width=width, height=height)
    # The fan's lines are dates, not counts: their legend says the date, not a last value.
    fan = [s if s.css == "done" else replace(s, last=None) for s in chart.series]
    return replace(chart, series=fan)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]
