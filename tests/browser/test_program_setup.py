"""Setting up a program in Chromium, from an empty database without the demo: the setup
page, milestones and hyperscalers changed in place (and with the keyboard, and without
JavaScript), the workstreams step, and the dashboard's checklist at the end."""
from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from werkzeug.serving import make_server

from portal.extensions import db
from tests.browser.conftest import ARTIFACTS, LiveServer, settled, sign_in
from tests.conftest import make_app
from tests.factories import PASSWORD, make_person, make_user

pytestmark = pytest.mark.browser

READY_BY = (date.today() + timedelta(days=150)).isoformat()


@pytest.fixture
def empty_server(tmp_path):
    """The portal over an empty database (no demo) with an admin, an owner and a person
    to lead a workstream."""
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        make_user("admin", email="ada@example.com")
        make_user("owner", email="omar@example.com")
        make_person("Lena Lead")
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def open_page(request, browser, empty_server):
    """A page of its own browser context (JavaScript on or off); JavaScript errors fail."""
    contexts, errors = [], []

    def _open(email: str, *, javascript: bool = True, width: int = 1440):
        context = browser.new_context(base_url=empty_server.url, java_script_enabled=javascript,
                                      viewport={"width": width, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        return sign_in(page, email, PASSWORD)

    yield _open
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and contexts:
        ARTIFACTS.mkdir(exist_ok=True)
        contexts[-1].pages[-1].screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"),
                                          full_page=True)
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def wait_for_names(page, expected: list[str]) -> None:
    page.wait_for_function(
        "(expected) => JSON.stringify([...document.querySelectorAll("
        "'.hs-row input[name=name]')].map(input => input.value)) === JSON.stringify(expected)",
        arg=expected)
    settled(page)


def wait_for_focus(page, element_id: str) -> None:
    try:
        page.wait_for_function(
            "(id) => document.activeElement && document.activeElement.id === id",
            arg=element_id)
    except PlaywrightTimeoutError:
        focused = page.evaluate("document.activeElement && document.activeElement.outerHTML")
        raise AssertionError(f"the focus is not on #{element_id} but on {focused}") from None


def names(page) -> list[str]:
    return page.locator(".hs-row input[name=name]").evaluate_all(
        "inputs => inputs.map(input => input.value)")


def test_an_admin_sets_up_the_program_step_by_step(open_page):
    page = open_page("ada@example.com")
    assert page.url.endswith("/setup")  # lands on the setup, not on an empty dashboard
    page.click("text=Create the program")
    assert page.locator("#name-msg").inner_text() == "Give the program a name."
    page.fill("#name", "Cloud Launch")
    page.fill("#target_date", READY_BY)
    page.select_option("#timezone", "Europe/Berlin")
    page.click("text=Create the program")
    page.wait_for_url("**/program/milestones?setup=1")
    assert "step 2 of 4" in page.locator(".setup-steps").inner_text().lower()

    # Milestones, in place.
    url = page.url
    for name, day in (("Beta", "2026-12-01"), ("Go/no-go", READY_BY)):
        page.fill("#add-milestone input[name=name]", name)
        page.fill("#add-milestone input[name=due_date]", day)
        page.click("#add-milestone button[type=submit]")
        page.locator(".milestone-name", has_text=name).wait_for()
    row = page.locator(".milestone-row", has_text="Beta")
    row.locator("summary").click()
    row.locator("input[name$='-name']").fill("Public beta")
    row.locator("button:has-text('Save')").click()
    page.locator(".milestone-name", has_text="Public beta").wait_for()
    assert page.url == url
    page.click("#setup-continue")

    # Hyperscalers, in place and with the keyboard.
    page.wait_for_url("**/pocs/hyperscalers?setup=1")
    for name in ("AWS", "Azure", "Google Cloud"):
        page.fill("#add-hyperscaler input[name=name]", name)
        page.press("#add-hyperscaler input[name=name]", "Enter")
        page.locator(f".hs-row input[name=name][value='{name}']").wait_for()
        settled(page)
    up = page.locator(".hs-row", has=page.locator("input[value='Google Cloud']")) \
        .locator("button[value=up]")
    up.focus()
    page.keyboard.press("Enter")
    wait_for_names(page, ["AWS", "Google Cloud", "Azure"])
    wait_for_focus(page, up.get_attribute("id"))
    page.keyboard.press("Enter")  # the focus stayed on its button: up again
    wait_for_names(page, ["Google Cloud", "AWS", "Azure"])
    # At the top its up button is disabled: the focus moved to its down button.
    wait_for_focus(page, up.get_attribute("id").replace("-up", "-down"))
    assert names(page) == ["Google Cloud", "AWS", "Azure"]
    page.click("#setup-continue")

    # Workstreams: the form is open; each new one comes back to the list.
    page.wait_for_url("**/workstreams?setup=1")
    page.fill("#new-workstream input[name=name]", "Support tooling")
    page.select_option("#new-workstream select[name=lead_id]", label="Lena Lead")
    page.click("text=Create workstream")
    page.wait_for_url("**/workstreams?setup=1")
    assert "Support tooling" in page.locator(".ws-table").inner_text()
    page.click("#setup-continue")

    # The dashboard, with what is left to do.
    page.wait_for_url(re.compile(r"^http://[^/]+/$"))
    checklist = page.locator("#setup-checklist")
    assert "4 of 6 done" in checklist.inner_text()  # inviting owners is optional
    assert checklist.locator("[data-step=import][data-done=false] a").get_attribute("href") \
        == "/imports/new"
    assert "Public beta" in page.locator(".milestones-card").inner_text()


def test_hyperscalers_work_without_javascript(open_page):
    page = open_page("ada@example.com")
    page.fill("#name", "Cloud Launch")
    page.fill("#target_date", READY_BY)
    page.click("text=Create the program")
    page.wait_for_url("**/program/milestones?setup=1")
    plain = open_page("ada@example.com", javascript=False)
    plain.goto("/pocs/hyperscalers")
    for name in ("AWS", "Azure"):
        plain.fill("#add-hyperscaler input[name=name]", name)
        plain.click("#add-hyperscaler button[type=submit]")
        plain.wait_for_load_state()
    plain.locator(".hs-row", has=plain.locator("input[value='AWS']")) \
        .locator("button[value=down]").click()
    plain.wait_for_load_state()
    assert names(plain) == ["Azure", "AWS"]
    assert "AWS is now priority 2." in plain.locator(".flash").inner_text()
    row = plain.locator(".hs-row", has=plain.locator("input[value='Azure']"))
    row.locator("input[name=name]").fill("Microsoft Azure")
    row.locator("button:has-text('Rename')").click()
    plain.wait_for_load_state()
    plain.locator(".hs-row", has=plain.locator("input[value='AWS']")) \
        .locator("button:has-text('Retire')").click()
    plain.wait_for_load_state()
    assert names(plain) == ["Microsoft Azure"]


def test_an_owner_reads_who_sets_it_up(open_page):
    page = open_page("omar@example.com", width=390)
    assert page.locator("h1").inner_text() == "The program is not set up yet"
    assert "ada@example.com" in page.locator(".setters").inner_text()
