"""People pages: the list of people and teams, and one person's page with their items.
Leads and admins edit; everyone else reads."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import lookups
from portal.actions import queries as action_queries
from portal.audit.conflicts import ConflictView, conflict_rows
from portal.audit.log import Actor
from portal.auth import mail, users
from portal.auth.forms import InviteForm
from portal.auth.mail import invitation_outcome
from portal.auth.permissions import can, can_grant_role, permission_required
from portal.clock import utcnow
from portal.extensions import db
from portal.forms import field_error
from portal.pagecache import cached_page
from portal.people import queries, service
from portal.people.forms import AliasForm, AliasRemoveForm, PersonForm
from portal.people.models import Person
from portal.program.clock import program_today
from portal.web import error_page, htmx_redirect, render

bp = Blueprint("people", __name__)


def _today():
    return program_today()


def _actor() -> Actor:
    return Actor.for_user(current_user)


def _page_number(raw: str | None) -> tuple[int, str | None]:
    raw = (raw or "1").strip()
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 6:
        return 1, f"page: {raw[:40]!r} is not a page number; showing page 1."
    return int(raw), None


def index_context(form=None, status_errors=None):
    q = " ".join((request.args.get("q") or "").split())[:120]
    missing = request.args.get("missing") == "1"
    page, error = _page_number(request.args.get("page"))
    errors = [error] if error else []
    result = queries.people_page(db.session, q, missing, page, _today())
    missing_count = queries.missing_email_count(db.session)

    def page_url(n):
        args = {"q": q or None, "missing": 1 if missing else None, "page": n}
        return url_for("people.index", **{k: v for k, v in args.items() if v})

    context = {"result": result, "q": q, "missing": missing, "missing_count": missing_count,
               "filter_errors": errors, "page_url": page_url}
    if can(current_user, "edit_program"):
        context["create_form"] = form or PersonForm(formdata=None)
    return context


@bp.get("/people")
@cached_page
def index():
    """Every person and team; those without an email (no reminders) stand out."""
    context = index_context()
    return render("people/index.html", block="results",
                  status=400 if context["filter_errors"] else 200, **context)


@bp.post("/people")
@permission_required("edit_program")
def create():
    """Add a person or team."""
    form = PersonForm()
    if form.validate_on_submit():
        try:
            person = service.create_person(db.session, _actor(), **form.values())
        except service.PersonError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            flash(f"Added {person.name}.", "success")
            return htmx_redirect(url_for("people.detail", person_id=person.id))
    return render("people/index.html", block="create", status=422,
                  **index_context(form=form), create_open=True)


def _person_or_404(person_id: int) -> Person:
    person = db.session.scalar(select(Person).where(Person.id == person_id)
                               .options(selectinload(Person.aliases)))
    if person is None:
        abort(404)
    return person


def detail_context(person: Person, **forms) -> dict:
    today = _today()
    page, error = _page_number(request.args.get("page"))
    filters = action_queries.Filters(owner=person.id, page=page)
    counts = action_queries.counts(db.session, filters, today)
    items_page = action_queries.search(db.session, filters, today, total=counts.total)
    context = {
        "person": person,
        "page": items_page,
        "items": items_page.items,
        "counts": counts,
        "people": lookups.people_for_select(db.session),
        "workstreams": lookups.workstreams_for_select(db.session),
        "return_to": url_for("people.detail", person_id=person.id,
                             **({"page": items_page.page} if items_page.page > 1 else {})),
        "page_url": lambda n: url_for("people.detail", person_id=person.id, page=n),
        "list_url": url_for("actions.index", owner=person.id),
        "filter_errors": [error] if error else [],
        "reminders_url": url_for("reminders.preferences", person_id=person.id),
        "selectable": False,
        "row_state": {},
    }
    context["login"] = users.login_of(db.session, person.id)
    if can(current_user, "edit_program"):
        invite_form = InviteForm(formdata=None)
        invite_form.role.choices = [c for c in invite_form.role.choices
                                    if can_grant_role(current_user, c.value)]
        context["invite_form"] = invite_form
        form = PersonForm(formdata=None, obj=person)
        form.email.data = person.email or ""
        form.timezone.data = person.timezone or ""
        context.update(person_form=form, alias_form=AliasForm(formdata=None),
                       remove_form=AliasRemoveForm(formdata=None))
    context.update(forms)
    return context


@bp.get("/people/<int:person_id>")
def detail(person_id: int):
    """A person's details, aliases and action items."""
    person = _person_or_404(person_id)
    context = detail_context(person)
    return render("people/detail.html", block="items",
                  status=400 if context["filter_errors"] else 200, **context)


