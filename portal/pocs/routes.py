"""The POC board, the timeline, the customers and the hyperscalers: thin views over
sequencing, service and hyperscalers."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from portal import lookups
from portal.actions.models import ActionItem
from portal.audit.log import Actor
from portal.auth.permissions import can, permission_required
from portal.extensions import db
from portal.forms import ConfirmForm, field_error
from portal.pagecache import cached_page
from portal.pocs import hyperscalers as scalers
from portal.pocs import queries, sequencing, service, timeline
from portal.pocs.cards import CardWriter
from portal.pocs.forms import (
    CustomerForm,
    HyperscalerForm,
    LinkToPocForm,
    MoveForm,
    PocForm,
    RankForm,
    StageForm,
)
from portal.pocs.models import Customer, Hyperscaler, Poc
from portal.program.clock import program_today
from portal.program.pages import setup_args
from portal.program.queries import current_program
from portal.web import htmx_redirect, render

bp = Blueprint("pocs", __name__)


def _actor() -> Actor:
    return Actor.for_user(current_user)


def _with_choices(form: PocForm) -> PocForm:
    form.set_choices(queries.customers_by_name(db.session),
                     lookups.hyperscalers_for_select(db.session),
                     lookups.people_for_select(db.session))
    return form


def _new_poc_form(formdata=None) -> PocForm:
    return _with_choices(PocForm(formdata=formdata) if formdata is not None else PocForm())


def _board_page(*, notice=None, error=None, status=200, open_card=None, poc_form=None,
                block="board"):
    """The board page (or its `board` block for htmx) with the checks, and the add form
    when `poc_form` is given.

    `open_card` is the id of the POC whose move and stage controls are shown; the other
    cards show a link that opens theirs (all controls on all cards would make a large
    board's page megabytes long)."""
    board = sequencing.board(db.session)
    warnings = sequencing.sequencing_checks(db.session, program_today(), board)
    return render("pocs/board.html", block=block, status=status, board=board,
                  warnings=warnings, notice=notice, error=error,
                  open_card=open_card, poc_form=poc_form,
                  rank_order=",".join(str(c.hyperscaler.id) for c in board.columns))


@bp.get("/pocs")
@cached_page
def board():
    """One column per hyperscaler in rank order, POCs in sequence, with the checks.

    `?card=<poc id>` shows that card's controls (the "Move…" link of a card without
    JavaScript); `?add=1` the form to add a POC (`&customer=<id>` chooses the customer),
    which is not on the board otherwise: its customer and people lists are long."""
    poc_form = None
    if request.args.get("add") and can(current_user, "edit_program"):
        poc_form = _new_poc_form()
        poc_form.customer_id.data = request.args.get("customer", type=int)
    return _board_page(open_card=request.args.get("card", type=int), poc_form=poc_form)


def _open_card(poc_id: int) -> int | None:
    """The card to keep open after a change posted from its controls (they send `open`)."""
    return poc_id if request.form.get("open") else None


def _back_to_board(poc_id: int):
    card = _open_card(poc_id)
    return redirect(url_for("pocs.board", card=card, _anchor=f"poc-{poc_id}"), code=303)


def _board_changed(notice: str, poc_id: int | None = None):
    """How a change made on the board answers: the board with its notice for htmx; else
    the notice flashed and the board again, at the changed card (kept open if it was)
    when there is one."""
    if request.htmx:
        return _board_page(notice=notice,
                           open_card=None if poc_id is None else _open_card(poc_id))
    flash(notice, "success")
    if poc_id is None:
        return redirect(url_for("pocs.board"), code=303)
    return _back_to_board(poc_id)


@bp.get("/pocs/<int:poc_id>/card")
def card(poc_id: int):
    """One card, its controls open (`open=1`) or closed (`open=0`), for htmx.

    `expected` is the board token the page holds: if the board changed since, the answer
    is the whole board as it is now (retargeted), so the controls never act on an order
    the user does not see. Without htmx: the board page with the card open."""
    want_open = request.args.get("open", "1") != "0"
    db.get_or_404(Poc, poc_id)
    if not request.htmx:
        return _board_page(open_card=poc_id if want_open else None)
    if request.args.get("expected", "") != sequencing.current_token(db.session):
        response = _board_page(open_card=poc_id if want_open else None,
                               notice="The board changed since you loaded it. Here it is "
                                      "as it is now.")
        response.headers["HX-Retarget"] = "#pocs-board"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    view = sequencing.card(db.session, poc_id) or abort(404)
    write = CardWriter(editor=can(current_user, "edit_program"),
                       open_card=poc_id if want_open else None,
                       token=request.args["expected"], targets=view.targets)
    response = make_response(str(write(view.poc, view.size, view.action_count)))
    response.vary.add("HX-Request")
    return response


@bp.post("/pocs/<int:poc_id>/move")
@permission_required("edit_program")
def move(poc_id: int):
    """Moves a POC within or across columns (drag and drop, or the move buttons)."""
    db.get_or_404(Poc, poc_id)
    form = MoveForm()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        return _board_page(error=message, status=422, open_card=_open_card(poc_id))
    hyperscaler_id, position = form.target
    open_card = _open_card(poc_id)
    try:
        expected = sequencing.parse_token(form.expected.data)
        poc = sequencing.reorder(db.session, _actor(), poc_id, hyperscaler_id, position, expected)
        notice = (f"Moved {poc.customer.name} to position {poc.position} on "
                  f"{poc.hyperscaler.name}.")
        db.session.commit()
    except sequencing.SequencingError as error:
        db.session.rollback()
        return _board_page(error=error.message, status=422, open_card=open_card)
    except (sequencing.StaleBoard, StaleDataError) as error:
        db.session.rollback()
        message = getattr(error, "message", sequencing.STALE_MESSAGE)
        return _board_page(error=message, status=409, open_card=open_card)
    return _board_changed(notice, poc_id)


@bp.post("/pocs/<int:poc_id>/stage")
@permission_required("edit_program")
def change_stage(poc_id: int):
    """The stage select of a card; a stale card gets 409 with who changed what."""
    poc = db.get_or_404(Poc, poc_id)
    form = StageForm()
    if not form.validate():
        field, messages = next(iter(form.errors.items()))
        text = "Choose one of the stages in the list." if field == "stage" else messages[0]
        return _board_page(error=f"{poc.customer.name}: {text}", status=422,
                           open_card=_open_card(poc_id))
    open_card = _open_card(poc_id)
    try:
        service.change_stage(db.session, _actor(), poc, form.stage.data, form.version.data)
        notice = f"{poc.customer.name} on {poc.hyperscaler.name} is now {form.stage.data}."
        db.session.commit()
    except service.VersionConflict as error:
        db.session.rollback()
        return _board_page(error=f"{poc.customer.name}: {error.message}", status=409,
                           open_card=open_card)
    except StaleDataError:
        db.session.rollback()
        return _board_page(error=sequencing.STALE_MESSAGE, status=409, open_card=open_card)
    return _board_changed(notice, poc_id)


@bp.post("/pocs")
@permission_required("edit_program")
def create():
    """Adds a POC at the end of its hyperscaler's sequence."""
    form = _new_poc_form(request.form)
    if form.validate():
        try:
            poc = service.create_poc(db.session, _actor(), _values(form))
            db.session.commit()
        except service.PocInputError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            flash(f"Added {poc.customer.name}'s POC on {poc.hyperscaler.name}.", "success")
            return htmx_redirect(url_for("pocs.board", _anchor=f"poc-{poc.id}"))
    return _board_page(poc_form=form, status=422, block="add_poc")


def _values(form: PocForm) -> service.PocValues:
    return service.PocValues(
        customer_id=form.customer_id.data, hyperscaler_id=form.hyperscaler_id.data,
        stage=form.stage.data, planned_start=form.planned_start.data,
        planned_end=form.planned_end.data, owner_id=form.owner_id.data,
        offer_type=form.offer_type.data,
        success_criteria=(form.success_criteria.data or "").strip(),
        notes=(form.notes.data or "").strip())


def _load_poc(poc_id: int) -> Poc:
    return queries.poc(db.session, poc_id) or abort(404)


def _poc_page(poc: Poc, form: PocForm | None = None, status: int = 200, error: str | None = None,
              link_error: str | None = None, block: str | None = "poc_form"):
    if form is None and can(current_user, "edit_program"):
        form = PocForm(obj=poc, formdata=None)
        form.version.data = str(poc.version)
    if form is not None:
        _with_choices(form)
    items = queries.item_choices(db.session, poc) if can(current_user, "edit_program") else {}
    return render("pocs/poc.html", block=block, status=status, poc=poc, form=form,
                  error=error, link_error=link_error, item_choices=items)


@bp.get("/pocs/<int:poc_id>")
def detail(poc_id: int):
    """A POC: its facts, success criteria, notes and linked action items; leads edit here."""
    return _poc_page(_load_poc(poc_id))


@bp.post("/pocs/<int:poc_id>")
@permission_required("edit_program")
def update(poc_id: int):
    """Saves the edit form; a stale form answers 409 with who changed what."""
    poc = _load_poc(poc_id)
    form = _with_choices(PocForm())
    if not form.validate():
        return _poc_page(poc, form, 422)
    try:
        service.update_poc(db.session, _actor(), poc, _values(form), form.version_value())
        db.session.commit()
    except service.PocInputError as error:
        db.session.rollback()
        field_error(form, error)
        return _poc_page(poc, form, 422)
    except (service.VersionConflict, StaleDataError) as error:
        db.session.rollback()
        message = getattr(error, "message", sequencing.STALE_MESSAGE)
        return _poc_page(_load_poc(poc_id), None, 409, error=message)
    flash("Saved.", "success")
    return htmx_redirect(url_for("pocs.detail", poc_id=poc_id))


@bp.post("/pocs/<int:poc_id>/items")
@permission_required("edit_program")
def link_item(poc_id: int):
    """Links an action item, chosen by its title on the POC's page, to the POC; `item_id`
    may also be a number typed as `12` or `#12` (older forms)."""
    return _change_links(poc_id, service.link_item, request.form.get("item_id", ""),
                         done="Action item linked.")


@bp.post("/pocs/<int:poc_id>/items/<int:item_id>/unlink")
@permission_required("edit_program")
def unlink_item(poc_id: int, item_id: int):
    """Removes an action item from the POC."""
    return _change_links(poc_id, service.unlink_item, item_id, done="Action item unlinked.")


def _change_links(poc_id: int, change, argument, *, done: str):
    """Runs a link change and commits; bad input shows its message beside the link form."""
    try:
        change(db.session, _actor(), _load_poc(poc_id), argument)
        db.session.commit()
    except service.PocInputError as error:
        db.session.rollback()
        return _poc_page(_load_poc(poc_id), status=422, link_error=error.message, block=None)
    flash(done, "success")
    return htmx_redirect(url_for("pocs.detail", poc_id=poc_id))


def _link_to_poc_page(item: ActionItem, form: LinkToPocForm | None = None, status: int = 200):
    """An action item's POCs and the select to link it to another, by name."""
    linked = queries.pocs_of_item(db.session, item.id)
    form = form or LinkToPocForm(formdata=None)
    form.set_choices(queries.poc_choices(db.session, exclude={p.id for p in linked}))
    return render("pocs/link_item.html", status=status, item=item, linked=linked, form=form,
                  poc_name=service.poc_name)


@bp.get("/pocs/link-item/<int:item_id>")
@permission_required("edit_program")
def link_to_poc(item_id: int):
    """Links an action item to a POC chosen by name ("Customer · Hyperscaler"): the item's
    side of the POC page's link form."""
    return _link_to_poc_page(db.get_or_404(ActionItem, item_id))


@bp.post("/pocs/link-item/<int:item_id>")
@permission_required("edit_program")
def link_to_poc_save(item_id: int):
    """An unknown, stale or already linked POC answers 422 beside the select."""
    item = db.get_or_404(ActionItem, item_id)
    form = LinkToPocForm()
    if form.validate():
        try:
            poc = service.link_item_to_poc(db.session, _actor(), item_id, form.poc_id.data)
            name = service.poc_name(poc)
            db.session.commit()
        except service.PocInputError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            flash(f"Linked “{item.title}” to {name}.", "success")
            return htmx_redirect(url_for("pocs.link_to_poc", item_id=item_id))
    return _link_to_poc_page(db.session.get(ActionItem, item_id), form, 422)


@bp.post("/pocs/hyperscalers/<int:hyperscaler_id>/rank")
@permission_required("edit_program")
def rank(hyperscaler_id: int):
    """Raises or lowers a hyperscaler's priority (swaps with its neighbour)."""
    db.get_or_404(Hyperscaler, hyperscaler_id)
    form = RankForm()
    if not form.validate() or form.expected_ids() is None:
        return _board_page(error="Reload the page and try again.", status=422)
    try:
        scaler = sequencing.change_rank(db.session, _actor(), hyperscaler_id,
                                        form.direction.data, form.expected_ids())
        notice = f"{scaler.name} is now priority {scaler.rank}."
        db.session.commit()
    except sequencing.SequencingError as error:
        db.session.rollback()
        return _board_page(error=error.message, status=422)
    except sequencing.StaleBoard as error:
        db.session.rollback()
        return _board_page(error=error.message, status=409)
    return _board_changed(notice)


@bp.get("/pocs/timeline")
@cached_page
def timeline_page():
    """The planned dates as a Gantt, with the program's milestones and today."""
    board = sequencing.board(db.session)
    program = current_program(db.session)
    milestones = [(m.name, m.due_date) for m in program.milestones] if program else []
    chart = timeline.build([(c.hyperscaler, c.pocs) for c in board.columns], milestones,
                           program_today())
    return render("pocs/timeline.html", chart=chart, program=program, board=board)


# --- hyperscalers ----------------------------------------------------------------------

def _hyperscalers_page(*, status: int = 200, add_form: HyperscalerForm | None = None,
                       notice: str | None = None, error: str | None = None,
                       rename: tuple[int, str, str] | None = None):
    """The hyperscalers in priority order with their POC counts (two statements);
    `rename` is (id, value, message) of a refused rename, shown on its row."""
    rows = queries.hyperscalers_with_counts(db.session)
    editor = can(current_user, "edit_program")
    return render("pocs/hyperscalers.html", block="hyperscalers", status=status, rows=rows,
                  editor=editor, add_form=add_form or HyperscalerForm(formdata=None),
                  confirm_form=ConfirmForm(formdata=None), notice=notice, error=error,
                  rename=rename, rank_order=",".join(str(s.id) for s, _ in rows),
                  setup=setup_args())


def _hyperscalers_done(notice: str):
    if request.htmx:
        return _hyperscalers_page(notice=notice)
    flash(notice, "success")
    return redirect(url_for("pocs.hyperscalers", **setup_args()), code=303)


def _hyperscalers_refused(error, status: int, **context):
    db.session.rollback()
    return _hyperscalers_page(status=status, error=getattr(error, "message", str(error)),
                              **context)


@bp.get("/pocs/hyperscalers")
def hyperscalers():
    """The clouds the POCs run on, in priority order; leads add, rename, reorder and retire
    them here."""
    return _hyperscalers_page()


@bp.post("/pocs/hyperscalers")
@permission_required("edit_program")
def hyperscaler_add():
    form = HyperscalerForm()
    if form.validate_on_submit():
        try:
            scaler = scalers.add_hyperscaler(db.session, _actor(), form.name.data)
            db.session.commit()
        except sequencing.SequencingError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            return _hyperscalers_done(f"Added {scaler.name} with priority {scaler.rank}.")
    return _hyperscalers_page(status=422, add_form=form)


@bp.post("/pocs/hyperscalers/<int:hyperscaler_id>/rename")
@permission_required("edit_program")
def hyperscaler_rename(hyperscaler_id: int):
    form = HyperscalerForm()
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()))[0]
        return _hyperscalers_page(status=422, rename=(hyperscaler_id, form.name.data or "",
                                                      message))
    try:
        old = db.session.get(Hyperscaler, hyperscaler_id)
        old_name = old.name if old else None
        scaler = scalers.rename_hyperscaler(db.session, _actor(), hyperscaler_id,
                                            form.name.data, form.expected_name.data or None)
        db.session.commit()
    except sequencing.StaleBoard as error:
        return _hyperscalers_refused(error, 409)
    except sequencing.SequencingError as error:
        db.session.rollback()
        return _hyperscalers_page(status=422, rename=(hyperscaler_id, form.name.data or "",
                                                      error.message))
    if scaler.name == old_name:
        return _hyperscalers_done(f"{scaler.name} keeps its name.")
    return _hyperscalers_done(f"Renamed {old_name} to {scaler.name}.")


