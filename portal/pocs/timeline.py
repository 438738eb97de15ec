"""Geometry of the POC timeline: a Gantt of planned dates, grouped by hyperscaler, with
the program's milestones and today. The template draws it as SVG; nothing here renders."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

WIDTH = 1100
LABEL_WIDTH = 200
CHART_LEFT = 210
CHART_RIGHT = WIDTH - 24
ROW = 30
GROUP_ROW = 30
LANE = 17
CHAR = 6.6  # average width of a label character at the chart's font size


@dataclass
class Row:
    poc: object
    y: float
    x: float | None = None
    width: float | None = None
    start: date | None = None
    end: date | None = None

    @property
    def dated(self) -> bool:
        return self.x is not None


@dataclass
class Group:
    hyperscaler: object
    y: float
    rows: list[Row] = field(default_factory=list)


@dataclass
class Marker:
    x: float
    label: str
    day: date
    label_y: float = 0
    anchor: str = "start"
    label_x: float = 0


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    width: int
    height: float
    chart_left: float
    chart_right: float
    chart_top: float
    first: date
    last: date
    groups: list[Group]
    ticks: list[Tick]
    milestones: list[Marker]
    today: Marker | None
    tick_y: float

    @property
    def dated_count(self) -> int:
        return sum(1 for g in self.groups for r in g.rows if r.dated)

    @property
    def undated_count(self) -> int:
        return sum(1 for g in self.groups for r in g.rows if not r.dated)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _place_labels(markers: list[Marker], top: float) -> int:
    """Puts each label in the first lane where it does not overlap; returns the lane count."""
    lanes: list[float] = []  # right edge of the last label in each lane
    for marker in sorted(markers, key=lambda m: m.x):
        width = len(marker.label) * CHAR + 10
        left = marker.x + 4
        if left + width > CHART_RIGHT:  # near the right edge: label to the left of the line
            marker.anchor, left = "end", marker.x - 4 - width
            marker.label_x = marker.x - 4
        else:
            marker.label_x = marker.x + 4
        for lane, edge in enumerate(lanes):
            if left > edge:
                lanes[lane] = left + width
                break
        else:
            lanes.append(left + width)
            lane = len(lanes) - 1
        marker.label_y = top + lane * LANE + 12
    return max(len(lanes), 1)


def build(columns, milestones, today: date) -> Timeline:
    """`columns`: (hyperscaler, [poc...]) in rank order; `milestones`: (name, date) pairs."""
    days = [today] + [d for _n, d in milestones]
    for _scaler, pocs in columns:
        for poc in pocs:
            days += [d for d in (poc.planned_start, poc.planned_end) if d]
    first = _month_start(min(days) - timedelta(days=7))
    last = _next_month(max(days) + timedelta(days=7))
    if (last - first).days < 120:
        last = _next_month(first + timedelta(days=120))
    span = (last - first).days

    def x_of(day: date) -> float:
        return round(CHART_LEFT + (day - first).days / span * (CHART_RIGHT - CHART_LEFT), 1)

    markers = [Marker(x_of(d), name, d) for name, d in milestones]
    today_marker = Marker(x_of(today), "Today", today)
    lanes = _place_labels(markers + [today_marker], 4)
    tick_y = 4 + lanes * LANE + 16
    chart_top = tick_y + 10

    months = []
    month = first
    while month < last:
        months.append(month)
        month = _next_month(month)
    step = 1 if len(months) <= 13 else 3 if len(months) <= 30 else 6
    ticks = []
    for index, month in enumerate(months):
        if index % step == 0:
            text = month.strftime("%b") if month.month != 1 and index else month.strftime("%b %Y")
            ticks.append(Tick(x_of(month), text))

    y = chart_top
    groups = []
    for scaler, pocs in columns:
        group = Group(scaler, y)
        y += GROUP_ROW
        for poc in pocs:
            row = Row(poc, y)
            start = poc.planned_start or poc.planned_end
            end = poc.planned_end or poc.planned_start
            if start:
                row.start, row.end = poc.planned_start, poc.planned_end
                row.x = x_of(start)
                row.width = max(x_of(end + timedelta(days=1)) - row.x, 4)
            group.rows.append(row)
            y += ROW
        groups.append(group)
    return Timeline(WIDTH, y + 12, CHART_LEFT, CHART_RIGHT, chart_top, first, last, groups,
                    ticks, markers, today_marker, tick_y)