@bp.post("/people/<int:person_id>")
@permission_required("edit_program")
def edit(person_id: int):
    person = _person_or_404(person_id)
    form = PersonForm()
    if form.validate_on_submit():
        try:
            changed = service.update_person(db.session, _actor(), person, **form.values(),
                                            version=form.version_number)
        except service.PersonStale:
            db.session.rollback()
            return _details_conflict(person_id, form)
        except service.PersonError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            flash("Saved." if changed else "Nothing changed.", "success")
            return htmx_redirect(url_for("people.detail", person_id=person_id))
    person = _person_or_404(person_id)
    return render("people/detail.html", block="edit", status=422,
                  **detail_context(person, person_form=form))


DETAIL_LABELS = {"name": "Name", "email": "Email", "kind": "Person or team",
                 "timezone": "Time zone"}


def _details_conflict(person_id: int, form: PersonForm):
    """409: the details as saved now beside the editor's, who keeps their values in the form
    and, saving again, puts them over the saved ones knowingly."""
    person = db.session.get(Person, person_id, populate_existing=True)
    if person is None:
        abort(404)
    theirs = {name: getattr(person, name) for name in DETAIL_LABELS}
    yours = {name: value or None for name, value in form.values().items()}
    rows = conflict_rows(ConflictView(record=person, current=theirs), yours, DETAIL_LABELS)
    form.version.data = str(person.version)
    return render("people/detail.html", block="edit", status=409,
                  **detail_context(person, person_form=form), conflict=rows)


@bp.post("/people/<int:person_id>/aliases")
@permission_required("edit_program")
def add_alias(person_id: int):
    person = _person_or_404(person_id)
    form = AliasForm()
    if form.validate_on_submit():
        try:
            service.add_alias(db.session, _actor(), person, form.alias.data)
        except service.PersonError as error:
            db.session.rollback()
            field_error(form, error)
        else:
            db.session.commit()
            flash(f"Alias “{' '.join(form.alias.data.split())}” added.", "success")
            return htmx_redirect(url_for("people.detail", person_id=person_id))
    person = _person_or_404(person_id)
    return render("people/detail.html", block="aliases", status=422,
                  **detail_context(person, alias_form=form))


@bp.post("/people/<int:person_id>/aliases/<int:alias_id>/delete")
@permission_required("edit_program")
def remove_alias(person_id: int, alias_id: int):
    person = _person_or_404(person_id)
    form = AliasRemoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        service.remove_alias(db.session, _actor(), person, alias_id)
    except service.PersonError as error:
        db.session.rollback()
        abort(404, description=error.message)
    db.session.commit()
    flash("Alias removed.", "success")
    return htmx_redirect(url_for("people.detail", person_id=person_id))


@bp.post("/people/<int:person_id>/invite")
@permission_required("edit_program")
def invite(person_id: int):
    """Invites the person to sign in with a role (owner by default): a login that waits
    for them, and a mail with a link to choose their password."""
    person = _person_or_404(person_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return error_page(422, "Choose the role to invite them with.")
    if not can_grant_role(current_user, form.role.data):
        return error_page(403, "Only an administrator can invite someone as admin.")
    now = utcnow()
    try:
        user = users.invite(db.session, _actor(), person, form.role.data, now)
        message, _url = mail.queue_password_mail(db.session, current_app.config, user,
                                                 "invite", now, inviter=current_user.name)
    except users.UserError as error:
        db.session.rollback()
        return error_page(409, str(error))
    db.session.commit()
    flash(invitation_outcome(user, message.id), "success")
    return htmx_redirect(url_for("people.detail", person_id=person_id))
