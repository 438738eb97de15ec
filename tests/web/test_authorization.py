"""Authorization over every rule of the URL map: anonymous users go to /login, executives
change nothing, and the public endpoints are exactly the ones listed here."""
from __future__ import annotations

import pytest
from flask import Flask

from portal.extensions import db
from tests.factories import PASSWORD, make_user

# Endpoints that answer without a login. Signed mail links and calendar feeds add theirs.
PUBLIC_ENDPOINTS = {"static", "auth.login", "health.healthz", "reminders.mail_action",
                    "reminders.calendar_feed", "reminders.program_feed"}

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def argument_values() -> dict[str, object]:
    """A real value for each URL argument name, from the demo data."""
    from portal.actions.models import ActionItem
    from portal.auth.models import User
    from portal.people.models import Person
    from portal.pocs.models import Customer, Hyperscaler, Poc
    from portal.program.models import Criterion, Workstream

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
        "id": 1,
        "filename": "css/portal.css",
        "token": "not-a-valid-token",
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
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint == "auth.logout":
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
        allowed = {200, 403} if rule.endpoint.startswith(("auth.user", "reminders.", "notes."))\
            else {200}
        assert response.status_code in allowed, (path, response.status_code)


@pytest.mark.parametrize("role,status", [("admin", 200), ("lead", 403), ("owner", 403),
                                         ("executive", 403)])
def test_only_admins_manage_users(app, role, status):
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/admin/users").status_code == status
