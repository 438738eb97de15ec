"""The executive summary's figures, as typed records the page, /summary.json and the
weekly digest all read.

`build_summary(session, today)` answers "will the program be ready, when, and why" for
today in a fixed number of queries whatever the number of items; `build_summary(...,
as_of=D)` answers it for a past day, from that day's snapshot where one was taken and from
the audit log otherwise (see history.py), with the forecast as it was that day.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import DateTime, and_, bindparam, func, select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.actions.queries import Soonest
from portal.auth.models import User
from portal.clock import reading_date
from portal.errors import DomainError
from portal.extensions import read_rows
from portal.people.models import Person
from portal.pocs.sequencing import Board, board, pipeline, sequencing_checks
from portal.program.models import (
    Milestone,
    Program,
    StatusUpdate,
    Workstream,
    workstream_dependency,
)
from portal.program.readiness import (
    RAG_ORDER,
    HealthRule,
    WorkstreamFigures,
    explanation,
    program_readiness,
    workstream_figures,
)
from portal.summary import snapshots
from portal.summary.forecast import Forecast
from portal.summary.history import History, item_totals
from portal.summary.outlook import Outlook, outlook
from portal.vocab import OPEN_STATUSES

TREND_DAYS = 84  # twelve weeks
TOP_OVERDUE = 10
VERDICTS = {"red": "Off track", "amber": "At risk", "green": "On track", "done": "Ready"}



class SummaryError(DomainError):
    """A request the summary cannot answer (bad as-of date): the message says why."""


def parse_as_of(raw: str | None, today: date, first_day: date | None) -> date | None:
    """The `as_of` query value (YYYY-MM-DD, what the date picker sends) as a date, None for
    today; SummaryError when unusable, in words about picking a day."""
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise SummaryError(f"“{text[:40]}” is not a date. Pick a day in the calendar, "
                           f"up to today ({reading_date(today)}).")
    if day > today:
        raise SummaryError(f"{reading_date(day)} is in the future; pick a day up to today "
                           f"({reading_date(today)}).")
    if first_day is None or day < first_day:
        since = ("" if first_day is None else
                 " Today is the first day with data." if first_day == today else
                 f" Pick a day from {reading_date(first_day)}, the first day with data, to "
                 "today.")
        raise SummaryError(f"There is no data for {reading_date(day)}: it is before the "
                           f"program was tracked here.{since}")
    return None if day == today else day


# -- the records ----------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgramRef:
    id: int
    name: str
    target_date: date


@dataclass(frozen=True)
class Headline:
    score: float
    percent: int
    rag: str
    verdict: str
    reason: str
    days_left: int
    gating_count: int
    gating_by_rag: dict[str, int]


@dataclass(frozen=True)
class Note:
    """A workstream's latest status note."""

    date: date
    text: str
    rag: str
    author: str | None = None  # who wrote it (a login's name); None for the system


@dataclass
class OverdueItem:
    id: int
    title: str
    due_date: date
    priority: str
    status: str
    workstream_id: int | None
    owner: str | None
    workstream: str | None = None
    days_overdue: int = 0


@dataclass
class WorkstreamRow:
    """One workstream in the go/no-go table and the risks."""

    workstream_id: int
    name: str
    gating: bool
    owner_rag: str
    health: str
    effective_rag: str
    disagrees: bool
    readiness: float
    percent: int
    items_total: int
    items_done: int
    items_open: int
    items_overdue: int
    items_due_soon: int
    oldest_overdue_days: int | None
    items_late: int
    criteria_done_weight: int
    criteria_total_weight: int
    lead: str | None
    lead_id: int | None
    latest_note: Note | None
    # Its oldest overdue item: what it is waiting for.
    top_blocker: OverdueItem | None = None
    forecast: Forecast | None = None


@dataclass(frozen=True)
class Blocking:
    workstream_id: int
    workstream: str
    blocked_by_id: int
    blocked_by: str
    blocked_by_rag: str
    gating: bool


@dataclass
class Risks:
    workstreams: list[WorkstreamRow]
    overdue_items: list[OverdueItem]
    blocking: list[Blocking]
    poc_warnings: list[dict]


@dataclass(frozen=True)
class MilestoneRow:
    name: str
    due_date: date
    description: str
    days: int
    past: bool


