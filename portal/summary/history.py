"""The program as it stood on a past day, rebuilt from the current rows and the audit log.

An item's status, due date and workstream on day D are the `before` values of the
first audit event after D that changed them, or the current values when nothing changed
them since. Imported items often carry no audit trail for their past, so their own dates
fill in: an item created after D did not exist yet, one done (or cancelled) after D was
still open on D. A workstream's owner-reported RAG on D comes the same way from its audit
events and status notes, an exit criterion's from its `done_at` and its audit events. A
workstream counts until the day it was archived.

Days are compared as UTC dates of the audit timestamps (the portal stores naive UTC).
Everything loads in a fixed number of queries; `figures_on` then runs in memory, so a
backfill over many days costs no more queries than one day.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.pocs.models import Poc
from portal.program.models import Criterion, Program, StatusUpdate, Workstream
from portal.program.readiness import (
    CriterionRow,
    HealthRule,
    ItemRow,
    WorkstreamFigures,
    figures_from_rows,
)
from portal.vocab import OPEN_STATUSES

ITEM_FIELDS = ("status", "due_date", "workstream_id")


@dataclass(frozen=True)
class ItemState:
    """One action item as it stood on a day."""

    id: int
    title: str
    owner: str | None
    workstream_id: int | None
    status: str
    priority: str
    due_date: date | None


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


class _Changes:
    """For each entity, its changes of a field as a time-sorted list of (day, before)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[int, str], list[tuple[date, Any]]] = defaultdict(list)

    def add(self, entity_id: int, field: str, day: date, before: Any) -> None:
        self._by_key[(entity_id, field)].append((day, before))

    def finish(self) -> None:
        self._days: dict[tuple[int, str], list[date]] = {}
        for key, changes in self._by_key.items():
            changes.sort(key=lambda change: change[0])
            self._days[key] = [day for day, _ in changes]

    def value_on(self, entity_id: int, field: str, day: date, current: Any) -> Any:
        """The value at the end of `day`: the `before` of the first change after it."""
        changes = self._by_key.get((entity_id, field))
        if not changes:
            return current
        index = bisect_right(self._days[(entity_id, field)], day)
        return changes[index][1] if index < len(changes) else current

    def __contains__(self, key: tuple[int, str]) -> bool:
        return key in self._by_key


