"""The executive summary's figures, as one plain structure the page and /summary.json share.

`build_summary(session, today)` answers "will the program be ready, and why" for today in
a fixed number of queries whatever the number of items; `build_summary(..., as_of=D)`
answers it for a past day, from that day's snapshot where one was taken and from the
audit log otherwise (see history.py).
"""
from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.errors import DomainError
from portal.people.models import Person
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.models import (
    Milestone,
    Program,
    StatusUpdate,
    Workstream,
    workstream_dependency,
)
from portal.program.readiness import (
    CRITERIA_SHARE,
    ITEMS_SHARE,
    RAG_ORDER,
    RED_OVERDUE_DAYS,
    WorkstreamFigures,
    program_readiness,
    workstream_figures,
)
from portal.summary import snapshots
from portal.summary.history import History, item_totals
from portal.vocab import OPEN_STATUSES, POC_STAGES

TREND_DAYS = 84  # twelve weeks
TOP_OVERDUE = 10
VERDICTS = {"red": "Off track", "amber": "At risk", "green": "On track", "done": "Ready"}

FORMULA = [
    f"A workstream's readiness is {round(CRITERIA_SHARE * 100)} % the weighted share of its "
    f"exit criteria that are met and {round(ITEMS_SHARE * 100)} % the share of its action "
    "items that are done (cancelled items left out). With only criteria or only items, that "
    "part alone counts; with neither, it is 0 %.",
    "The overall score is the average readiness of the gating workstreams, each weighted by "
    "its criteria weight plus its number of items, so bigger workstreams count more.",
    f"A workstream's computed health is red when an open item is {RED_OVERDUE_DAYS} days or "
    "more overdue or at least half of its open items are overdue, amber when any item is "
    "overdue, green otherwise.",
    "The program's status is the worst status of any gating workstream, taking for each the "
    "worse of the owner-reported status and the computed health. A red gating workstream "
    "therefore makes the whole program red, whatever the average.",
]


class SummaryError(DomainError):
    """A request the summary cannot answer (bad as-of date): the message says why."""


def parse_as_of(raw: str | None, today: date, first_day: date | None) -> date | None:
    """The `as_of` query value as a date, None for today; SummaryError when unusable."""
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise SummaryError(f"“{text[:40]}” is not a date. Use the form YYYY-MM-DD, "
                           f"for example {today.isoformat()}.")
    if day > today:
        raise SummaryError(f"{day.isoformat()} is in the future; the summary can only show "
                           f"days up to today ({today.isoformat()}).")
    if first_day is None or day < first_day:
        since = f" The first day with data is {first_day.isoformat()}." if first_day else ""
        raise SummaryError(f"There is no data for {day.isoformat()}: it is before the "
                           f"program was tracked here.{since}")
    return None if day == today else day


# -- pieces ---------------------------------------------------------------------------------

def _program(session: Session) -> Program | None:
    return session.scalar(select(Program).order_by(Program.id).limit(1))


def _workstream_details(session: Session, program_id: int) -> dict[int, dict]:
    rows = session.execute(
        select(Workstream.id, Workstream.target_date, Person.name.label("lead"),
               Person.id.label("lead_id"))
        .outerjoin(Person, Person.id == Workstream.lead_id)
        .where(Workstream.program_id == program_id)
    ).all()
    return {r.id: {"lead": r.lead, "lead_id": r.lead_id, "target_date": r.target_date}
            for r in rows}


def _latest_notes(session: Session, program_id: int, day: date) -> dict[int, dict]:
    """Each workstream's latest status note up to the end of `day` (one query)."""
    ranked = (
        select(StatusUpdate.workstream_id, StatusUpdate.created_at, StatusUpdate.note,
               StatusUpdate.rag,
               func.row_number().over(partition_by=StatusUpdate.workstream_id,
                                      order_by=(StatusUpdate.created_at.desc(),
                                                StatusUpdate.id.desc())).label("n"))
        .join(Workstream, Workstream.id == StatusUpdate.workstream_id)
        .where(Workstream.program_id == program_id,
               StatusUpdate.created_at < datetime.combine(day + timedelta(days=1),
                                                          datetime.min.time()))
        .subquery()
    )
    rows = session.execute(select(ranked).where(ranked.c.n == 1)).all()
    return {r.workstream_id: {"date": r.created_at.date(), "text": r.note, "rag": r.rag}
            for r in rows}


def _dependencies(session: Session, program_id: int) -> list[tuple[int, int]]:
    return [tuple(r) for r in session.execute(
        select(workstream_dependency.c.workstream_id, workstream_dependency.c.depends_on_id)
        .join(Workstream, Workstream.id == workstream_dependency.c.workstream_id)
        .where(Workstream.program_id == program_id)
    ).all()]


