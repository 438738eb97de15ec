"""Action-item pages: the filtered list with inline and bulk edits, the item page, the
export. Thin views: permission -> form -> service -> one commit -> render or 303."""
from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from portal import lookups
from portal.actions import fields, queries, service
from portal.actions.export import export_rows, to_csv
from portal.actions.forms import (
    BulkForm,
    CancelForm,
    CommentForm,
    DeleteForm,
    StatusForm,
    edit_form,
    item_form,
    row_form,
)
from portal.actions.models import ActionItem, Comment
from portal.actions.rows import RowWriter
from portal.audit.conflicts import conflict_rows
from portal.audit.log import Actor, last_event_id
from portal.audit.models import AuditEvent
from portal.auth.permissions import (
    can,
    can_change_item,
    can_comment_on,
    permission_required,
    refusal_of_change,
)
from portal.extensions import db
from portal.forms import ConfirmForm, field_error
from portal.numbers import bounded_int
from portal.pagecache import cached_page
from portal.program.clock import program_today
from portal.vocab import ACTION_STATUSES, OPEN_STATUSES, PRIORITIES, label
from portal.web import (
    error_page,
    figures_out_of_band,
    found,
    htmx_redirect,
    page_figures,
    render,
    safe_return,
    wants_fragment,
)

bp = Blueprint("actions", __name__)
# What a table's rows' ids may start with (the dashboard lists an item more than once).
_ID_PREFIX = re.compile(r"[^a-z-]")

def _actor() -> Actor:
    return Actor.for_user(current_user)


def _item_or_404(item_id: int) -> ActionItem:
    return found(queries.get_item(db.session, item_id))


def _list_url(filters: queries.Filters, **changes) -> str:
    return url_for("actions.index", **filters.to_args(**changes))


def list_context(args, **extra) -> dict:
    """Everything the list page needs, in a fixed number of statements."""
    parsed = queries.parse_filters(args)
    filters = parsed.filters
    today = program_today()
    chips = _count_chips(filters, today)
    page = queries.search(db.session, filters, today, total=chips["counts"].total)
    editor = can(current_user, "edit_program")
    create_form = extra.get("create_form")
    bulk_form = extra.get("bulk_form")
    # The owner and workstream selects list only their current choice; portal.js loads
    # the others on demand. Without JavaScript, "?choices=all" (a link beside each
    # select) lists them all.
    all_choices = args.get("choices") == "all"
    if all_choices:
        people = lookups.people_for_select(db.session)
        workstreams = lookups.workstreams_for_select(db.session, keep=filters.workstream)
    else:
        people = lookups.people_by_ids(db.session, [
            filters.owner, create_form.owner_id.data if create_form else None,
            bounded_int(bulk_form.owner.data, 1) if bulk_form else None])
        workstreams = lookups.workstreams_by_ids(db.session, [
            filters.workstream, create_form.workstream_id.data if create_form else None,
            bounded_int(bulk_form.workstream.data, 1) if bulk_form else None])
    context = {
        "filters": filters,
        "filter_errors": parsed.errors,
        "page": page,
        "items": page.items,
        "people": people,
        "workstreams": workstreams,
        "return_to": url_for("actions.index", **filters.to_args()),
        **chips,
        "page_url": lambda n: _list_url(filters, page=n),
        "export_url": url_for("actions.export_csv", **filters.to_args(page=1)),
        "statuses": ACTION_STATUSES,
        "priorities": PRIORITIES,
        "sorts": queries.SORTS,
        "selectable": editor,
        "bulk_undo": bulk_undo_offer() if editor else None,
        "row_state": {},
        "all_choices": all_choices,
        "all_choices_url": url_for("actions.index", **filters.to_args(), choices="all"),
    }
    if editor:
        context["can_create"] = True
        context["new_url"] = url_for("actions.index", new=1, **filters.to_args(),
                                     _anchor="create-panel")
        if create_form or extra.get("create_open"):
            context["create_form"] = (create_form or item_form(formdata=None)).set_choices(
                people, workstreams)
        context["bulk_form"] = (bulk_form or BulkForm(formdata=None)).set_choices(
            people, workstreams)
    context.update({k: v for k, v in extra.items() if k not in ("create_form", "bulk_form")})
    return context


