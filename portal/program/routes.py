"""The program's own pages: setting it up, its page (name, readiness date, time zone,
description) and its milestones. Leads and admins change; everyone reads.

A new program is set up in steps, each on the page where the thing is kept later: the
program, its milestones, its hyperscalers (on the POC area), its workstreams. Those pages
show the steps while `?setup=1` is in their URL (their forms carry it along).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.conflicts import ConflictView, conflict_rows
from portal.audit.log import Actor
from portal.audit.models import AuditEvent
from portal.auth.permissions import can, permission_required
from portal.clock import reading_date
from portal.extensions import db
from portal.program import setup
from portal.program.checklist import setup_checklist
from portal.program.clock import program_today
from portal.program.forms import (
    MilestoneForm,
    ProgramForm,
    ProgramPageForm,
    VersionedConfirmForm,
)
from portal.program.models import Milestone, Program
from portal.program.pages import in_setup, not_set_up, setup_args
from portal.program.readiness import HealthRule
from portal.web import htmx_redirect, render

bp = Blueprint("program", __name__)

# The steps of setting up a program: (endpoint, title). Then the dashboard.
SETUP_STEPS = (
    ("program.setup", "Program"),
    ("program.milestones", "Milestones"),
    ("pocs.hyperscalers", "Hyperscalers"),
    ("workstreams.index", "Workstreams"),
)
# Fields of the program page, in its order, with their labels (the conflict table).
PROGRAM_LABELS = {"name": "Name", "target_date": "Readiness date", "timezone": "Time zone",
                  "description": "Description", "health_grace_days": "Grace period, days",
                  "health_min_share": "Minimum share of late items, %"}


def _actor() -> Actor:
    return Actor.for_user(current_user)


@dataclass(frozen=True)
class SetupFlow:
    """Where the current page stands in the setup steps."""

    steps: tuple[tuple[str, str], ...]
    index: int

    def url(self, index: int) -> str:
        """A step's page; once the program exists, its first step is the program page."""
        if index == 0:
            return url_for("program.edit")
        if index < len(self.steps):
            return url_for(self.steps[index][0], setup=1)
        return url_for("dashboard.index")

    @property
    def previous(self) -> str | None:
        return self.url(self.index - 1) if self.index > 0 else None

    @property
    def next(self) -> str:
        return self.url(self.index + 1)

    @property
    def next_title(self) -> str:
        return (self.steps[self.index + 1][1] if self.index + 1 < len(self.steps)
                else "the dashboard")


@bp.app_template_global()
def setup_flow() -> SetupFlow | None:
    """The setup steps for a page shown as one (`?setup=1`), else None."""
    endpoints = [endpoint for endpoint, _ in SETUP_STEPS]
    if not in_setup() or request.endpoint not in endpoints:
        return None
    return SetupFlow(SETUP_STEPS, endpoints.index(request.endpoint))


# --- no program yet -----------------------------------------------------------------------

# --- setup ----------------------------------------------------------------------------------

def _program_form(program: Program | None = None, formdata=None,
                  form_class: type[ProgramForm] = ProgramForm) -> ProgramForm:
    """The setup page's form (ProgramForm) or the program page's (ProgramPageForm)."""
    if formdata is not None:
        form = form_class(formdata=formdata)
    else:
        form = form_class(formdata=None, obj=program)
        if program is not None:
            form.version.data = str(program.version)
    form.set_zones(program.timezone if program else current_app.config["PORTAL_TIMEZONE"])
    return form


