"""`/activity`: the audit trail, newest first, filtered by person, workstream and dates."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from portal import lookups
from portal.audit import queries
from portal.audit.models import AuditEvent
from portal.audit.queries import ActivityFilters
from portal.clock import in_zone
from portal.extensions import db
from portal.program.clock import viewer_zone
from portal.vocab import AUDIT_KINDS
from portal.web import render

bp = Blueprint("audit", __name__)


@dataclass
class ParsedActivity:
    filters: ActivityFilters
    errors: list[str] = field(default_factory=list)


def parse_activity_filters(args) -> ParsedActivity:
    """Reads `person`, `workstream`, `kind`, `from`, `to`, `page`; a nonsense value is
    reported and left out."""
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

    kind = (args.get("kind") or "").strip() or None
    if kind is not None and kind not in AUDIT_KINDS:
        errors.append(f"kind: {kind[:40]!r} is not a kind of change; choose one of "
                      f"{', '.join(AUDIT_KINDS.values())}. It was ignored.")
        kind = None

    raw_page = (args.get("page") or "1").strip()
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) < 7 else 0
    if page < 1:
        errors.append(f"page: {raw_page[:40]!r} is not a page number; showing page 1.")
        page = 1
    filters = ActivityFilters(person=ident("person"), workstream=ident("workstream"),
                              date_from=day("from"), date_to=day("to"), kind=kind,
                              page=page)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors.append("to: the range ends before it starts; the dates were ignored.")
        filters = ActivityFilters(person=filters.person, workstream=filters.workstream,
                                  kind=filters.kind, page=page)
    return ParsedActivity(filters, errors)


ENTITY_ENDPOINTS = {"action_item": ("actions.detail", "item_id"),
                    "person": ("people.detail", "person_id"),
                    "workstream": ("workstreams.detail", "workstream_id")}


def entity_links(session: Session, events: list[AuditEvent]) -> dict[tuple[str, int], str]:
    """A link for each event's entity that still exists (one statement per kind)."""
    links: dict[tuple[str, int], str] = {}
    for kind, ids in queries.existing_entities(session, events, tuple(ENTITY_ENDPOINTS)).items():
        endpoint, arg = ENTITY_ENDPOINTS[kind]
        for ident in ids:
            links[(kind, ident)] = url_for(endpoint, **{arg: ident})
    return links


@bp.get("/activity", endpoint="activity")
def activity_view():
    """Every recorded change, newest first, with who, what, before -> after, when and via;
    times (and the days of the date filters) in the viewer's time zone."""
    parsed = parse_activity_filters(request.args)
    filters = parsed.filters
    zone, own_zone = viewer_zone(current_user.person)
    result = queries.activity(db.session, filters, zone)
    context = {
        "zone": zone,
        "own_zone": own_zone,
        "local": lambda moment: in_zone(moment, zone),
        "kinds": AUDIT_KINDS,
        "filters": filters,
        "filter_errors": parsed.errors,
        "result": result,
        "links": entity_links(db.session, result.items),
        "names": lookups.label_maps(db.session,
                                    [d for e in result.items for d in (e.before, e.after)]),
        "people": lookups.people_for_select(db.session),
        "workstreams": lookups.workstreams_for_select(db.session, archived=True),
        "page_url": lambda n: url_for("audit.activity", **filters.to_args(page=n)),
    }
    return render("audit/activity.html", block="results",
                  status=400 if parsed.errors else 200, **context)