def _count_chips(filters, today) -> dict:
    """The list's count chips (open, overdue, due soon, done) and where each leads."""
    return {
        "counts": queries.counts(db.session, filters, today),
        "list_url": lambda **changes: _list_url(filters, **changes),
        "soon_url": _list_url(filters, due_from=today, due_to=today + timedelta(days=7),
                              status=OPEN_STATUSES, overdue=False, page=1),
    }


@page_figures("actions.index")
def _list_figures(view_args: dict, args: MultiDict) -> str:
    """The list's count chips under the filters of its URL, out of band."""
    filters = queries.parse_filters(args).filters
    return render_block("actions/index.html", "count_chips", oob=True,
                        **_count_chips(filters, program_today()))


def _args_of(return_to: str) -> MultiDict:
    return MultiDict(
        [(k, v) for k, values in parse_qs(urlsplit(return_to).query).items() for v in values]
    )


@bp.get("/actions")
@cached_page
def index():
    """The filtered, sorted, paginated list; htmx gets only the results block. `?new=1`
    (the "New item" link) renders the create panel open."""
    context = list_context(request.args, create_open=request.args.get("new") == "1")
    status = 400 if context["filter_errors"] else 200
    response = render("actions/index.html", block="results", status=status, **context)
    if wants_fragment():
        # Push the canonical URL (no empty parameters), so shared links stay short.
        response.headers["HX-Push-Url"] = context["return_to"]
    return response


@bp.get("/actions/new")
@permission_required("edit_program")
def new_form():
    """The create panel's form, for htmx when the closed panel first opens; without htmx,
    the list (under the same filters) with the panel open."""
    filters = queries.parse_filters(request.args).filters
    if not wants_fragment():
        return redirect(url_for("actions.index", new=1, **filters.to_args(),
                                _anchor="create-panel"))
    return render("actions/index.html", block="create_form", filters=filters,
                  create_form=item_form(formdata=None).set_choices([], []), all_choices=False)


@bp.post("/actions")
@permission_required("edit_program")
def create():
    """A new item from the panel above the list."""
    form = item_form()  # its choices are set by list_context; the service checks the ids
    if form.validate_on_submit():
        try:
            item = service.create_item(db.session, _actor(), program_today(), **form.values())
        except service.ActionError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            flash(f"Created “{item.title}”.", "success")
            return htmx_redirect(url_for("actions.detail", item_id=item.id))
    context = list_context(MultiDict(), create_form=form, create_open=True)
    return render("actions/index.html", block="create", status=422, **context)


# ----------------------------------------------------------------------------- item page

def _history(item_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "action_item", AuditEvent.entity_id == item_id)
        .options(joinedload(AuditEvent.actor_person), joinedload(AuditEvent.actor_user))
        .order_by(AuditEvent.id.desc()).limit(100)
    ))


def detail_context(item: ActionItem, **extra) -> dict:
    people = lookups.people_for_select(db.session)
    workstreams = lookups.workstreams_for_select(db.session, keep=item.workstream_id)
    history = _history(item.id)
    comments = list(db.session.scalars(
        select(Comment).where(Comment.action_item_id == item.id)
        .options(selectinload(Comment.author)).order_by(Comment.created_at, Comment.id)
    ))
    context = {
        "item": item,
        "people": people,
        "workstreams": workstreams,
        "history": history,
        "names": lookups.label_maps(db.session, [d for e in history for d in (e.before,
                                                                              e.after)]),
        "comments": comments,
        "field_labels": fields.labels(),
        "comment_form": CommentForm(formdata=None),
        "status_form": StatusForm(formdata=None, status=item.status, notes=item.notes,
                                  version=item.version),
        "delete_form": DeleteForm(formdata=None, version=item.version),
        "cancel_form": CancelForm(formdata=None, version=item.version),
        "conflict": None,
        "conflict_block": None,
    }
    if can(current_user, "edit_program"):
        form = edit_form(formdata=None, obj=item)
        form.version.data = item.version
        context["edit_form"] = form.set_choices(people, workstreams)
    context.update(extra)
    if context.get("edit_form") is not None:
        context["edit_form"].set_choices(people, workstreams)
    return context


@bp.get("/actions/<int:item_id>")
def detail(item_id: int):
    """An item's fields, history and comments, with the forms its viewer may use."""
    item = _item_or_404(item_id)
    return render("actions/detail.html", **detail_context(item))