class History:
    """Everything needed to rebuild a program's figures on any past day."""

    def __init__(self, program: Program | None) -> None:
        self.program = program
        self.workstreams: list[tuple[int, str, bool, str]] = []
        self.archived_on: dict[int, date] = {}
        self.items: list[dict] = []
        self.criteria: list[dict] = []
        self.pocs: list[dict] = []
        self.item_changes = _Changes()
        self.rag_changes = _Changes()
        self.criterion_changes = _Changes()
        self.poc_changes = _Changes()
        self.first_day: date | None = None

    @classmethod
    def load(cls, session: Session, program_id: int) -> History:
        """Rows and audit events of the program, in six queries."""
        program = session.get(Program, program_id)
        history = cls(program)
        if program is None:
            return history
        rows = session.execute(
            select(Workstream.id, Workstream.name, Workstream.gating, Workstream.rag,
                   Workstream.archived_at)
            .where(Workstream.program_id == program_id)
            .order_by(Workstream.gating.desc(), Workstream.position, Workstream.id)
        ).all()
        history.workstreams = [tuple(row[:4]) for row in rows]
        history.archived_on = {row.id: row.archived_at.date() for row in rows
                               if row.archived_at is not None}
        ws_ids = [ws[0] for ws in history.workstreams]
        from portal.people.models import Person

        history.items = [row._asdict() for row in session.execute(
            select(ActionItem.id, ActionItem.title, ActionItem.workstream_id, ActionItem.status,
                   ActionItem.priority, ActionItem.due_date, ActionItem.created_date,
                   ActionItem.created_at, ActionItem.done_date, ActionItem.cancelled_date,
                   Person.name.label("owner"))
            .outerjoin(Person, Person.id == ActionItem.owner_id)
            .where(or_(ActionItem.workstream_id.in_(ws_ids), ActionItem.workstream_id.is_(None)))
        ).all()]
        history.criteria = [row._asdict() for row in session.execute(
            select(Criterion.id, Criterion.workstream_id, Criterion.weight, Criterion.done,
                   Criterion.done_at)
            .where(Criterion.workstream_id.in_(ws_ids))
        ).all()]
        history.pocs = [row._asdict() for row in session.execute(
            select(Poc.id, Poc.stage, Poc.hyperscaler_id)
        ).all()]
        events = session.execute(
            select(AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.created_at,
                   AuditEvent.before)
            .where(AuditEvent.entity_type.in_(("action_item", "workstream", "criterion", "poc")),
                   AuditEvent.before.is_not(None))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ).all()
        notes = session.execute(
            select(StatusUpdate.workstream_id, StatusUpdate.created_at, StatusUpdate.previous_rag)
            .where(StatusUpdate.workstream_id.in_(ws_ids),
                   StatusUpdate.previous_rag.is_not(None))
        ).all()
        history._index(events, notes)
        return history

    def _index(self, events, notes) -> None:
        targets = {
            "action_item": (self.item_changes, ITEM_FIELDS),
            "workstream": (self.rag_changes, ("rag",)),
            "criterion": (self.criterion_changes, ("done",)),
            "poc": (self.poc_changes, ("stage",)),
        }
        for entity_type, entity_id, created_at, before in events:
            changes, fields = targets[entity_type]
            if entity_id is None or not isinstance(before, dict):
                continue
            for field in fields:
                if field in before:
                    changes.add(entity_id, field, created_at.date(), before[field])
        seen = {(ws_id, "rag") for ws_id, *_ in self.workstreams if (ws_id, "rag") in
                self.rag_changes}
        for ws_id, created_at, previous in notes:
            # Status notes and audit events describe the same change; use notes only
            # for workstreams whose changes were not audited.
            if (ws_id, "rag") not in seen:
                self.rag_changes.add(ws_id, "rag", created_at.date(), previous)
        for changes in (self.item_changes, self.rag_changes, self.criterion_changes,
                        self.poc_changes):
            changes.finish()
        days = [self.program.created_at.date()] if self.program.created_at else []
        days += [d for d in (_as_date(i["created_date"]) for i in self.items) if d]
        self.first_day = min(days) if days else None

    # -- the state on a day -------------------------------------------------------------

    def items_on(self, day: date) -> list[ItemState]:
        """The program's action items as they stood at the end of `day`."""
        states = []
        changes = self.item_changes
        for item in self.items:
            created = _as_date(item["created_date"]) or _as_date(item["created_at"])
            if created is not None and created > day:
                continue
            status = changes.value_on(item["id"], "status", day, item["status"])
            done, cancelled = _as_date(item["done_date"]), _as_date(item["cancelled_date"])
            if status == "done" and done is not None and done > day:
                status = "open"
            elif status == "cancelled" and cancelled is not None and cancelled > day:
                status = "open"
            states.append(ItemState(
                id=item["id"], title=item["title"], owner=item["owner"],
                workstream_id=changes.value_on(item["id"], "workstream_id", day,
                                               item["workstream_id"]),
                status=status, priority=item["priority"],
                due_date=_as_date(changes.value_on(item["id"], "due_date", day,
                                                   item["due_date"])),
            ))
        return states

    def rags_on(self, day: date) -> dict[int, str]:
        return {ws_id: self.rag_changes.value_on(ws_id, "rag", day, rag) or rag
                for ws_id, _name, _gating, rag in self.workstreams}

    def criteria_on(self, day: date) -> list[CriterionRow]:
        rows = []
        for c in self.criteria:
            done = bool(self.criterion_changes.value_on(c["id"], "done", day, c["done"]))
            done_at = _as_date(c["done_at"])
            if done and done_at is not None and done_at > day:
                done = False
            rows.append(CriterionRow(c["workstream_id"], c["weight"], done))
        return rows

    def poc_stages_on(self, day: date) -> dict[int, str]:
        return {p["id"]: self.poc_changes.value_on(p["id"], "stage", day, p["stage"])
                for p in self.pocs}

    def figures_on(self, day: date, items: list[ItemState] | None = None
                   ) -> list[WorkstreamFigures]:
        """Every workstream's readiness figures at the end of `day`, under the program's
        health rule now."""
        items = self.items_on(day) if items is None else items
        rags = self.rags_on(day)
        return figures_from_rows(
            [(ws_id, name, gating, rags[ws_id]) for ws_id, name, gating, _ in self.workstreams
             if self.archived_on.get(ws_id, date.max) > day],
            [ItemRow(i.workstream_id, i.status, i.due_date) for i in items],
            self.criteria_on(day),
            day,
            rule=HealthRule.of(self.program) if self.program is not None else HealthRule(),
        )


def item_totals(items: list[ItemState], day: date) -> dict[str, int]:
    """Open, overdue and done items of the whole program on `day` (cancelled left out)."""
    open_ = [i for i in items if i.status in OPEN_STATUSES]
    return {
        "open": len(open_),
        "overdue": sum(1 for i in open_ if i.due_date is not None and i.due_date < day),
        "done": sum(1 for i in items if i.status == "done"),
    }


@cache
def _first_days_statement():
    """`first_data_day`'s one statement, built once: the summary reads it on every view."""
    from portal.summary.models import Snapshot

    return select(
        select(Program.created_at).where(Program.id == bindparam("program_id"))
        .scalar_subquery(),
        select(func.min(ActionItem.created_date)).scalar_subquery(),
        select(func.min(Snapshot.taken_on)).scalar_subquery(),
        select(func.min(AuditEvent.created_at)).scalar_subquery(),
    )


def first_data_day(session: Session, program_id: int) -> date | None:
    """The first day the portal knows anything about: program, items, snapshots, audit."""
    firsts = session.execute(_first_days_statement(), {"program_id": program_id}).one()
    days = [d for d in map(_as_date, firsts) if d]
    return min(days) if days else None
