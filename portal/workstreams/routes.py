"""Workstream pages: the list, one workstream with its RAG history, exit criteria,
dependencies and action items; archiving. Leads and admins change; everyone reads."""
from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import lookups
from portal.audit.conflicts import ConflictView, conflict_rows
from portal.audit.log import Actor
from portal.auth.permissions import can, permission_required
from portal.extensions import db
from portal.forms import ConfirmForm, field_error
from portal.pagecache import cached_page
from portal.program import readiness
from portal.program.clock import program_today
from portal.program.models import StatusUpdate, Workstream
from portal.program.pages import in_setup, not_set_up, setup_args
from portal.program.queries import current_program
from portal.program.readiness import HealthRule, program_readiness, workstream_figures
from portal.text import keyword_text
from portal.web import error_page, htmx_redirect, page_figures, render, wants_fragment
from portal.workstreams import service
from portal.workstreams.forms import (
    CriterionForm,
    CriterionMoveForm,
    CriterionToggleForm,
    RagForm,
    WorkstreamForm,
)

bp = Blueprint("workstreams", __name__)

TEMPLATE_INDEX = "workstreams/index.html"
TEMPLATE_DETAIL = "workstreams/detail.html"
# The blocks of the workstream page that show its figures, outside the readiness card
# (whose own response carries them) and with it: what a change made on the page moves.
HEAD_BLOCKS = ("badges", "flags")
FIGURE_BLOCKS = (*HEAD_BLOCKS, "readiness_figures")


def _actor() -> Actor:
    return Actor.for_user(current_user)


def _program_or_404():
    """The program without its parts: a workstream's page reads its figures its own way,
    and its edit form and conflict panel (the only users of the other workstreams) load
    them when they are shown."""
    program = current_program(db.session, milestones=False, workstreams=False)
    if program is None:
        abort(404)
    return program


@cache
def _workstream_statement():
    """A workstream with what its page shows of it, built once (the id a bind parameter)."""
    return select(Workstream).where(Workstream.id == bindparam("workstream_id")).options(
        joinedload(Workstream.lead),
        selectinload(Workstream.criteria),
    )  # its dependencies are read as rows (`service.neighbours`)


def _workstream_or_404(workstream_id: int) -> Workstream:
    ws = db.session.scalar(_workstream_statement(), {"workstream_id": workstream_id})
    if ws is None:
        abort(404)
    return ws


# --- the list -------------------------------------------------------------------------

def _index_page(form: WorkstreamForm | None = None, status: int = 200, block: str | None = None):
    program = current_program(db.session)
    if program is None:
        return not_set_up(409 if request.method == "POST" else 200, what="The workstream list")
    figures = workstream_figures(db.session, program.id, program_today(),
                                 rule=HealthRule.of(program))
    people = lookups.people_for_select(db.session)
    if form is None:
        form = WorkstreamForm(formdata=None)
    form.set_choices(people, program.active_workstreams)
    by_id = {ws.id: ws for ws in program.workstreams}
    graph = service.dependency_graph(db.session, program.id)
    blocked_by = {ws_id: [by_id[i] for i in sorted(ids, key=lambda i: by_id[i].position)]
                  for ws_id, ids in graph.items()}
    return render(TEMPLATE_INDEX, block=block, status=status, program=program,
                  figures=figures, workstreams=by_id, blocked_by=blocked_by,
                  overall=program_readiness(figures), form=form, today=program_today(),
                  open_form=request.args.get("new") == "1" or in_setup(),
                  archived=program.archived_workstreams, setup=setup_args(),
                  confirm_form=ConfirmForm(formdata=None))


@bp.get("/workstreams")
@cached_page
def index():
    """Every workstream of the program with its figures; leads add new ones here."""
    return _index_page()


@bp.post("/workstreams")
@permission_required("edit_program")
def create():
    """A new workstream; on success the browser goes to its page (back to the list while
    setting up the program, for the next one)."""
    program = current_program(db.session)
    if program is None:
        return not_set_up(409, what="The workstream list")
    form = WorkstreamForm()
    form.set_choices(lookups.people_for_select(db.session), program.active_workstreams)
    if form.validate_on_submit():
        try:
            ws = service.create_workstream(
                db.session, _actor(), program, name=form.name.data, lead_id=form.lead_id.data,
                description=form.description.data, target_date=form.target_date.data,
                gating=form.gating.data, keywords=form.keywords.data,
                depends_on_ids=form.depends_on.data or [],
            )
        except service.WorkstreamError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            flash(f"Workstream {ws.name} created.", "success")
            if in_setup():
                return redirect(url_for("workstreams.index", setup=1), code=303)
            return redirect(url_for("workstreams.detail", workstream_id=ws.id), code=303)
    return _index_page(form, status=422, block="create_form")