def _conflict_response(item_id: int, expected: int | None, yours: dict, template_block: str,
                       make_form):
    """409: who changed what and when, their values beside yours; nothing saved."""
    db.session.rollback()
    try:
        conflict = service.conflict_details(db.session, item_id, expected)
    except service.ActionError as error:
        flash(error.message, "error")
        return htmx_redirect(url_for("actions.index"))
    item = _item_or_404(item_id)
    rows = conflict_rows(conflict, yours, fields.labels())
    names = lookups.label_maps(db.session, [conflict.current, yours] +
                               [d for e in conflict.events for d in (e.before, e.after)])
    form = make_form(item)
    context = detail_context(item, conflict=conflict, conflict_rows=rows,
                             conflict_block=template_block, **form)
    context["names"] = {**context["names"], **{
        k: {**context["names"].get(k, {}), **v} for k, v in names.items()}}
    return render("actions/detail.html", block=template_block, status=409, **context)


@bp.post("/actions/<int:item_id>")
@permission_required("edit_program")
def edit(item_id: int):
    """Save the edit form, unless someone saved a newer version first (409)."""
    item = _item_or_404(item_id)
    form = edit_form()
    people = lookups.people_for_select(db.session)
    workstreams = lookups.workstreams_for_select(db.session, keep=item.workstream_id)
    form.set_choices(people, workstreams)
    posted = form.values(request.form)
    if not can_change_item(current_user, item, posted.keys()):
        abort(403, description=refusal_of_change(current_user, item))
    if form.validate_on_submit():
        expected = bounded_int(form.version.data, 1)
        try:
            service.update_item(db.session, _actor(), item, posted,
                                expected_version=expected, today=program_today())
            db.session.commit()
        except service.ConflictError:
            def keep_mine(fresh):
                form.version.data = fresh.version  # saving again overwrites theirs
                return {"edit_form": form}
            return _conflict_response(item_id, expected, posted, "edit", keep_mine)
        except service.ActionError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            flash("Saved.", "success")
            return htmx_redirect(url_for("actions.detail", item_id=item_id))
    item = _item_or_404(item_id)
    return render("actions/detail.html", block="edit", status=422,
                  **detail_context(item, edit_form=form))


@bp.post("/actions/<int:item_id>/status")
def change_status(item_id: int):
    """The status form of the item page: leads, and owners on their own items (with the
    item's notes)."""
    if not can(current_user, "comment"):
        abort(403)
    item = _item_or_404(item_id)
    form = StatusForm()
    posted = form.values(request.form)
    if not can_change_item(current_user, item, posted.keys()):
        abort(403, description=refusal_of_change(current_user, item))
    if form.validate_on_submit():
        expected = bounded_int(form.version.data, 1)
        try:
            service.update_item(db.session, _actor(), item, posted,
                                expected_version=expected, today=program_today())
            db.session.commit()
        except service.ConflictError:
            def fresh_status(fresh):
                return {"status_form": StatusForm(formdata=None, version=fresh.version,
                                                  **posted)}
            return _conflict_response(item_id, expected, posted, "status", fresh_status)
        except service.ActionError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            flash("Saved." if "notes" in posted else f"Saved: Status {label(form.status.data)}.",
                  "success")
            return htmx_redirect(url_for("actions.detail", item_id=item_id))
    return render("actions/detail.html", block="status", status=422,
                  **detail_context(item, status_form=form))


@bp.post("/actions/<int:item_id>/cancel")
@permission_required("edit_program")
def cancel(item_id: int):
    """Cancel: the item stays, with status cancelled (the delete of non-admins)."""
    item = _item_or_404(item_id)
    if not can_change_item(current_user, item, {"status"}):
        abort(403, description=refusal_of_change(current_user, item))
    form = CancelForm()
    expected = bounded_int(form.version.data, 1)
    if not form.validate_on_submit() or expected is None:
        flash("Reload the page and try again: the form was incomplete.", "error")
        return render("actions/detail.html", status=422, **detail_context(item))
    try:
        service.cancel_item(db.session, _actor(), item, expected_version=expected,
                            today=program_today())
        db.session.commit()
    except service.ConflictError:
        return _conflict_response(item_id, expected, {"status": "cancelled"}, "status",
                                  lambda fresh: {})
    except service.ActionError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render("actions/detail.html", status=422, **detail_context(item))
    flash(f"Cancelled “{item.title}”.", "success")
    return htmx_redirect(url_for("actions.detail", item_id=item_id))


