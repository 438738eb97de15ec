"""The import pages: choose a note, preview what it changes, commit it in one transaction.

The note travels from the preview to the commit as a base64 copy of its exact bytes in
a hidden field, with the fingerprint of the plan that was shown. The commit parses it
again and rebuilds the plan; when the fingerprint differs, the portal changed meanwhile
(another import, an edited item, a new person) and nothing is written: the user gets a
409 with the new preview to check and commit.
"""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from portal.audit.log import Actor
from portal.auth.permissions import permission_required
from portal.extensions import db
from portal.notes.apply import ImportPlan, ImportResult, apply, build_plan
from portal.notes.commands import import_notes_command
from portal.notes.forms import (
    FORM_MEMORY_BYTES,
    FORM_PARTS,
    MAX_NOTE_BYTES,
    ChoiceError,
    CommitForm,
    ImportForm,
    encode_note,
    read_choices,
    too_large_message,
)
from portal.notes.parse import NoteError, parse_note
from portal.program.clock import program_today
from portal.web import render

bp = Blueprint("notes", __name__, cli_group=None)
bp.cli.add_command(import_notes_command)

STALE_MESSAGE = (
    "The portal changed after this preview was made (another import, or an edit to the "
    "people or items it touches), so nothing was written. Check the updated preview "
    "below and import again."
)


@bp.url_value_preprocessor
def _room_for_a_note(endpoint, values):
    """Let this area's forms hold a whole note (the default allows 500 KB of fields).

    A URL preprocessor runs before every before_request function, so the limit is in
    place before the CSRF check first reads the form.
    """
    request.max_form_memory_size = FORM_MEMORY_BYTES
    request.max_form_parts = FORM_PARTS


@bp.errorhandler(413)
def _too_large(error):
    """A request over the portal's size limit: said beside the file field, not as a crash."""
    form = ImportForm(formdata=None)
    form.note_file.errors = [too_large_message()]
    return render("notes/new.html", block="import", status=413, form=form)


#: Up to this many options in all the owner selects together, each select lists every
#: choice (and works without JavaScript); above it, the choices are one shared list that
#: portal.js copies into a select when it is first reached.
INLINE_CHOICES = 5_000


def _without_program():
    """With no program there is nothing to import into: the page says so, links to the
    setup, and nothing is read or written (409 for a note sent anyway)."""
    from portal.program.setup import current

    if current(db.session) is not None:
        return None
    return render("notes/new.html", block="import", status=409 if request.method == "POST"
                  else 200, form=ImportForm(formdata=None), no_program=True)


def _myself_id() -> int | None:
    return current_user.person_id


def _today():
    return program_today()


def _people_choices():
    from portal.people.models import Person

    return db.session.execute(
        select(Person.id, Person.name, Person.kind).order_by(Person.name, Person.id)
    ).all()


def _preview(plan: ImportPlan, data: bytes | str, source_name: str, *, fingerprint: str,
             status: int = 200, message: str | None = None):
    commit_form = CommitForm(formdata=None, note_data=encode_note(data),
                             source_name=source_name, fingerprint=fingerprint)
    people = _people_choices()
    inline = len(plan.owners) * (len(people) + len(plan.new_people)) <= INLINE_CHOICES
    return render("notes/preview.html", block="import", status=status, plan=plan,
                  commit_form=commit_form, people=people, message=message,
                  max_mb=MAX_NOTE_BYTES // (1024 * 1024), inline_choices=inline,
                  refresh_url=url_for("notes.refresh_preview"))


@bp.get("/imports/new")
@permission_required("import_notes")
def new_import():
    """The upload-or-paste form."""
    refused = _without_program()
    if refused is not None:
        return refused
    return render("notes/new.html", block="import", form=ImportForm(formdata=None))


@bp.post("/imports/preview")
@permission_required("import_notes")
def preview_import():
    """Read the note and show what importing it would do; nothing is written."""
    refused = _without_program()
    if refused is not None:
        return refused
    form = ImportForm()
    source = form.note_source() if form.validate_on_submit() else None
    if source is None:
        return render("notes/new.html", block="import", status=422, form=form)
    data, name, field = source
    try:
        note = parse_note(data)
        plan = build_plan(db.session, note, myself_id=_myself_id(), source_name=name,
                          today=_today())
    except NoteError as error:
        field.errors = [str(error)]
        return render("notes/new.html", block="import", status=422, form=form)
    return _preview(plan, data, name, fingerprint=plan.fingerprint)


