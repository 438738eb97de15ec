"""Single sign-on refuses every answer it cannot trust: ID tokens the test signs itself
with a wrong issuer or audience, expired, badly signed or without the nonce; a replayed
state; an unverified or missing email; a provider that denies or cannot be reached. Each
is a clear page, an entry in the security log, and no login or session."""
import time

import pytest
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from portal.auth.models import SecurityEvent, User, UserSession
from portal.extensions import db
from tests.factories import make_program
from tests.sso import sign_in_with


def _events(kind=None):
    query = select(SecurityEvent).order_by(SecurityEvent.id)
    if kind:
        query = query.where(SecurityEvent.kind == kind)
    return db.session.scalars(query).all()


def _not_signed_in(client):
    assert db.session.scalar(select(func.count(User.id))) == 0
    assert db.session.scalar(select(func.count(UserSession.id))) == 0
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_a_token_the_provider_signed_signs_in(sso_app, provider):
    make_program()  # a lead without one would land on its setup page
    client = sso_app.test_client()
    response = sign_in_with(client, provider)
    assert response.status_code == 303
    assert response.location == "/"
    page = client.get("/")
    assert page.status_code == 200
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("lena.lead@example.com", "lead")
    assert (user.oidc_issuer, user.oidc_subject) == (provider.issuer, "u-1001")
    assert [e.kind for e in _events()] == ["account_linked", "sign_in"]
    assert _events("sign_in")[0].detail == "single sign-on"
    # The code went back with the PKCE verifier and the client's secret; user info was read.
    assert provider.requests.count("/token") == 1 and "/userinfo" in provider.requests


@pytest.mark.parametrize(("tamper", "reason"), [
    ({"iss": "https://login.elsewhere.example"}, "'iss'"),
    ({"aud": "another-client"}, "'aud'"),
    ({"aud": ["another-client", "a-third"]}, "'aud'"),
    ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "expired"),
    ({"nonce": None}, "'nonce'"),
    ({"nonce": "a-nonce-from-another-sign-in"}, "'nonce'"),
    ({"sub": None}, "'sub'"),
], ids=["wrong-issuer", "wrong-audience", "wrong-audiences", "expired", "missing-nonce",
        "wrong-nonce", "missing-subject"])
def test_an_id_token_with_wrong_claims_is_refused(sso_app, provider, tamper, reason):
    provider.tamper = tamper
    client = sso_app.test_client()
    response = sign_in_with(client, provider)
    assert response.status_code == 502
    page = response.get_data(as_text=True)
    assert "The sign-in could not be completed" in page
    assert "could not be verified" in page
    [event] = _events()
    assert event.kind == "provider_error"
    assert event.detail.startswith("ID token refused") and reason in event.detail
    _not_signed_in(client)


def test_an_id_token_signed_with_another_key_is_refused(sso_app, provider):
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
    client = sso_app.test_client()
    response = sign_in_with(client, provider)
    assert response.status_code == 502
    [event] = _events()
    assert event.kind == "provider_error" and "signature" in event.detail
    _not_signed_in(client)


def test_a_replayed_state_is_refused(sso_app, provider):
    client = sso_app.test_client()
    start = client.get("/auth/oidc/login")
    code, state = provider.authorize(start.location)
    callback = f"/auth/oidc/callback?code={code}&state={state}"
    assert client.get(callback).status_code == 303
    client.post("/logout")
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "already used" in replay.get_data(as_text=True)
    assert _events()[-1].kind == "sign_in_refused"
    assert _events()[-1].detail == "unknown or reused state"
    assert client.get("/").status_code == 302


def test_a_state_from_another_browser_is_refused(sso_app, provider):
    victim, attacker = sso_app.test_client(), sso_app.test_client()
    code, state = provider.authorize(victim.get("/auth/oidc/login").location)
    response = attacker.get(f"/auth/oidc/callback?code={code}&state={state}")
    assert response.status_code == 400
    assert "/token" not in provider.requests  # refused before the code is spent
    _not_signed_in(attacker)


def test_an_unverified_email_is_refused(sso_app, provider):
    provider.person.email_verified = False
    client = sso_app.test_client()
    response = sign_in_with(client, provider)
    assert response.status_code == 403
    assert "has not verified your email address lena.lead@example.com" in \
        response.get_data(as_text=True)
    [event] = _events()
    assert (event.kind, event.email, event.detail) == (
        "sign_in_refused", "lena.lead@example.com", "the email is not verified")
    _not_signed_in(client)


def test_an_unverified_email_given_as_a_string_is_refused(sso_app, provider):
    provider.person.email_verified = None
    provider.tamper = {"email_verified": "false"}
    provider.person.email = None  # only the ID token says it, as a string
    provider.tamper["email"] = "lena.lead@example.com"
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert _events()[0].detail == "the email is not verified"


def test_no_email_is_refused(sso_app, provider):
    provider.person.email = None
    response = sign_in_with(sso_app.test_client(), provider)
    assert response.status_code == 403
    assert "did not send your email address" in response.get_data(as_text=True)
    assert _events()[0].kind == "sign_in_refused"


def test_an_answer_naming_another_issuer_is_refused(sso_app, provider):
    client = sso_app.test_client()
    code, state = provider.authorize(client.get("/auth/oidc/login").location)
    response = client.get("/auth/oidc/callback", query_string={
        "code": code, "state": state, "iss": "https://login.elsewhere.example"})
    assert response.status_code == 502
    assert "authorization response from issuer" in _events()[0].detail
    _not_signed_in(client)


def test_the_provider_denying_gives_a_clear_page(sso_app, provider):
    client = sso_app.test_client()
    _code, state = provider.authorize(client.get("/auth/oidc/login").location)
    response = client.get("/auth/oidc/callback", query_string={
        "error": "access_denied", "error_description": "The person cancelled.", "state": state})
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "cancelled, or the identity provider did not allow it" in page
    assert "Try again" in page
    [event] = _events()
    assert (event.kind, event.detail) == (
        "sign_in_refused", "the provider answered access_denied: The person cancelled.")


def test_a_provider_that_cannot_be_reached_gives_a_clear_page(sso_app, provider):
    provider.down = True
    client = sso_app.test_client()
    response = client.get("/auth/oidc/login")
    assert response.status_code == 502
    assert "cannot be reached right now" in response.get_data(as_text=True)
    [event] = _events()
    assert event.kind == "provider_error" and "discovery" in event.detail
    provider.down = False
    assert client.get("/auth/oidc/login").status_code == 302  # and it recovers


def test_a_token_endpoint_error_gives_a_clear_page(sso_app, provider):
    client = sso_app.test_client()
    code, state = provider.authorize(client.get("/auth/oidc/login").location)
    provider.grants.clear()  # the code is unknown to the provider (expired, say)
    response = client.get(f"/auth/oidc/callback?code={code}&state={state}")
    assert response.status_code == 502
    [event] = _events()
    assert event.kind == "provider_error" and "invalid_grant" in event.detail
    _not_signed_in(client)


def test_a_callback_without_anything_is_refused_not_an_error(sso_app):
    response = sso_app.test_client().get("/auth/oidc/callback")
    assert response.status_code == 400
    assert _events()[0].kind == "sign_in_refused"