@bp.post("/pocs/hyperscalers/<int:hyperscaler_id>/move")
@permission_required("edit_program")
def hyperscaler_move(hyperscaler_id: int):
    """One place up (a higher priority) or down; the page's order comes along, so a move
    on an order that changed meanwhile is refused."""
    form = RankForm()
    if not form.validate_on_submit() or form.expected_ids() is None:
        return _hyperscalers_page(status=422, error="Reload the page and try again.")
    try:
        scaler = sequencing.change_rank(db.session, _actor(), hyperscaler_id,
                                        form.direction.data, form.expected_ids())
        notice = f"{scaler.name} is now priority {scaler.rank}."
        db.session.commit()
    except sequencing.StaleBoard as error:
        return _hyperscalers_refused(error, 409)
    except sequencing.SequencingError as error:
        return _hyperscalers_refused(error, 422)
    return _hyperscalers_done(notice)


@bp.post("/pocs/hyperscalers/<int:hyperscaler_id>/retire")
@permission_required("edit_program")
def hyperscaler_retire(hyperscaler_id: int):
    """Removes a hyperscaler without POCs; one with POCs is refused (409), saying why."""
    if not ConfirmForm().validate_on_submit():
        return _hyperscalers_page(status=400, error="Reload the page and try again.")
    try:
        name = scalers.retire_hyperscaler(db.session, _actor(), hyperscaler_id)
        db.session.commit()
    except sequencing.SequencingError as error:
        return _hyperscalers_refused(error, 409)
    return _hyperscalers_done(f"Retired {name}.")


