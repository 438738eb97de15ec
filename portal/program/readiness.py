"""Readiness: the one formula the dashboard and the executive summary share.

A workstream's readiness is the weighted share of its exit criteria that are met
(60 %) and the share of its action items that are done (40 %); with only one of the
two, that one alone; with neither, 0. Its computed health comes from its overdue items:
red when an item is a week or more overdue or when half of its open items are overdue,
amber when any item is overdue, green otherwise, done when everything is finished.

The program's score is the mean readiness of the gating workstreams, each weighted by
its criteria weight plus its number of items. The program's RAG is the worst effective
RAG (the worse of owner-reported and computed) of any gating workstream, so a red
gating workstream is never hidden behind a good average.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.program.models import Criterion, Workstream
from portal.vocab import OPEN_STATUSES

CRITERIA_SHARE = 0.6
ITEMS_SHARE = 0.4
RED_OVERDUE_DAYS = 7
DUE_SOON_DAYS = 7

# Worse comes later; `done` counts as the best state.
RAG_ORDER = {"done": 0, "green": 1, "amber": 2, "red": 3}


def worse(a: str, b: str) -> str:
    return a if RAG_ORDER.get(a, 1) >= RAG_ORDER.get(b, 1) else b


@dataclass(frozen=True)
class WorkstreamFigures:
    """Everything the pages show about one workstream's readiness."""

    workstream_id: int
    name: str
    gating: bool
    rag: str
    criteria_done_weight: int = 0
    criteria_total_weight: int = 0
    items_total: int = 0  # cancelled items left out
    items_done: int = 0
    items_open: int = 0
    items_overdue: int = 0
    items_due_soon: int = 0
    oldest_overdue_days: int = 0

    @property
    def readiness(self) -> float:
        criteria = (self.criteria_done_weight / self.criteria_total_weight
                    if self.criteria_total_weight else None)
        items = self.items_done / self.items_total if self.items_total else None
        if criteria is not None and items is not None:
            return CRITERIA_SHARE * criteria + ITEMS_SHARE * items
        if criteria is not None:
            return criteria
        return items if items is not None else 0.0

    @property
    def percent(self) -> int:
        return round(self.readiness * 100)

    @property
    def health(self) -> str:
        if self.rag == "done" or (
            self.items_open == 0 and self.readiness >= 1.0
            and (self.items_total or self.criteria_total_weight)
        ):
            return "done"
        if self.items_overdue and (
            self.oldest_overdue_days >= RED_OVERDUE_DAYS
            or self.items_overdue * 2 >= max(self.items_open, 1)
        ):
            return "red"
        if self.items_overdue:
            return "amber"
        return "green"

    @property
    def effective_rag(self) -> str:
        return worse(self.rag, self.health)

    @property
    def disagrees(self) -> bool:
        """The owner reports better than the figures show (say green with overdue items)."""
        return RAG_ORDER.get(self.health, 1) > RAG_ORDER.get(self.rag, 1)

    @property
    def weight(self) -> int:
        return max(1, self.criteria_total_weight + self.items_total)


@dataclass(frozen=True)
class ProgramReadiness:
    score: float
    rag: str
    reason: str
    gating: list[WorkstreamFigures] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def program_readiness(figures: list[WorkstreamFigures]) -> ProgramReadiness:
    """The program's score, RAG and the sentence that says why."""
    gating = [f for f in figures if f.gating]
    if not gating:
        return ProgramReadiness(0.0, "amber", "No gating workstreams are defined yet.", [])
    total_weight = sum(f.weight for f in gating)
    score = sum(f.readiness * f.weight for f in gating) / total_weight
    rag = "done"
    for f in gating:
        rag = worse(rag, f.effective_rag)
    count = len(gating)
    if rag in ("red", "amber"):
        names = sorted(f.name for f in gating if f.effective_rag == rag)
        verb = "is" if len(names) == 1 else "are"
        reason = f"{len(names)} of {count} gating workstreams {verb} {rag}: {', '.join(names)}."
    elif rag == "done":
        reason = ("The gating workstream is done." if count == 1
                  else f"All {count} gating workstreams are done.")
    else:
        reason = ("The gating workstream is on track." if count == 1
                  else f"All {count} gating workstreams are on track.")
    return ProgramReadiness(score=score, rag=rag, reason=reason, gating=gating)