def _live_overdue_items(session: Session, gating_ids: list[int], today: date) -> list[dict]:
    rows = session.execute(
        select(ActionItem.id, ActionItem.title, ActionItem.due_date, ActionItem.priority,
               ActionItem.status, ActionItem.workstream_id, Person.name.label("owner"))
        .outerjoin(Person, Person.id == ActionItem.owner_id)
        .where(ActionItem.workstream_id.in_(gating_ids), ActionItem.status.in_(OPEN_STATUSES),
               ActionItem.due_date < today)
        .order_by(ActionItem.due_date, ActionItem.id)
        .limit(TOP_OVERDUE)
    ).all()
    return [r._asdict() for r in rows]


def _milestones(session: Session, program_id: int) -> list[tuple[str, date, str]]:
    return [tuple(r) for r in session.execute(
        select(Milestone.name, Milestone.due_date, Milestone.description)
        .where(Milestone.program_id == program_id).order_by(Milestone.due_date, Milestone.id)
    ).all()]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _pipeline(session: Session, today: date, stages: dict[int, str] | None) -> list[dict]:
    """Per hyperscaler in rank order: POC counts by stage and the next POCs to start.

    Today's pipeline comes from the POC area's `pipeline()`; a past day's from the POC
    rows with their stages of that day (`stages`, from the audit log).
    """
    if stages is None:
        try:
            from portal.pocs.sequencing import pipeline
        except ImportError:  # the POC area may not offer it yet
            pipeline = None
        if pipeline is not None:
            rows = []
            for row in pipeline(session, today):
                data = _plain(row)
                rows.append({
                    "hyperscaler_id": data.get("hyperscaler_id"),
                    "hyperscaler": data.get("hyperscaler"), "rank": data.get("rank"),
                    "counts": {s: int(data.get("counts", {}).get(s, 0)) for s in POC_STAGES},
                    "total": int(data.get("total", 0)),
                    "next": [{"id": p.get("id"), "customer": p.get("customer"),
                              "stage": p.get("stage"), "position": p.get("position"),
                              "planned_start": p.get("planned_start")}
                             for p in data.get("next_pocs", [])],
                })
            return rows
    scalers = session.execute(
        select(Hyperscaler.id, Hyperscaler.name, Hyperscaler.rank)
        .order_by(Hyperscaler.rank, Hyperscaler.id)).all()
    pocs = session.execute(
        select(Poc.id, Poc.hyperscaler_id, Poc.stage, Poc.position, Poc.planned_start,
               Customer.name.label("customer"))
        .join(Customer, Customer.id == Poc.customer_id)
        .order_by(Poc.hyperscaler_id, Poc.position, Poc.id)).all()
    stages = stages or {}
    result = []
    for sid, name, rank in scalers:
        counts = dict.fromkeys(POC_STAGES, 0)
        upcoming = []
        for p in pocs:
            if p.hyperscaler_id != sid:
                continue
            stage = stages.get(p.id, p.stage)
            counts[stage] = counts.get(stage, 0) + 1
            if stage in ("candidate", "confirmed", "scheduled") and len(upcoming) < 3:
                upcoming.append({"id": p.id, "customer": p.customer, "stage": stage,
                                 "position": p.position, "planned_start": p.planned_start})
        result.append({"hyperscaler_id": sid, "hyperscaler": name, "rank": rank,
                       "counts": counts, "total": sum(counts.values()), "next": upcoming})
    return result


def _poc_warnings(session: Session, today: date) -> list[dict]:
    try:
        from portal.pocs.sequencing import sequencing_checks
    except ImportError:
        return []
    warnings = []
    for warning in sequencing_checks(session, today):
        data = _plain(warning)
        warnings.append({"kind": data.get("kind"), "message": data.get("message", str(warning)),
                         "hyperscaler": data.get("hyperscaler")})
    return warnings


def _trend(session: Session, day: date, live_point: dict | None) -> list[dict]:
    start = day - timedelta(days=TREND_DAYS - 1)
    points = [{"day": s.taken_on, "readiness": s.readiness, "rag": s.rag,
               "open": s.open_items, "overdue": s.overdue_items, "done": s.done_items}
              for s in snapshots.program_series(session, start, day)]
    if live_point is not None:
        points = [p for p in points if p["day"] != day] + [live_point]
    return points


def _ws_row(f: WorkstreamFigures, details: dict, note: dict | None) -> dict:
    return {
        "workstream_id": f.workstream_id, "name": f.name, "gating": f.gating,
        "owner_rag": f.rag, "health": f.health, "effective_rag": f.effective_rag,
        "disagrees": f.disagrees, "readiness": round(f.readiness, 4), "percent": f.percent,
        "items_total": f.items_total, "items_done": f.items_done, "items_open": f.items_open,
        "items_overdue": f.items_overdue, "items_due_soon": f.items_due_soon,
        "oldest_overdue_days": f.oldest_overdue_days,
        "criteria_done_weight": f.criteria_done_weight,
        "criteria_total_weight": f.criteria_total_weight,
        "lead": details.get("lead"), "lead_id": details.get("lead_id"),
        "latest_note": note,
    }


# -- the whole summary ----------------------------------------------------------------------

