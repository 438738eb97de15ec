"""The program lead's home page: what is late, what is at risk, who owns it."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, redirect, url_for
from flask_login import current_user

from portal.auth.permissions import can
from portal.dashboard.queries import load_dashboard
from portal.extensions import db
from portal.program.checklist import setup_checklist
from portal.program.clock import program_today
from portal.program.pages import not_set_up
from portal.program.queries import current_program
from portal.program.readiness import DUE_SOON_DAYS
from portal.reminders.policy import unremindable_items
from portal.summary.outlook import outlook
from portal.web import render

bp = Blueprint("dashboard", __name__)

UNREMINDABLE_LIMIT = 8


@bp.get("/")
def index():
    """Days left, the next milestones, every workstream at a glance and the lists that need
    attention. A fixed number of statements whatever the number of items."""
    session = db.session
    program = current_program(session)
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
        "dashboard/index.html", program=program, board=board,
        outlook=outlook(session, program, today, current_app.config["PORTAL_FORECAST_WEEKS"]),
        workstreams=program.active_workstreams, return_to="/",
        unremindable=unremindable_items(session, limit=UNREMINDABLE_LIMIT),
        week_end=today + timedelta(days=DUE_SOON_DAYS),
        checklist=None if checklist is None or checklist.done else checklist,
    )
