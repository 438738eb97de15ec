"""The executive readiness summary: one page, its JSON twin, both read-only."""
from __future__ import annotations

import json
from datetime import date, timedelta

from flask import Blueprint, current_app, jsonify, request, url_for

from portal.auth.permissions import permission_required
from portal.clock import short_date
from portal.extensions import db
from portal.pagecache import cached_page
from portal.program.clock import program_today
from portal.program.pages import not_set_up
from portal.program.queries import current_program
from portal.summary import charts
from portal.summary.history import first_data_day
from portal.summary.report import Summary, SummaryError, build_summary, parse_as_of
from portal.templating import id_url
from portal.vocab import OPEN_STATUSES
from portal.web import render

bp = Blueprint("summary", __name__)


class Links:
    """Where each number of the summary leads: the filtered /actions list, the workstream
    page. A workstream's links come from one URL pattern each (`id_url`): the page has
    fifty rows of them."""

    def __init__(self, today: date):
        self.today = today

    def actions(self, workstream: int | None = None, **filters) -> str:
        if workstream is not None:
            return id_url("actions.index", "workstream", workstream, **filters)
        return url_for("actions.index", **filters)

    def open_items(self, workstream: int | None = None) -> str:
        return self.actions(workstream, status=OPEN_STATUSES)

    def overdue(self, workstream: int | None = None) -> str:
        return self.actions(workstream, overdue=1, sort="due")

    def done(self, workstream: int | None = None) -> str:
        return self.actions(workstream, status="done", sort="updated")

    def item(self, item_id: int) -> str:
        return id_url("actions.detail", "item_id", item_id)

    def workstream(self, workstream_id: int) -> str:
        return id_url("workstreams.detail", "workstream_id", workstream_id)

    def pocs(self) -> str:
        return url_for("pocs.board")


def _load(raw_as_of: str | None) -> Summary | None:
    """The summary for today or the as-of day; SummaryError for a bad day."""
    today = program_today()
    as_of = None
    if raw_as_of is not None and raw_as_of.strip():
        program = current_program(db.session)
        first = first_data_day(db.session, program.id) if program else None
        as_of = parse_as_of(raw_as_of, today, first)
    return build_summary(db.session, today, as_of, current_app.config["PORTAL_FORECAST_WEEKS"])


def chart_context(summary: Summary) -> dict:
    """Geometry of the trend charts, the forecast's burn-up and the milestone timeline."""
    day = summary.day
    start = day - timedelta(days=83)
    trend = summary.trend
    readiness = charts.line_chart(
        start, day, [("Readiness", "readiness", {p.day: p.readiness for p in trend})],
        percent=True)
    items = charts.line_chart(
        start, day, [("Open items", "open", {p.day: p.open for p in trend}),
                     ("Overdue items", "overdue", {p.day: p.overdue for p in trend})])
    target = summary.program.target_date
    milestones = [(m.name, m.due_date) for m in summary.milestones]
    if not any(d == target for _, d in milestones):
        milestones.append(("Readiness date", target))
    return {"readiness_chart": readiness, "items_chart": items,
            "forecast_chart": charts.forecast_fan(
                {p.day: p.done for p in trend}, summary.forecast.program, day, target),
            "timeline": charts.timeline(
                milestones, day, target,
                today_label=short_date(day) if summary.historical else "Today")}


@bp.get("/summary")
@cached_page
@permission_required("read")
def index():
    """One page: will the program be ready for its date, and why (or as it stood on a day)."""
    raw = request.args.get("as_of")
    try:
        summary = _load(raw)
    except SummaryError as error:
        program = current_program(db.session)
        return render("summary/bad_date.html", status=400, message=str(error),
                      raw_as_of=raw, today=program_today(),
                      first_day=first_data_day(db.session, program.id) if program else None)
    if summary is None:
        return not_set_up(what="The summary")
    return render("summary/index.html", summary=summary, links=Links(program_today()),
                  first_day=first_data_day(db.session, summary.program.id),
                  **chart_context(summary))


@bp.get("/summary.json")
@cached_page
@permission_required("read")
def as_json():
    """The summary's figures for other dashboards; the same numbers as the page."""
    try:
        summary = _load(request.args.get("as_of"))
    except SummaryError as error:
        return jsonify({"error": str(error)}), 400
    if summary is None:
        return jsonify({"error": "The program is not set up yet: an admin or a program "
                                 "lead sets it up at /setup."}), 404
    # HTML-safe JSON (\u003c for "<" and so on): the same data once parsed, and never
    # markup should a browser or a careless consumer render it.
    body = (json.dumps(summary.as_json(), ensure_ascii=False, sort_keys=True)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response