@bp.post("/imports/refresh")
@permission_required("import_notes")
def refresh_preview():
    """An owner or workstream chosen in the preview (htmx): the counts, the warnings and
    the matches as the import would now be, swapped in place; nothing is written."""
    form = CommitForm()
    data = form.note_bytes() if form.validate_on_submit() else None
    if data is None:
        return "The preview could not be read back; choose the note again.", 400
    name = (form.source_name.data or "")[:200]
    try:
        base = build_plan(db.session, parse_note(data), myself_id=_myself_id(),
                          source_name=name, today=_today())
        plan = build_plan(db.session, base.note, myself_id=base.myself_id, source_name=name,
                          overrides=read_choices(request.form, base), today=base.today)
    except (NoteError, ChoiceError) as error:
        return str(error), 422
    trigger = request.headers.get("HX-Trigger-Name", "")
    changed = None  # which owner's parts to send: all, one, or (a workstream) none
    if trigger.startswith("owner-") and trigger[6:].isdigit():
        changed = int(trigger[6:])
    elif trigger.startswith("ws-"):
        changed = -1
    response = current_app.make_response(
        render_template("notes/_refresh.html", plan=plan, changed=changed))
    response.vary.add("HX-Request")
    return response


@bp.post("/imports/commit")
@permission_required("import_notes")
def commit_import():
    """Apply the previewed note with the choices made, in one transaction."""
    refused = _without_program()
    if refused is not None:
        return refused
    form = CommitForm()
    data = form.note_bytes() if form.validate_on_submit() else None
    name = (form.source_name.data or "")[:200]
    if data is None:
        return _start_over("The preview could not be read back; choose the note again.")
    try:
        note = parse_note(data)
        base = build_plan(db.session, note, myself_id=_myself_id(), source_name=name,
                          today=_today())
        overrides = read_choices(request.form, base)
    except (NoteError, ChoiceError) as error:
        return _start_over(str(error))
    if base.fingerprint != form.fingerprint.data:
        return _stale(data, name, base, overrides)
    try:
        result = apply(db.session, base, Actor.for_user(current_user, via="import"), overrides)
        db.session.commit()
    except NoteError:  # a person or workstream chosen in the preview is gone
        db.session.rollback()
        return _stale(data, name, base, {})
    except (IntegrityError, StaleDataError):  # someone committed the same rows first
        db.session.rollback()
        base = build_plan(db.session, note, myself_id=_myself_id(), source_name=name,
                          today=_today())
        return _stale(data, name, base, overrides)
    return _result(result.plan, result if result.changed_anything else None)


def _result(plan: ImportPlan, result: ImportResult | None):
    """The result page: what was written (or that nothing needed to be)."""
    created = list(zip(plan.created, result.created_ids, strict=True)) if result else []
    updated = list(zip(plan.updated, result.updated_ids, strict=True)) if result else []
    return render("notes/result.html", block="import", result=result, plan=plan,
                  created_items=created, updated_items=updated,
                  item_url=lambda item_id: url_for("actions.detail", item_id=item_id),
                  actions_url=url_for("actions.index"))


def _start_over(message: str):
    form = ImportForm(formdata=None)
    form.note_file.errors = [message]
    return render("notes/new.html", block="import", status=400, form=form)


def _stale(data: bytes, name: str, base: ImportPlan, overrides: dict):
    """The plan changed since the preview: nothing is written.

    When there is nothing left to do (the same note was just imported, or this very
    commit was sent twice) the result says so; otherwise the new preview is shown with
    409, keeping the choices the user made where they still apply.
    """
    try:
        plan = build_plan(db.session, base.note, myself_id=base.myself_id, source_name=name,
                          overrides=overrides, today=base.today) if overrides else base
    except NoteError:
        plan = base
    if not plan.has_changes:
        return _result(plan, None)
    return _preview(plan, data, name, fingerprint=base.fingerprint, status=409,
                    message=STALE_MESSAGE)