# --- one workstream -------------------------------------------------------------------

def _page_number() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 7 and int(raw) > 0 else 1


def _edit_form(ws: Workstream, program, edit_form: WorkstreamForm | None = None,
               all_choices: bool = False) -> tuple[WorkstreamForm, list]:
    """The edit form (the saved values unless given) with its choices, and the people it
    lists. The lead select lists its current choice only and portal.js loads everyone when
    it is first reached, as the action list's owner selects do; everyone is listed without
    JavaScript (?choices=all) and for a conflict, whose panel names past leads."""
    if edit_form is None:
        edit_form = WorkstreamForm(formdata=None, obj=ws)
        edit_form.depends_on.data = [d.id for d in ws.depends_on]
        edit_form.version.data = str(ws.version)
    people = (lookups.people_for_select(db.session) if all_choices else
              lookups.people_by_ids(db.session, [edit_form.lead_id.data]))
    edit_form.set_choices(people, program.active_workstreams, exclude_id=ws.id)
    return edit_form, people


def _detail_page(ws: Workstream, *, block: str | None = None, status: int = 200,
                 edit_form: WorkstreamForm | None = None, rag_form: RagForm | None = None,
                 criterion_form: CriterionForm | None = None, message: str | None = None,
                 oob_blocks: tuple[str, ...] = (), oob_version: bool = False,
                 conflict: ConflictView | None = None,
                 conflict_rows: list[dict] | None = None):
    from portal.actions.queries import Filters, search

    today = program_today()
    program = _program_or_404()
    figure = next(iter(workstream_figures(db.session, program.id, today,
                                          rule=HealthRule.of(program), only=ws.id)), None)
    history = list(db.session.scalars(
        select(StatusUpdate).where(StatusUpdate.workstream_id == ws.id)
        .options(joinedload(StatusUpdate.author))
        .order_by(StatusUpdate.created_at.desc(), StatusUpdate.id.desc())
    ))
    page = search(db.session, Filters(workstream=ws.id, page=_page_number()), today)
    # The edit form sits in a closed panel that most views never open: it is rendered with
    # the page only when open (?edit=1 without JavaScript, a refused save, a conflict, or
    # ?choices=all); a closed panel fetches it when first opened (`edit_form`).
    all_choices = conflict is not None or request.args.get("choices") == "all"
    editor = can(current_user, "edit_program")
    people = []
    if editor and (edit_form is not None or all_choices or request.args.get("edit") == "1"):
        edit_form, people = _edit_form(ws, program, edit_form, all_choices)
    rag_form = rag_form or RagForm(formdata=None, rag=ws.rag)
    criterion_form = criterion_form or CriterionForm(formdata=None)
    return render(
        TEMPLATE_DETAIL, block=block, status=status, oob_blocks=oob_blocks, ws=ws,
        program=program, figure=figure,
        health_rule=HealthRule.of(program),
        history=history, page=page, items=page.items, all_choices=all_choices,
        neighbours=service.neighbours(db.session, ws.id),
        return_to=request.full_path.rstrip("?")
        if request.method == "GET" else url_for("workstreams.detail", workstream_id=ws.id),
        edit_form=edit_form, rag_form=rag_form, criterion_form=criterion_form,
        confirm_form=ConfirmForm(formdata=None), message=message, oob=False,
        oob_version=oob_version,
        editor=editor, edit_url=url_for("workstreams.edit_form", workstream_id=ws.id),
        conflict=conflict,
        conflict_rows=conflict_rows or [],
        # Names for ids in audit values (the conflict panel).
        conflict_names={"lead_id": {p.id: p.name for p in people},
                        "depends_on": {w.id: w.name for w in program.workstreams}}
        if conflict else {},
        page_url=lambda n: url_for("workstreams.detail", workstream_id=ws.id, page=n) + "#items",
    )


@bp.get("/workstreams/<int:workstream_id>")
@cached_page
def detail(workstream_id: int):
    """One workstream: status and history, readiness and exit criteria, dependencies, items."""
    return _detail_page(_workstream_or_404(workstream_id), block="items")


@bp.get("/workstreams/<int:workstream_id>/edit")
@permission_required("edit_program")
def edit_form(workstream_id: int):
    """The edit panel's form, for htmx when the closed panel first opens; without htmx,
    the page with the panel open."""
    if not wants_fragment():
        return redirect(url_for("workstreams.detail", workstream_id=workstream_id, edit=1,
                                _anchor="edit"))
    ws = _workstream_or_404(workstream_id)
    form, _ = _edit_form(ws, _program_or_404())
    return render(TEMPLATE_DETAIL, block="edit_form", ws=ws, edit_form=form,
                  all_choices=False, conflict=None)


