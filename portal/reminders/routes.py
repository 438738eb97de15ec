"""Reminder pages: the outbox, a person's reminder preferences, the admin's reminder
points, the signed-link confirmation pages and the calendar feeds."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, request, url_for
from flask_login import current_user

from portal.audit.log import Actor
from portal.auth import users
from portal.auth.permissions import can_edit_preferences, permission_required, public
from portal.clock import utcnow
from portal.extensions import csrf, db
from portal.numbers import page_number
from portal.people.models import Person
from portal.program.clock import program_zone
from portal.reminders import calendar, links, outbox, policy, queries, service
from portal.reminders.forms import PreferencesForm, SettingsForm
from portal.reminders.models import OutboxMessage
from portal.web import error_page, htmx_redirect, render

bp = Blueprint("reminders", __name__)


# ---------------------------------------------------------------- outbox


@bp.get("/outbox", endpoint="outbox")
@permission_required("manage_outbox")
def outbox_page():
    """Messages by state, with recipient and points; the items that cannot be reminded."""
    state = request.args.get("state", "")
    if state not in queries.STATE_ORDER:
        state = ""
    listing = queries.outbox_page(db.session, state, page_number(request.args.get("page")))
    stuck = policy.unremindable_items(db.session, limit=50)
    return render("reminders/outbox.html", block="messages", page=listing.page, state=state,
                  counts=listing.counts, states=queries.STATE_ORDER,
                  point_counts=listing.point_counts, stuck=stuck,
                  page_url=lambda n: url_for("reminders.outbox", state=state or None, page=n),
                  mail_server=current_app.config.get("MAIL_SERVER"),
                  last_run=queries.last_run(db.session, "reminders"))


def _message_or_404(message_id: int) -> OutboxMessage:
    return queries.message(db.session, message_id) or abort(404)


@bp.get("/outbox/<int:message_id>")
@permission_required("manage_outbox")
def message(message_id: int):
    """One message: its points, its state and a preview of the mail."""
    msg = _message_or_404(message_id)
    rendered = outbox.preview(db.session, current_app.config, msg, utcnow())
    return render("reminders/message.html", message=msg, rendered=rendered,
                  live={p.id for p in outbox.live_points(msg)})


@bp.get("/outbox/<int:message_id>/preview.html")
@permission_required("manage_outbox")
def message_preview(message_id: int):
    """The HTML part, for the sandboxed frame of the message page. Mail HTML carries inline
    styles, so this one response allows them (and nothing else: no script, no fetches)."""
    msg = _message_or_404(message_id)
    rendered = outbox.preview(db.session, current_app.config, msg, utcnow())
    html = rendered[2] if rendered and rendered[2] else \
        "<p>Nothing left to send: every item of this message was closed.</p>"
    response = make_response(html)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.post("/outbox/<int:message_id>/retry")
@permission_required("manage_outbox")
def retry(message_id: int):
    """Queue a failed or dead message for the next run."""
    msg = _message_or_404(message_id)
    try:
        service.retry_message(db.session, Actor.for_user(current_user), msg, utcnow())
    except service.NotRetryable as error:
        db.session.rollback()
        return error_page(409, error.message)
    db.session.commit()
    flash("The message will be sent again at the next reminder run.", "success")
    return htmx_redirect(url_for("reminders.message", message_id=msg.id))


@bp.post("/outbox/test-mail")
@permission_required("manage_settings")
def test_mail():
    """Send a test mail to the signed-in admin, at once, to check the SMTP settings."""
    try:
        msg = service.send_test_mail(db.session, Actor.for_user(current_user),
                                     current_app.config, current_user.email, utcnow())
    except service.NoAddress as error:
        db.session.rollback()
        return error_page(422, error.message)
    db.session.commit()
    if msg.state == "sent":
        flash(f"Test mail sent to {msg.recipient}.", "success")
    elif msg.state == "logged":
        flash("No MAIL_SERVER is configured: the test mail was written to the log and "
              "kept in the outbox.", "info")
    else:
        flash(f"The test mail failed: {msg.last_error}", "error")
    return htmx_redirect(url_for("reminders.outbox"))


# ---------------------------------------------------------------- preferences


def _editable_person(person_id: int) -> Person:
    """The person whose preferences the signed-in user may change, else 404 or 403."""
    person = db.get_or_404(Person, person_id)
    if not can_edit_preferences(current_user, person):
        abort(403)
    return person


@bp.route("/people/<int:person_id>/reminders", methods=["GET", "POST"])
def preferences(person_id: int):
    """A person's reminder preferences and calendar feed; theirs, or a lead's to change."""
    person = _editable_person(person_id)
    form = PreferencesForm()
    if request.method == "GET":
        form.load(person)
    elif form.validate():
        service.set_preferences(db.session, Actor.for_user(current_user), person, form.values())
        db.session.commit()
        flash("Reminder preferences saved.", "success")
        return htmx_redirect(url_for("reminders.preferences", person_id=person.id))
    else:
        return _preferences_page(person, form, status=422)
    return _preferences_page(person, form)


def _preferences_page(person, form, status=200):
    base = current_app.config["PORTAL_BASE_URL"]
    feed = f"{base}{url_for('reminders.calendar_feed', token=person.calendar_token)}"
    program_feed = None
    if calendar.may_see_program(db.session, person):
        program_feed = f"{base}{url_for('reminders.program_feed', token=person.calendar_token)}"
    return render("reminders/preferences.html", block="prefs_form", status=status,
                  person=person, form=form, feed=feed, program_feed=program_feed,
                  action=url_for("reminders.preferences", person_id=person.id),
                  default_zone=program_zone())


# ---------------------------------------------------------------- preferences by mail link


def _linked_person(token: str):
    """The person a preferences token names, or the page saying why it cannot be used."""
    try:
        person_id = links.read_preferences_token(current_app.config["SECRET_KEY"], token,
                                                 utcnow())
    except links.LinkError as error:
        return None, render("reminders/link_invalid.html", status=error.status,
                            reason=str(error))
    person = db.session.get(Person, person_id)
    if person is None:
        return None, render("reminders/link_invalid.html", status=404,
                            reason="The person of this link is no longer in the portal.")
    try:
        links.refuse_deactivated(db.session, person.id)
    except links.LinkError as error:
        return None, render("reminders/link_invalid.html", status=error.status,
                            reason=str(error))
    return person, None


@bp.route("/mail/preferences/<token>", methods=["GET", "POST"])
@public
def mail_preferences(token: str):
    """The reminder preferences of the person a mail went to, from its signed link, without
    signing in: send hour, zone, days, pause, reminders on or off."""
    person, refused = _linked_person(token)
    if refused:
        return refused
    form = PreferencesForm()
    status = 200
    saved = False
    if request.method == "GET":
        form.load(person)
    elif form.validate():
        service.set_preferences(db.session, service.mail_actor(person), person, form.values())
        db.session.commit()
        saved = True
    else:
        status = 422
    return render("reminders/mail_preferences.html", block="prefs_form", status=status,
                  person=person, form=form, saved=saved,
                  action=url_for("reminders.mail_preferences", token=token),
                  default_zone=program_zone())


@bp.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
@public
@csrf.exempt
def mail_unsubscribe(token: str):
    """List-Unsubscribe: a POST turns the person's reminder mails off at once (RFC 8058
    one-click, sent by mail clients without a session, hence no CSRF token; the signed
    token is the credential). A GET only asks."""
    person, refused = _linked_person(token)
    if refused:
        return refused
    if request.method == "POST":
        service.set_preferences(db.session, service.mail_actor(person), person,
                                {"reminders_off": True})
        db.session.commit()
    return render("reminders/unsubscribe.html", person=person, done=request.method == "POST",
                  token=token)


@bp.post("/people/<int:person_id>/reminders/calendar-token")
def regenerate_calendar(person_id: int):
    """A new secret calendar URL; the old one stops working."""
    person = _editable_person(person_id)
    service.regenerate_calendar_token(db.session, Actor.for_user(current_user), person)
    db.session.commit()
    flash("New calendar link created. The old one no longer works.", "success")
    return htmx_redirect(url_for("reminders.preferences", person_id=person.id))


# ---------------------------------------------------------------- settings


@bp.route("/settings/reminders", methods=["GET", "POST"])
@permission_required("manage_settings")
def settings():
    """The reminder points, for admins."""
    form = SettingsForm()
    if request.method == "GET":
        form.load(policy.load_settings(db.session))
    elif form.validate():
        service.save_settings(db.session, Actor.for_user(current_user), form.values())
        db.session.commit()
        flash("Reminder points saved. They apply from the next run.", "success")
        return htmx_redirect(url_for("reminders.settings"))
    else:
        return render("reminders/settings.html", block="settings_form", status=422, form=form)
    return render("reminders/settings.html", block="settings_form", form=form)


# ---------------------------------------------------------------- signed mail links


@bp.route("/mail/<token>", methods=["GET", "POST"])
@public
def mail_action(token: str):
    """A link from a reminder mail: GET shows what it would do; only the POST does it."""
    now = utcnow()
    claim = None
    try:
        claim = links.read_token(current_app.config["SECRET_KEY"], token, now)
        item = links.check_claim(db.session, claim)
    except links.LinkError as error:
        return _link_refused(error, claim.person_id if claim else None)
    if request.method == "POST":
        try:
            item = links.apply_claim(db.session, claim, _owner_today(item, now))
        except links.LinkError as error:
            db.session.rollback()
            return _link_refused(error, claim.person_id)
        db.session.commit()
        return render("reminders/link_done.html", item=item, action=claim.action)
    owner_today = _owner_today(item, now)
    return render("reminders/link_confirm.html", item=item, action=claim.action,
                  label=links.ACTIONS[claim.action], snooze_days=links.SNOOZE_DAYS,
                  new_due=links.snoozed_due(item, owner_today),
                  snoozed_from_due=bool(item.due_date and item.due_date > owner_today))


def _link_refused(error: links.LinkError, person_id: int | None):
    """The page of a link that cannot be used: why, and the item as it stands now (status,
    owner, due date), with a link to it for those who can sign in (someone signed in, or
    the person the mail went to has a login)."""
    item = error.item
    can_sign_in = item is not None and (
        current_user.is_authenticated
        or (person_id is not None and users.login_of(db.session, person_id) is not None))
    return render("reminders/link_invalid.html", status=error.status, reason=str(error),
                  item=item, can_sign_in=can_sign_in)


def _owner_today(item, now):
    zone = policy.zone_for(item.owner.timezone if item.owner else None, program_zone())
    return policy.local_now(now, zone).date()


# ---------------------------------------------------------------- calendar feeds


def _ics(body: bytes, filename: str):
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """A person's open items with due dates; the secret token is the only credential."""
    person = calendar.find_person(db.session, token)
    if person is None:
        return error_page(404, "This calendar link is unknown or was replaced by a new one.")
    body = calendar.person_calendar(db.session, person, current_app.config["PORTAL_BASE_URL"],
                                    utcnow())
    return _ics(body, "action-items.ics")


@bp.get("/calendar/program/<token>.ics")
@public
def program_feed(token: str):
    """Milestones and every due date, for leads (by their personal calendar token)."""
    person = calendar.find_person(db.session, token)
    if person is None or not calendar.may_see_program(db.session, person):
        return error_page(404, "This calendar link is unknown or was replaced by a new one.")
    body = calendar.program_calendar(db.session, current_app.config["PORTAL_BASE_URL"], utcnow())
    return _ics(body, "program.ics")