def workstream_figures(session: Session, program_id: int, today: date) -> list[WorkstreamFigures]:
    """Figures for every workstream of the program (archived ones left out) in three
    aggregate queries."""
    listed = (Workstream.program_id == program_id) & Workstream.archived_at.is_(None)
    workstreams = session.execute(
        select(Workstream.id, Workstream.name, Workstream.gating, Workstream.rag)
        .where(listed)
        .order_by(Workstream.gating.desc(), Workstream.position, Workstream.id)
    ).all()
    is_open = ActionItem.status.in_(OPEN_STATUSES)
    overdue = is_open & (ActionItem.due_date < today)
    due_soon = is_open & ActionItem.due_date.between(today, today + timedelta(days=DUE_SOON_DAYS))
    item_rows = session.execute(
        select(
            ActionItem.workstream_id,
            func.count().label("total"),
            func.sum(case((ActionItem.status == "done", 1), else_=0)).label("done"),
            func.sum(case((is_open, 1), else_=0)).label("open"),
            func.sum(case((overdue, 1), else_=0)).label("overdue"),
            func.sum(case((due_soon, 1), else_=0)).label("due_soon"),
            func.min(case((overdue, ActionItem.due_date))).label("oldest_due"),
        )
        .join(Workstream, Workstream.id == ActionItem.workstream_id)
        .where(listed, ActionItem.status != "cancelled")
        .group_by(ActionItem.workstream_id)
    ).all()
    criteria_rows = session.execute(
        select(
            Criterion.workstream_id,
            func.sum(Criterion.weight).label("total"),
            func.sum(case((Criterion.done.is_(True), Criterion.weight), else_=0)).label("done"),
        )
        .join(Workstream, Workstream.id == Criterion.workstream_id)
        .where(listed)
        .group_by(Criterion.workstream_id)
    ).all()
    items = {row.workstream_id: row for row in item_rows}
    criteria = {row.workstream_id: row for row in criteria_rows}
    figures = []
    for ws in workstreams:
        i, c = items.get(ws.id), criteria.get(ws.id)
        oldest = _as_date(i.oldest_due) if i else None
        figures.append(WorkstreamFigures(
            workstream_id=ws.id, name=ws.name, gating=ws.gating, rag=ws.rag,
            criteria_done_weight=int(c.done or 0) if c else 0,
            criteria_total_weight=int(c.total or 0) if c else 0,
            items_total=i.total if i else 0,
            items_done=int(i.done or 0) if i else 0,
            items_open=int(i.open or 0) if i else 0,
            items_overdue=int(i.overdue or 0) if i else 0,
            items_due_soon=int(i.due_soon or 0) if i else 0,
            oldest_overdue_days=(today - oldest).days if oldest else 0,
        ))
    return figures


def _as_date(value) -> date | None:
    """SQLite hands MIN() over a date back as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class ItemRow:
    """The facts about one action item that readiness needs, as they stood on some day."""

    workstream_id: int | None
    status: str
    due_date: date | None = None


@dataclass(frozen=True)
class CriterionRow:
    workstream_id: int
    weight: int
    done: bool


def figures_from_rows(
    workstreams: list[tuple[int, str, bool, str]],
    items: list[ItemRow],
    criteria: list[CriterionRow],
    today: date,
) -> list[WorkstreamFigures]:
    """The same figures as `workstream_figures`, from rows already in memory.

    `workstreams` are (id, name, gating, rag) in display order. The executive summary
    uses this to compute figures as they stood on a past day, from rows it rebuilt out
    of the audit log; the SQL version stays the one for the present.
    """
    counts: dict[int, dict] = {
        ws_id: {"total": 0, "done": 0, "open": 0, "overdue": 0, "due_soon": 0, "oldest": None,
                "c_total": 0, "c_done": 0}
        for ws_id, *_ in workstreams
    }
    soon = today + timedelta(days=DUE_SOON_DAYS)
    for item in items:
        c = counts.get(item.workstream_id)
        if c is None or item.status == "cancelled":
            continue
        c["total"] += 1
        if item.status == "done":
            c["done"] += 1
        if item.status in OPEN_STATUSES:
            c["open"] += 1
            if item.due_date is not None and item.due_date < today:
                c["overdue"] += 1
                if c["oldest"] is None or item.due_date < c["oldest"]:
                    c["oldest"] = item.due_date
            elif item.due_date is not None and today <= item.due_date <= soon:
                c["due_soon"] += 1
    for criterion in criteria:
        c = counts.get(criterion.workstream_id)
        if c is None:
            continue
        c["c_total"] += criterion.weight
        if criterion.done:
            c["c_done"] += criterion.weight
    figures = []
    for ws_id, name, gating, rag in workstreams:
        c = counts[ws_id]
        figures.append(WorkstreamFigures(
            workstream_id=ws_id, name=name, gating=gating, rag=rag,
            criteria_done_weight=c["c_done"], criteria_total_weight=c["c_total"],
            items_total=c["total"], items_done=c["done"], items_open=c["open"],
            items_overdue=c["overdue"], items_due_soon=c["due_soon"],
            oldest_overdue_days=(today - c["oldest"]).days if c["oldest"] else 0,
        ))
    return figures