@page_figures("workstreams.detail")
def _figures(view_args: dict, args) -> str:
    """After an item's change in the page's table: the workstream's badges, flag and
    readiness figures, out of band (the same blocks the page renders)."""
    ws = db.session.get(Workstream, view_args["workstream_id"])
    program = current_program(db.session)
    if ws is None or program is None:
        return ""
    figures = workstream_figures(db.session, program.id, program_today(),
                                 rule=HealthRule.of(program))
    figure = next((f for f in figures if f.workstream_id == ws.id), None)
    return "".join(render_block(TEMPLATE_DETAIL, name, oob=True, ws=ws, figure=figure)
                   for name in FIGURE_BLOCKS)


def _submitted(form: WorkstreamForm) -> dict:
    """The edit form's values shaped as the stored ones are (for the conflict table)."""
    return {
        "name": " ".join((form.name.data or "").split()),
        "lead_id": form.lead_id.data,
        "description": (form.description.data or "").strip(),
        "target_date": form.target_date.data.isoformat() if form.target_date.data else None,
        "gating": bool(form.gating.data),
        "keywords": keyword_text(form.keywords.data),
        "depends_on": sorted(set(form.depends_on.data or [])),
    }


def _conflict_page(workstream_id: int, form: WorkstreamForm):
    """409, nothing saved: who changed what since the form was opened, their values beside
    the editor's. The editor's values stay in the form with the current version, so saving
    again puts them over the other change knowingly."""
    db.session.rollback()
    try:
        conflict = service.conflict_details(db.session, workstream_id, form.version_number)
    except LookupError:
        abort(404)
    ws = _workstream_or_404(workstream_id)
    form.version.data = str(ws.version)
    rows = conflict_rows(conflict, _submitted(form), service.FORM_FIELDS)
    return _detail_page(ws, block="edit", status=409, edit_form=form, conflict=conflict,
                        conflict_rows=rows)


@bp.post("/workstreams/<int:workstream_id>")
@permission_required("edit_program")
def update(workstream_id: int):
    """Saves the edit form; a stale version answers 409, saves nothing and shows the other
    change beside the editor's values."""
    ws = _workstream_or_404(workstream_id)
    program = _program_or_404()
    form = WorkstreamForm()
    form.set_choices(lookups.people_for_select(db.session), program.active_workstreams,
                     exclude_id=ws.id)
    if form.validate_on_submit():
        try:
            changed = service.update_workstream(
                db.session, _actor(), ws, version=form.version_number, name=form.name.data,
                lead_id=form.lead_id.data, description=form.description.data,
                target_date=form.target_date.data, gating=form.gating.data,
                keywords=form.keywords.data, depends_on_ids=form.depends_on.data or [],
            )
            db.session.commit()
        except (service.StaleWorkstream, StaleDataError):
            # StaleDataError: someone saved between our read and our write.
            return _conflict_page(workstream_id, form)
        except service.WorkstreamError as error:
            db.session.rollback()
            ws = _workstream_or_404(workstream_id)
            field_error(form, error)
        else:
            flash("Saved." if changed else "Nothing to save: no field changed.", "success")
            return htmx_redirect(url_for("workstreams.detail", workstream_id=ws.id))
    return _detail_page(ws, block="edit", status=422, edit_form=form)


@bp.post("/workstreams/<int:workstream_id>/status")
@permission_required("edit_program")
def set_status(workstream_id: int):
    """A new owner-reported RAG, with its note; amber and red need one."""
    ws = _workstream_or_404(workstream_id)
    form = RagForm()
    if form.validate_on_submit():
        try:
            service.set_rag(db.session, _actor(), ws, form.rag.data, form.note.data)
        except service.WorkstreamError as error:
            db.session.rollback()
            ws = _workstream_or_404(workstream_id)
            field_error(form, error)
        else:
            db.session.commit()
            if not request.htmx:
                flash(f"Status of {ws.name} is now {ws.rag}.", "success")
                return redirect(url_for("workstreams.detail", workstream_id=ws.id), code=303)
            ws = _workstream_or_404(workstream_id)
            # The reported badge, the disagreement flag and the readiness meter (coloured
            # by the worse of reported and computed) follow, out of band.
            return _detail_page(ws, block="status", message=f"Status is now {ws.rag}.",
                                oob_blocks=FIGURE_BLOCKS, oob_version=True)
    return _detail_page(ws, block="status", status=422, rag_form=form)


