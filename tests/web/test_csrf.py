"""CSRF: every state-changing request needs the token, in the form or as a header."""
import re

from tests.factories import PASSWORD, make_program, make_user


def _token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def test_post_without_token_is_rejected(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        email = make_user("lead").email
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"form expired" in response.data


def test_same_post_with_header_token_passes(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        email = make_user("lead").email
    client = app.test_client()
    token = _token(client)
    response = client.post("/login", data={"email": email, "password": PASSWORD},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 303


def test_htmx_post_needs_the_header(app_factory):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_program()
        email = make_user("lead").email
    client = app.test_client()
    token = _token(client)
    client.post("/login", data={"email": email, "password": PASSWORD,
                                "csrf_token": token})
    refused = client.post("/logout", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    token = _token(client, "/")
    accepted = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert accepted.status_code == 303
