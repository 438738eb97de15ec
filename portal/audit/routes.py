"""`/activity`: the audit trail, newest first, filtered by person, workstream and dates."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import Blueprint, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.actions.models import ActionItem
from portal.actions.queries import label_maps, people_for_select, workstreams_for_select
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pagination import Page, clamp_page
from portal.people.models import Person
from portal.program.models import Workstream
from portal.web import render

bp = Blueprint("audit", __name__)
PER_PAGE = 50


@dataclass(frozen=True)
class ActivityFilters:
    person: int | None = None
    workstream: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def to_args(self, **changes) -> dict:
        values = {"person": self.person, "workstream": self.workstream,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None,
                  "page": self.page}
        values.update(changes)
        if values.get("page") == 1:
            values.pop("page")
        return {k: v for k, v in values.items() if v is not None}


@dataclass
class ParsedActivity:
    filters: ActivityFilters
    errors: list[str] = field(default_factory=list)


def parse_activity_filters(args) -> ParsedActivity:
    """Reads `person`, `workstream`, `from`, `to`, `page`; a nonsense value is reported and
    left out."""
    errors: list[str] = []

    def ident(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit() and len(raw) < 10:
            return int(raw)
        errors.append(f"{name}: {raw[:40]!r} is not an id; it was ignored.")
        return None

    def day(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(f"{name}: {raw[:40]!r} is not a date (YYYY-MM-DD); it was ignored.")
            return None

    raw_page = (args.get("page") or "1").strip()
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 0
    if page < 1:
        errors.append(f"page: {raw_page[:40]!r} is not a page number; showing page 1.")
        page = 1
    filters = ActivityFilters(person=ident("person"), workstream=ident("workstream"),
                              date_from=day("from"), date_to=day("to"), page=page)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors.append("to: the range ends before it starts; the dates were ignored.")
        filters = ActivityFilters(person=filters.person, workstream=filters.workstream, page=page)
    return ParsedActivity(filters, errors)


def activity(session: Session, filters: ActivityFilters) -> Page[AuditEvent]:
    """The matching events, newest first, one page of them (two statements)."""
    clauses = []
    if filters.person is not None:
        clauses.append(AuditEvent.actor_person_id == filters.person)
    if filters.workstream is not None:
        clauses.append(AuditEvent.workstream_id == filters.workstream)
    if filters.date_from:
        clauses.append(AuditEvent.created_at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        clauses.append(AuditEvent.created_at < datetime.combine(filters.date_to
                                                                + timedelta(days=1), time.min))
    total = session.scalar(select(func.count(AuditEvent.id)).where(*clauses)) or 0
    page = clamp_page(filters.page, total, PER_PAGE)
    events = list(session.scalars(
        select(AuditEvent).where(*clauses)
        .options(joinedload(AuditEvent.actor_person), joinedload(AuditEvent.actor_user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ))
    return Page(items=events, page=page, per_page=PER_PAGE, total=total)


ENTITY_ENDPOINTS = {"action_item": ("actions.detail", "item_id", ActionItem),
                    "person": ("people.detail", "person_id", Person),
                    "workstream": ("workstreams.detail", "workstream_id", Workstream)}


def entity_links(session: Session, events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    """A link for each event's entity that still exists (one statement per kind)."""
    from flask import current_app

    links: dict[tuple[str, int], str] = {}
    for kind, (endpoint, arg, model) in ENTITY_ENDPOINTS.items():
        ids = {e.entity_id for e in events if e.entity_type == kind and e.entity_id}
        existing = set(session.scalars(select(model.id).where(model.id.in_(ids))))
        if endpoint not in current_app.view_functions:
            continue
        for ident in existing:
            links[(kind, ident)] = url_for(endpoint, **{arg: ident})
    return links


@bp.get("/activity", endpoint="activity")
def activity_view():
    """Every recorded change, newest first, with who, what, before -> after, when and via."""
    parsed = parse_activity_filters(request.args)
    filters = parsed.filters
    result = activity(db.session, filters)
    context = {
        "filters": filters,
        "filter_errors": parsed.errors,
        "result": result,
        "links": entity_links(db.session, result.items),
        "names": label_maps(db.session, [d for e in result.items for d in (e.before, e.after)]),
        "people": people_for_select(db.session),
        "workstreams": workstreams_for_select(db.session),
        "page_url": lambda n: url_for("audit.activity", **filters.to_args(page=n)),
    }
    return render("audit/activity.html", block="results",
                  status=400 if parsed.errors else 200, **context)