def build_summary(session: Session, today: date, as_of: date | None = None) -> dict | None:
    """Everything the summary shows, as plain data; None when there is no program.

    `today` is the real today; `as_of` a past day to show instead (validated by
    `parse_as_of`).
    """
    program = _program(session)
    if program is None:
        return None
    day = as_of or today
    historical = as_of is not None
    source = "live"
    details = _workstream_details(session, program.id)
    if not historical:
        figures = workstream_figures(session, program.id, day)
        totals = snapshots.live_item_totals(session, day)
        gating_ids = [f.workstream_id for f in figures if f.gating]
        overdue_items = _live_overdue_items(session, gating_ids, day)
        stages = None
    else:
        history = History.load(session, program.id)
        items = history.items_on(day)
        snap = snapshots.program_snapshot(session, day)
        if snap is not None and snap.figures.get("workstreams") is not None:
            figures = snapshots.figures_from_json(snap.figures["workstreams"])
            totals = {"open": snap.open_items, "overdue": snap.overdue_items,
                      "done": snap.done_items}
            source = "snapshot"
        else:
            figures = history.figures_on(day, items)
            totals = item_totals(items, day)
            source = "audit log"
        gating_ids = [f.workstream_id for f in figures if f.gating]
        overdue = sorted((i for i in items if i.workstream_id in gating_ids
                          and i.status in OPEN_STATUSES and i.due_date is not None
                          and i.due_date < day), key=lambda i: (i.due_date, i.id))
        overdue_items = [{"id": i.id, "title": i.title, "due_date": i.due_date,
                          "priority": i.priority, "status": i.status,
                          "workstream_id": i.workstream_id, "owner": i.owner}
                         for i in overdue[:TOP_OVERDUE]]
        stages = history.poc_stages_on(day)

    overall = program_readiness(figures)
    notes = _latest_notes(session, program.id, day)
    names = {f.workstream_id: f.name for f in figures}
    rows = [_ws_row(f, details.get(f.workstream_id, {}), notes.get(f.workstream_id))
            for f in figures]
    by_id = {r["workstream_id"]: r for r in rows}
    gating = [r for r in rows if r["gating"]]
    for item in overdue_items:
        item["workstream"] = names.get(item["workstream_id"])
        item["days_overdue"] = (day - item["due_date"]).days

    blocking = []
    for ws_id, dep_id in _dependencies(session, program.id):
        ws, dep = by_id.get(ws_id), by_id.get(dep_id)
        if ws and dep and dep["effective_rag"] in ("red", "amber") \
                and ws["effective_rag"] != "done":
            blocking.append({"workstream_id": ws_id, "workstream": ws["name"],
                             "blocked_by_id": dep_id, "blocked_by": dep["name"],
                             "blocked_by_rag": dep["effective_rag"],
                             "gating": ws["gating"]})
    blocking.sort(key=lambda b: (-RAG_ORDER[b["blocked_by_rag"]], b["workstream"]))
    at_risk = sorted((r for r in rows if r["effective_rag"] in ("red", "amber")),
                     key=lambda r: (-RAG_ORDER[r["effective_rag"]], not r["gating"], r["name"]))

    live_point = None
    if not historical:
        live_point = {"day": day, "readiness": round(overall.score, 4), "rag": overall.rag,
                      "open": totals["open"], "overdue": totals["overdue"],
                      "done": totals["done"]}
    days_left = (program.target_date - day).days
    counts = {rag: sum(1 for r in gating if r["effective_rag"] == rag) for rag in RAG_ORDER}
    return {
        "program": {"id": program.id, "name": program.name, "target_date": program.target_date},
        "day": day,
        "today": today,
        "as_of": as_of,
        "historical": historical,
        "source": source,
        "headline": {
            "score": round(overall.score, 4), "percent": overall.percent, "rag": overall.rag,
            "verdict": VERDICTS.get(overall.rag, overall.rag), "reason": overall.reason,
            "days_left": days_left, "gating_count": len(gating), "gating_by_rag": counts,
        },
        "item_counts": totals,
        "gating": gating,
        "other_workstreams": [r for r in rows if not r["gating"]],
        "risks": {
            "workstreams": at_risk,
            "overdue_items": overdue_items,
            "blocking": blocking,
            "poc_warnings": [] if historical else _poc_warnings(session, day),
        },
        "milestones": [{"name": n, "due_date": d, "description": desc, "days": (d - day).days,
                        "past": d < day} for n, d, desc in _milestones(session, program.id)],
        "pocs": _pipeline(session, day, stages),
        "trend": _trend(session, day, live_point),
        "formula": FORMULA,
    }


def to_json(summary: dict) -> Any:
    """The summary with dates as ISO strings, ready for json.dumps."""
    if isinstance(summary, dict):
        return {k: to_json(v) for k, v in summary.items()}
    if isinstance(summary, list | tuple):
        return [to_json(v) for v in summary]
    if isinstance(summary, datetime | date):
        return summary.isoformat()
    return summary