@bp.post("/actions/<int:item_id>/delete")
@permission_required("delete_items")
def delete(item_id: int):
    """Delete for good (admins), after ticking the confirmation."""
    item = _item_or_404(item_id)
    form = DeleteForm()
    expected = bounded_int(form.version.data, 1)
    if not form.validate_on_submit() or expected is None:
        return render("actions/detail.html", block="danger", status=422,
                      **detail_context(item, delete_form=form))
    title = item.title
    try:
        service.delete_item(db.session, _actor(), item, expected_version=expected)
        db.session.commit()
    except service.ConflictError:
        return _conflict_response(item_id, expected, {}, "danger", lambda fresh: {
            "delete_form": DeleteForm(formdata=None, version=fresh.version)})
    flash(f"Deleted “{title}”.", "success")
    return htmx_redirect(url_for("actions.index"))


@bp.post("/actions/<int:item_id>/comments")
def comment(item_id: int):
    """Add a comment: leads on any item, owners on their own."""
    if not can(current_user, "comment"):
        abort(403)
    item = _item_or_404(item_id)
    if not can_comment_on(current_user, item):
        abort(403)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            service.add_comment(db.session, _actor(), item, form.body.data)
        except service.ActionError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            if wants_fragment():
                return render("actions/detail.html", block="comments",
                              **detail_context(item))
            flash("Comment added.", "success")
            return htmx_redirect(url_for("actions.detail", item_id=item_id) + "#comments")
    return render("actions/detail.html", block="comments", status=422,
                  **detail_context(item, comment_form=form))


# ----------------------------------------------------------------------------- row edits

@bp.get("/actions/owner-options")
def owner_options():
    """The <option>s of a row's owner select, loaded when the select is first reached."""
    selected = request.args.get("selected")
    return render("actions/_owner_options.html", people=lookups.people_for_select(db.session),
                  selected=bounded_int(selected, 1))


@bp.get("/actions/workstream-options")
def workstream_options():
    """The <option>s of a workstream select, loaded when the select is first reached;
    `archived=1` adds the archived workstreams (the list's filter finds their items)."""
    archived = request.args.get("archived") == "1"
    return render("actions/_workstream_options.html",
                  workstreams=lookups.workstreams_for_select(db.session, archived=archived))


def _row_response(item: ActionItem, status: int, return_to: str, state: dict | None = None):
    """The one row for htmx; without JavaScript, the list page around it."""
    if state is None and not request.htmx:
        return htmx_redirect(return_to)
    row_state = {item.id: state} if state else {}
    if request.htmx:
        # The row fits the table it came from: with a tick column, without the
        # workstream line (portal.js sends the table's layout).
        html = str(RowWriter(
            current_user._get_current_object(), program_today(),
            selectable=can(current_user, "edit_program") and request.form.get("ticks") == "1",
            hide_workstream=request.form.get("hide_workstream") == "1",
            id_prefix=_ID_PREFIX.sub("", request.form.get("id_prefix", ""))[:20],
            row_state=row_state)(item))
        if status == 200:
            # The figures the row's change moves on the page it sits in (the list's count
            # chips, the dashboard's, the workstream's), swapped in out of band.
            html += figures_out_of_band(return_to)
        response = make_response(html, status)
        response.vary.add("HX-Request")
        return response
    context = list_context(_args_of(return_to), row_state=row_state)
    if item.id not in {i.id for i in context["items"]}:
        context["items"] = [item] + context["items"]
    return render("actions/index.html", status=status, **context)


def _row_errors(form) -> dict[str, str]:
    """A row form's errors by the name the row posts; the form-wide ones under "row"."""
    errors = {name: field.errors[0] for name, field in form._fields.items()
              if field.errors and name != "csrf_token"}
    if form.errors.get("csrf_token"):
        errors["row"] = "The form expired; reload the page."
    if "version" in errors:
        errors["row"] = errors.pop("version")
    return errors


def _row_conflict(item_id: int, expected: int | None) -> tuple[ActionItem, dict]:
    """The row as saved now, and the changes that came first (409)."""
    db.session.rollback()
    try:
        conflict = service.conflict_details(db.session, item_id, expected)
    except service.ActionError:
        abort(404)
    names = lookups.label_maps(db.session, [d for e in conflict.events
                                            for d in (e.before, e.after)])
    return (_item_or_404(item_id),
            {"conflict": conflict, "names": names, "values": {}, "errors": {}})


