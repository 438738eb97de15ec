"""axe-core on every main page, as every role and signed out, at laptop and phone size
(issue 17, point 12): any violation of impact "serious" or "critical" fails the test.

axe-core comes from the npm package pinned in tests/axe (CI runs
`npm ci --prefix tests/axe`). One live server, over the living demo, serves the module.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.extensions import db
from tests.browser.conftest import serve, sign_in
from tests.conftest import unavailable
from tests.pages import EMAILS, ROLES, SIGNED_OUT_PAGES, page_ids, pages_for, seed_living_demo

AXE = Path(__file__).resolve().parents[1] / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"laptop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}
BLOCKING = {"serious", "critical"}
SIGNED_OUT = "signed-out"
# What the page gives back: each violation with the first nodes it names.
RUN_AXE = """() => axe.run().then(result => result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ': ' + n.failureSummary
                                                    .replace(/\\s+/g, ' ').slice(0, 200))})))"""


@pytest.fixture(scope="module")
def a11y_server(tmp_path_factory):
    """The portal over the living demo, and the ids its pages name."""
    if not AXE.exists():
        unavailable(f"axe-core is missing at {AXE}: run `npm ci --prefix tests/axe`")
    with serve(tmp_path_factory.mktemp("a11y"), seed_living_demo) as server:
        with server.app.app_context():
            ids = page_ids(db.session)
        yield server, ids


def axe_violations(page) -> list[dict]:
    """Runs axe-core on the page as it stands (the script is injected, not served)."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", [*ROLES, SIGNED_OUT])
def test_no_serious_or_critical_axe_violations(browser, a11y_server, role, size):
    server, ids = a11y_server
    # The pages' CSP allows no inline script: the injected axe-core needs it bypassed.
    context = browser.new_context(base_url=server.url, viewport=SIZES[size], bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        if role == SIGNED_OUT:
            paths = SIGNED_OUT_PAGES
        else:
            sign_in(page, EMAILS[role])
            paths = [path.format(**ids) for path in pages_for(role)]
        found = []
        for path in paths:
            response = page.goto(path, wait_until="networkidle")
            assert response.ok, f"{path} answered {response.status}"
            assert page.url.endswith(path), f"{path} went to {page.url}"
            found += [(path, v) for v in axe_violations(page) if v["impact"] in BLOCKING]
    finally:
        context.close()
    assert not found, f"axe, {role} at {size} size:\n" + "\n".join(
        f"  {path}: [{v['impact']}] {v['id']}: {v['help']}\n"
        + "\n".join(f"      {node}" for node in v["nodes"]) for path, v in found)
    assert errors == [], f"JavaScript errors on the pages: {errors}"
