"""The program lead's home page: what is late, what is at risk, who owns it."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, redirect, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block

from portal.auth.permissions import can
from portal.dashboard.queries import dashboard_figures, load_dashboard
from portal.extensions import db
from portal.pagecache import cached_page
from portal.program.checklist import setup_checklist
from portal.program.clock import program_today
from portal.program.pages import not_set_up
from portal.program.queries import current_program
from portal.program.readiness import DUE_SOON_DAYS
from portal.reminders.policy import unremindable_items
from portal.summary.outlook import outlook
from portal.web import page_figures, render

bp = Blueprint("dashboard", __name__)

UNREMINDABLE_LIMIT = 8
TEMPLATE = "dashboard/index.html"
# The blocks of the page that show figures about items: what an inline change moves.
FIGURE_BLOCKS = ("program_line", "kpis", "late_owners", "flags", "ws_cards", "overdue_head",
                 "due_week_head", "mine_head")


@bp.get("/")
@cached_page
def index():
    """Days left, the next milestones, every workstream at a glance and the lists that need
    attention. A fixed number of statements whatever the number of items."""
    session = db.session
    program = current_program(session, workstreams=False)  # the cards read theirs as figures
    if program is None:
        if can(current_user, "edit_program"):
            return redirect(url_for("program.setup"))
        return not_set_up(what="The dashboard")
    today = program_today()
    board = load_dashboard(session, program, today, current_user.person_id)
    checklist = None
    if can(current_user, "edit_program"):
        checklist = setup_checklist(session, program, today)
    return render(
        TEMPLATE, program=program, board=board,
        outlook=outlook(session, program, today, current_app.config["PORTAL_FORECAST_WEEKS"]),
        return_to="/",
        unremindable=unremindable_items(session, limit=UNREMINDABLE_LIMIT, whole=False),
        week_end=today + timedelta(days=DUE_SOON_DAYS),
        checklist=None if checklist is None or checklist.done else checklist,
    )


@page_figures("dashboard.index")
def figures(view_args: dict, args) -> str:
    """After an item's change in one of the lists: the dashboard's figures, out of band,
    from the blocks the page renders. The lists themselves stay as they are (the changed
    row is swapped in place), so only `dashboard_figures` is read."""
    program = current_program(db.session, workstreams=False)
    if program is None:
        return ""
    today = program_today()
    board = dashboard_figures(db.session, program, today, current_user.person_id)
    return "".join(
        render_block(TEMPLATE, name, oob=True, program=program, board=board,
                     week_end=today + timedelta(days=DUE_SOON_DAYS))
        for name in FIGURE_BLOCKS)