@bp.post("/actions/<int:item_id>/row")
def inline(item_id: int):
    """An edit in a table row (its columns of `portal.actions.fields`): the row comes back."""
    if not can(current_user, "comment"):
        abort(403)
    item = _item_or_404(item_id)
    form = row_form()
    changes = form.changes(request.form)
    if not can_change_item(current_user, item, changes.keys()):
        abort(403, description=refusal_of_change(current_user, item))
    return_to = safe_return(request.form.get("return_to"), url_for("actions.index"))
    raw = {name: request.form.get(name, "") for name in fields.by_row_name()
           if name in request.form}
    if not changes:
        return _row_response(item, 422, return_to,
                             {"errors": {"row": "Nothing to change."}, "values": raw})
    if not form.validate_on_submit():
        return _row_response(item, 422, return_to, {"errors": _row_errors(form), "values": raw})
    expected = bounded_int(form.version.data, 1)
    try:
        changed = service.update_item(db.session, _actor(), item, form.changes(request.form),
                                      expected_version=expected, today=program_today())
        db.session.commit()
    except service.ConflictError:
        item, state = _row_conflict(item_id, expected)
        return _row_response(item, 409, return_to, state)
    except service.ActionError as error:
        db.session.rollback()
        posted = {f.name: f.posted_as for f in fields.columns()}
        name = posted.get(error.field or "", error.field or "row")
        return _row_response(_item_or_404(item_id), 422, return_to,
                             {"errors": {name: error.message}, "values": raw})
    item = _item_or_404(item_id)
    if not request.htmx:
        flash("Saved." if changed else "Nothing changed.", "success")
    return _row_response(item, 200, return_to, {"saved": bool(changed)} if request.htmx
                         else None)


@bp.post("/actions/bulk")
@permission_required("edit_program")
def bulk():
    """One change over the ticked rows, in one transaction, with a summary."""
    form = BulkForm()  # its choices are set by list_context; the service checks the ids
    return_to = safe_return(form.return_to.data, url_for("actions.index"))
    if form.validate_on_submit():
        before = last_event_id(db.session)
        try:
            result = service.bulk_update(db.session, _actor(), form.ids.data, form.action.data,
                                         form.value(), today=program_today())
        except service.ActionError as error:
            db.session.rollback()
            target = {"days": form.days, "ids": form.ids, "action": form.action,
                      "status": form.status}.get(error.field or "", form.action)
            target.errors = list(target.errors) + [error.message]
        else:
            db.session.commit()
            flash(result.lines[0], "success")
            if result.changed:  # what "Undo" puts back: this change's audit events
                session["bulk_undo"] = {"events": [before + 1, last_event_id(db.session)],
                                        "what": result.lines[0], "at": int(time.time())}
            return htmx_redirect(return_to)
    context = list_context(_args_of(return_to), bulk_form=form)
    return render("actions/index.html", block="bulk", status=422, **context)


BULK_UNDO_SECONDS = 600


def bulk_undo_offer() -> dict | None:
    """The last bulk change of this session, while it can still be undone."""
    offer = session.get("bulk_undo")
    if offer and time.time() - offer.get("at", 0) <= BULK_UNDO_SECONDS:
        return offer
    return None


@bp.post("/actions/bulk/undo")
@permission_required("edit_program")
def bulk_undo():
    """Puts back the items of this session's last bulk change (those not changed since)."""
    offer = bulk_undo_offer()
    return_to = safe_return(request.form.get("return_to"), url_for("actions.index"))
    if not ConfirmForm().validate_on_submit() or offer is None:
        return error_page(409, "There is no recent bulk change to undo.")
    first, last = (bounded_int(n, 1) or 0 for n in offer["events"])
    result = service.undo_bulk(db.session, _actor(), first, last, program_today())
    db.session.commit()
    session.pop("bulk_undo", None)
    flash(result.lines[0], "success")
    return htmx_redirect(return_to)


# ----------------------------------------------------------------------------- export

@bp.get("/actions/export.csv")
def export_csv():
    """The (filtered) list as CSV for a spreadsheet: UTF-8 with a byte-order mark."""
    parsed = queries.parse_filters(request.args)
    if parsed.errors:
        body = "Cannot export: " + " ".join(message for _, message in parsed.errors) + "\n"
        return Response(body, status=400, mimetype="text/plain")
    text = to_csv(export_rows(db.session, parsed.filters, program_today()), bom=True)
    filename = f"action-items-{program_today().isoformat()}.csv"
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def query_string(args: dict) -> str:
    return urlencode(args, doseq=True)
