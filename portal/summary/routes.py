"""The executive readiness summary."""
from flask import Blueprint

from portal.extensions import db
from portal.program.queries import current_program
from portal.web import render

bp = Blueprint("summary", __name__)


@bp.get("/summary")
def index():
    """One page: the date, the days left, and the gating workstreams."""
    return render("summary/index.html", program=current_program(db.session))
