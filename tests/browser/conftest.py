"""Browser fixtures: the portal served on a free loopback port, driven by Playwright
through the system Chromium. A failing test leaves a screenshot in test-artifacts/."""
from __future__ import annotations

import shutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from portal.demo import DEMO_PASSWORD, seed_demo
from portal.extensions import db
from tests.conftest import CHROMIUM, make_app

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def serve(tmp_path, seed=None):
    """The portal with the demo program (or what `seed(session, config)` builds), CSRF on,
    on SQLite, in a background thread, for the length of the block."""
    app = make_app(f"sqlite:///{tmp_path / 'live.db'}", tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        if seed is None:
            seed_demo(db.session)
        else:
            seed(db.session, app.config)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live_server(tmp_path):
    """The portal with the demo program, CSRF on, on SQLite, in a background thread."""
    with serve(tmp_path) as server:
        yield server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@contextmanager
def browser_page(request, browser, base_url: str):
    """A page in a context of its own at laptop size: a screenshot in test-artifacts/ when
    the test failed, and a JavaScript error on the page fails it."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(request, browser, live_server):
    with browser_page(request, browser, live_server.url) as page:
        yield page


@pytest.fixture
def login(page):
    """Signs in through the form, as a real user would."""

    def _login(email: str = "lead@example.com", password: str = DEMO_PASSWORD):
        return sign_in(page, email, password)

    return _login


def sign_in(page, email: str = "lead@example.com", password: str = DEMO_PASSWORD):
    """Signs `page` in through the form (for pages of a context a test made itself)."""
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def settled(page) -> None:
    """Waits until htmx has finished every request and settled what it swapped in: new
    content is bound to htmx only once it settles, and a key pressed before that would
    submit a form the ordinary way."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added, "
        ".htmx-swapping')")
