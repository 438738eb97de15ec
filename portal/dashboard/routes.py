"""The program lead's home page."""
from flask import Blueprint

from portal.extensions import db
from portal.program.queries import current_program
from portal.web import render

bp = Blueprint("dashboard", __name__)


@bp.get("/")
def index():
    """Days left, next milestones and every workstream at a glance."""
    return render("dashboard/index.html", program=current_program(db.session))
