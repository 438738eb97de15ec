"""Signing in through the real form in Chromium."""
import pytest

pytestmark = pytest.mark.browser


def test_lead_logs_in_and_sees_the_dashboard(page, login):
    login("lead@example.com")
    assert page.url.endswith("/")
    assert page.locator("h1").inner_text() == "Cloud marketplace launch"
    assert page.locator(".nav a", has_text="Dashboard").count() == 1
    assert page.locator(".account-name").inner_text() == "Jason Vallery"


def test_wrong_password_shows_message(page, login):
    login("lead@example.com", "not-the-right-one")
    assert "/login" in page.url
    assert "do not match" in page.locator(".alert-error").inner_text()


def test_sign_out(page, login):
    login("owner@example.com")
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    assert "signed out" in page.locator(".flash").inner_text()


def test_phone_width_menu_opens(page, login):
    page.set_viewport_size({"width": 390, "height": 844})
    login("lead@example.com")
    assert not page.locator(".nav").is_visible()
    page.click("label[for=nav-toggle]")
    assert page.locator(".nav").is_visible()