@dataclass(frozen=True)
class TrendPoint:
    day: date
    readiness: float
    rag: str
    open: int
    overdue: int
    done: int


@dataclass
class Summary:
    """Everything the summary shows, for one day."""

    program: ProgramRef
    day: date
    today: date
    as_of: date | None
    historical: bool
    source: str  # "live", "snapshot" or "audit log"
    headline: Headline
    item_counts: dict[str, int]
    gating: list[WorkstreamRow]
    other_workstreams: list[WorkstreamRow]
    risks: Risks
    milestones: list[MilestoneRow]
    pocs: list[dict]
    trend: list[TrendPoint]
    forecast: Outlook
    # The health rule the day's figures were computed under, and the formula in words.
    health_rule: HealthRule = field(default_factory=HealthRule)
    formula: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The JSON of /summary.json: dates as ISO strings."""
        return to_json(self)


# -- pieces ---------------------------------------------------------------------------------

# The summary's statements are built once, their values bind parameters: it runs them all
# on every view, and building one often cost more than running it.
_PROGRAM = select(Program).order_by(Program.id).limit(1)
_WORKSTREAM_DETAILS = (
    select(Workstream.id, Workstream.target_date, Person.name.label("lead"),
           Person.id.label("lead_id"))
    .outerjoin(Person, Person.id == Workstream.lead_id)
    .where(Workstream.program_id == bindparam("program_id")))
_DEPENDENCIES = (
    select(workstream_dependency.c.workstream_id, workstream_dependency.c.depends_on_id)
    .join(Workstream, Workstream.id == workstream_dependency.c.workstream_id)
    .where(Workstream.program_id == bindparam("program_id")))
_MILESTONES = (select(Milestone.name, Milestone.due_date, Milestone.description)
               .where(Milestone.program_id == bindparam("program_id"))
               .order_by(Milestone.due_date, Milestone.id))


def _program(session: Session) -> Program | None:
    return session.scalar(_PROGRAM)


def _workstream_details(session: Session, program_id: int) -> dict[int, dict]:
    rows = read_rows(session, _WORKSTREAM_DETAILS, {"program_id": program_id})
    return {r.id: {"lead": r.lead, "lead_id": r.lead_id, "target_date": r.target_date}
            for r in rows}


@cache
def _latest_notes_statement():
    ranked = (
        select(StatusUpdate.workstream_id, StatusUpdate.created_at, StatusUpdate.note,
               StatusUpdate.rag, StatusUpdate.author_id,
               func.row_number().over(partition_by=StatusUpdate.workstream_id,
                                      order_by=(StatusUpdate.created_at.desc(),
                                                StatusUpdate.id.desc())).label("n"))
        .join(Workstream, Workstream.id == StatusUpdate.workstream_id)
        .where(Workstream.program_id == bindparam("program_id"),
               StatusUpdate.created_at < bindparam("before", type_=DateTime))
        .subquery()
    )
    return (select(ranked, User.name.label("author"))
            .outerjoin(User, User.id == ranked.c.author_id).where(ranked.c.n == 1))


def _latest_notes(session: Session, program_id: int, day: date) -> dict[int, Note]:
    """Each workstream's latest status note up to the end of `day`, with its author's
    name (one query)."""
    rows = read_rows(session, _latest_notes_statement(), {
        "program_id": program_id,
        "before": datetime.combine(day + timedelta(days=1), datetime.min.time())})
    return {r.workstream_id: Note(r.created_at.date(), r.note, r.rag, r.author) for r in rows}


def _dependencies(session: Session, program_id: int) -> list[tuple[int, int]]:
    return [tuple(r) for r in read_rows(session, _DEPENDENCIES, {"program_id": program_id})]


_GATING_OVERDUE = Soonest(
    and_(ActionItem.workstream_id.in_(bindparam("gating_ids", expanding=True)),
         ActionItem.due_date < bindparam("today")))


def _live_overdue_items(session: Session, gating_ids: list[int],
                        today: date) -> list[OverdueItem]:
    """The gating workstreams' open items longest overdue (`Soonest`: read in due order
    from the index, not sorted)."""
    items = _GATING_OVERDUE(session, TOP_OVERDUE, gating_ids=gating_ids, today=today)
    return [OverdueItem(i.id, i.title, i.due_date, i.priority, i.status, i.workstream_id,
                        i.owner.name if i.owner else None) for i in items]


def _milestones(session: Session, program_id: int) -> list[tuple[str, date, str]]:
    return [tuple(r) for r in read_rows(session, _MILESTONES, {"program_id": program_id})]


def _pipeline(board: Board, stages: dict[int, str] | None) -> list[dict]:
    """Per hyperscaler in rank order: POC counts by stage and the next POCs to start, with
    the stages of today or of a past day (`stages`, from the audit log)."""
    return [{"hyperscaler_id": row.hyperscaler_id, "hyperscaler": row.hyperscaler,
             "rank": row.rank, "counts": row.counts, "total": row.total,
             "next": [{"id": p.id, "customer": p.customer, "stage": p.stage,
                       "position": p.position, "planned_start": p.planned_start}
                      for p in row.next_pocs]}
            for row in pipeline(board, stages)]


def _poc_warnings(board: Board, today: date) -> list[dict]:
    return [{"kind": w.kind, "message": w.message, "hyperscaler": w.hyperscaler}
            for w in sequencing_checks(None, today, board)]


def _trend(session: Session, day: date, live_point: TrendPoint | None) -> list[TrendPoint]:
    start = day - timedelta(days=TREND_DAYS - 1)
    points = [TrendPoint(s.taken_on, s.readiness, s.rag, s.open_items, s.overdue_items,
                         s.done_items)
              for s in snapshots.program_series(session, start, day)]
    if live_point is not None:
        points = [p for p in points if p.day != day] + [live_point]
    return points


def _ws_row(f: WorkstreamFigures, details: dict, note: Note | None) -> WorkstreamRow:
    return WorkstreamRow(
        workstream_id=f.workstream_id, name=f.name, gating=f.gating, owner_rag=f.rag,
        health=f.health, effective_rag=f.effective_rag, disagrees=f.disagrees,
        readiness=round(f.readiness, 4), percent=f.percent, items_total=f.items_total,
        items_done=f.items_done, items_open=f.items_open, items_overdue=f.items_overdue,
        items_due_soon=f.items_due_soon, oldest_overdue_days=f.oldest_overdue_days,
        items_late=f.items_late,
        criteria_done_weight=f.criteria_done_weight,
        criteria_total_weight=f.criteria_total_weight, lead=details.get("lead"),
        lead_id=details.get("lead_id"), latest_note=note)


# -- the whole summary ----------------------------------------------------------------------

@dataclass
class _DayState:
    """The figures of one day, live or rebuilt: what differs between today and a past day."""

    figures: list[WorkstreamFigures]
    totals: dict[str, int]
    overdue_items: list[OverdueItem]
    stages: dict[int, str] | None
    source: str
    rule: HealthRule


def _live_state(session: Session, program: Program, day: date) -> _DayState:
    rule = HealthRule.of(program)
    figures = workstream_figures(session, program.id, day, rule=rule)
    gating_ids = [f.workstream_id for f in figures if f.gating]
    return _DayState(figures, snapshots.live_item_totals(session, day),
                     _live_overdue_items(session, gating_ids, day), None, "live", rule)


def _past_state(session: Session, program: Program, day: date) -> _DayState:
    """A past day: its snapshot as taken (under the rule of that day) where there is one,
    else rebuilt from the audit log under the program's rule now."""
    history = History.load(session, program.id)
    items = history.items_on(day)
    snap = snapshots.program_snapshot(session, day)
    stored = snapshots.figures_from_json(snap.figures.get("workstreams")) \
        if snap is not None else None
    if stored is not None:
        figures, rule = stored
        rule = rule or HealthRule.of(program)
        totals = {"open": snap.open_items, "overdue": snap.overdue_items,
                  "done": snap.done_items}
        source = "snapshot"
    else:
        figures, totals, source = history.figures_on(day, items), item_totals(items, day), \
            "audit log"
        rule = HealthRule.of(program)
    gating_ids = {f.workstream_id for f in figures if f.gating}
    overdue = sorted((i for i in items if i.workstream_id in gating_ids
                      and i.status in OPEN_STATUSES and i.due_date is not None
                      and i.due_date < day), key=lambda i: (i.due_date, i.id))
    overdue_items = [OverdueItem(i.id, i.title, i.due_date, i.priority, i.status,
                                 i.workstream_id, i.owner) for i in overdue[:TOP_OVERDUE]]
    return _DayState(figures, totals, overdue_items, history.poc_stages_on(day), source, rule)


