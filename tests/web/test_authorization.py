"""Authorization over every rule of the URL map: anonymous users go to /login, executives
change nothing, and the public endpoints are exactly the ones listed here."""
from __future__ import annotations

from urllib.parse import unquote

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from portal.extensions import db
from tests.factories import PASSWORD, make_user

# Endpoints that answer without a login: signing in (by password, or through the identity
# provider and back, and back from its sign-out), signed mail and password links,
# calendar feeds (their token is the credential), health and metrics.
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.forgot_password", "auth.choose_password",
                    "oidc.login", "oidc.callback", "oidc.signed_out",
                    "health.healthz", "reminders.mail_action", "reminders.mail_preferences",
                    "reminders.mail_unsubscribe", "reminders.calendar_feed",
                    "reminders.program_feed", "observability.metrics"}

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Every signed-in user may do these to their own account; they end the sweep's session.
OWN_ACCOUNT = {"auth.logout", "auth.sign_out_everywhere"}


def argument_values() -> dict[str, object]:
    """A real value for each URL argument name, from the demo data."""
    from portal.actions.models import ActionItem
    from portal.auth.models import User
    from portal.people.models import Person
    from portal.pocs.models import Customer, Hyperscaler, Poc
    from portal.program.models import Criterion, Milestone, Workstream

    def first_id(model):
        return db.session.query(model.id).order_by(model.id).limit(1).scalar() or 1

    return {
        "user_id": first_id(User),
        "person_id": first_id(Person),
        "workstream_id": first_id(Workstream),
        "criterion_id": first_id(Criterion),
        "item_id": first_id(ActionItem),
        "poc_id": first_id(Poc),
        "customer_id": first_id(Customer),
        "hyperscaler_id": first_id(Hyperscaler),
        "milestone_id": first_id(Milestone),
        "id": 1,
        "filename": "css/portal.css",
        "token": "not-a-valid-token",
        "alias_id": 1,
    }


# The program's own routes (setup, program page, milestones, hyperscalers, archive), with
# what each change needs: the sweeps below cover them like every rule; this list makes sure
# none is missing or weaker than meant.
PROGRAM_ROUTES = {
    "program.setup": None,  # GET and POST; the POST checks edit_program itself
    "program.edit": None,
    "program.update": "edit_program",
    "program.milestones": None,
    "program.milestone_add": "edit_program",
    "program.milestone_update": "edit_program",
    "program.milestone_delete": "edit_program",
    "pocs.hyperscalers": None,
    "pocs.hyperscaler_add": "edit_program",
    "pocs.hyperscaler_rename": "edit_program",
    "pocs.hyperscaler_move": "edit_program",
    "pocs.hyperscaler_retire": "edit_program",
    "workstreams.archive": "edit_program",
    "workstreams.unarchive": "edit_program",
}


def rules(app: Flask):
    values = argument_values()
    for rule in app.url_map.iter_rules():
        args = {name: values.get(name, 1) for name in rule.arguments}
        path = rule.build(args, append_unknown=False)[1]
        yield rule, path


def test_public_endpoints_are_exactly_the_listed_ones(app):
    public = {endpoint for endpoint, view in app.view_functions.items()
              if getattr(view, "is_public", False)}
    assert public | {"static"} == PUBLIC_ENDPOINTS


def test_anonymous_requests_go_to_login(app, client, demo):
    checked = 0
    for rule, path in rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, path, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, path)
            checked += 1
    assert checked >= 5