# --- customers -------------------------------------------------------------------------

def _customer_form(formdata=None, obj=None) -> CustomerForm:
    form = CustomerForm(formdata=formdata, obj=obj)
    if obj is not None and formdata is None:
        form.hyperscalers.data = [h.id for h in obj.hyperscalers]
    form.set_choices(lookups.hyperscalers_for_select(db.session),
                     lookups.people_for_select(db.session))
    return form


def _customers_page(form=None, status=200):
    customers = queries.customers_page(db.session)
    if form is None and can(current_user, "edit_program"):
        form = _customer_form()
    # The form's block answers its own POST; any GET is the whole page.
    block = "add_customer" if request.method == "POST" else None
    return render("pocs/customers.html", block=block, status=status, customers=customers,
                  form=form)


@bp.get("/pocs/customers")
def customers():
    """The target customers, the hyperscalers they consider and their POCs."""
    return _customers_page()


@bp.post("/pocs/customers")
@permission_required("edit_program")
def create_customer():
    form = _customer_form(request.form)
    if form.validate():
        try:
            customer = _save_customer(form, None)
            db.session.commit()
        except service.PocInputError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            flash(f"Added {customer.name}.", "success")
            return htmx_redirect(url_for("pocs.customers"))
    return _customers_page(form, 422)