@bp.post("/workstreams/<int:workstream_id>/archive")
@permission_required("edit_program")
def archive(workstream_id: int):
    """Takes the workstream out of the lists, figures, summary and import suggestions."""
    return _archive_call(workstream_id, service.archive_workstream,
                         "{name} is archived: it left the lists and the figures; its items "
                         "and history stay, and it can be unarchived below.")


@bp.post("/workstreams/<int:workstream_id>/unarchive")
@permission_required("edit_program")
def unarchive(workstream_id: int):
    return _archive_call(workstream_id, service.unarchive_workstream,
                         "{name} is back in the lists and the figures.")


def _archive_call(workstream_id: int, call, done: str):
    ws = _workstream_or_404(workstream_id)
    if not ConfirmForm().validate_on_submit():
        return error_page(400)
    try:
        call(db.session, _actor(), ws)
        db.session.commit()
    except service.WorkstreamError as error:
        db.session.rollback()
        return error_page(409, f"{error} Reload the page to see it as it is now.")
    flash(done.format(name=ws.name), "success")
    return htmx_redirect(url_for("workstreams.detail", workstream_id=ws.id))


# --- exit criteria ----------------------------------------------------------------------

def _criteria_done(ws_id: int, message: str | None = None):
    """After a criteria change: the readiness block for htmx, a redirect otherwise."""
    db.session.commit()
    if not request.htmx:
        if message:
            flash(message, "success")
        return redirect(url_for("workstreams.detail", workstream_id=ws_id) + "#readiness",
                        code=303)
    return _detail_page(_workstream_or_404(ws_id), block="readiness", message=message,
                        oob_blocks=HEAD_BLOCKS)


def _criterion_call(ws: Workstream, call, *args):
    try:
        call(db.session, _actor(), ws, *args)
    except LookupError:
        db.session.rollback()
        return error_page(404, "That exit criterion does not exist (any more). Reload the page.")
    except service.WorkstreamError as error:
        db.session.rollback()
        return error_page(422, str(error))
    return None


@bp.post("/workstreams/<int:workstream_id>/criteria")
@permission_required("edit_program")
def criterion_add(workstream_id: int):
    ws = _workstream_or_404(workstream_id)
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            service.add_criterion(db.session, _actor(), ws, form.text.data, form.weight.data)
        except service.WorkstreamError as error:
            db.session.rollback()
            ws = _workstream_or_404(workstream_id)
            field_error(form, error)
        else:
            return _criteria_done(ws.id, "Exit criterion added.")
    return _detail_page(ws, block="readiness", status=422, criterion_form=form)


@bp.post("/workstreams/<int:workstream_id>/criteria/<int:criterion_id>/toggle")
@permission_required("edit_program")
def criterion_toggle(workstream_id: int, criterion_id: int):
    """Ticks (done=1) or unticks (done=0) a criterion; the readiness follows."""
    ws = _workstream_or_404(workstream_id)
    form = CriterionToggleForm()
    if not form.validate_on_submit():
        return error_page(422, "Say whether the criterion is met (done=1) or not (done=0).")
    failed = _criterion_call(ws, service.set_criterion_done, criterion_id, form.done.data == "1")
    return failed or _criteria_done(ws.id)


@bp.post("/workstreams/<int:workstream_id>/criteria/<int:criterion_id>/move")
@permission_required("edit_program")
def criterion_move(workstream_id: int, criterion_id: int):
    ws = _workstream_or_404(workstream_id)
    form = CriterionMoveForm()
    if not form.validate_on_submit():
        return error_page(422, "Move a criterion up or down.")
    failed = _criterion_call(ws, service.move_criterion, criterion_id, form.direction.data)
    return failed or _criteria_done(ws.id)


@bp.post("/workstreams/<int:workstream_id>/criteria/<int:criterion_id>/delete")
@permission_required("edit_program")
def criterion_delete(workstream_id: int, criterion_id: int):
    ws = _workstream_or_404(workstream_id)
    if not ConfirmForm().validate_on_submit():
        return error_page(400)
    failed = _criterion_call(ws, service.delete_criterion, criterion_id)
    return failed or _criteria_done(ws.id, "Exit criterion removed.")


@bp.app_template_global()
def readiness_explained(rule: HealthRule) -> list[str]:
    """The formula under the program's health rule, in readiness.py's words."""
    return readiness.explanation(rule)


@bp.app_template_global()
def readiness_in_short(rule: HealthRule) -> str:
    return readiness.short_explanation(rule)


@bp.app_template_global()
def health_rule_in_words(rule: HealthRule) -> str:
    return readiness.health_sentence(rule)
