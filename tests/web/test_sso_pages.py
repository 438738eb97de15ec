"""The sign-in page with single sign-on, password sign-in on, off or for admins only, the
provider's sign-out offered after the portal's, and settings that do not add up."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.auth.models import SecurityEvent
from portal.auth.oidc import ConfigError
from portal.extensions import db
from tests.conftest import make_app
from tests.factories import PASSWORD, make_user
from tests.sso import CLIENT_ID, sign_in_with, sso_settings


def _form_login(client, email, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_the_login_page_shows_the_provider_button_first(sso_app):
    page = sso_app.test_client().get("/login?next=/actions").get_data(as_text=True)
    button = page.index("Sign in with Test SSO")
    assert button < page.index('name="password"')
    assert 'href="/auth/oidc/login?next=/actions"' in page
    assert "or with a password" in page


def test_without_single_sign_on_the_page_and_routes_are_as_before(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/auth/oidc/login" not in page and 'name="password"' in page
    assert "Use the email address of your portal login." in page
    assert client.get("/auth/oidc/login").status_code == 404
    assert client.get("/auth/oidc/callback?code=x&state=y").status_code == 404


def test_password_sign_in_off_hides_the_form_and_refuses_it(app_factory, provider):
    app = app_factory(**sso_settings(provider.issuer), PORTAL_PASSWORD_LOGIN="off")
    with app.app_context():
        user = make_user("admin")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        assert "Sign in with Test SSO" in page
        assert 'name="password"' not in page and "Forgot your password?" not in page
        response = _form_login(client, user.email)
        assert response.status_code == 403
        assert "Password sign-in is turned off" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302


def test_password_sign_in_for_admins_only_is_a_break_glass(app_factory, provider):
    app = app_factory(**sso_settings(provider.issuer), PORTAL_PASSWORD_LOGIN="admins")
    with app.app_context():
        admin, lead = make_user("admin"), make_user("lead")
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        assert "<details" in page and "Administrator sign-in with a password" in page
        refused = _form_login(client, lead.email)
        assert refused.status_code == 401
        assert "do not match an active account" in refused.get_data(as_text=True)
        event = db.session.scalar(select(SecurityEvent).where(SecurityEvent.user_id == lead.id))
        assert (event.kind, event.detail) == ("sign_in_failed",
                                              "password sign-in is for admin logins only")
        assert _form_login(client, admin.email).status_code == 303
        assert client.get("/admin/users").status_code == 200


def test_password_sign_in_off_without_single_sign_on_is_ignored(app_factory):
    app = app_factory(PORTAL_PASSWORD_LOGIN="off")
    with app.app_context():
        user = make_user("lead")
        client = app.test_client()
        assert 'name="password"' in client.get("/login").get_data(as_text=True)
        assert _form_login(client, user.email).status_code == 303


def test_sign_out_offers_the_providers_sign_out(sso_app, provider):
    client = sso_app.test_client()
    sign_in_with(client, provider)
    assert "Change password" not in client.get("/actions").get_data(as_text=True)
    response = client.post("/logout")
    assert response.status_code == 303
    page = client.get("/login").get_data(as_text=True)
    assert "You are signed out." in page
    link = re.search(r'href="([^"]+)">Sign out of the identity provider too', page).group(1)
    url = urlsplit(link.replace("&amp;", "&"))
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.issuer}/logout"
    assert query["client_id"] == CLIENT_ID
    assert query["post_logout_redirect_uri"] == "http://portal.test/auth/oidc/signed-out"
    assert query["id_token_hint"].count(".") == 2
    # The offer is shown once; the provider's return with its state says it is done.
    assert "identity provider too" not in client.get("/login").get_data(as_text=True)
    back = client.get(f"/auth/oidc/signed-out?state={query['state']}")
    assert back.status_code == 303 and back.location == "/login"
    assert "signed out of the identity provider too" in client.get("/login").get_data(
        as_text=True)


def test_a_return_from_the_providers_sign_out_with_another_state_says_nothing(sso_app, provider):
    client = sso_app.test_client()
    sign_in_with(client, provider)
    client.post("/logout")
    client.get("/auth/oidc/signed-out?state=forged")
    assert "identity provider too" not in client.get("/login").get_data(as_text=True)


def test_a_password_session_signs_out_without_the_offer(sso_app):
    user = make_user("lead")
    client = sso_app.test_client()
    _form_login(client, user.email)
    assert "Change password" in client.get("/actions").get_data(as_text=True)
    client.post("/logout")
    assert "identity provider too" not in client.get("/login").get_data(as_text=True)


def test_signing_out_everywhere_offers_the_providers_sign_out_too(sso_app, provider):
    client = sso_app.test_client()
    sign_in_with(client, provider)
    client.post("/account/sign-out-everywhere")
    assert "Sign out of the identity provider too" in client.get("/login").get_data(
        as_text=True)


@pytest.mark.parametrize(("settings", "message"), [
    ({"OIDC_CLIENT_SECRET": ""}, "OIDC_CLIENT_SECRET is not set"),
    ({"OIDC_ISSUER": "http://login.example.com"}, "must be an https:// URL"),
    ({"OIDC_SCOPES": "email profile"}, "must include openid"),
    ({"OIDC_ROLE_MAP": "launch-leads=boss"}, "'boss' (for 'launch-leads') is not a role"),
    ({"OIDC_ROLE_MAP": "launch-leads"}, "is not group=role"),
    ({"OIDC_DEFAULT_ROLE": "guest"}, "OIDC_DEFAULT_ROLE 'guest' is not a role"),
    ({"PORTAL_PASSWORD_LOGIN": "sometimes"}, "PORTAL_PASSWORD_LOGIN must be one of"),
], ids=["half-configured", "plain-http", "no-openid", "unknown-role", "no-role", "bad-default",
        "bad-password-mode"])
def test_settings_that_do_not_add_up_stop_the_start(tmp_path, settings, message):
    config = sso_settings("https://login.example.com")
    config.update(settings)
    with pytest.raises(ConfigError, match=re.escape(message)):
        make_app(f"sqlite:///{tmp_path / 'portal.db'}", tmp_path, **config)
