"""Read-side queries of the audit trail: the `/activity` list and what its links point to."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.actions.models import ActionItem
from portal.audit.models import AuditEvent
from portal.clock import zone_start
from portal.pagination import Page, clamp_page
from portal.people.models import Person
from portal.program.models import Workstream

PER_PAGE = 50

# The kinds of entity an event can link to, with the model that holds them.
LINKABLE = {"action_item": ActionItem, "person": Person, "workstream": Workstream}


@dataclass(frozen=True)
class ActivityFilters:
    person: int | None = None
    workstream: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    kind: str | None = None
    page: int = 1

    def to_args(self, **changes) -> dict:
        values = {"person": self.person, "workstream": self.workstream, "kind": self.kind,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None,
                  "page": self.page}
        values.update(changes)
        if values.get("page") == 1:
            values.pop("page")
        return {k: v for k, v in values.items() if v is not None}


def activity(session: Session, filters: ActivityFilters,
             zone: str = "UTC") -> Page[AuditEvent]:
    """The matching events, newest first, one page of them (two statements); the dates are
    days in `zone`, the viewer's time zone."""
    clauses = []
    if filters.kind is not None:
        clauses.append(AuditEvent.entity_type == filters.kind)
    if filters.person is not None:
        clauses.append(AuditEvent.actor_person_id == filters.person)
    if filters.workstream is not None:
        clauses.append(AuditEvent.workstream_id == filters.workstream)
    if filters.date_from:
        clauses.append(AuditEvent.created_at >= zone_start(filters.date_from, zone))
    if filters.date_to:
        clauses.append(AuditEvent.created_at < zone_start(filters.date_to + timedelta(days=1),
                                                          zone))
    total = session.scalar(select(func.count(AuditEvent.id)).where(*clauses)) or 0
    page = clamp_page(filters.page, total, PER_PAGE)
    events = list(session.scalars(
        select(AuditEvent).where(*clauses)
        .options(joinedload(AuditEvent.actor_person), joinedload(AuditEvent.actor_user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ))
    return Page(items=events, page=page, per_page=PER_PAGE, total=total)


def existing_entities(session: Session, events: list[AuditEvent],
                      kinds=tuple(LINKABLE)) -> dict[str, set[int]]:
    """For each linkable kind, the ids among `events` that still exist (one statement per
    kind)."""
    found: dict[str, set[int]] = {}
    for kind in kinds:
        model = LINKABLE[kind]
        ids = {e.entity_id for e in events if e.entity_type == kind and e.entity_id}
        found[kind] = set(session.scalars(select(model.id).where(model.id.in_(ids))))
    return found