def _blocking(session: Session, program_id: int,
              by_id: dict[int, WorkstreamRow]) -> list[Blocking]:
    """Dependencies on a red or amber workstream, the worse first."""
    found = []
    for ws_id, dep_id in _dependencies(session, program_id):
        ws, dep = by_id.get(ws_id), by_id.get(dep_id)
        if ws and dep and dep.effective_rag in ("red", "amber") and ws.effective_rag != "done":
            found.append(Blocking(ws_id, ws.name, dep_id, dep.name, dep.effective_rag,
                                  ws.gating))
    return sorted(found, key=lambda b: (-RAG_ORDER[b.blocked_by_rag], b.workstream))


def _headline(program: Program, figures: list[WorkstreamFigures], gating: list[WorkstreamRow],
              day: date) -> Headline:
    overall = program_readiness(figures)
    counts = {rag: sum(1 for r in gating if r.effective_rag == rag) for rag in RAG_ORDER}
    return Headline(score=round(overall.score, 4), percent=overall.percent, rag=overall.rag,
                    verdict=VERDICTS.get(overall.rag, overall.rag), reason=overall.reason,
                    days_left=(program.target_date - day).days, gating_count=len(gating),
                    gating_by_rag=counts)


def build_summary(session: Session, today: date, as_of: date | None = None,
                  forecast_weeks: int = 8) -> Summary | None:
    """Everything the summary shows; None when there is no program.

    `today` is the real today; `as_of` a past day to show instead (validated by
    `parse_as_of`); `forecast_weeks` the weeks of pace the forecast reads.
    """
    program = _program(session)
    if program is None:
        return None
    day = as_of or today
    historical = as_of is not None
    state = _past_state(session, program, day) if historical \
        else _live_state(session, program, day)
    details = _workstream_details(session, program.id)
    notes = _latest_notes(session, program.id, day)
    rows = [_ws_row(f, details.get(f.workstream_id, {}), notes.get(f.workstream_id))
            for f in state.figures]
    by_id = {r.workstream_id: r for r in rows}
    for item in state.overdue_items:
        row = by_id.get(item.workstream_id)
        item.workstream = row.name if row else None
        item.days_overdue = (day - item.due_date).days
        if row is not None and row.top_blocker is None:
            row.top_blocker = item  # the list is oldest first
    forecast = outlook(session, program, day, forecast_weeks)
    pocs = board(session, action_counts=False)  # read once, for the pipeline and the checks
    for row in rows:
        row.forecast = forecast.of(row.workstream_id)
    gating = [r for r in rows if r.gating]
    headline = _headline(program, state.figures, gating, day)
    live_point = None if historical else TrendPoint(
        day, headline.score, headline.rag, state.totals["open"], state.totals["overdue"],
        state.totals["done"])
    at_risk = sorted((r for r in rows if r.effective_rag in ("red", "amber")),
                     key=lambda r: (-RAG_ORDER[r.effective_rag], not r.gating, r.name))
    return Summary(
        program=ProgramRef(program.id, program.name, program.target_date), day=day,
        today=today, as_of=as_of, historical=historical, source=state.source,
        headline=headline, item_counts=state.totals, gating=gating,
        other_workstreams=[r for r in rows if not r.gating],
        risks=Risks(workstreams=at_risk, overdue_items=state.overdue_items,
                    blocking=_blocking(session, program.id, by_id),
                    poc_warnings=[] if historical else _poc_warnings(pocs, day)),
        milestones=[MilestoneRow(n, d, desc, (d - day).days, d < day)
                    for n, d, desc in _milestones(session, program.id)],
        pocs=_pipeline(pocs, state.stages),
        trend=_trend(session, day, live_point),
        forecast=forecast,
        health_rule=state.rule,
        formula=explanation(state.rule),
    )


def to_json(value: Any) -> Any:
    """A summary (or any part of it) as JSON data: records as objects, the forecast in its
    own shape, dates as ISO strings. Plain values are asked about first: most are."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if hasattr(value, "as_json") and not isinstance(value, Summary):
        return to_json(value.as_json())
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    return value