def test_anonymous_htmx_request_is_told_to_redirect(client):
    response = client.get("/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


@pytest.mark.parametrize("role", ["executive"])
def test_executive_changes_nothing(app, demo, role):
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    checked = 0
    for rule, path in rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS | OWN_ACCOUNT:
            continue
        if rule.endpoint == "auth.change_password":
            continue  # everyone may change their own password
        for method in rule.methods & STATE_CHANGING:
            response = client.open(path, method=method, data={})
            assert response.status_code == 403, (method, path, response.status_code)
            checked += 1
    assert checked >= 3


def test_executive_reads_every_page(app, demo):
    user = make_user("executive")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for rule, path in rules(app):
        if "GET" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(path)
        readers_refused = ("auth.user", "auth.security", "reminders.", "notes.",
                           "pocs.link_to_poc",  # the form that links an item, for leads
                           "actions.new_form",  # the create panel's form, for leads
                           "workstreams.edit_form")  # the edit panel's form, for leads
        allowed = {200, 403} if rule.endpoint.startswith(readers_refused) else {200}
        assert response.status_code in allowed, (path, response.status_code)


def test_the_program_routes_are_guarded_as_meant(app):
    for endpoint, permission in PROGRAM_ROUTES.items():
        view = app.view_functions[endpoint]
        assert getattr(view, "required_permission", None) == permission, endpoint
        assert not getattr(view, "is_public", False), endpoint


@pytest.mark.parametrize("role", ["owner", "executive"])
def test_readers_change_nothing_of_the_program(app, demo, role):
    """Every state-changing program route answers 403 to a reader, with and without htmx
    (the setup included: there is a program, and without one it is refused too)."""
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    checked = 0
    for rule, path in rules(app):
        if rule.endpoint not in PROGRAM_ROUTES or "POST" not in rule.methods:
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(path, data={"name": "Changed"}, headers=headers)
            assert response.status_code == 403, (path, response.status_code)
            checked += 1
    assert checked == 2 * 11


@pytest.mark.parametrize("role,status", [("admin", 200), ("lead", 403), ("owner", 403),
                                         ("executive", 403)])
def test_only_admins_manage_users(app, role, status):
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/admin/users").status_code == status


# Every route that changes an action item, with the data a real change would send.
ITEM_CHANGES = [
    ("actions.edit", {"title": "Changed", "status": "done", "priority": "high", "version": 1}),
    ("actions.inline", {"status": "done", "version": 1}),
    ("actions.change_status", {"status": "done", "version": 1}),
    ("actions.change_status", {"status": "open", "notes": "Mine now.", "version": 1}),
    ("actions.cancel", {"version": 1}),
    ("actions.delete", {"version": 1, "confirm": "y"}),
    ("actions.comment", {"body": "Mine now."}),
]


def test_owner_cannot_change_someone_elses_item(app):
    """403 on every item-changing route, and nothing saved."""
    from portal.actions.models import ActionItem
    from tests.factories import make_item, make_person

    owner = make_user("owner")
    item = make_item("Not yours", owner_id=make_person("Someone Else").id, status="open")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    with app.test_request_context():
        from flask import url_for

        urls = {endpoint: url_for(endpoint, item_id=item.id) for endpoint, _ in ITEM_CHANGES}
        bulk = url_for("actions.bulk")
    assert set(urls) >= {r.endpoint for r in app.url_map.iter_rules()
                         if "item_id" in r.arguments and r.methods & STATE_CHANGING
                         and r.endpoint.startswith("actions.")}
    for endpoint, data in ITEM_CHANGES:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.post(urls[endpoint], data=data, headers=headers)
            assert response.status_code == 403, (endpoint, response.status_code)
    response = client.post(bulk, data={"ids": [item.id], "action": "status", "status": "done"})
    assert response.status_code == 403
    # the refusal says why, on the page and in an htmx toast
    row = client.post(urls["actions.inline"], data={"status": "done", "version": 1},
                      headers={"HX-Request": "true"})
    assert "someone else" in unquote(row.headers["X-Portal-Message"])
    page = client.post(urls["actions.change_status"], data={"status": "done", "version": 1})
    assert "only its owner and the leads change it" in page.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert (saved.status, saved.title, saved.version, saved.comments) == ("open", "Not yours", 1,
                                                                         [])
    assert saved.notes in (None, "")


def test_owner_keeps_the_notes_of_their_own_item_on_its_page(app):
    """Owners change the status and the notes of their own items (the README says so):
    with no edit form, their item page's status card carries the notes; a lead's does not
    (the edit form has them), and a status saved there leaves the notes alone."""
    from portal.actions.models import ActionItem
    from tests.factories import make_item

    owner = make_user("owner")
    item = make_item("Yours", owner_id=owner.person_id, status="open", notes="Old notes")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    page = client.get(f"/actions/{item.id}").get_data(as_text=True)
    card = page[page.index('id="item-status"'):page.index('id="history"')]
    assert "Status and notes" in card and "Old notes</textarea>" in card
    response = client.post(f"/actions/{item.id}/status", data={
        "status": "in_progress", "notes": "Waiting on <legal>.", "version": 1})
    assert response.status_code == 303
    assert "Saved." in client.get(f"/actions/{item.id}").get_data(as_text=True)
    too_long = client.post(f"/actions/{item.id}/status", headers={"HX-Request": "true"}, data={
        "status": "done", "notes": "x" * 10_001, "version": 2})
    assert too_long.status_code == 422
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert (saved.status, saved.notes, saved.version) == ("in_progress", "Waiting on <legal>.", 2)

    lead = app.test_client()
    lead.post("/login", data={"email": make_user("lead").email, "password": PASSWORD})
    page = lead.get(f"/actions/{item.id}").get_data(as_text=True)
    card = page[page.index('id="item-status"'):page.index('id="history"')]
    assert "Status and notes" not in card and "<textarea" not in card
    assert lead.post(f"/actions/{item.id}/status", data={"status": "done", "version": 2}
                     ).status_code == 303
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert (saved.status, saved.notes) == ("done", "Waiting on <legal>.")


def test_owner_changes_the_status_of_their_own_item(app):
    from portal.actions.models import ActionItem
    from tests.factories import make_item

    owner = make_user("owner")
    item = make_item("Yours", owner_id=owner.person_id, status="open", priority="normal")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    row = client.post(f"/actions/{item.id}/row", data={"status": "in_progress", "version": 1},
                      headers={"HX-Request": "true"})
    assert row.status_code == 200
    page = client.post(f"/actions/{item.id}/status", data={"status": "done", "version": 2})
    assert page.status_code == 303
    comment = client.post(f"/actions/{item.id}/comments", data={"body": "Done."})
    assert comment.status_code == 303
    # Only the status: other fields of their own item stay the leads'.
    refused = client.post(f"/actions/{item.id}/row", data={"priority": "high", "version": 3},
                          headers={"HX-Request": "true"})
    assert refused.status_code == 403
    assert "owners change the status and the notes" in unquote(
        refused.headers["X-Portal-Message"])
    assert client.post(f"/actions/{item.id}", data={"title": "Renamed", "version": 3}
                       ).status_code == 403
    assert client.post(f"/actions/{item.id}/cancel", data={"version": 3}).status_code == 403
    db.session.expire_all()
    saved = db.session.get(ActionItem, item.id)
    assert (saved.status, saved.priority, saved.title) == ("done", "normal", "Yours")


@pytest.mark.parametrize("role", ["admin", "lead", "owner", "executive"])
def test_every_rule_for_every_role(app, demo, role):
    """Each role against the whole URL map: a view guarded by a permission answers 403 to
    a role without it; nothing answers 5xx or sends a signed-in user back to /login."""
    from portal.auth.permissions import ROLE_PERMISSIONS

    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    guarded = 0
    for rule, path in rules(app):
        if rule.endpoint in PUBLIC_ENDPOINTS | OWN_ACCOUNT:
            continue
        required = getattr(app.view_functions[rule.endpoint], "required_permission", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={})
            assert response.status_code < 500, (role, method, path, response.status_code)
            assert not response.headers.get("Location", "").startswith("/login"), (role, path)
            if required and required not in ROLE_PERMISSIONS[role]:
                assert response.status_code == 403, (role, method, path, response.status_code)
                guarded += 1
            db.session.rollback()
    if role != "admin":
        assert guarded > 0


@pytest.mark.parametrize("role", ["admin", "lead", "owner", "executive"])
def test_every_page_answers_htmx_for_every_role(app, demo, role):
    """`HX-Request: true` on every GET route as every role: a fragment, a whole page or a
    refusal, never an error (a block that needs what only an editor's page defines)."""
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    for rule, path in rules(app):
        if "GET" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS | {"static"}:
            continue
        for headers in ({"HX-Request": "true"}, {"HX-Request": "true", "HX-Boosted": "true"}):
            response = client.get(path, headers=headers)
            assert response.status_code in (200, 204, 302, 403, 404), \
                (role, path, headers, response.status_code)
            db.session.rollback()


@pytest.mark.parametrize("path", [
    "/outbox?page=99999999999999999999", "/activity?page=99999999999999999999",
    "/actions?page=99999999999999999999", "/people?page=99999999999999999999",
    "/admin/security?page=99999999999999999999", "/actions?owner=99999999999999999999",
    "/activity?person=99999999999999999999", "/pocs?card=99999999999999999999",
])
def test_crafted_numbers_in_query_strings(app, demo, path):
    client = app.test_client()
    client.post("/login", data={"email": make_user("admin").email, "password": PASSWORD})
    assert client.get(path).status_code in (200, 400)


def test_ids_too_large_for_the_database_find_nothing(app, demo):
    """Every route with an id in its path answers 404 (or 405) to an id past the database's integer
    (it overflowed SQLite's and PostgreSQL's INTEGER: 500), for every method."""
    client = app.test_client()
    client.post("/login", data={"email": make_user("admin").email, "password": PASSWORD})
    checked = 0
    for rule in app.url_map.iter_rules():
        numbered = [name for name, converter in rule._converters.items()
                    if isinstance(converter, IntegerConverter)]
        if not numbered:
            continue
        values = {name: argument_values().get(name, 1) for name in rule.arguments}
        for name in numbered:
            huge = rule.build(values | {name: 10**23}, append_unknown=False)[1]
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                response = client.open(huge, method=method)
                assert response.status_code in (404, 405), (method, huge, response.status_code)
                checked += 1
    assert checked >= 20


def test_crafted_numbers_in_forms(app, demo):
    from portal.actions.models import ActionItem

    client = app.test_client()
    client.post("/login", data={"email": make_user("lead").email, "password": PASSWORD})
    item = db.session.scalars(select(ActionItem).order_by(ActionItem.id)).first()
    version = item.version
    bulk = client.post("/actions/bulk", data={"ids": ["99999999999999999999"],
                                              "action": "status", "status": "done"})
    assert bulk.status_code == 422
    # A version of ten digits that means 1 is still checked: the stored version is newer.
    client.post(f"/actions/{item.id}/row", data={"priority": "low", "version": version},
                headers={"HX-Request": "true"})
    stale = client.post(f"/actions/{item.id}/row",
                        data={"priority": "high", "version": str(version).zfill(10)},
                        headers={"HX-Request": "true"})
    assert stale.status_code == 409
    db.session.expire_all()
    assert db.session.get(ActionItem, item.id).priority == "low"
    huge = client.post(f"/actions/{item.id}/row",
                       data={"priority": "high", "version": "9" * 30},
                       headers={"HX-Request": "true"})
    assert huge.status_code in (409, 422)