def _field_error(form, error: setup.SetupError) -> None:
    """Every message of a refused change beside its field (or above the form)."""
    for name, message in (error.problems or {None: error.message}).items():
        field = getattr(form, name or "", None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


def _valid(form: ProgramForm, program: Program | None = None) -> bool:
    """The form's own checks and the domain's for a new `program` (None) or a saved one, all
    shown at once (the domain's only for fields the form found nothing wrong with)."""
    valid = form.validate_on_submit()
    if form.errors.get("csrf_token"):
        return False
    saved_date = program.target_date if program is not None else None
    for name, message in setup.program_problems(form.values(), saved_date=saved_date).items():
        field = getattr(form, name)
        if not field.errors:
            field.errors = [*field.errors, message]
            valid = False
    return valid


@bp.route("/setup", methods=["GET", "POST"], endpoint="setup")
def setup_page():
    """Without a program: its form for leads and admins; everyone else reads who can set it
    up. With one: the setup checklist, each step linked to where it is done."""
    program = setup.current(db.session)
    if program is not None:
        if request.method == "POST":
            if not can(current_user, "edit_program"):
                abort(403)
            flash(setup.ProgramExists(program).message, "error")
            return redirect(url_for("program.edit"), code=303)
        return render("program/setup_done.html", program=program,
                      checklist=setup_checklist(db.session, program, program_today()))
    if not can(current_user, "edit_program"):
        if request.method == "POST":
            abort(403)
        return not_set_up()
    form = _program_form(formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and _valid(form):
        try:
            program = setup.create_program(db.session, _actor(), form.values())
            db.session.commit()
        except setup.SetupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            flash(f"{program.name} is set up. Next: its milestones.", "success")
            return redirect(url_for("program.milestones", setup=1), code=303)
    status = 422 if request.method == "POST" else 200
    return render("program/setup.html", status=status, form=form, steps=SETUP_STEPS)


# --- the program page -------------------------------------------------------------------------

def _conflict_rows(program: Program, form: ProgramForm) -> list[dict]:
    theirs = {"name": program.name, "target_date": program.target_date.isoformat(),
              "timezone": program.timezone, "description": program.description,
              "health_grace_days": program.health_grace_days,
              "health_min_share": program.health_min_share}
    yours = {"name": " ".join((form.name.data or "").split()),
             "target_date": form.target_date.data,
             "timezone": form.timezone.data, "description": (form.description.data or "").strip()}
    for name in ("health_grace_days", "health_min_share"):
        if form[name].data is not None:  # a field the post did not carry changes nothing
            yours[name] = _as_number(form[name].data)
    return conflict_rows(ConflictView(record=program, current=theirs), yours, PROGRAM_LABELS)


def _as_number(text: str) -> int | str:
    """A typed number as the number it is, so that 2 and "2" are no difference."""
    try:
        return int(text.strip())
    except ValueError:
        return text


def _last_change(program: Program) -> AuditEvent | None:
    return db.session.scalar(
        select(AuditEvent).where(AuditEvent.entity_type == "program",
                                 AuditEvent.entity_id == program.id)
        .options(joinedload(AuditEvent.actor_person), joinedload(AuditEvent.actor_user))
        .order_by(AuditEvent.id.desc()).limit(1))


def _program_page(program: Program, form: ProgramForm | None = None, status: int = 200,
                  conflict: list[dict] | None = None):
    editor = can(current_user, "edit_program")
    if editor and form is None:
        form = _program_form(program, form_class=ProgramPageForm)
    return render("program/edit.html", block="program_form", status=status, program=program,
                  health_rule=HealthRule.of(program),
                  form=form if editor else None, conflict=conflict,
                  last_change=_last_change(program) if conflict is not None else None)


@bp.get("/program")
def edit():
    """The program's name, readiness date, time zone, description and health rule; leads
    edit here."""
    program = setup.current(db.session)
    if program is None:
        return not_set_up()
    return _program_page(program)


@bp.post("/program")
@permission_required("edit_program")
def update():
    """Saves the program page; a stale form answers 409 with the saved values beside the
    editor's, who can then save again over them knowingly."""
    program = setup.current(db.session)
    if program is None:
        return not_set_up(409)
    form = _program_form(formdata=request.form, form_class=ProgramPageForm)
    if not _valid(form, program):
        return _program_page(program, form, 422)
    try:
        changed = setup.update_program(db.session, _actor(), program, form.values(),
                                       version=form.version_number)
        db.session.commit()
    except (setup.Stale, StaleDataError):
        db.session.rollback()
        program = db.session.get(Program, program.id, populate_existing=True)
        rows = _conflict_rows(program, form)
        form.version.data = str(program.version)
        return _program_page(program, form, 409, conflict=rows)
    except setup.SetupError as error:
        db.session.rollback()
        _field_error(form, error)
        return _program_page(program, form, 422)
    flash("Saved." if changed else "Nothing to save: no field changed.", "success")
    return htmx_redirect(url_for("program.edit"))


# --- milestones -----------------------------------------------------------------------------

def _milestones_page(program: Program, *, status: int = 200, add_form: MilestoneForm | None = None,
                     edit_forms: dict[int, MilestoneForm] | None = None,
                     message: str | None = None, error: str | None = None,
                     open_id: int | None = None):
    milestones = list(db.session.scalars(
        select(Milestone).where(Milestone.program_id == program.id)
        .order_by(Milestone.due_date, Milestone.id)))
    editor = can(current_user, "edit_program")
    forms = {}
    if editor:
        edit_forms = edit_forms or {}
        for milestone in milestones:
            form = edit_forms.get(milestone.id)
            if form is None:
                form = MilestoneForm(formdata=None, obj=milestone, prefix=f"m{milestone.id}")
                form.version.data = str(milestone.version)
            forms[milestone.id] = form
    return render("program/milestones.html", block="milestones", status=status,
                  program=program, milestones=milestones, editor=editor, edit_forms=forms,
                  add_form=(add_form or MilestoneForm(formdata=None)) if editor else None,
                  message=message, error=error, open_id=open_id, setup=setup_args())


def _milestones_done(program: Program, message: str):
    """After a change: the list in place for htmx, the page again otherwise."""
    if request.htmx:
        return _milestones_page(program, message=message)
    flash(message, "success")
    return redirect(url_for("program.milestones", **setup_args()), code=303)


def _program_or_not_set_up():
    program = setup.current(db.session)
    return program, (not_set_up(409) if program is None else None)


def _milestone_or_none(program: Program, milestone_id: int) -> Milestone | None:
    milestone = db.session.get(Milestone, milestone_id)
    return milestone if milestone is not None and milestone.program_id == program.id else None


def _milestone_to_change(milestone_id: int):
    """(program, milestone, None), or the answer that refuses: no program (409), or the
    milestone gone (404, with the list as it is now)."""
    program, refused = _program_or_not_set_up()
    if refused:
        return None, None, refused
    milestone = _milestone_or_none(program, milestone_id)
    if milestone is None:
        return program, None, _milestones_page(program, status=404, error=GONE)
    return program, milestone, None


GONE = "That milestone no longer exists: someone removed it. Here is the list as it is now."


@bp.get("/program/milestones")
def milestones():
    """The program's milestones by date; leads add, edit and remove them here."""
    program = setup.current(db.session)
    if program is None:
        return not_set_up()
    return _milestones_page(program)


@bp.post("/program/milestones")
@permission_required("edit_program")
def milestone_add():
    program, refused = _program_or_not_set_up()
    if refused:
        return refused
    form = MilestoneForm()
    if form.validate_on_submit():
        try:
            milestone = setup.add_milestone(db.session, _actor(), program, form.values())
            db.session.commit()
        except setup.SetupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            return _milestones_done(program, f"Added the milestone {milestone.name}.")
    return _milestones_page(program, status=422, add_form=form)


@bp.post("/program/milestones/<int:milestone_id>")
@permission_required("edit_program")
def milestone_update(milestone_id: int):
    program, milestone, refused = _milestone_to_change(milestone_id)
    if refused:
        return refused
    form = MilestoneForm(prefix=f"m{milestone_id}")
    if form.validate_on_submit():
        try:
            changed = setup.update_milestone(db.session, _actor(), milestone, form.values(),
                                             version=form.version_number)
            db.session.commit()
        except (setup.Stale, StaleDataError):
            db.session.rollback()
            milestone = _milestone_or_none(program, milestone_id)
            if milestone is None:
                return _milestones_page(program, status=404, error=GONE)
            db.session.refresh(milestone)
            return _milestones_page(program, status=409, error=(
                f"Someone else changed this milestone since you opened it; nothing was saved. "
                f"It now reads: {milestone.name}, {reading_date(milestone.due_date)}. Your values "
                "are still in its form: save again to put them over theirs."),
                edit_forms={milestone_id: _refreshed(form, milestone)}, open_id=milestone_id)
        except setup.SetupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            return _milestones_done(program, f"Saved the milestone {milestone.name}."
                                    if changed else "Nothing to save: no field changed.")
    return _milestones_page(program, status=422, edit_forms={milestone_id: form})


def _refreshed(form: MilestoneForm, milestone: Milestone) -> MilestoneForm:
    """The editor's values with the current version, so saving again is deliberate."""
    form.version.data = str(milestone.version)
    return form


@bp.post("/program/milestones/<int:milestone_id>/delete")
@permission_required("edit_program")
def milestone_delete(milestone_id: int):
    program, milestone, refused = _milestone_to_change(milestone_id)
    if refused:
        return refused
    form = VersionedConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    name = milestone.name
    try:
        setup.delete_milestone(db.session, _actor(), milestone, version=form.version_number)
        db.session.commit()
    except (setup.Stale, StaleDataError):
        db.session.rollback()
        return _milestones_page(program, status=409, error=(
            f"Someone else changed the milestone {name} since you opened the page; it was not "
            "removed. Check it below and remove it again if it should go."))
    return _milestones_done(program, f"Removed the milestone {name}.")
