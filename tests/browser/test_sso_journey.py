"""Single sign-on in Chromium against a real, certified OpenID provider (oidc-provider on a
loopback port, tests/oidc_provider/): through its login page to the dashboard and out
again, at the provider too; someone in no mapped group refused with a clear page; the
role following a group change. On SQLite and on PostgreSQL."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.auth.models import SecurityEvent, User
from portal.demo import seed_demo
from portal.extensions import db
from tests.browser.conftest import browser_page
from tests.sso import free_port, real_provider, sso_settings

# The portal serves from its own threads: it commits for real (one shared test transaction
# cannot serve several threads).
pytestmark = [pytest.mark.browser, pytest.mark.committed]

ACCOUNTS = {
    "lena": {"sub": "u-1001", "password": "lena-at-the-provider", "name": "Lena Lindqvist",
             "email": "lena.lindqvist@example.com", "groups": ["launch-leads", "everyone"]},
    "victor": {"sub": "u-1002", "password": "victor-at-the-provider", "name": "Victor Vance",
               "email": "victor.vance@example.com", "groups": ["contractors"]},
}


@pytest.fixture(scope="module")
def portal_port():
    return free_port()


@pytest.fixture(scope="module")
def provider(portal_port, tmp_path_factory):
    """Started once for the module; the portal of every test listens on `portal_port`."""
    accounts = {login: dict(person) for login, person in ACCOUNTS.items()}
    with real_provider(f"http://127.0.0.1:{portal_port}", accounts,
                       tmp_path_factory.mktemp("provider")) as running:
        yield running


@pytest.fixture
def portal(app_factory, provider, portal_port):
    """The portal with the demo program and single sign-on through `provider`."""
    provider.update("lena", groups=ACCOUNTS["lena"]["groups"])
    base = f"http://127.0.0.1:{portal_port}"
    app = app_factory(**sso_settings(provider.issuer), PORTAL_BASE_URL=base,
                      WTF_CSRF_ENABLED=True)
    with app.app_context():
        seed_demo(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", portal_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def page(request, browser, portal, portal_port):
    with browser_page(request, browser, f"http://127.0.0.1:{portal_port}") as page:
        yield page


def _at_the_provider(page, provider, login, password):
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    assert page.locator("h1").inner_text() == "Test SSO"
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button:has-text('Sign in')")


def _events(app, kind):
    with app.app_context():
        return db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == kind)
                                  .order_by(SecurityEvent.id)).all()


def test_a_lead_signs_in_through_the_provider_and_out_again(page, portal, provider):
    page.goto("/actions?status=open")
    page.wait_for_url("**/login?next=**")
    sso = page.get_by_role("link", name="Sign in with Test SSO")
    assert sso.is_visible()
    sso.click()
    _at_the_provider(page, provider, "lena", "not-her-password")
    assert page.locator("#error").inner_text() == "Wrong username or password."
    page.fill("input[name=password]", ACCOUNTS["lena"]["password"])
    page.click("button:has-text('Sign in')")
    page.wait_for_url(re.compile(r".*/actions\?status=open$"))  # `next` was kept
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(re.compile(r".*/$"))
    assert page.locator("h1").inner_text() == "Cloud marketplace launch"
    assert page.locator(".role-badge").inner_text().lower() == "lead"
    with portal.app_context():
        user = db.session.scalar(select(User).where(User.email == "lena.lindqvist@example.com"))
        assert (user.role, user.oidc_issuer, user.oidc_subject) == (
            "lead", provider.issuer, "u-1001")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    assert "You are signed out." in page.locator(".flash").inner_text()
    page.get_by_role("link", name="Sign out of the identity provider too").click()
    page.wait_for_url(f"{provider.issuer}/session/end**")
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url("**/login")
    assert "signed out of the identity provider too" in page.locator(".flash").inner_text()
    # Signed out there as well: the next sign-in asks for the password again.
    page.get_by_role("link", name="Sign in with Test SSO").click()
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    assert [e.detail for e in _events(portal, "sign_in")] == ["single sign-on"]
    assert len(_events(portal, "sign_out")) == 1


def test_someone_in_no_mapped_group_is_refused_with_a_clear_page(page, portal, provider):
    page.goto("/login")
    page.keyboard.press("Tab")  # the skip link, then the provider's button
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Sign in with Test SSO"
    page.keyboard.press("Enter")
    _at_the_provider(page, provider, "victor", ACCOUNTS["victor"]["password"])
    page.wait_for_url("**/auth/oidc/callback**")
    assert page.locator("h1").inner_text() == "You are not signed in"
    assert "in none of the groups that give a role in the portal" in \
        page.get_by_role("alert").inner_text()
    assert page.get_by_role("link", name="Try again").is_visible()
    [refusal] = _events(portal, "sign_in_refused")
    assert (refusal.email, refusal.detail) == ("victor.vance@example.com",
                                               "no role for the groups contractors")
    page.goto("/")
    page.wait_for_url("**/login**")
    with portal.app_context():
        assert db.session.scalar(select(User).where(User.email.like("victor%"))) is None


def test_the_role_follows_a_group_change_at_the_provider(page, portal, provider):
    page.goto("/login")
    page.get_by_role("link", name="Sign in with Test SSO").click()
    _at_the_provider(page, provider, "lena", ACCOUNTS["lena"]["password"])
    page.wait_for_url(re.compile(r".*/$"))
    assert page.locator(".role-badge").inner_text().lower() == "lead"
    assert page.locator(".nav a", has_text="Users").count() == 0

    provider.update("lena", groups=["portal-admins"])
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.get_by_role("link", name="Sign in with Test SSO").click()  # no password: still
    page.wait_for_url(re.compile(r".*/$"))                          # signed in there
    assert page.locator(".role-badge").inner_text().lower() == "admin"
    page.locator(".nav a", has_text="Users").click()
    page.wait_for_url("**/admin/users")
    assert page.locator("td", has_text="lena.lindqvist@example.com").count() == 1