def _save_customer(form: CustomerForm, customer: Customer | None) -> Customer:
    return service.save_customer(
        db.session, _actor(), customer, name=form.name.data, segment=form.segment.data or "",
        account_owner_id=form.account_owner_id.data, notes=form.notes.data or "",
        hyperscaler_ids=form.hyperscalers.data or [])


def _load_customer(customer_id: int) -> Customer:
    return queries.customer(db.session, customer_id) or abort(404)


@bp.get("/pocs/customers/<int:customer_id>")
def customer(customer_id: int):
    """A customer; leads edit it here."""
    item = _load_customer(customer_id)
    form = _customer_form(obj=item) if can(current_user, "edit_program") else None
    # The form's block answers its own POST; any GET is the whole page.
    return render("pocs/customer.html", customer=item, form=form)


@bp.post("/pocs/customers/<int:customer_id>")
@permission_required("edit_program")
def update_customer(customer_id: int):
    item = _load_customer(customer_id)
    form = _customer_form(request.form)
    if form.validate():
        try:
            _save_customer(form, item)
            db.session.commit()
        except service.PocInputError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            flash("Saved.", "success")
            return htmx_redirect(url_for("pocs.customer", customer_id=customer_id))
    return render("pocs/customer.html", block="customer_form", status=422,
                  customer=_load_customer(customer_id), form=form)
